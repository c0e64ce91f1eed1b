#!/usr/bin/env bash
# Runs BenchmarkHTTPBinaryEvent in interleaved rounds (all four peers each
# round, so that machine drift hits them alike), then prints benchstat and
# the median of the per-round ratios.
# Usage: internal/bench/httpbench.sh [rounds]   (needs benchstat:
#   go install golang.org/x/perf/cmd/benchstat@latest)
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-10}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go test -c -o "$tmp/bench.test" ./internal/bench/
for _ in $(seq "$rounds"); do
	"$tmp/bench.test" -test.run '^$' -test.bench BenchmarkHTTPBinaryEvent -test.benchmem -test.count 1 >> "$tmp/http.bench"
done
"$(go env GOPATH)/bin/benchstat" "$tmp/http.bench"
echo
echo "median of per-round ratios ($rounds rounds):"
awk '/1-bare/ {b=$3} /2-fnkit/ {f=$3} /3-cloudevents/ {s=$3} /4-functions/ {g=$3; print f/b > "'"$tmp"'/r1"; print f/s > "'"$tmp"'/r2"; print f/g > "'"$tmp"'/r3"}' "$tmp/http.bench"
for pair in "r1 fnkit/bare" "r2 fnkit/sdk-receiver" "r3 fnkit/functions-framework"; do
	set -- $pair
	sort -n "$tmp/$1" | awk -v name="$2" '{a[NR]=$1} END {printf "  %-28s %.3f  (min %.3f, max %.3f)\n", name, a[int((NR+1)/2)], a[1], a[NR]}'
done
