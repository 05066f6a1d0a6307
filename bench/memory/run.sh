#!/usr/bin/env bash
# Memory and idle CPU of one node's cluster stack, per configuration, on the namespace
# testbed (needs root): RSS, PSS and private memory (smaps_rollup; stacks start on a cold page cache)
# of the stack's processes on the node holding the VIP, and their CPU over IDLE_SECONDS.
#   IDLE_SECONDS=60 CONFIGS=keepalived-default,pacemaker-default,edgeha bench/memory/run.sh
# edgeha runs with its metrics listener on (127.0.0.1:9664 on each machine) and is scraped
# every SCRAPE_SECONDS (15) during the idle period; the line it prints says so and how many
# scrapes answered. EDGEHA_METRICS=off runs it without the listener, for the difference.
# edgeha runs dist/edgeha (./scripts/build --no-packages first) unless EDGEHA=PATH is given.
# The same harness as bench/failover/peers.sh with no failover runs.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=0 IDLE_SECONDS="${IDLE_SECONDS:-60}" exec bench/failover/peers.sh
