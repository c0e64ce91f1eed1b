#!/usr/bin/env bash
# Cold start and binary size: builds the programs of internal/bench/coldstart
# stripped (-trimpath -ldflags "-s -w"), runs each N times (default 40) and
# prints the median time from exec to the first 200 answer over loopback
# (127.0.0.1) and the size, then the ratios to the bare net/http program.
# INITTRACE=1 also prints the packages whose init takes longest in hellostack.
#
# Usage: internal/bench/coldstart.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-40}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for p in bare hello hellostack measure; do
	go build -trimpath -ldflags="-s -w" -o "$tmp/$p" "./internal/bench/coldstart/$p"
done
"$tmp/measure" -n "$runs" "$tmp/bare" "$tmp/hello" "$tmp/hellostack" | tee "$tmp/out"
awk 'NR>1 {t[$1]=$2+0; s[$1]=$5} END {
	printf "ratios to bare: hello %.2fx time %.2fx size; hellostack %.2fx time %.2fx size\n",
		t["hello"]/t["bare"], s["hello"]/s["bare"], t["hellostack"]/t["bare"], s["hellostack"]/s["bare"] }' "$tmp/out"
if [ "${INITTRACE:-}" = 1 ]; then
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	PORT=$port GODEBUG=inittrace=1 timeout 1 "$tmp/hellostack" 2>&1 >/dev/null | grep '^init' | sort -k5 -n -r | head -15 || true
fi
