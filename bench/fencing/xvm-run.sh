#!/bin/sh
# Benchmark: time to a confirmed off via the xvm driver against fence_virtd with
# libvirt's test driver, in a network namespace of its own. Needs root.
# Usage: bench/fencing/xvm-run.sh [RUNS]
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
runs=${1:-20}
port=33991
ns=ehvbench$$
dir=$(mktemp -d /tmp/eh-bench-xvm.XXXXXX)
ip netns add "$ns"
trap 'for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done; ip netns delete "$ns" 2>/dev/null; rm -rf "$dir"' EXIT
ip -n "$ns" link set lo up
ip -n "$ns" link set lo multicast on
ip -n "$ns" route replace 224.0.0.0/4 dev lo
dd if=/dev/urandom of="$dir/key" bs=4096 count=1 status=none
chmod 600 "$dir/key"
arch_dir=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
cat >"$dir/fence_virt.conf" <<CONF
fence_virtd { listener = "multicast"; backend = "libvirt"; module_path = "/usr/lib/$arch_dir/fence-virt"; }
listeners { multicast { key_file = "$dir/key"; address = "225.0.0.12"; port = "$port"; interface = "lo"; family = "ipv4"; hash = "sha256"; auth = "sha256"; } }
backends { libvirt { uri = "test:///default"; } }
CONF
ip netns exec "$ns" fence_virtd -F -f "$dir/fence_virt.conf" -p "$dir/pid" >"$dir/log" 2>&1 &
"$root/node_modules/.bin/esbuild" "$root/bench/fencing/xvm-bench.ts" --bundle --platform=node --format=cjs --outfile="$dir/bench.cjs" --log-level=warning
i=0
until ip netns exec "$ns" fence_xvm -k "$dir/key" -p "$port" -t 2 -o list >/dev/null 2>&1; do
  i=$((i + 1)); [ $i -lt 10 ] || { echo "fence_virtd did not answer" >&2; cat "$dir/log" >&2; exit 1; }; sleep 0.3
done
ip netns exec "$ns" node "$dir/bench.cjs" "$dir/key" "$port" "$runs"
