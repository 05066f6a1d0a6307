#!/usr/bin/env bash
# Failover, memory and idle CPU of the peers (keepalived, Pacemaker + Corosync) on the
# project's namespace testbed (needs root):
#   RUNS=10 IDLE_SECONDS=60 CONFIGS=keepalived-default,keepalived-tuned,pacemaker-default,pacemaker-tuned,pacemaker-fencing bench/failover/peers.sh
# Results: printed, and JSON + a Markdown table in bench/failover/results/ (not committed).
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "$(id -u)" = 0 ] || { echo "bench/failover: needs root (network namespaces)" >&2; exit 1; }
mkdir -p .cache
npx esbuild bench/failover/peers.ts --bundle --platform=node --format=cjs --outfile=.cache/bench-failover-peers.cjs --log-level=warning
exec node .cache/bench-failover-peers.cjs
