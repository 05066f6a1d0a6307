#!/bin/sh
# Benchmark: time to a confirmed off via the scsi driver against tgtd on 127.0.0.1.
# Needs root (tgtd's control socket). Usage: bench/fencing/scsi-run.sh [RUNS]
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
runs=${1:-20}
port=33990
control=23990
dir=$(mktemp -d /tmp/eh-bench-scsi.XXXXXX)
iqn=iqn.2026-11.io.edgeha.bench:scsi
truncate -s 8M "$dir/lun1.img"
tgtd -f -C "$control" --iscsi "portal=127.0.0.1:$port" >"$dir/tgtd.log" 2>&1 &
tgtd_pid=$!
trap 'kill -9 $tgtd_pid 2>/dev/null; rm -rf "$dir"' EXIT
i=0
until tgtadm -C "$control" --lld iscsi --op show --mode target >/dev/null 2>&1; do
  i=$((i + 1)); [ $i -lt 50 ] || { echo "tgtd did not start" >&2; exit 1; }; sleep 0.1
done
tgtadm -C "$control" --lld iscsi --op new --mode target --tid 1 -T "$iqn"
tgtadm -C "$control" --lld iscsi --op new --mode logicalunit --tid 1 --lun 1 -b "$dir/lun1.img"
tgtadm -C "$control" --lld iscsi --op bind --mode target --tid 1 -I ALL
"$root/node_modules/.bin/esbuild" "$root/bench/fencing/scsi-bench.ts" --bundle --platform=node --format=cjs --outfile="$dir/bench.cjs" --log-level=warning
node "$dir/bench.cjs" "127.0.0.1:$port" "$iqn" "$runs"
