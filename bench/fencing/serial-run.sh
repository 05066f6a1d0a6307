#!/bin/sh
# Benchmark: time to a confirmed off via edgeha's ipmi-serial driver against the
# test serial BMC on a socat pty pair, Basic and Terminal Mode, with ipmitool's
# serial interfaces beside it for scale. Needs socat and ipmitool.
# Usage: bench/fencing/serial-run.sh [RUNS]
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
runs=${1:-20}
dir=$(mktemp -d /tmp/eh-bench-serial.XXXXXX)
trap 'rm -rf "$dir"' EXIT
"$root/node_modules/.bin/esbuild" "$root/bench/fencing/serial-bench.ts" --bundle --platform=node --format=cjs --outfile="$dir/bench.cjs" --external:@serialport/bindings-cpp --log-level=warning
# The serial addon is found in the repository's node_modules from the bundle in $dir.
node "$root/scripts/bundle.mjs"
NODE_PATH="$root/node_modules" node "$dir/bench.cjs" "$runs" "$root"
