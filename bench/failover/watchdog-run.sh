#!/usr/bin/env bash
# Failover through watchdog self-fencing when the BMC dies with its node, and a cut cable's
# self-reset, on the namespace pair with an arbiter (needs root). RUNS=5 by default.
#   bench/failover/watchdog-run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "$(id -u)" = 0 ] || { echo "bench/failover/watchdog-run.sh: needs root (network namespaces)" >&2; exit 1; }
mkdir -p .cache
node scripts/bundle.mjs
npx esbuild bench/failover/watchdog.ts --bundle --platform=node --format=cjs --outfile=.cache/bench-failover-watchdog.cjs --log-level=warning
EDGEHA_ROOT="$PWD" exec node .cache/bench-failover-watchdog.cjs
