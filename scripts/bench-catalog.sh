#!/usr/bin/env bash
# bench-catalog.sh: what the gateway's federated search costs, measured with
# one client (yaz-client, batch mode) against yaz-ztest directly and against
# illgw fronting the same yaz-ztest, in the same run (issue 5 point 7):
#
#   1. added latency per search+present (p50, p99) and the throughput ratio,
#      gateway over one yaz-ztest vs that yaz-ztest directly (cache off);
#   2. fan-out to 3 targets (search delays 10, 20, 40 ms) vs the slowest
#      single target, directly and through the gateway;
#   3. with the cache on, a repeated search vs a direct search of a target
#      with a 20 ms search delay;
#   4. a member that never answers (yaz-ztest's Slow database) beside a
#      healthy one: how long past that member's deadline the answer comes.
#
# Usage: scripts/bench-catalog.sh [ITERATIONS]   (default 1000; the delayed
# runs use a fifth of that). Needs bash, bc, yaz (yaz-ztest, yaz-client) and Go.
set -eu
KEEP=${KEEP:-}
N=${1:-1000}
ND=$((N / 5))
[ "$ND" -ge 20 ] || ND=20
for b in yaz-ztest yaz-client go bc; do
	command -v "$b" >/dev/null || { echo "bench-catalog: $b not found (Debian package yaz, or Go)" >&2; exit 1; }
done
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	for p in $pids; do wait "$p" 2>/dev/null || true; done
	[ -n "$KEEP" ] || rm -rf "$work"
}
trap cleanup EXIT INT TERM

# port prints a loopback port nothing listens on.
port() {
	while :; do
		p=$(shuf -i 20000-60000 -n 1)
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
	done
}
waitport() {
	i=0
	until (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; do
		i=$((i + 1)); [ $i -lt 200 ] || { echo "bench-catalog: nothing listens on $1" >&2; exit 1; }
		sleep 0.05
	done
}

echo "building illgw..."
(cd "$root" && go build -o "$work/illgw" ./cmd/illgw)

# One yaz-ztest (threaded) serves every target: the knobs in the database
# name set each target's search delay (reference/z3950-sru.md §1.1).
# A port found free can be taken before yaz-ztest binds it (other jobs on
# the machine): then yaz-ztest exits and the next port is tried.
tries=0
while :; do
	zp=$(port)
	(cd "$work" && exec yaz-ztest -T -l "$work/ztest.log" "tcp:127.0.0.1:$zp") &
	zpid=$!
	i=0
	until (exec 3<>"/dev/tcp/127.0.0.1/$zp") 2>/dev/null; do
		kill -0 "$zpid" 2>/dev/null || break
		i=$((i + 1)); [ $i -lt 200 ] || break
		sleep 0.05
	done
	if kill -0 "$zpid" 2>/dev/null; then
		pids="$pids $zpid"
		break
	fi
	tries=$((tries + 1))
	[ $tries -lt 5 ] || { echo "bench-catalog: yaz-ztest did not start:" >&2; tail -3 "$work/ztest.log" >&2; exit 1; }
done
waitport "$zp"
ZT="127.0.0.1:$zp"

# gateway NAME CACHE_TTL: writes a config and starts illgw serve; sets GW_<NAME>.
gateway() {
	name=$1 ttl=$2
	zport=$(port) hport=$(port) gport=$(port)
	cat >"$work/$name.yaml" <<EOF
listen: {sip2: "", z3950: "127.0.0.1:$zport", http: "127.0.0.1:$hport", grpc: "127.0.0.1:$gport"}
state: {driver: embedded, path: "$work/$name.db"}
search: {cache_ttl: $ttl, max_records_per_member: 10}
members:
  - {code: ZT, name: ztest, catalog: {z3950: "$ZT/Default", timeout: 5s}}
  - {code: A, name: a, catalog: {z3950: "$ZT/Default?search-delay=0.01", timeout: 5s}}
  - {code: B, name: b, catalog: {z3950: "$ZT/Default?search-delay=0.02", timeout: 5s}}
  - {code: C, name: c, catalog: {z3950: "$ZT/Default?search-delay=0.04", timeout: 5s}}
  - {code: SLOW, name: slow, catalog: {z3950: "$ZT/Slow5", timeout: 1s}}
databases: {fan: [A, B, C], withslow: [ZT, SLOW]}
breaker: {failures: 1000, min_requests: 1000}
log: {level: error}
EOF
	"$work/illgw" serve -config "$work/$name.yaml" 2>"$work/$name.log" &
	pids="$pids $!"
	waitport "$zport"
	eval "GW_$name=127.0.0.1:$zport"
}
gateway nocache 0s
gateway cache 30s

# run TARGET DB ITER TERMFMT: yaz-client, ITER x (find + show 1); prints
# "p50_ms p99_ms wall_s" over the per-iteration times yaz-client reports.
run() {
	target=$1 db=$2 iter=$3 fmt=$4
	cmds="$work/cmds.$$"
	{
		echo "open tcp:$target/$db"
		echo "setnames" # one result set, "default", replaced by each search
		i=0
		while [ $i -lt "$iter" ]; do
			# shellcheck disable=SC2059
			printf "find @attr 1=4 $fmt\nshow 1\n" "$i"
			i=$((i + 1))
		done
		echo "close"
		echo "quit"
	} >"$cmds"
	start=$(date +%s.%N)
	yaz-client -f "$cmds" </dev/null >"$work/out.$$" 2>&1
	end=$(date +%s.%N)
	hits=$(grep -c 'Search was a success' "$work/out.$$" || true)
	[ -z "$KEEP" ] || cp "$work/out.$$" "$work/out.$(echo "$target$db" | tr -c 'A-Za-z0-9' _)"
	if [ "$hits" -ne "$iter" ]; then
		echo "bench-catalog: $hits of $iter searches succeeded against $target/$db" >&2
		tail -20 "$work/out.$$" >&2
		exit 1
	fi
	grep '^Elapsed:' "$work/out.$$" | sed 1d | head -n $((iter * 2)) | awk '{print $2}' |
		paste - - | awk '{print ($1 + $2) * 1000}' | sort -n >"$work/lat.$$"
	awk -v wall="$(echo "$end - $start" | bc)" '{a[NR] = $1} END {
		p50 = a[int(NR * 0.50 + 0.5)]; p99 = a[int(NR * 0.99 + 0.5)]
		printf "%.3f %.3f %.3f\n", p50, p99, wall }' "$work/lat.$$"
}

