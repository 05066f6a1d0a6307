#!/bin/sh
# Real-agent failure detection on loopback. Usage: bench/membership/kill-run.sh [RUNS]
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mktemp -d /tmp/eh-bench-kill.XXXXXX)
trap 'rm -rf "$out"' EXIT
node "$root/scripts/bundle.mjs" >/dev/null
"$root/node_modules/.bin/esbuild" "$root/bench/membership/kill-bench.ts" --bundle --platform=node --format=esm --log-level=warning --outfile="$out/bench.mjs"
node "$out/bench.mjs" "$root/dist/edgeha.cjs" "${1:-20}"
