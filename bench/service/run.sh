#!/usr/bin/env bash
# Idle cost of the systemd integration (notify, watchdog): WINDOW_SECONDS=120 ROUNDS=2 bench/service/run.sh
# Needs root (it makes a machine with systemd as PID 1). Prints figures and a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "$(id -u)" = 0 ] || { echo "bench/service: needs root (namespaces)" >&2; exit 1; }
mkdir -p .cache
npx esbuild bench/service/notify-idle.ts --bundle --platform=node --format=cjs --outfile=.cache/bench-service-notify.cjs --log-level=warning
EDGEHA_ROOT="$PWD" exec node .cache/bench-service-notify.cjs