ratio() { echo "$1 $2" | awk '{ if ($2 > 0) printf "%.2f", $1 / $2; else print "n/a" }'; }

echo
echo "1. one target, search + present 1 USMARC, $N iterations (cache off)"
set -- $(run "$ZT" Default "$N" "computer%d")
d50=$1 d99=$2 dwall=$3
set -- $(run "$GW_nocache" ZT "$N" "computer%d")
g50=$1 g99=$2 gwall=$3
printf "   direct yaz-ztest   p50 %7.3f ms  p99 %7.3f ms  %6.0f searches/s\n" "$d50" "$d99" "$(echo "$N / $dwall" | bc -l)"
printf "   through illgw      p50 %7.3f ms  p99 %7.3f ms  %6.0f searches/s\n" "$g50" "$g99" "$(echo "$N / $gwall" | bc -l)"
printf "   added latency      p50 %7.3f ms  p99 %7.3f ms; throughput ratio gateway/direct %s\n" \
	"$(echo "$g50 - $d50" | bc -l)" "$(echo "$g99 - $d99" | bc -l)" "$(ratio "$dwall" "$gwall")"

echo
echo "2. fan-out to 3 targets (search delays 10/20/40 ms) vs the slowest, $ND iterations"
set -- $(run "$ZT" "Default?search-delay=0.04" "$ND" "computer%d")
s50=$1
set -- $(run "$GW_nocache" C "$ND" "computer%d")
c50=$1
set -- $(run "$GW_nocache" fan "$ND" "computer%d")
f50=$1 f99=$2
printf "   slowest direct     p50 %7.3f ms\n" "$s50"
printf "   slowest via illgw  p50 %7.3f ms\n" "$c50"
printf "   fan-out of 3       p50 %7.3f ms  p99 %7.3f ms; ratio fan-out/slowest direct %s, fan-out/slowest via illgw %s\n" \
	"$f50" "$f99" "$(ratio "$f50" "$s50")" "$(ratio "$f50" "$c50")"

echo
echo "3. cache on: a repeated search vs a direct search (target with a 20 ms search delay), $ND iterations"
set -- $(run "$ZT" "Default?search-delay=0.02" "$ND" "computer")
r50=$1 r99=$2
run "$GW_cache" B 1 "computer" >/dev/null # fills the cache
sleep 0.5
set -- $(run "$GW_cache" B "$ND" "computer")
h50=$1 h99=$2
printf "   direct             p50 %7.3f ms  p99 %7.3f ms\n" "$r50" "$r99"
printf "   illgw, cached      p50 %7.3f ms  p99 %7.3f ms; ratio cached/direct %s\n" "$h50" "$h99" "$(ratio "$h50" "$r50")"

echo
echo "4. a member that never answers (deadline 1 s) beside a healthy one, 5 searches"
set -- $(run "$GW_nocache" withslow 5 "computer%d")
printf "   answer after       p50 %7.3f ms  p99 %7.3f ms; past the deadline by %.0f ms (goal <= 250 ms)\n" \
	"$1" "$2" "$(echo "$2 - 1000" | bc -l)"
