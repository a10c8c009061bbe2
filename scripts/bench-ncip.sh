#!/usr/bin/env bash
# bench-ncip.sh measures NCIP LookupUser requests per second through the
# whole gateway (HTTP, NCIP, the adapter, gRPC, the broker, a simulated
# member ILS over SIP2) against a trivial Go HTTP handler answering the same
# bytes to the same clients, in the same run (issue 7 point 7), and prints
# the ratio. It runs BenchmarkNCIPLookupUser in cmd/illgw; BENCHTIME sets
# how long each measurement runs (default 5s), COUNT how many runs (default
# 3; each prints its own ratio, the last line sums them up). First it runs
# BenchmarkServerLookupUser in ncip: the NCIP layer alone (decode, check,
# encode, an in-memory handler, no network) with its allocations per request.
set -euo pipefail
cd "$(dirname "$0")/.."
benchtime="${BENCHTIME:-5s}"
count="${COUNT:-3}"
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
go test -run '^$' -bench '^BenchmarkServerLookupUser$' -benchmem -benchtime "$benchtime" ./ncip | grep '^Benchmark'
go test -run '^$' -bench '^BenchmarkNCIPLookupUser$' -benchtime "$benchtime" -count "$count" ./cmd/illgw | tee "$out"
# Each result line reads: name N ns/op X gateway-% Y gateway-req/s Z trivial-req/s
awk '/^BenchmarkNCIPLookupUser/ {
	for (i = 1; i < NF; i++) {
		if ($(i+1) == "gateway-req/s") gw += $i
		if ($(i+1) == "trivial-req/s") tr += $i
	}
	n++
}
END {
	if (n == 0 || tr == 0) { print "bench-ncip: no result" > "/dev/stderr"; exit 1 }
	printf "bench-ncip: %d runs: gateway %.0f req/s, trivial Go HTTP handler %.0f req/s, ratio %.3f\n", n, gw/n, tr/n, gw/tr
}' "$out"
