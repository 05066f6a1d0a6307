#!/usr/bin/env bash
# The idle-CPU floor of heartbeating from Node.js on this machine: what a bare Node process
# costs that only wakes on a timer, then also sends and receives a UDP datagram each time, then
# also seals and opens each with AES-256-GCM — beside two real `edgeha agent`s with no resources,
# all at the same heartbeat interval, all at the same time (so they share the machine's load).
# CPU is read from /proc/PID/task/*/schedstat (nanoseconds on CPU, every thread).
#   bench/membership/floor-run.sh [SECONDS=60] [INTERVAL_MS=100]
# Loopback only (127.0.x.y); every process is stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-60}; interval=${2:-100}
node=${EDGEHA_NODE:-$(ls .cache/node-*/node-x64.stripped 2>/dev/null | head -1)}
[ -x "$node" ] || node=$(command -v node)
[ -f dist/edgeha.cjs ] || node scripts/bundle.mjs
work=$(mktemp -d); pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
start() { "$@" >/dev/null 2>&1 & pids+=($!); }
modes=(timer udp aesgcm)
for index in 0 1 2; do
  start "$node" bench/membership/floor-peer.cjs "${modes[$index]}" "127.0.7$index.1" "127.0.7$index.2" 5960 "$interval"
  start "$node" bench/membership/floor-peer.cjs "${modes[$index]}" "127.0.7$index.2" "127.0.7$index.1" 5960 "$interval"
done
head -c 64 /dev/urandom > "$work/authkey"; chmod 600 "$work/authkey"
printf 'cluster_name: floor\ntransport: { port: 5961 }\ntiming: { heartbeat_ms: %s, token_ms: %s }\npaths: { authkey: %s }\nnodes:\n  - { name: n1, id: 1, links: [127.0.73.1] }\n  - { name: n2, id: 2, links: [127.0.73.2] }\n' "$interval" $((interval * 5)) "$work/authkey" > "$work/edgeha.yaml"
for name in n1 n2; do
  mkdir -p "$work/$name"
  "$node" dist/edgeha.cjs agent --config "$work/edgeha.yaml" --node "$name" --state-dir "$work/$name" --socket "$work/$name/agent.sock" > "$work/$name.log" 2>&1 &
  pids+=($!)
done
sleep 12
for name in n1 n2; do
  grep -q '"membership view"\|new membership view' "$work/$name.log" || { echo "floor-run: agent $name did not form a view; its log:" >&2; tail -5 "$work/$name.log" >&2; exit 1; }
done
cpu() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ sum += $1 } END { print sum + 0 }'; }
before=(); for pid in "${pids[@]}"; do before+=("$(cpu "$pid")"); done
t0=$(date +%s%N); sleep "$seconds"; t1=$(date +%s%N)
echo "idle CPU over ${seconds} s, heartbeat every ${interval} ms both ways, % of one CPU (node: $node)"
labels=("timer only" "timer + UDP send/receive" "timer + UDP + AES-256-GCM seal/open" "edgeha agent (no resources)")
for index in 0 1 2 3; do
  a=$(( $(cpu "${pids[$((2 * index))]}") - ${before[$((2 * index))]} ))
  b=$(( $(cpu "${pids[$((2 * index + 1))]}") - ${before[$((2 * index + 1))]} ))
  awk -v label="${labels[$index]}" -v a="$a" -v b="$b" -v t=$((t1 - t0)) 'BEGIN { printf "  %-40s %.3f %%  %.3f %%\n", label, 100 * a / t, 100 * b / t }'
done
