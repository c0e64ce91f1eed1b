#!/usr/bin/env bash
# Loopback throughput of the cold-start programs (internal/bench/coldstart):
# bare net/http, hello (examples/hello's wiring, httpserver's access log on)
# and hellostack (the default middleware stack and observe, the stack's
# Logging as the access log). Server pinned to CPU 0, wrk to CPU 1, logs to
# /dev/null, implementations in alternation; prints the median requests/s.
#
# Usage: internal/bench/coldstart_loadtest.sh [duration] [connections] [rounds]
# Needs wrk (Debian: apt-get install wrk).
set -euo pipefail
cd "$(dirname "$0")/../.."
dur=${1:-10s}
conns=${2:-32}
rounds=${3:-3}
impls="bare hello hellostack"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for p in $impls; do
	go build -trimpath -ldflags="-s -w" -o "$tmp/$p" "./internal/bench/coldstart/$p"
done
cat > "$tmp/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"name":"Ada","language":"fr"}'
wrk.headers["Content-Type"] = "application/json"
LUA
port=19190
for round in $(seq "$rounds"); do
	for impl in $impls; do
		PORT=$port taskset -c 0 "$tmp/$impl" 2>/dev/null &
		pid=$!
		for _ in $(seq 50); do curl -s -o /dev/null -d '{"name":"x"}' "http://127.0.0.1:$port/" 2>/dev/null && break; sleep 0.1; done
		taskset -c 1 wrk -t1 -c"$conns" -d2s -s "$tmp/post.lua" "http://127.0.0.1:$port/" >/dev/null # warm-up
		out=$(taskset -c 1 wrk -t1 -c"$conns" -d"$dur" -s "$tmp/post.lua" "http://127.0.0.1:$port/")
		if grep -q "Non-2xx" <<<"$out"; then echo "$impl: non-2xx answers"; exit 1; fi
		rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
		echo "round $round  $impl  $rps req/s"
		echo "$impl $rps" >> "$tmp/results"
		kill "$pid"; wait "$pid" 2>/dev/null || true
	done
done
echo "== median requests/s over $rounds rounds ($dur, $conns connections)"
for impl in $impls; do
	awk -v i="$impl" '$1==i {print $2}' "$tmp/results" | sort -n | awk -v i="$impl" '{a[NR]=$1} END {print i, a[int((NR+1)/2)]}'
done | tee "$tmp/med"
awk '{r[$1]=$2} END {printf "hello %.1f %% of bare, hellostack %.1f %% of bare, hellostack %.1f %% of hello\n", 100*r["hello"]/r["bare"], 100*r["hellostack"]/r["bare"], 100*r["hellostack"]/r["hello"]}' "$tmp/med"
