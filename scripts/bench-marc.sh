#!/usr/bin/env bash
# bench-marc.sh times `illctl marc convert -to marcxml` against
# `yaz-marcdump -f marc8 -t utf8 -o marcxml` (the same work: MARC-8 ISO 2709
# in, UTF-8 MARCXML out) on one file of about 100,000 records made by
# repeating marc/testdata/sample-marc.mrc, in the same run, and prints the
# ratio. RECORDS sets the record count (default 100000); RUNS the number of
# timed runs of each tool (default 3, the best of them counts).
set -euo pipefail
cd "$(dirname "$0")/.."
records="${RECORDS:-100000}"
runs="${RUNS:-3}"
if ! command -v yaz-marcdump >/dev/null; then
  echo "bench-marc: yaz-marcdump not found (install the Debian package yaz: apt-get install yaz)" >&2
  exit 1
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
go build -o "$work/illctl" ./cmd/illctl
# The sample's 24 records, without the filler bytes after the last one.
perl -0777 -pe 's/[\x1d\x00]+\z/\x1d/' marc/testdata/sample-marc.mrc > "$work/one.mrc"
copies=$(( (records + 23) / 24 ))
for _ in $(seq "$copies"); do cat "$work/one.mrc"; done > "$work/big.mrc"
n=$(( copies * 24 ))
size=$(stat -c %s "$work/big.mrc")
echo "bench-marc: $n records, $size bytes, best of $runs runs"

# best CMD... runs CMD $runs times and prints the fastest wall time in seconds.
best() {
  local b="" t s e
  for _ in $(seq "$runs"); do
    s=$(date +%s.%N)
    "$@" > "$work/out.xml" 2> "$work/err.txt"
    e=$(date +%s.%N)
    t=$(awk -v s="$s" -v e="$e" 'BEGIN { printf "%.3f", e - s }')
    if [ -z "$b" ] || awk -v t="$t" -v b="$b" 'BEGIN { exit !(t < b) }'; then b=$t; fi
  done
  echo "$b"
}
# illctl warns about record 24 of each copy (Latin-1 under a MARC-8 leader)
# and exits 0; yaz-marcdump converts it as MARC-8.
ours=$(best "$work/illctl" marc convert -to marcxml "$work/big.mrc")
ours_records=$(grep -c '<record>' "$work/out.xml")
yaz=$(best yaz-marcdump -f marc8 -t utf8 -o marcxml "$work/big.mrc")
yaz_records=$(grep -c '<record' "$work/out.xml")
awk -v n="$n" -v o="$ours" -v y="$yaz" -v ro="$ours_records" -v ry="$yaz_records" 'BEGIN {
  printf "illctl marc convert -to marcxml          %7.2f s  %8.0f records/s  (%d records out)\n", o, n / o, ro
  printf "yaz-marcdump -f marc8 -t utf8 -o marcxml %7.2f s  %8.0f records/s  (%d records out)\n", y, n / y, ry
  printf "ratio yaz-marcdump/illctl: %.2f (above 1: illctl is faster)\n", y / o
}'
