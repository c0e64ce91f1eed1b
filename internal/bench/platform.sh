#!/usr/bin/env bash
# Cost of runtime selection: cold start (exec to the first 200 answer over
# loopback, median of N runs, default 40) and stripped binary size of
# examples/hello's function served by httpserver alone (hello) and through
# adapters/platform, which links every adapter (helloplatform), next to a
# bare net/http program doing the same work (bare).
#
# Then the same for examples/http-api's API (see the second part).
#
# Usage: internal/bench/platform.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-40}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for p in bare hello helloplatform measure; do
	# lambda.norpc drops aws-lambda-go's net/rpc mode (encoding/gob), which
	# the provided.al2023 runtime never uses.
	go build -tags lambda.norpc -trimpath -ldflags="-s -w" -o "$tmp/$p" "./internal/bench/coldstart/$p"
done
# The same runtime selection built without the Cloud Functions adapter.
go build -tags "lambda.norpc fnkit_nocloudfunctions" -trimpath -ldflags="-s -w" -o "$tmp/helloplatform-nocf" ./internal/bench/coldstart/helloplatform
"$tmp/measure" -n "$runs" "$tmp/bare" "$tmp/hello" "$tmp/helloplatform" "$tmp/helloplatform-nocf" | tee "$tmp/out"
awk 'NR>1 {t[$1]=$2+0; s[$1]=$5} END {
	printf "runtime selection adds %.2f ms of cold start and %.1f MiB over the single-adapter build (%.2f ms and %.1f MiB without Cloud Functions); single-adapter / bare: %.2fx time, %.2fx size\n",
		t["helloplatform"]-t["hello"], s["helloplatform"]-s["hello"], t["helloplatform-nocf"]-t["hello"], s["helloplatform-nocf"]-s["hello"], t["hello"]/t["bare"], s["hello"]/s["bare"] }' "$tmp/out"

# The same comparison for examples/http-api's API on the embedded bbolt
# store: through adapters/platform (httpapi), served by httpserver alone
# (httpapisingle), and net/http with bbolt by hand (httpapibare); the
# first successful answer is a GET of the (empty) order list.
for p in httpapibare httpapisingle httpapi; do
	go build -tags lambda.norpc -trimpath -ldflags="-s -w" -o "$tmp/$p" "./internal/bench/coldstart/$p"
done
ORDERS_BOLT_PATH="$tmp/orders.db" "$tmp/measure" -n "$runs" -method GET -path '/orders?limit=1' "$tmp/httpapibare" "$tmp/httpapisingle" "$tmp/httpapi" | tee "$tmp/out2"
awk 'NR>1 {t[$1]=$2+0; s[$1]=$5} END {
	printf "http-api: runtime selection adds %.2f ms of cold start and %.1f MiB over the single-adapter build; single-adapter / bare: %.2fx time, %.2fx size\n",
		t["httpapi"]-t["httpapisingle"], s["httpapi"]-s["httpapisingle"], t["httpapisingle"]/t["httpapibare"], s["httpapisingle"]/s["httpapibare"] }' "$tmp/out2"
