#!/usr/bin/env bash
# Load test over loopback: the server pinned to CPU 0, wrk to CPU 1.
# Implementations run in alternation for several rounds, and the median
# requests/s of each is reported, because a shared machine is noisy.
#
# Usage: internal/bench/loadtest.sh [duration] [connections] [rounds]
# IMPLS="bare fnkit" restricts the implementations. Needs wrk (Debian: wrk).
set -euo pipefail
cd "$(dirname "$0")/../.."
dur=${1:-10s}
conns=${2:-32}
rounds=${3:-3}
impls=${IMPLS:-bare fnkit fnkit-serve-nolog fnkit-serve}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/loadserver" ./internal/bench/loadserver
cat > "$tmp/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"orderId":"ord-20261124-000042","customer":"ada.lovelace@example.com","items":[{"sku":"tea-earl-grey-250g","qty":2},{"sku":"cup-porcelain-white","qty":1},{"sku":"saucer-white","qty":1}],"note":"leave at the door"}'
wrk.headers["Ce-Specversion"] = "1.0"
wrk.headers["Ce-Id"] = "7f1c0a52-3a1e-4b8e-9a55-0c2b2f7d3e11"
wrk.headers["Ce-Source"] = "https://shop.example.com/orders"
wrk.headers["Ce-Type"] = "com.example.order.placed"
wrk.headers["Content-Type"] = "application/json"
LUA
port=19090
for round in $(seq "$rounds"); do
	for impl in $impls; do
		taskset -c 0 "$tmp/loadserver" -impl "$impl" -addr "127.0.0.1:$port" 2>/dev/null &
		pid=$!
		for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null && break; sleep 0.1; done
		taskset -c 1 wrk -t1 -c"$conns" -d2s -s "$tmp/post.lua" "http://127.0.0.1:$port/" >/dev/null # warm-up
		out=$(taskset -c 1 wrk -t1 -c"$conns" -d"$dur" -s "$tmp/post.lua" "http://127.0.0.1:$port/")
		if grep -q "Non-2xx" <<<"$out"; then echo "$impl: non-2xx answers"; exit 1; fi
		rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
		p50=$(awk '/Latency/ {print $2}' <<<"$out")
		echo "round $round  $impl  $rps req/s  (mean latency $p50)"
		echo "$impl $rps" >> "$tmp/results"
		kill "$pid"; wait "$pid" 2>/dev/null || true
	done
done
echo "== median requests/s over $rounds rounds ($dur, $conns connections)"
for impl in $impls; do
	med=$(awk -v i="$impl" '$1==i {print $2}' "$tmp/results" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
	echo "$impl $med"
done
