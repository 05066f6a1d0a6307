#!/bin/sh
# Benchmark: time to a confirmed off via IPMI against ipmi_sim, edgeha's ipmilan
# beside fence_ipmilan (cipher 3 and IPMI 1.5 on ipmi_sim, cipher 17 on the test BMC of
# test/support/rmcp-bmc.ts). Needs openipmi, ipmitool, fence-agents.
# Usage: [LAG_MS=30] bench/fencing/ipmi-run.sh [RUNS]
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
runs=${1:-20}
dir=$(mktemp -d /tmp/eh-bench-ipmi.XXXXXX)
trap 'rm -rf "$dir"' EXIT
"$root/node_modules/.bin/esbuild" "$root/bench/fencing/ipmi-bench.ts" --bundle --platform=node --format=cjs --outfile="$dir/bench.cjs" --log-level=warning
node "$dir/bench.cjs" "$runs" 32901
