#!/bin/sh
# Benchmark: time to a confirmed off via edgeha's built-in Redfish driver against the
# Redfish test BMC, with fence_redfish beside it for scale. Needs openssl and fence-agents.
# Usage: bench/fencing/redfish-run.sh [RUNS]
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
runs=${1:-20}
dir=$(mktemp -d /tmp/eh-bench-redfish.XXXXXX)
trap 'rm -rf "$dir"' EXIT
"$root/node_modules/.bin/esbuild" "$root/bench/fencing/redfish-bench.ts" --bundle --platform=node --format=cjs --outfile="$dir/bench.cjs" --log-level=warning
node "$dir/bench.cjs" "$runs"
