#!/usr/bin/env bash
# Admin socket under attack: how long the event loop is held while clients send a huge
# line, many connections and floods of small requests (figures printed, nothing asserted).
#   bench/api/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p .cache
npx esbuild bench/api/flood.ts --bundle --platform=node --format=cjs --outfile=.cache/bench-api-flood.cjs --log-level=warning --external:@serialport/bindings-cpp
exec node .cache/bench-api-flood.cjs
