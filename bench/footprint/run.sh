#!/usr/bin/env bash
# Footprint of the single executable: file size (stripped, and xz -9 for
# shipping), start-up time (median of 20 runs of --version), and the idle memory
# of a long-running process (RSS, PSS and private memory from smaps_rollup, with
# the page cache dropped first so shared pages are counted honestly).
#   bench/footprint/run.sh [EXECUTABLE] [-- ARGS of the long-running command]
# Default long-running command: `edgeha diag idle`. Pass e.g.
#   bench/footprint/run.sh dist/edgeha -- agent --config /etc/edgeha/edgeha.yaml
set -euo pipefail
cd "$(dirname "$0")/../.."
executable=${1:-dist/edgeha}
shift || true
[ "${1:-}" = "--" ] && shift
idle_args=("$@")
[ ${#idle_args[@]} -gt 0 ] || idle_args=(diag idle --seconds 120)
[ -x "$executable" ] || { echo "no executable at $executable: run ./scripts/build" >&2; exit 1; }

size_mb=$(stat -c %s "$executable" | awk '{printf "%.1f", $1/1e6}')
xz_mb=$(xz -9 -T2 -c "$executable" | wc -c | awk '{printf "%.1f", $1/1e6}')

times=()
for _ in $(seq 20); do
  start=$(date +%s%N); "$executable" --version >/dev/null; end=$(date +%s%N)
  times+=($(( (end - start) / 1000 )))
done
start_ms=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]/1000}')

if [ -w /proc/sys/vm/drop_caches ]; then sync; echo 3 > /proc/sys/vm/drop_caches; cache="dropped"; else cache="not dropped (needs root)"; fi
"$executable" "${idle_args[@]}" >/dev/null 2>&1 &
pid=$!
sleep 5
# Private_Dirty is the memory this process alone owns (heap, stacks); Private_Clean
# is mostly the executable's code pages, private only while no other process maps
# the same file, and reclaimable. Both are shown.
read -r rss pss dirty clean < <(awk '/^Rss:/{r=$2} /^Pss:/{p=$2} /^Private_Dirty:/{d=$2} /^Private_Clean:/{c=$2} END {printf "%.1f %.1f %.1f %.1f\n", r/1024, p/1024, d/1024, c/1024}' /proc/$pid/smaps_rollup)
kill $pid 2>/dev/null || true
wait $pid 2>/dev/null || true

printf '| figure | value |\n|---|---|\n'
printf '| file size (stripped) | %s MB |\n| file size (xz -9) | %s MB |\n| start-up (--version, median of 20) | %s ms |\n' "$size_mb" "$xz_mb" "$start_ms"
printf '| idle RSS (%s) | %s MiB |\n| idle PSS | %s MiB |\n| idle private dirty memory (heap, stacks) | %s MiB |\n| idle private clean memory (code pages of the executable) | %s MiB |\n' "${idle_args[*]}" "$rss" "$pss" "$dirty" "$clean"
printf '(page cache %s)\n' "$cache"
