// What edgeha.service does for an agent that exits 75, for the tests that run agents
// themselves: start it again after RestartSec. An agent that finds itself stalled as long as
// the token (a CPU-starved machine in CI can do that to it right after start) stops everything
// and exits 75 (src/node/agent.ts: EX_TEMPFAIL, "start it again"); without a restart, a test
// would wait its whole bound for a node that is gone. Every restart is said loudly on stderr.
// Used by the namespace tests' AgentProcess (test/integration/membership/harness.ts) and by
// PairCluster (pair-cluster.ts).
import type { ChildProcess } from "node:child_process";

/** The exit status of an agent that stopped itself after a stall. */
export const EXIT_AFTER_STALL = 75;
/** How long edgeha.service waits before it starts a failed agent again (RestartSec in scripts/debian/edgeha.service). */
export const RESTART_DELAY_MS = 2000;

/**
 * Calls `again` RESTART_DELAY_MS after `child` exits 75, provided `wanted()` holds both when it
 * exits and when the delay ends (the test has not killed, replaced or torn the node down
 * meanwhile). Returns a function that cancels a pending restart.
 */
export function restartAfterStall(name: string, child: ChildProcess, wanted: () => boolean, again: () => void): () => void {
  let timer: NodeJS.Timeout | undefined;
  const onExit = (code: number | null) => {
    if (code !== EXIT_AFTER_STALL || !wanted()) return;
    console.error(`*** agent ${name} exited ${code} (it stopped itself after a stall as long as the token; a CPU-starved machine); starting it again in ${RESTART_DELAY_MS} ms as edgeha.service would`);
    timer = setTimeout(() => {
      timer = undefined;
      if (wanted()) again();
    }, RESTART_DELAY_MS);
    timer.unref();
  };
  child.once("exit", onExit);
  return () => {
    child.off("exit", onExit);
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
}
