#!/usr/bin/env bash
# Executor figures: per-operation overhead and the CPU of 100 resources with 10 s monitors.
#   SECONDS_PER_KIND=30 bench/executor/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p .cache
npx esbuild bench/executor/run.ts --bundle --platform=node --format=cjs --outfile=.cache/bench-executor.cjs --log-level=warning --external:@serialport/bindings-cpp
exec node .cache/bench-executor.cjs
