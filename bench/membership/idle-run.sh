#!/bin/sh
# Idle CPU and wire traffic of real agents in a namespace of their own (root needed).
# Usage: bench/membership/idle-run.sh [NODES ...]   (default: 2 16)
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mktemp -d /tmp/eh-bench-idle.XXXXXX)
trap 'rm -rf "$out"' EXIT
node "$root/scripts/bundle.mjs" >/dev/null
"$root/node_modules/.bin/esbuild" "$root/bench/membership/idle-bench.ts" --bundle --platform=node --format=esm --log-level=warning --outfile="$out/bench.mjs"
node "$out/bench.mjs" "$root/dist/edgeha.cjs" "$@"
