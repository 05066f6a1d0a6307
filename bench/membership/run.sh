#!/bin/sh
# Membership figures from the simulated cores. Usage: bench/membership/run.sh
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mktemp -d /tmp/eh-bench-membership.XXXXXX)
trap 'rm -rf "$out"' EXIT
"$root/node_modules/.bin/esbuild" "$root/bench/membership/sim-bench.ts" --bundle --platform=node --log-level=warning --outfile="$out/bench.cjs"
node "$out/bench.cjs"
