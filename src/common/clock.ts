// The monotonic clock the agent measures and schedules with. Not the global `performance`: its
// first use loads node:perf_hooks (performance timing, histograms, event-loop delay: ~0.25 MiB
// of RSS in a bare Node 24) for one clock read (issue 21, RSS). process.hrtime reads the same
// CLOCK_MONOTONIC; its origin is the machine's (not the process start), which only differences use.

/** Milliseconds (fractional) of CLOCK_MONOTONIC, as performance.now() would give them from another origin. */
export function monotonicMs(): number {
  const [seconds, nanoseconds] = process.hrtime();
  return seconds * 1000 + nanoseconds / 1e6;
}
