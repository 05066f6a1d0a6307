// What a reload (`edgeha config reload`, SIGHUP) may change while the agent runs. Pure:
// the running config and the file's new content in, every difference out, each marked
// live or not with the reason. A reload with any change that cannot be made live applies
// nothing (the running config stays whole), so a file is never half in force.
import type { BootstrapConfig } from "./types";

export interface ReloadChange {
  /** The key in the file, e.g. "timing.token_ms" or "nodes[alpha].links". */
  path: string;
  from: string;
  to: string;
  live: boolean;
  /** Why it cannot change live, and what to do instead (only when not live). */
  why?: string;
}

export interface ReloadPlan {
  changes: ReloadChange[];
  /** The changes that cannot be made live; a reload with any of them applies nothing. */
  refused: ReloadChange[];
}

const RESTART = "restart the agents one at a time (`edgeha cluster stop` then `edgeha cluster start` on each node)";
const WHY = {
  clusterName: "the cluster name keys every frame: nodes with different names cannot talk; set it on every node and restart them all",
  transport: `the agents' sockets and keys are set up at start; ${RESTART}`,
  nodes: "a reload does not change the node list: use `edgeha cluster node add|remove` on a running member (every member stores the change at once), and put the file back as it was here",
  quorum: `quorum rules change how votes are counted, which a running partition must not do under its own feet; ${RESTART}`,
  arbiterPresence: `adding or removing the arbiter changes how votes are counted; ${RESTART}`,
  paths: "files and sockets are opened at start; restart the agent",
  system: "the scheduler and memory locking are set when the agent starts; restart the agent",
} as const;

function show(value: unknown): string {
  if (value === undefined) return "(none)";
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** Every difference between the running config and the new one. */
export function planReload(running: BootstrapConfig, next: BootstrapConfig): ReloadPlan {
  const changes: ReloadChange[] = [];
  const compare = (path: string, from: unknown, to: unknown, why?: string) => {
    if (JSON.stringify(from) === JSON.stringify(to)) return;
    changes.push({ path, from: show(from), to: show(to), live: why === undefined, ...(why === undefined ? {} : { why }) });
  };
  compare("cluster_name", running.clusterName, next.clusterName, WHY.clusterName);
  compare("config_version", running.configVersion, next.configVersion);
  compare("transport.port", running.transport.port, next.transport.port, WHY.transport);
  compare("transport.crypto", running.transport.crypto, next.transport.crypto, WHY.transport);
  compareNodes(running, next, compare);
  compareQuorum(running, next, compare);
  compare("timing.heartbeat_ms", running.timing.heartbeatMs, next.timing.heartbeatMs);
  compare("timing.token_ms", running.timing.tokenMs, next.timing.tokenMs);
  compare("timing.consensus_ms", running.timing.consensusMs, next.timing.consensusMs);
  compare("timing.join_ms", running.timing.joinMs, next.timing.joinMs);
  compare("timing.echo_ms", running.timing.echoMs, next.timing.echoMs);
  compare("paths.authkey", running.paths.authkey, next.paths.authkey, WHY.paths);
  compare("paths.state_dir", running.paths.stateDir, next.paths.stateDir, WHY.paths);
  compare("paths.socket", running.paths.socket, next.paths.socket, WHY.paths);
  compare("logging.level", running.logging.level, next.logging.level);
  compare("system.realtime_priority", running.system.realtimePriority, next.system.realtimePriority, WHY.system);
  compare("system.lock_memory", running.system.lockMemory, next.system.lockMemory, WHY.system);
  const listen = (config: BootstrapConfig) => (config.metrics.listen === undefined ? undefined : `${config.metrics.listen.host}:${config.metrics.listen.port}`);
  compare("metrics.listen", listen(running), listen(next));
  return { changes, refused: changes.filter((change) => !change.live) };
}

type Compare = (path: string, from: unknown, to: unknown, why?: string) => void;

/** The same nodes (names and ids) must stay; each one's links may change live. */
function compareNodes(running: BootstrapConfig, next: BootstrapConfig, compare: Compare): void {
  const identities = (config: BootstrapConfig) => [...config.nodes].sort((left, right) => left.id - right.id).map((node) => `${node.name}=${node.id}`);
  const before = identities(running);
  const after = identities(next);
  if (JSON.stringify(before) !== JSON.stringify(after)) {
    compare("nodes", before.join(", "), after.join(", "), WHY.nodes);
    return;
  }
  for (const node of running.nodes) {
    const changed = next.nodes.find((each) => each.id === node.id)!;
    compare(`nodes[${node.name}].links`, node.links, changed.links);
  }
}

function compareQuorum(running: BootstrapConfig, next: BootstrapConfig, compare: Compare): void {
  const [from, to] = [running.quorum, next.quorum];
  compare("quorum.expected_votes", from.expectedVotes, to.expectedVotes, WHY.quorum);
  compare("quorum.two_node", from.twoNode, to.twoNode, WHY.quorum);
  compare("quorum.wait_for_all", from.waitForAll, to.waitForAll, WHY.quorum);
  compare("quorum.last_man_standing", from.lastManStanding, to.lastManStanding, WHY.quorum);
  compare("quorum.last_man_standing_window_ms", from.lastManStandingWindowMs, to.lastManStandingWindowMs, WHY.quorum);
  compare("quorum.auto_tie_breaker", from.autoTieBreaker, to.autoTieBreaker, WHY.quorum);
  compare("quorum.auto_tie_breaker_node", from.autoTieBreakerNode, to.autoTieBreakerNode, WHY.quorum);
  const address = (config: BootstrapConfig) => (config.quorum.arbiter === undefined ? undefined : `${config.quorum.arbiter.host}:${config.quorum.arbiter.port}`);
  // Moving the arbiter to another address is live; having one or not is not.
  compare("quorum.arbiter", address(running), address(next), (from.arbiter === undefined) !== (to.arbiter === undefined) ? WHY.arbiterPresence : undefined);
}

/** One line per change for the CLI and the log. */
export function describeReload(plan: ReloadPlan): string[] {
  return plan.changes.map((change) => `${change.path}: ${change.from} -> ${change.to}${change.live ? "" : ` (cannot change live: ${change.why})`}`);
}
