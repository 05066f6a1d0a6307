#!/usr/bin/env bash
# No false failover under CPU load, memory pressure and a stall of the agent (needs root):
#   STRESS_SECONDS=60 PHASES=cpu-holder,cpu-standby,memory-holder,memory-standby,stall-holder bench/failover/false-failover.sh
# Uses dist/edgeha (EDGEHA= names another); results printed and in bench/failover/results/.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "$(id -u)" = 0 ] || { echo "bench/failover: needs root (network namespaces, cgroups)" >&2; exit 1; }
mkdir -p .cache
npx esbuild bench/failover/false-failover.ts --bundle --platform=node --format=cjs --outfile=.cache/bench-false-failover.cjs --log-level=warning
exec node .cache/bench-false-failover.cjs
