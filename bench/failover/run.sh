#!/usr/bin/env bash
# Failover, memory and idle CPU of an edgeha pair on the namespace testbed (needs root).
#   RUNS=10 IDLE_SECONDS=60 bench/failover/run.sh
# Builds the single executable and bundles the harness, then runs it; results also go to
# bench/failover/results/ (not committed). Peer figures: bench/failover/README.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "$(id -u)" = 0 ] || { echo "bench/failover: needs root (network namespaces)" >&2; exit 1; }
./scripts/build >/dev/null
mkdir -p .cache
npx esbuild bench/failover/edgeha.ts --bundle --platform=node --format=cjs --outfile=.cache/bench-failover.cjs --log-level=warning
exec node .cache/bench-failover.cjs
