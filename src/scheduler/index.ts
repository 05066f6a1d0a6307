// The policy engine: (CIB, now) -> transition. A pure pipeline of named passes;
// no clock, I/O or randomness. This first version covers primitives (group members
// are scheduled as primitives); clones and promotion are not scheduled yet.
import { ruleMatches, type NodeAttributes } from "./rules";
import { definitionChange, parentInstanceSets } from "./digest";
import { clusterOptions, flattenSets, parseDurationMs, parseScore, type Cib, type ColocationConstraint, type LocationConstraint, type OperationRecord, type Primitive } from "../cib";

export const INFINITY = 1_000_000;

export interface ScheduledAction {
  action: "start" | "stop" | "move" | "recover" | "restart" | "reload" | "fence" | "promote" | "demote";
  resource?: string;
  node?: string;
  from?: string;
  to?: string;
  kind?: string;
  /** Promotable clone instances: the role kept by this action, or the role change. */
  role?: "Promoted" | "Unpromoted";
  from_role?: "Stopped" | "Promoted" | "Unpromoted";
  to_role?: "Promoted" | "Unpromoted";
  reason: string;
  /** The action is needed but cannot be carried out (an unrunnable dependency, ...). */
  blocked?: boolean;
}

/**
 * An ordering edge between two actions (indexes into `actions`). Phase "start": then's
 * starting part (start, the start half of move/recover/restart, promote) waits for first's
 * starting part. Phase "stop": then's stopping part (stop, the stop half, demote) waits for
 * first's stopping part. Phase "fence": all of then waits for the fence action first.
 */
export interface OrderingEdge {
  first: number;
  then: number;
  phase: "start" | "stop" | "fence";
}

export interface TransitionGraph {
  actions: ScheduledAction[];
  /** Ordering between actions; actions not linked may run in parallel. */
  edges: OrderingEdge[];
  /** Allocation scores per resource and node, for --show-scores. */
  scores: Record<string, Record<string, number>>;
}

export interface NodeState {
  name: string;
  online: boolean;
  unclean: boolean;
  standby: boolean;
  /** Node in maintenance: what runs there is left alone, nothing new goes there. */
  maintenance?: boolean;
  /** The node asked to shut down: it keeps no resources. */
  shuttingDown: boolean;
  /** In the membership but not ready to run resources (it has not joined yet): nothing can be probed there. */
  pending?: boolean;
  /** Why an unclean node must be fenced, when its membership entry tells. */
  uncleanReason?: string;
  /** Attributes rules can test: #uname, #id, #kind, then the node's own and transient ones. */
  attributes: NodeAttributes;
}

export interface ResourceState {
  /** Nodes where the resource is active (it may be active on more than one). */
  activeOn: string[];
  /** Nodes where its last operation failed. */
  failedOn: string[];
  /** Nodes where the last start failed: with start-failure-is-fatal the resource is banned there. */
  startFailedOn: string[];
  /** Nodes where an operation returned a hard error (not installed, not configured, invalid parameter). */
  bannedOn: string[];
  /** Nodes where it is active in the Promoted role (promotable clones). */
  promotedOn?: string[];
  /** The operation whose failure is current, per node (decides on-fail). */
  failures?: Record<string, { operation: string; intervalMs: number; hard?: boolean; notInstalled?: boolean; recovered?: boolean }>;
  /** The id its history carries per node, where it differs (anonymous clone instances: "rsc" or "rsc:N"). */
  historyIds?: Record<string, string>;
  /** Anonymous clone instances: nodes where a history entry (running or not) went to this instance. */
  knownOn?: string[];
  /** When the hard error that bans a node happened (last-rc-change, seconds), for failure-timeout. */
  bannedSince?: Record<string, number>;
}

/** Saturating addition of scores, as Pacemaker does: -INFINITY wins over +INFINITY. */
export function addScores(left: number, right: number): number {
  if (left <= -INFINITY || right <= -INFINITY) return -INFINITY;
  if (left >= INFINITY || right >= INFINITY) return INFINITY;
  return Math.max(-INFINITY, Math.min(INFINITY, left + right));
}

function isFalse(value: string | undefined): boolean {
  return value !== undefined && ["false", "off", "no", "n", "0"].includes(value.toLowerCase());
}

function truthy(value: string | undefined): boolean {
  return value !== undefined && ["true", "on", "yes", "y", "1"].includes(value.toLowerCase());
}

/** Pass 1: node states from the nodes section and node_state entries. */
export function unpackNodes(cib: Cib): NodeState[] {
  const { startupFencing, stonithEnabled: fencingEnabled } = clusterOptions(cib).options;
  return cib.nodes.map((node) => {
    const status = cib.status.find((entry) => entry.uname === node.uname || entry.id === node.id);
    const attributes = flattenSets(node.instance);
    const transient = status ? flattenSets(status.transient) : {};
    const inMembership = status !== undefined && truthy(status.attributes.in_ccm);
    const controllerUp = status !== undefined && status.attributes.crmd === "online";
    const online = inMembership && controllerUp && (status?.attributes.join ?? "member") === "member";
    // A node expected to be a member that left without a clean shutdown must be fenced.
    // Never seen since the cluster started: unclean too, unless startup-fencing is off.
    const membership = status === undefined ? undefined : membershipWithFencing(status.attributes, transient);
    const unclean = status === undefined ? startupFencing : fencingEnabled ? membership!.unclean : !online && status.attributes.expected === "member";
    const standby = truthy(attributes.standby) || truthy(transient.standby);
    // A shutdown request is the transient "shutdown" attribute (or the older node_state field): any non-zero time.
    const requested = (value: string | undefined) => value !== undefined && value !== "0" && value !== "";
    const shuttingDown = requested(transient.shutdown) || requested(status?.attributes.shutdown);
    const isDc = cib.attributes["dc-uuid"] !== undefined && cib.attributes["dc-uuid"] === node.id;
    const ruleAttributes = { ...transient, ...attributes, "#uname": node.uname, "#id": node.id, "#kind": node.type === "remote" ? "remote" : "cluster", "#is_dc": isDc ? "true" : "false" };
    const maintenance = truthy(attributes.maintenance) || truthy(transient.maintenance);
    // A node in maintenance that left is not fenced: its resources are unmanaged.
    const pending = fencingEnabled && membership?.pending === true && !shuttingDown;
    return { name: node.uname, online, unclean: unclean && !maintenance, standby, shuttingDown, attributes: ruleAttributes, ...(maintenance ? { maintenance } : {}), ...(pending ? { pending } : {}),
      ...(unclean && membership?.reason ? { uncleanReason: membership.reason } : {}) };
  });
}

/**
 * How a node's membership entry reads when fencing is enabled, as Pacemaker reads it: a node
 * whose entry says nothing about cluster membership was never seen and is fenced, so is one
 * the join refused (banned), one expected up that left the membership, one whose controller
 * is gone, and one asked to terminate. A node not expected up that is in the membership (or
 * whose controller runs), or one that has not finished joining, is pending: present, able to
 * run nothing yet. A node shutting down is never fenced for its membership.
 */
function membershipWithFencing(entry: Record<string, string>, transient: Record<string, string>): { unclean: boolean; pending: boolean; reason?: string } {
  const shutdownValue = transient.shutdown ?? entry.shutdown;
  if (shutdownValue !== undefined && shutdownValue !== "0" && shutdownValue !== "") return { unclean: false, pending: false };
  const inCluster = entry.in_ccm;
  const member = truthy(inCluster);
  const controllerUp = entry.crmd === "online";
  const join = entry.join;
  const expected = entry.expected ?? "down";
  const terminateValue = transient.terminate;
  const terminate = truthy(terminateValue) || (terminateValue !== undefined && /^[1-9]/.test(terminateValue));
  const fence = (reason: string) => ({ unclean: true, pending: false, reason });
  if (inCluster === undefined) return fence("peer has not been seen by the cluster");
  if (join === "banned") return fence("peer failed Pacemaker membership criteria");
  if (!terminate && expected === "down") return { unclean: false, pending: member };
  if (terminate && join === "down" && !member && !controllerUp) return { unclean: false, pending: false };
  if (!member) return fence("peer is no longer part of the cluster");
  if (!controllerUp) return fence("peer process is no longer available");
  if (terminate) return fence("termination was requested");
  if (join === "member") return { unclean: false, pending: false };
  if (join === "pending" || join === "down") return { unclean: false, pending: true };
  return fence("peer was in an unknown state");
}

/** Pass 2: where each resource is active, from the last result of each operation. */
export function unpackResourceStates(cib: Cib, options: { pendingActive?: boolean } = {}): Map<string, ResourceState> {
  const states = new Map<string, ResourceState>();
  for (const node of cib.status) {
    for (const history of node.resources) {
      const state = states.get(history.id) ?? { activeOn: [], failedOn: [], startFailedOn: [], bannedOn: [] };
      states.set(history.id, state);
      // A pending operation (op-status -1) counts, with pendingActive, as a start/promote in flight: active.
      const records = [...history.operations].filter((record) => record.opStatus !== -1 || (options.pendingActive === true && ["start", "promote", "migrate_from"].includes(record.operation)))
        .sort(compareOperationAge);
      let active = false;
      let failed = false;
      let startFailed = false;
      let hardError = false;
      let promoted = false;
      let failedOperation: { operation: string; intervalMs: number; hard?: boolean; notInstalled?: boolean; recovered?: boolean } | undefined;
      let hardFailure = false;
      let bannedSince = Number.NaN;
      for (let record of records) {
        const name = record.operation;
        const recurring = record.intervalMs > 0;
        // The role follows the last successful start/promote/demote and what monitors report (8: running promoted).
        // A failed demote leaves it Unpromoted: staying Promoted would only repeat the demote, and recovery stops it anyway.
        if (record.opStatus === -1) { active = true; continue; }
        // "Degraded" (190) and "degraded promoted" (191) are successes: running, and running promoted.
        if (record.rcCode === 190 || record.rcCode === 191) record = { ...record, rcCode: record.rcCode === 190 ? 0 : 8 };
        if (record.rcCode === 8 || record.rcCode === 9) promoted = true;
        else if (record.rcCode === 0 && ["start", "demote", "monitor", "migrate_from"].includes(name)) promoted = false;
        else if (record.rcCode === 0 && name === "promote") promoted = true;
        if (record.rcCode === 0 || record.rcCode === 8) {
          if (name === "stop" || name === "migrate_to") { active = false; failed = false; }
          else if (name === "start" || name === "promote" || name === "demote" || name === "migrate_from") { active = true; failed = false; }
          else if (name === "monitor") active = true;
        } else if (record.rcCode === 7 && name === "monitor" && !recurring) { active = false; failed = false; }
        // A recurring monitor reporting "not running" fails an active resource; on an inactive one it is a Stopped-role monitor.
        else if (record.rcCode === 7 && name === "monitor" && recurring) { if (active) failed = true; }
        // Not installed (5) and invalid configuration (2, 6) are hard errors: the resource is not active there and is banned.
        // A probe finding them means "not running here"; any other operation fails the resource where it ran.
        // Hard errors (invalid argument, insufficient privileges, not installed, not
        // configured) ban the node. A probe answering "not installed" means not running there; any other
        // hard error leaves the resource failed where it was found or ran, to be stopped; even an
        // operation on a stopped resource (a failed stop) leaves it active there, as far as anyone knows.
        else if ([2, 4, 5, 6].includes(record.rcCode)) {
          hardError = true;
          if (name === "monitor" && !recurring && record.rcCode === 5) { active = false; failed = false; }
          else { active = true; failed = true; hardFailure = true; }
        }
        else { failed = true; active = true; if (name === "start") startFailed = true; if (name === "demote") promoted = false; }
        if (name === "start" && (record.rcCode === 0)) { startFailed = false; hardError = false; }
        if (hardError && [2, 4, 5, 6].includes(record.rcCode)) bannedSince = Number(record.attributes["last-rc-change"] ?? Number.NaN);
        // The executor itself found no agent (operation status 7): a failure on-fail=ignore cannot hide.
        if (failed && failedOperation === undefined) failedOperation = { operation: name, intervalMs: record.intervalMs, ...(hardFailure ? { hard: true } : {}), ...(record.opStatus === 7 ? { notInstalled: true } : {}) };
        if (!failed) { failedOperation = undefined; hardFailure = false; }
        else if (failedOperation) failedOperation.recovered = monitorRecovers(failedOperation, record) || (failedOperation.recovered === true && (record.rcCode === 0 || record.rcCode === 8));
      }
      if (failed && failedOperation) (state.failures ??= {})[node.uname] = failedOperation;
      if (active) state.activeOn.push(node.uname);
      if (active && promoted) (state.promotedOn ??= []).push(node.uname);
      if (failed) state.failedOn.push(node.uname);
      if (startFailed && failed) state.startFailedOn.push(node.uname);
      if (hardError) state.bannedOn.push(node.uname);
      if (hardError && Number.isFinite(bannedSince)) (state.bannedSince ??= {})[node.uname] = bannedSince;
    }
  }
  return states;
}

/**
 * Order of one resource's operations on one node, oldest first: by call id; a pending operation
 * (call id -1) goes after the others unless its transition key names an earlier transition of the
 * same controller run than the other's (a start still pending from before a stop that completed).
 */
function compareOperationAge(left: OperationRecord, right: OperationRecord): number {
  if (left.callId < 0 && right.callId < 0) return 0;
  if (left.callId >= 0 && right.callId >= 0) return left.callId - right.callId || sameCallOrder(left, right);
  const transition = (record: OperationRecord) => {
    const key = (record.attributes["transition-magic"] ?? "").split(";")[1]?.split(":");
    return key && key.length >= 4 ? { number: Number(key[1]), run: key.slice(3).join(":") } : undefined;
  };
  const [first, second] = [transition(left), transition(right)];
  const pendingLast = left.callId < 0 ? 1 : -1;
  if (!first || !second || first.run !== second.run || first.number === second.number) return pendingLast;
  if (first.number === -1) return 1;
  if (second.number === -1) return -1;
  return first.number - second.number;
}

/**
 * Two records with the same call id are one operation recorded twice (its last result and its
 * last failure): the one whose result changed later is the newer.
 */
function sameCallOrder(left: OperationRecord, right: OperationRecord): number {
  const changed = (record: OperationRecord) => Number(record.attributes["last-rc-change"] ?? Number.NaN);
  const [first, second] = [changed(left), changed(right)];
  return Number.isFinite(first) && Number.isFinite(second) ? Math.sign(first - second) : 0;
}

function metaOf(cib: Cib, primitive: Primitive): Record<string, string> {
  return { ...flattenSets(cib.rscDefaults), ...flattenSets(primitive.meta) };
}

/** Pass 3: allocation scores of one primitive on every node. */
/** Lookups built once per run: location constraints by resource id, transient attributes by node. */
interface ScoreIndex {
  locations: Map<string, LocationConstraint[]>;
  transient: Map<string, Record<string, string>>;
  /** Colocation constraints by the id of their primary (with-rsc). */
  colocationsByPrimary: Map<string, ColocationConstraint[]>;
}

function buildScoreIndex(cib: Cib): ScoreIndex {
  const locations = new Map<string, LocationConstraint[]>();
  for (const constraint of cib.constraints) if (constraint.kind === "location") {
    const list = locations.get(constraint.rsc);
    if (list) list.push(constraint); else locations.set(constraint.rsc, [constraint]);
  }
  const transient = new Map<string, Record<string, string>>();
  for (const status of cib.status) if (!transient.has(status.uname)) transient.set(status.uname, failureAttributesOfVersion(cib, flattenSets(status.transient)));
  const colocationsByPrimary = new Map<string, ColocationConstraint[]>();
  for (const constraint of cib.constraints) if (constraint.kind === "colocation") {
    const list = colocationsByPrimary.get(constraint.withRsc);
    if (list) list.push(constraint); else colocationsByPrimary.set(constraint.withRsc, [constraint]);
  }
  return { locations, transient, colocationsByPrimary };
}

/**
 * Fail counts are named per operation ("fail-count-rsc#start_0") since feature set 3.0.13 and
 * per resource before that. A CIB that states its feature set counts only the names of its
 * era, as Pacemaker does; one that states none (edgeha's own) counts both.
 */
function failureAttributesOfVersion(cib: Cib, attributes: Record<string, string>): Record<string, string> {
  const version = cib.attributes.crm_feature_set;
  if (version === undefined) return attributes;
  const parts = version.split(".").map(Number);
  const legacy = (parts[0] ?? 0) * 1e6 + (parts[1] ?? 0) * 1e3 + (parts[2] ?? 0) < 3_000_013;
  const filtered: Record<string, string> = {};
  for (const [name, value] of Object.entries(attributes)) {
    if (/^(fail-count|last-failure)-/.test(name) && name.includes("#") === legacy) continue;
    filtered[name] = value;
  }
  return filtered;
}

function scoresFor(ownerIds: string[], cib: Cib, primitive: Primitive, nodes: NodeState[], state: ResourceState | undefined, symmetric: boolean, nowSeconds: number, index: ScoreIndex, inherited: Record<string, string>, cloned = false, anonymousClone = false): Record<string, number> {
  // Meta attributes of a group or clone reach its members; the member's own win.
  const meta = { ...flattenSets(cib.rscDefaults), ...inherited, ...flattenSets(primitive.meta) };
  // Clone instances are sticky by 1 unless resource-stickiness is set.
  if (cloned && meta["resource-stickiness"] === undefined && meta["default-resource-stickiness"] === undefined) meta["resource-stickiness"] = "1";
  const failureTimeoutSeconds = failureTimeoutOf(meta);
  const stickiness = parseScore(meta["resource-stickiness"] ?? meta["default-resource-stickiness"]);
  const threshold = meta["migration-threshold"] === undefined ? INFINITY : parseScore(meta["migration-threshold"]);
  const scores: Record<string, number> = {};
  for (const node of nodes) scores[node.name] = symmetric ? 0 : -INFINITY;
  const preferences: Record<string, number> = {};
  const locations = [...new Set(ownerIds)].flatMap((owner) => index.locations.get(owner) ?? []);
  for (const constraint of locations) {
    if ((constraint.role !== undefined && !/^started$/i.test(constraint.role))) continue;
    if (constraint.node !== undefined) {
      if (constraint.node in scores) preferences[constraint.node] = addScores(preferences[constraint.node] ?? 0, parseScore(constraint.score));
      continue;
    }
    for (const rule of constraint.rules) {
      // Rules for the Promoted role weigh in promotion, not placement.
      if (rule.role !== undefined && !/^(started|unpromoted|slave)$/i.test(rule.role)) continue;
      for (const node of nodes) {
        if (!ruleMatches(rule, node.attributes)) continue;
        const score = rule.scoreAttribute !== undefined ? parseScore(node.attributes[rule.scoreAttribute]) : parseScore(rule.score);
        preferences[node.name] = addScores(preferences[node.name] ?? 0, score);
      }
    }
  }
  for (const [node, score] of Object.entries(preferences)) scores[node] = symmetric ? addScores(scores[node]!, score) : score;
  for (const node of nodes) {
    if (!node.online || node.standby || node.unclean || node.shuttingDown || node.maintenance) scores[node.name] = -INFINITY;
    if (state?.activeOn.length === 1 && state.activeOn[0] === node.name) scores[node.name] = addScores(scores[node.name]!, stickiness);
    const transient = index.transient.get(node.name) ?? {};
    // A fail count expires failure-timeout after the last failure (Pacemaker's failure-timeout).
    const base = baseId(primitive.id);
    const lastFailureSeconds = Number(transient[`last-failure-${primitive.id}`] ?? transient[`last-failure-${base}`] ?? Number.NaN);
    const expired = failureTimeoutSeconds > 0 && Number.isFinite(lastFailureSeconds) && lastFailureSeconds + failureTimeoutSeconds <= nowSeconds;
    const failCount = expired ? 0 : anonymousClone ? anonymousFailCount(transient, base) : addScores(failCountOf(transient, primitive.id), base === primitive.id ? 0 : failCountOf(transient, base));
    if (threshold > 0 && failCount >= threshold) scores[node.name] = -INFINITY;
    if (state?.bannedOn.includes(node.name)) scores[node.name] = -INFINITY;
    // A failed start bans the node only through its fail count, which the node sets to INFINITY when
    // start-failure-is-fatal holds (as Pacemaker's controller does); the scheduler adds no ban of its own.
  }
  return scores;
}

function failureTimeoutOf(meta: Record<string, string>): number {
  const text = meta["failure-timeout"];
  if (text === undefined) return 0;
  try { return Math.floor(parseDurationMs(text, "failure-timeout") / 1000); } catch { return 0; }
}

/**
 * An anonymous clone's instances are interchangeable: its fail count on a node sums the
 * counts recorded under the base name and under every instance number ("rsc:N").
 */
function anonymousFailCount(attributes: Record<string, string>, base: string): number {
  let total = 0;
  const prefix = `fail-count-${base}`;
  for (const [name, value] of Object.entries(attributes)) {
    if (!name.startsWith(prefix)) continue;
    const rest = name.slice(prefix.length);
    if (/^(:\d+)?(#.*)?$/.test(rest)) total = addScores(total, parseScore(value));
  }
  return total;
}

function failCountOf(attributes: Record<string, string>, resource: string): number {
  let total = 0;
  for (const [name, value] of Object.entries(attributes)) {
    if (name === `fail-count-${resource}` || name.startsWith(`fail-count-${resource}#`)) total = addScores(total, parseScore(value));
  }
  return total;
}

/** Pass 4: choose a node, ties broken by the current node, then fewest resources, then node order. */
function chooseNode(scores: Record<string, number>, current: string | undefined, load: Map<string, number>, nodes: NodeState[]): string | undefined {
  let best: string | undefined;
  for (const node of nodes) {
    const score = scores[node.name]!;
    if (score < 0) continue;
    if (best === undefined) { best = node.name; continue; }
    const bestScore = scores[best]!;
    if (score > bestScore) best = node.name;
    else if (score === bestScore) {
      // Equal scores: fewer resources already assigned, then the current node, then the name.
      const loadDifference = (load.get(node.name) ?? 0) - (load.get(best) ?? 0);
      if (loadDifference < 0 || (loadDifference === 0 && best !== current && (node.name === current || node.name < best))) best = node.name;
    }
  }
  return best;
}

/**
 * The no-quorum-policy in force. With quorum it does not matter ("ignore"). "suicide" holds
 * only with fencing enabled and once the cluster had quorum (the CIB's no-quorum-panic flag);
 * otherwise, like an unknown value, it is "stop".
 */
function effectiveNoQuorumPolicy(cib: Cib, cluster: ReturnType<typeof clusterOptions>["options"], quorate: boolean): string {
  if (quorate) return "ignore";
  const configured = cluster.noQuorumPolicy.toLowerCase();
  if (["ignore", "freeze", "demote", "stop"].includes(configured)) return configured;
  const panic = cib.attributes["no-quorum-panic"];
  if (configured === "suicide" && cluster.stonithEnabled && panic !== undefined && (truthy(panic) || /^[1-9]/.test(panic))) return "suicide";
  return "stop";
}

/** Nodes in the cluster membership by their status entry (a node shutting down: while its controller runs). */
function membershipNodes(cib: Cib): Set<string> {
  const members = new Set<string>();
  for (const status of cib.status) {
    const shutdown = flattenSets(status.transient).shutdown ?? status.attributes.shutdown;
    const leaving = shutdown !== undefined && shutdown !== "0" && shutdown !== "";
    if (leaving ? status.attributes.crmd === "online" : truthy(status.attributes.in_ccm)) members.add(status.uname);
  }
  return members;
}

/**
 * Whether a node can be fenced: fencing is enabled, and either the cluster may act (it has
 * quorum, or no-quorum-policy is ignore) or the node is still in this partition's membership.
 * (Pacemaker also requires a configured fencing device; edgeha's own configurations and tests
 * rely on fencing without one in the CIB, so that condition is not applied.)
 */
function canFence(cluster: ReturnType<typeof clusterOptions>["options"], mayAct: boolean, inMembership: boolean): boolean {
  if (!cluster.stonithEnabled) return false;
  return mayAct || inMembership;
}

/** The whole pipeline. `now` is seconds since the epoch (kept for failure-timeout). */
export function schedule(cib: Cib, options: { now: number }): TransitionGraph {
  const { options: cluster } = clusterOptions(cib);
  const nodes = unpackNodes(cib);
  // Without fencing a lost node is taken to be down: nothing runs there any more.
  if (!cluster.stonithEnabled) for (const node of nodes) node.unclean = false;
  const actions: ScheduledAction[] = [];
  const fenced = new Set<string>();
  const quorate = ["1", "true", "yes"].includes((cib.attributes["have-quorum"] ?? "1").toLowerCase());
  const policy = effectiveNoQuorumPolicy(cib, cluster, quorate);
  // no-quorum-policy=suicide: every node of the partition without quorum fences itself.
  if (policy === "suicide") for (const node of nodes) if (node.online) { node.unclean = true; node.online = false; node.uncleanReason = "cluster does not have quorum"; }
  const { units, factories } = placementUnits(cib, nodes.length);
  const states = instanceStates(cib, units, factories, unpackResourceStates(cib, { pendingActive: true }), { nodes, stonithEnabled: cluster.stonithEnabled });
  if (cluster.stonithEnabled && !cluster.maintenanceMode) fenceDownNodesWithActiveResources(cib, units, states, nodes);
  // History on a node that left cleanly (not to be fenced) no longer describes anything running.
  for (const state of states.values()) {
    state.activeOn = state.activeOn.filter((name) => { const node = nodes.find((entry) => entry.name === name); return node === undefined || node.online || node.unclean || node.maintenance === true || node.pending === true; });
  }
  forgetExpiredFailures(cib, units, states, options.now);
  const members = membershipNodes(cib);
  const failureEffects = applyOnFail(units, states, nodes, cluster.stonithEnabled, (name) => canFence(cluster, quorate || policy === "ignore", members.has(name)));
  findFenceCauses(cib, units, states, failureEffects);
  const fenceable = (node: NodeState) => canFence(cluster, quorate || policy === "ignore", members.has(node.name));
  {
    for (const node of nodes) if (node.unclean && fenceable(node)) {
      fenced.add(node.name);
      actions.push({ action: "fence", node: node.name, kind: cluster.stonithAction === "off" ? "off" : "reboot", reason: failureEffects.fenceReasons.get(node.name) ?? node.uncleanReason ?? "peer is no longer part of the cluster" });
    }
  }
  const owners = new Map<string, string[]>();
  for (const unit of units) for (const member of unit.members) owners.set(member.id, unit.ownersOf(member));
  const unitsByOwner = new Map<string, PlacementUnit[]>();
  // Every id a constraint may name reaches its units: primitive, group, clone, clone child and group members.
  for (const unit of units) {
    const ids = new Set([unit.id, ...unit.owners, ...unit.members.flatMap((member) => owners.get(member.id) ?? [member.id])]);
    for (const owner of ids) { const list = unitsByOwner.get(owner); if (list) list.push(unit); else unitsByOwner.set(owner, [unit]); }
  }
  const colocationsByUnit = new Map<string, ColocationConstraint[]>();
  for (const constraint of cib.constraints) {
    if (constraint.kind !== "colocation") continue;
    if (!isRole(constraint.rscRole, "Started") || !(isRole(constraint.withRscRole, "Started") || isRole(constraint.withRscRole, "Promoted") || isRole(constraint.withRscRole, "Unpromoted"))) continue;
    for (const unit of unitsByOwner.get(constraint.rsc) ?? []) colocationsByUnit.set(unit.id, [...(colocationsByUnit.get(unit.id) ?? []), constraint]);
  }
  const context: PlacementContext = { failureEffects, cib, nodes, states, owners, cluster, policy, load: new Map(), placed: new Map(), placedOn: new Map(), cloneCounts: new Map(), clonesStarted: new Set(), promoted: new Set(), pending: [], blocked: new Set(), orderBlocked: new Set(), index: buildScoreIndex(cib), quorumBlocked: new Map(), scores: {}, actions, fenced, visiting: new Set(), nowSeconds: options.now,
    unitsByOwner, colocationsByUnit };
  for (const unit of units) placeUnit(context, unit);
  blockUnprobeableStarts(context, units);
  applyMandatoryOrders(context);
  for (const emit of context.pending) emit();
  impliedRestarts(context, units);
  blockStopsBehindBlocked(context, units);
  blockGroupStopsBehindBlockedStops(context, units);
  return { actions, edges: orderingEdges(context, units), scores: context.scores };
}

/**
 * A node that is down, even one that left cleanly, where the history still shows a managed
 * resource active must be fenced before that resource may run elsewhere (with fencing enabled):
 * the node is taken to be unclean.
 */
function fenceDownNodesWithActiveResources(cib: Cib, units: PlacementUnit[], states: Map<string, ResourceState>, nodes: NodeState[]): void {
  const down = new Map(nodes.filter((node) => !node.online && !node.unclean && node.maintenance !== true && node.pending !== true).map((node) => [node.name, node]));
  if (down.size === 0) return;
  for (const unit of units) for (const member of unit.members) {
    const meta = { ...flattenSets(cib.rscDefaults), ...unit.meta, ...flattenSets(member.meta) };
    if (isFalse(meta["is-managed"]) || truthy(meta.maintenance)) continue;
    for (const name of states.get(member.id)?.activeOn ?? []) {
      const node = down.get(name);
      if (node) node.unclean = true;
    }
  }
}

interface PlacementUnit {
  /** Unit id: the primitive, the group, or a clone instance ("child:N"). */
  id: string;
  members: Primitive[];
  meta: Record<string, string>;
  /** Ids constraints may name to reach this unit (group, clone child, clone). */
  owners: string[];
  /** Constraint ids reaching one member: itself, its base id in a clone, and the unit's owners. */
  ownersOf: (member: Primitive) => string[];
  /** Active but no longer configured (or beyond clone-max): it only stops. */
  orphan?: boolean;
  clone?: { id: string; nodeMax: number; anonymous: boolean; instance: number; bases: string[]; promotable?: { max: number; nodeMax: number } };
}

interface FailureEffects {
  /** Members whose failure blocks them where they are: "member@node". */
  blockedMembers: Set<string>;
  /** Units that stay stopped after a failure with on-fail=stop. */
  stoppedUnits: Set<string>;
  fenceReasons: Map<string, string>;
  /** Failures whose on-fail fences the node: "member@node". */
  fencingFailures?: Set<string>;
  /** Per fenced node, the resources whose failures count: read up to (and with) the first that fences it. */
  fenceCause?: Map<string, Set<string>>;
}

/**
 * on-fail of the failed operation (matched by name and interval in the resource's
 * operations; a failed stop defaults to fence when fencing is enabled, else block):
 * ignore forgets the failure, block leaves the resource where it is with no action,
 * stop keeps it stopped, standby puts the node in standby, fence makes the node unclean.
 */
/** A failure older than the resource's failure-timeout (by its last-failure time) is ignored. */
function forgetExpiredFailures(cib: Cib, units: PlacementUnit[], states: Map<string, ResourceState>, nowSeconds: number): void {
  const transient = new Map(cib.status.map((status) => [status.uname, flattenSets(status.transient)]));
  for (const unit of units) for (const member of unit.members) {
    const state = states.get(member.id);
    if (!state || (state.failedOn.length === 0 && state.bannedOn.length === 0)) continue;
    const timeout = failureTimeoutOf({ ...flattenSets(cib.rscDefaults), ...unit.meta, ...flattenSets(member.meta) });
    if (timeout <= 0) continue;
    // A ban from a hard error expires too, counted from when it happened.
    state.bannedOn = state.bannedOn.filter((node) => { const since = state.bannedSince?.[node]; return !(since !== undefined && since + timeout <= nowSeconds); });
    const base = baseId(member.id);
    state.failedOn = state.failedOn.filter((node) => {
      const attributes = transient.get(node) ?? {};
      const last = Number(attributes[`last-failure-${member.id}`] ?? attributes[`last-failure-${base}`] ?? Number.NaN);
      const expired = Number.isFinite(last) && last + timeout <= nowSeconds;
      if (expired && state.failures) delete state.failures[node];
      return !expired;
    });
  }
}

function applyOnFail(units: PlacementUnit[], states: Map<string, ResourceState>, nodes: NodeState[], stonithEnabled: boolean, canFenceNode: (name: string) => boolean = () => stonithEnabled): FailureEffects {
  const effects: FailureEffects = { blockedMembers: new Set(), stoppedUnits: new Set(), fenceReasons: new Map() };
  for (const unit of units) for (const member of unit.members) {
    const state = states.get(member.id);
    if (!state?.failures) continue;
    for (const [nodeName, failure] of Object.entries(state.failures)) {
      if (!state.failedOn.includes(nodeName)) continue;
      const operation = member.operations.find((op) => op.name === failure.operation && op.intervalMs === failure.intervalMs);
      const configured = operation?.onFail?.toLowerCase();
      // on-fail=fence means stop when fencing is disabled.
      const onFail = configured === "fence" && !stonithEnabled ? "stop" : configured ?? (failure.operation === "stop" ? (stonithEnabled ? "fence" : "block") : "restart");
      const node = nodes.find((entry) => entry.name === nodeName);
      // A stop that failed with a hard error where nothing can fence the node leaves no way to
      // recover: the resource is left alone there (unmanaged, blocked), whatever its on-fail.
      if (failure.operation === "stop" && failure.hard && !canFenceNode(nodeName)) { effects.blockedMembers.add(`${member.id}@${nodeName}`); continue; }
      // Cleared by a later success of the same monitor: only a failure whose on-fail asks for
      // stop, standby or fence (or a hard error) outlives that.
      if (failure.recovered && !failure.hard && ["restart", "block", "ignore", "demote"].includes(onFail)) { ignoreFailure(state, nodeName, false); continue; }
      // on-fail=ignore takes the operation as having succeeded: no failure and, for a hard
      // error the agent returned, no ban either. Only an agent the executor could not find at all is never ignored.
      if (onFail === "ignore" && !failure.notInstalled) ignoreFailure(state, nodeName, failure.hard === true);
      // A node that is to be fenced takes its failures with it.
      else if (onFail === "ignore") continue;
      else if (onFail === "block") { if (!node?.unclean) effects.blockedMembers.add(`${member.id}@${nodeName}`); }
      else if (onFail === "stop") effects.stoppedUnits.add(unit.id);
      else if (onFail === "standby" && node) node.standby = true;
      else if (onFail === "fence" && node && stonithEnabled) {
        node.unclean = true;
        node.online = false;
        effects.fenceReasons.set(nodeName, `${member.id} failed there`);
        (effects.fencingFailures ??= new Set()).add(`${member.id}@${nodeName}`);
      }
    }
  }
  return effects;
}

/**
 * A node's resource histories are read in the order the node lists them. The first failure
 * whose on-fail fences the node makes it unclean; the failures read after that (on the same
 * node) no longer count, as the node is being fenced anyway: those resources simply move.
 * Records, per fenced node, the resources whose failures count, and names the one that fences
 * it in the fence's reason.
 */
function findFenceCauses(cib: Cib, units: PlacementUnit[], states: Map<string, ResourceState>, effects: FailureEffects): void {
  const fencing = effects.fencingFailures;
  if (!fencing) return;
  const memberByHistory = new Map<string, string>();
  for (const unit of units) for (const member of unit.members) {
    const state = states.get(member.id);
    for (const node of Object.keys(state?.failures ?? {})) memberByHistory.set(`${state!.historyIds?.[node] ?? member.id}@${node}`, member.id);
  }
  effects.fenceCause = new Map();
  for (const status of cib.status) {
    if (!effects.fenceReasons.has(status.uname)) continue;
    const counted = new Set<string>();
    effects.fenceCause.set(status.uname, counted);
    for (const history of status.resources) {
      const member = memberByHistory.get(`${history.id}@${status.uname}`);
      if (member === undefined) continue;
      counted.add(member);
      if (!fencing.has(`${member}@${status.uname}`)) continue;
      effects.fenceReasons.set(status.uname, `${member} failed there`);
      break;
    }
  }
}

/**
 * A later successful run of the very monitor that failed (same name and interval) clears the
 * failure, unless its on-fail asked for more than a recovery in place (see applyOnFail).
 */
function monitorRecovers(failure: { operation: string; intervalMs: number }, record: OperationRecord): boolean {
  return failure.operation === "monitor" && record.operation === "monitor" && record.intervalMs === failure.intervalMs && (record.rcCode === 0 || record.rcCode === 8);
}

/** Forgets a failure on a node (on-fail=ignore); with `banned`, the ban its hard error set there too. */
function ignoreFailure(state: ResourceState, nodeName: string, banned: boolean): void {
  state.failedOn = state.failedOn.filter((name) => name !== nodeName);
  if (banned) state.bannedOn = state.bannedOn.filter((name) => name !== nodeName);
}

interface PlacementContext {
  failureEffects: FailureEffects;
  cib: Cib;
  nodes: NodeState[];
  states: Map<string, ResourceState>;
  owners: Map<string, string[]>;
  cluster: ReturnType<typeof clusterOptions>["options"];
  policy: string;
  load: Map<string, number>;
  /** Chosen node of every placed unit (undefined: stopped). */
  placed: Map<string, string | undefined>;
  /** Nodes chosen for every constraint-level id (primitive, group, clone child, clone). */
  placedOn: Map<string, string[]>;
  /** Instances of each clone placed per node. */
  cloneCounts: Map<string, Map<string, number>>;
  /** Placed units whose start is blocked by a mandatory order on something that cannot run. */
  blocked: Set<string>;
  /** Clone instances among them blocked by an order (not a colocation): they keep their node. */
  orderBlocked: Set<string>;
  index: ScoreIndex;
  /** Units assigned a node that they may not start on for lack of quorum (policy stop). */
  heldForQuorum?: Set<string>;
  /** Units that would start on this node but may not for lack of quorum. */
  quorumBlocked: Map<string, string>;
  /** Action derivations waiting for every placement. */
  pending: (() => void)[];
  /** Units of promotable clones that are to run Promoted. */
  promoted: Set<string>;
  /** Clones whose placement has begun. */
  clonesStarted: Set<string>;
  scores: Record<string, Record<string, number>>;
  actions: ScheduledAction[];
  fenced: Set<string>;
  visiting: Set<string>;
  nowSeconds: number;
  unitsByOwner: Map<string, PlacementUnit[]>;
  /** Colocations (started roles only) by the unit of their dependent resource. */
  colocationsByUnit: Map<string, ColocationConstraint[]>;
}

function withId(primitive: Primitive, id: string): Primitive {
  return { ...primitive, id };
}

/** Primitives, groups and clone instances, in configuration order. */
function placementUnits(cib: Cib, nodeCount: number): { units: PlacementUnit[]; factories: Map<string, CloneFactory> } {
  const units: PlacementUnit[] = [];
  const factories = new Map<string, CloneFactory>();
  for (const resource of cib.resources) {
    if (resource.kind === "primitive") units.push({ id: resource.id, members: [resource], meta: flattenSets(resource.meta), owners: [], ownersOf: () => [resource.id] });
    else if (resource.kind === "group") units.push({ id: resource.id, members: resource.members, meta: flattenSets(resource.meta), owners: [], ownersOf: (member) => [member.id, resource.id] });
    else {
      const cloneMeta = flattenSets(resource.meta);
      const child = resource.child;
      const meta = { ...cloneMeta, ...flattenSets(child.meta) };
      const count = meta["clone-max"] === undefined ? nodeCount : Math.max(0, parseScore(meta["clone-max"]));
      const nodeMax = meta["clone-node-max"] === undefined ? 1 : Math.max(0, parseScore(meta["clone-node-max"]));
      const anonymous = !truthy(meta["globally-unique"]);
      const childMembers = child.kind === "group" ? child.members : [child];
      const bases = childMembers.map((member) => member.id);
      const promotable = resource.legacyMaster || truthy(meta.promotable) ? {
        max: Math.max(0, parseScore(meta["promoted-max"] ?? meta["master-max"] ?? "1")),
        nodeMax: Math.max(0, parseScore(meta["promoted-node-max"] ?? meta["master-node-max"] ?? "1")),
      } : undefined;
      const make = (instance: number, orphan: boolean): PlacementUnit => {
        const members = childMembers.map((member) => withId(member, `${member.id}:${instance}`));
        const baseOf = new Map(members.map((member, index) => [member.id, childMembers[index]!.id]));
        const owners = child.kind === "group" ? [child.id, resource.id] : [resource.id];
        return { id: `${child.id}:${instance}`, members, meta: { ...cloneMeta, ...flattenSets(child.meta) }, owners,
          ownersOf: (member) => [member.id, baseOf.get(member.id) ?? member.id, ...owners], clone: { id: resource.id, nodeMax, anonymous, instance, bases, promotable }, ...(orphan ? { orphan } : {}) };
      };
      factories.set(resource.id, { count, anonymous, bases, make });
      for (let instance = 0; instance < count; instance++) units.push(make(instance, false));
    }
  }
  return { units, factories };
}

interface CloneFactory { count: number; anonymous: boolean; bases: string[]; make: (instance: number, orphan: boolean) => PlacementUnit }

/** The id a history entry names with any ":N" instance suffix removed. */
function baseId(id: string): string {
  const colon = id.lastIndexOf(":");
  return colon > 0 && /^\d+$/.test(id.slice(colon + 1)) ? id.slice(0, colon) : id;
}

/**
 * States of clone instances. A unique clone's history names its instance; an anonymous
 * clone's history (named with or without a number) goes to instances as assignAnonymousHistories
 * says. Instances active beyond
 * clone-max, and active resources the configuration no longer has, become orphan units
 * (appended to `units`) that only stop.
 */
function instanceStates(cib: Cib, units: PlacementUnit[], factories: Map<string, CloneFactory>, raw: Map<string, ResourceState>, cluster: { nodes: NodeState[]; stonithEnabled: boolean }): Map<string, ResourceState> {
  const states = new Map(raw);
  const known = new Set(units.flatMap((unit) => unit.members.map((member) => member.id)));
  const claimed = new Set<string>();
  for (const [cloneId, factory] of factories) {
    const instances = units.filter((unit) => unit.clone?.id === cloneId);
    const bases = factory.bases;
    if (!factory.anonymous) {
      // Unique instances keep their numbers; numbers at or beyond clone-max are orphans.
      const orphans = new Set<number>();
      for (const [id, state] of raw) {
        const base = baseId(id);
        if (id === base || !bases.includes(base) || state.activeOn.length === 0) continue;
        const number = Number(id.slice(base.length + 1));
        if (number >= factory.count) orphans.add(number);
      }
      for (const number of [...orphans].sort((left, right) => left - right)) units.push(factory.make(number, true));
      for (const id of raw.keys()) if (bases.includes(baseId(id))) claimed.add(id);
      continue;
    }
    for (const id of raw.keys()) if (bases.includes(baseId(id))) { claimed.add(id); states.delete(id); }
    assignAnonymousHistories(cib, factory, instances, units, raw, states, cluster);
  }
  // stop-orphan-resources=false leaves resources the configuration no longer has alone.
  const stopOrphans = !isFalse(flattenSets(cib.properties)["stop-orphan-resources"]);
  for (const [id, state] of raw) {
    if (!stopOrphans || known.has(id) || claimed.has(id) || state.activeOn.length === 0) continue;
    const history = cib.status.flatMap((node) => node.resources).find((entry) => entry.id === id)!;
    const primitive: Primitive = { kind: "primitive", id, class: history.class, type: history.type, extra: {}, instance: [], meta: [], operations: [], ...(history.provider ? { provider: history.provider } : {}) };
    units.push({ id, members: [primitive], meta: {}, owners: [], ownersOf: () => [id], orphan: true });
  }
  return states;
}

/**
 * Anonymous clone histories go to instances as Pacemaker unpacks them: node by node in status
 * order (without fencing, nodes that are offline last, so running instances are numbered first),
 * each node's entries in order. An entry goes to the instance already active on that node when
 * its member there has no history yet; else to the first instance active nowhere; a second
 * active history of the same member on one node, or one when every instance is taken, becomes
 * an orphan instance numbered after the others, which only stops. So does one on a node that is
 * down or unclean when the resource does not need fencing and the clone does not run on every node.
 * Bans and failed starts of a base resource still hold for every instance.
 */
function assignAnonymousHistories(cib: Cib, factory: CloneFactory, instances: PlacementUnit[], units: PlacementUnit[], raw: Map<string, ResourceState>, states: Map<string, ResourceState>, cluster: { nodes: NodeState[]; stonithEnabled: boolean }): void {
  const bases = factory.bases;
  const nodeByName = new Map(cluster.nodes.map((node) => [node.name, node]));
  const down = (name: string) => { const node = nodeByName.get(name); return node === undefined || !node.online || node.unclean; };
  const order = cluster.stonithEnabled ? cib.status : [...cib.status.filter((entry) => !down(entry.uname)), ...cib.status.filter((entry) => down(entry.uname))];
  const universal = factory.count === cluster.nodes.length;
  const location = new Map<PlacementUnit, string>();
  const taken = new Set<string>();
  const shared = bases.map(() => ({ startFailedOn: [] as string[], bannedOn: [] as string[] }));
  for (const [id, state] of raw) {
    const index = bases.indexOf(baseId(id));
    if (index < 0) continue;
    shared[index]!.startFailedOn.push(...state.startFailedOn);
    shared[index]!.bannedOn.push(...state.bannedOn);
  }
  for (const status of order) {
    for (const history of status.resources) {
      const index = bases.indexOf(baseId(history.id));
      const state = raw.get(history.id);
      if (index < 0 || !state) continue;
      let chosen: PlacementUnit | undefined;
      let inactive: PlacementUnit | undefined;
      let duplicate = false;
      for (const unit of instances) {
        const where = location.get(unit);
        if (where === undefined) { if (!duplicate && inactive === undefined) inactive = unit; continue; }
        if (where !== status.uname) continue;
        if (taken.has(`${unit.id}#${index}`)) { duplicate = true; continue; }
        chosen = unit;
        break;
      }
      if (chosen === undefined && !duplicate) chosen = inactive;
      const member = chosen?.members[index];
      if (chosen && member && down(status.uname) && !universal && !needsFencing(cib, member, chosen, cluster.stonithEnabled)) chosen = undefined;
      if (chosen === undefined) {
        chosen = factory.make(instances.length, true);
        units.push(chosen);
        instances.push(chosen);
      }
      const known = states.get(chosen.members[index]!.id) ?? { activeOn: [], failedOn: [], startFailedOn: [], bannedOn: [] };
      if (history.operations.length > 0) (known.knownOn ??= []).push(status.uname);
      states.set(chosen.members[index]!.id, known);
      if (!state.activeOn.includes(status.uname)) continue;
      location.set(chosen, status.uname);
      taken.add(`${chosen.id}#${index}`);
      const id = chosen.members[index]!.id;
      const target = states.get(id) ?? { activeOn: [], failedOn: [], startFailedOn: [], bannedOn: [] };
      target.activeOn.push(status.uname);
      if (state.failedOn.includes(status.uname)) target.failedOn.push(status.uname);
      const failure = state.failures?.[status.uname];
      if (failure && state.failedOn.includes(status.uname)) (target.failures ??= {})[status.uname] = failure;
      if ((state.promotedOn ?? []).includes(status.uname)) (target.promotedOn ??= []).push(status.uname);
      (target.historyIds ??= {})[status.uname] = history.id;
      states.set(id, target);
    }
  }
  for (const unit of instances) unit.members.forEach((member, index) => {
    const common = shared[index]!;
    if (common.startFailedOn.length === 0 && common.bannedOn.length === 0) return;
    const state = states.get(member.id) ?? { activeOn: [], failedOn: [], startFailedOn: [], bannedOn: [] };
    state.startFailedOn.push(...common.startFailedOn);
    state.bannedOn.push(...common.bannedOn);
    states.set(member.id, state);
  });
}

/**
 * Whether starting the resource needs the fencing of nodes where it may still run ("requires"):
 * fencing devices need quorum only; otherwise the default is fencing when fencing is enabled.
 */
function needsFencing(cib: Cib, member: Primitive, unit: PlacementUnit, stonithEnabled: boolean): boolean {
  const requires = ({ ...flattenSets(cib.rscDefaults), ...unit.meta, ...flattenSets(member.meta) }.requires ?? "").toLowerCase();
  if (requires === "fencing") return true;
  if (requires === "quorum" || requires === "nothing") return false;
  if (member.class === "stonith") return false;
  return stonithEnabled;
}

/**
 * A clone's instances are placed together: first every active instance that may stay on
 * its current node keeps it, then the others are placed in instance order.
 */
function placeClone(context: PlacementContext, cloneId: string): void {
  if (context.clonesStarted.has(cloneId)) return;
  context.clonesStarted.add(cloneId);
  const instances = context.unitsByOwner.get(cloneId)?.filter((unit) => unit.clone?.id === cloneId) ?? [];
  for (const unit of instances) placeUnit(context, unit, true);
  for (const unit of assignmentOrder(context, instances)) placeUnit(context, unit);
  const promotable = instances[0]?.clone?.promotable;
  if (promotable) {
    // Resources the Promoted role is colocated with are placed first: they steer promotion.
    const ids = new Set([cloneId, ...(instances[0]?.owners ?? []), ...(instances[0]?.clone?.bases ?? [])]);
    for (const constraint of context.cib.constraints) {
      if (constraint.kind !== "colocation" || !ids.has(constraint.rsc) || !isRole(constraint.rscRole, "Promoted") || ids.has(constraint.withRsc)) continue;
      for (const primary of context.unitsByOwner.get(constraint.withRsc) ?? []) placeUnit(context, primary);
    }
    choosePromoted(context, cloneId, instances, promotable);
  }
}

/**
 * The order a clone's instances are assigned in: by instance number, except that a promotable
 * clone's instances go by their priority first, which is the highest promotion score (node
 * attribute) that counts for the instance on a node able to run it. A score counts where the
 * instance runs; where no instance runs and it has history; everywhere when it has neither run
 * nor history anywhere; else where it has history. So an unknown instance can outrank one
 * whose history (probes, say) was all elsewhere.
 */
function assignmentOrder(context: PlacementContext, instances: PlacementUnit[]): PlacementUnit[] {
  const clone = instances[0]?.clone;
  if (!clone?.promotable) return instances;
  const usable = context.nodes.filter(canHostInstances);
  const priority = (unit: PlacementUnit) => {
    let best = 0;
    for (const node of usable) best = Math.max(best, instancePromotionScore(context, unit, node, instances) ?? 0);
    return best;
  };
  const ranked = instances.map((unit, position) => ({ unit, position, priority: priority(unit) }));
  ranked.sort((left, right) => right.priority - left.priority || left.position - right.position);
  return ranked.map((entry) => entry.unit);
}

function canHostInstances(node: NodeState): boolean {
  return node.online && !node.standby && !node.unclean && !node.shuttingDown && node.maintenance !== true;
}

/**
 * The promotion score (node attribute) of a promotable instance on a node, where it counts:
 * where the instance runs; for an anonymous clone, where no instance runs and it has history;
 * everywhere when it has neither run nor history anywhere; else where it has history.
 * Undefined where it does not count or no attribute is set. Groups sum their members'.
 */
function instancePromotionScore(context: PlacementContext, unit: PlacementUnit, node: NodeState, instances: PlacementUnit[]): number | undefined {
  const clone = unit.clone!;
  let total: number | undefined;
  unit.members.forEach((member, index) => {
    const state = context.states.get(member.id);
    const active = state?.activeOn ?? [];
    const known = state?.knownOn ?? [];
    const activeHere = () => instances.some((other) => other.members.some((entry) => (context.states.get(entry.id)?.activeOn ?? []).includes(node.name)));
    const counts = active.includes(node.name) || (clone.anonymous && known.includes(node.name) && !activeHere())
      || (active.length === 0 && known.length === 0) || known.includes(node.name);
    if (!counts) return;
    const historyId = state?.historyIds?.[node.name];
    const value = (historyId ? node.attributes[`master-${historyId}`] : undefined) ?? node.attributes[`master-${member.id}`] ?? node.attributes[`master-${clone.bases[index]!}`];
    if (value !== undefined) total = addScores(total ?? 0, parseScore(value));
  });
  return total;
}

/** A promotable instance prefers, for placement, the nodes where its promotion score is positive. */
function withPromotionPreferences(context: PlacementContext, unit: PlacementUnit, combined: Record<string, number>): Record<string, number> {
  const instances = context.unitsByOwner.get(unit.clone!.id)?.filter((other) => other.clone?.id === unit.clone!.id) ?? [unit];
  const result = { ...combined };
  for (const node of context.nodes) {
    if (!canHostInstances(node) || result[node.name]! < 0) continue;
    const score = instancePromotionScore(context, unit, node, instances) ?? 0;
    if (score > 0) result[node.name] = addScores(result[node.name]!, score);
  }
  return result;
}

function isRole(role: string | undefined, wanted: "Promoted" | "Unpromoted" | "Started"): boolean {
  if (role === undefined) return wanted === "Started";
  const lower = role.toLowerCase();
  if (wanted === "Promoted") return lower === "promoted" || lower === "master";
  if (wanted === "Unpromoted") return lower === "unpromoted" || lower === "slave";
  return lower === "started";
}

/**
 * Promotion score of an instance on a node: the node's master-<resource> attribute (-1 when
 * it has none), plus location constraints and rules for the Promoted role, plus colocations of
 * the clone's Promoted role with placed resources.
 */
function promotionScore(context: PlacementContext, unit: PlacementUnit, node: NodeState): number {
  let score: number | undefined;
  unit.members.forEach((member, index) => {
    const base = unit.clone!.bases[index]!;
    // An anonymous instance's score may carry the number its history has on that node.
    const historyId = context.states.get(member.id)?.historyIds?.[node.name];
    const value = (historyId ? node.attributes[`master-${historyId}`] : undefined) ?? node.attributes[`master-${base}`] ?? node.attributes[`master-${member.id}`];
    if (value !== undefined) score = addScores(score ?? 0, parseScore(value));
  });
  let total = score ?? -1;
  const owners = new Set([unit.id, ...unit.owners, ...unit.clone!.bases]);
  for (const constraint of context.cib.constraints) {
    if (constraint.kind === "location" && owners.has(constraint.rsc)) {
      if (constraint.node !== undefined) { if (constraint.node === node.name && isRole(constraint.role, "Promoted")) total = addScores(total, parseScore(constraint.score)); continue; }
      for (const rule of constraint.rules) {
        if (!isRole(rule.role ?? constraint.role, "Promoted") || !ruleMatches(rule, node.attributes)) continue;
        total = addScores(total, rule.scoreAttribute !== undefined ? parseScore(node.attributes[rule.scoreAttribute]) : parseScore(rule.score));
      }
    } else if (constraint.kind === "colocation" && owners.has(constraint.withRsc) && !owners.has(constraint.rsc) && isRole(constraint.withRscRole, "Promoted") && parseScore(constraint.score) > 0) {
      // A resource that must run with the Promoted role pulls promotion toward the nodes it prefers.
      const factor = parseScore(constraint.score) / INFINITY;
      for (const dependent of context.unitsByOwner.get(constraint.rsc) ?? []) {
        if (dependent.clone) continue;
        const member = dependent.members[0]!;
        const scores = scoresFor(context.owners.get(member.id) ?? [member.id], context.cib, member, context.nodes, context.states.get(member.id), context.cluster.symmetricCluster, context.nowSeconds, context.index, dependent.meta);
        total = withDependentWeight(total, scores[node.name]!, factor);
      }
    } else if (constraint.kind === "colocation" && owners.has(constraint.rsc) && isRole(constraint.rscRole, "Promoted")) {
      const withRole = constraint.withRscRole !== undefined && isRole(constraint.withRscRole, "Promoted") ? "#Promoted" : "";
      const primaryNodes = context.placedOn.get(constraint.withRsc + withRole) ?? [];
      const value = parseScore(constraint.score);
      if (primaryNodes.includes(node.name)) total = addScores(total, value);
      else if (value >= INFINITY) total = -INFINITY;
    }
  }
  return total;
}

/**
 * A dependent's score on a node, scaled by the colocation's factor (rounded, and never rounded
 * away to 0), added to a promotion score the way Pacemaker merges optional preferences: it may
 * not turn a score of 0 negative, and a positive score it would turn negative drops to 1.
 */
function withDependentWeight(total: number, weight: number, factor: number): number {
  const scaled = weight * factor;
  let rounded = scaled < 0 ? Math.ceil(scaled - 0.5) : Math.floor(scaled + 0.5);
  if (rounded === 0 && weight !== 0) rounded = factor > 0 ? 1 : -1;
  const next = addScores(total, Math.max(-INFINITY, Math.min(INFINITY, rounded)));
  if (next < 0 && total > 0) return 1;
  if (next < 0 && total === 0) return total;
  return next;
}

/**
 * Where a promotable clone's instances run in the Unpromoted role after promotion is chosen:
 * what a colocation with its Unpromoted role follows.
 */
function recordUnpromotedNodes(context: PlacementContext, cloneId: string, instances: PlacementUnit[]): void {
  const nodes = instances.filter((unit) => !context.promoted.has(unit.id)).map((unit) => context.placed.get(unit.id)).filter((node): node is string => node !== undefined);
  for (const owner of new Set([cloneId, ...instances[0]!.owners, ...instances[0]!.clone!.bases])) context.placedOn.set(`${owner}#Unpromoted`, nodes);
}

/** Promotes up to promoted-max placed instances (promoted-node-max per node), best promotion score first. */
function choosePromoted(context: PlacementContext, cloneId: string, instances: PlacementUnit[], limits: { max: number; nodeMax: number }): void {
  const meta = { ...flattenSets(context.cib.rscDefaults), ...instances[0]!.meta };
  // no-quorum-policy=demote without quorum: nothing is promoted (what is promoted is demoted).
  const max = isRole(meta["target-role"], "Unpromoted") || context.policy === "demote" ? 0 : limits.max;
  const candidates = instances.flatMap((unit) => {
    // An instance that would start but for quorum is still ranked: its start is reported (blocked) as a promote.
    const target = context.placed.get(unit.id) ?? context.quorumBlocked.get(unit.id);
    const node = target === undefined ? undefined : context.nodes.find((entry) => entry.name === target);
    if (!node) return [];
    const promotedNow = (context.states.get(unit.members[0]!.id)?.promotedOn ?? []).includes(node.name);
    return [{ unit, node: node.name, score: promotionScore(context, unit, node), promotedNow }];
  });
  candidates.sort((left, right) => right.score - left.score || Number(right.promotedNow) - Number(left.promotedNow) || left.unit.clone!.instance - right.unit.clone!.instance);
  const perNode = new Map<string, number>();
  const promotedNodes: string[] = [];
  for (const candidate of candidates) {
    if (promotedNodes.length >= max || candidate.score < 0 || (perNode.get(candidate.node) ?? 0) >= limits.nodeMax) continue;
    // Without quorum under no-quorum-policy=freeze nothing is promoted that is not Promoted already.
    if (context.policy === "freeze" && !candidate.promotedNow) continue;
    perNode.set(candidate.node, (perNode.get(candidate.node) ?? 0) + 1);
    promotedNodes.push(candidate.node);
    context.promoted.add(candidate.unit.id);
  }
  for (const owner of new Set([cloneId, ...instances[0]!.owners, ...instances[0]!.clone!.bases])) context.placedOn.set(`${owner}#Promoted`, promotedNodes);
  recordUnpromotedNodes(context, cloneId, instances);
}

/**
 * A primary's node scores take in the preferences of resources colocated with it (not yet
 * placed), weighted by the colocation score over INFINITY, so it goes where its dependents
 * can follow (or, for a negative score, away from where they prefer); the merge is dropped
 * when it would leave no node allowed. A group dependent speaks through its first member,
 * then its later ones (see mergeDependentMember).
 */
function withDependentPreferences(context: PlacementContext, unit: PlacementUnit, combined: Record<string, number>): Record<string, number> {
  let result = combined;
  const ids = new Set([unit.id, ...unit.owners, ...unit.members.map((member) => member.id)]);
  for (const constraint of [...ids].flatMap((id) => context.index.colocationsByPrimary.get(id) ?? [])) {
    if (ids.has(constraint.rsc)) continue;
    if (!(constraint.rscRole === undefined || isRole(constraint.rscRole, "Started")) || !(constraint.withRscRole === undefined || isRole(constraint.withRscRole, "Started"))) continue;
    const factor = parseScore(constraint.score) / INFINITY;
    if (factor === 0) continue;
    for (const dependent of context.unitsByOwner.get(constraint.rsc) ?? []) {
      if (dependent.clone || context.placed.has(dependent.id)) continue;
      result = mergeDependentMember(context, result, dependent, 0, factor) ?? result;
    }
  }
  return result;
}

/**
 * no-quorum-policy=demote without quorum: an instance of a promotable clone that runs keeps
 * running (unpromoted); everything else is handled as with the stop policy.
 */
function demotePolicyFor(context: PlacementContext, unit: PlacementUnit): string {
  const running = unit.members.some((member) => (context.states.get(member.id)?.activeOn.length ?? 0) > 0);
  return unit.clone?.promotable !== undefined && running ? "ignore" : "stop";
}

/**
 * A resource whose start needs neither quorum nor fencing (meta "requires" is "nothing",
 * on every member) may start and keep running without quorum. Fencing devices default to
 * requiring quorum like anything else.
 */
function requiresNothing(cib: Cib, unit: PlacementUnit): boolean {
  return unit.members.every((member) => ({ ...flattenSets(cib.rscDefaults), ...unit.meta, ...flattenSets(member.meta) }.requires ?? "").toLowerCase() === "nothing");
}

/**
 * no-quorum-policy=freeze forbids only starting what runs nowhere (those starts are blocked
 * before this point): a resource running in this partition is placed as usual, and may move
 * within it. One running only on nodes that left stays stopped here: it is not recovered.
 */
function frozenTarget(context: PlacementContext, unit: PlacementUnit, target: string | undefined): string | undefined {
  const activeOn = unit.members.flatMap((member) => context.states.get(member.id)?.activeOn ?? []);
  const inPartition = activeOn.filter((name) => context.nodes.find((node) => node.name === name)?.online);
  return inPartition.length > 0 ? target : undefined;
}

/**
 * Folds one member of a dependent (anti-)colocated with a primary into the primary's scores,
 * as Pacemaker does: each score times the factor, rounded, at least 1 in size when neither is
 * zero, a negative factor never turning a negative score into a preference. What depends on
 * that member (the next member of its group, colocated at INFINITY) is folded in after it,
 * with the factor's sign and that colocation's full weight; so a group kept away from its
 * primary weighs in with its later members' stickiness in full. A step that would leave no
 * node usable is undone. Returns undefined when the step itself is undone.
 */
/** A node that may take resources: online, and not standby, unclean, shutting down or in maintenance. */
function usableNode(node: NodeState): boolean {
  return node.online && !node.standby && !node.unclean && !node.shuttingDown && !node.maintenance;
}

function mergeDependentMember(context: PlacementContext, scores: Record<string, number>, dependent: PlacementUnit, index: number, factor: number): Record<string, number> | undefined {
  const { cib, nodes, cluster } = context;
  const member = dependent.members[index]!;
  const own = scoresFor(context.owners.get(member.id) ?? [member.id], cib, member, nodes, context.states.get(member.id), cluster.symmetricCluster, context.nowSeconds, context.index, dependent.meta);
  const merged: Record<string, number> = { ...scores };
  for (const node of nodes) {
    const score = own[node.name]!;
    if (factor < 0 && score < 0) continue;
    const product = factor * score;
    let weight = product < 0 ? -Math.round(-product) : Math.round(product);
    if (weight === 0 && score !== 0) weight = factor > 0 ? 1 : -1;
    merged[node.name] = addScores(weight, scores[node.name]!);
  }
  if (!nodes.some((node) => usableNode(node) && merged[node.name]! >= 0)) return undefined;
  if (index + 1 < dependent.members.length) return mergeDependentMember(context, merged, dependent, index + 1, factor < 0 ? -1 : 1) ?? merged;
  return merged;
}

function placeUnit(context: PlacementContext, unit: PlacementUnit, onlyCurrent = false): void {
  if (unit.clone && !context.clonesStarted.has(unit.clone.id)) { placeClone(context, unit.clone.id); return; }
  if (context.placed.has(unit.id) || context.visiting.has(unit.id)) return;
  if (onlyCurrent && (context.states.get(unit.members[0]!.id)?.activeOn.length ?? 0) !== 1) return;
  context.visiting.add(unit.id);
  const { cib, nodes, cluster } = context;
  const colocations = context.colocationsByUnit.get(unit.id) ?? [];
  for (const colocation of colocations) for (const primary of context.unitsByOwner.get(colocation.withRsc) ?? []) if (!unit.owners.includes(colocation.withRsc)) placeUnit(context, primary);
  const memberScores = unit.members.map((member) => scoresFor(context.owners.get(member.id) ?? [member.id], cib, member, nodes, context.states.get(member.id), cluster.symmetricCluster, context.nowSeconds, context.index, unit.meta, unit.clone !== undefined, unit.clone?.anonymous === true));
  unit.members.forEach((member, index) => { context.scores[member.id] = memberScores[index]!; });
  let combined: Record<string, number> = { ...memberScores[0]! };
  for (const colocation of colocations) {
    if (unit.owners.includes(colocation.withRsc)) continue;
    // With the Promoted role of a promotable clone: where its promoted instances run.
    const primaryKey = colocation.withRsc + (isRole(colocation.withRscRole, "Promoted") ? "#Promoted" : isRole(colocation.withRscRole, "Unpromoted") ? "#Unpromoted" : "");
    // A primary not placed yet is part of a colocation loop being placed: the loop is broken here.
    if (!context.placedOn.has(primaryKey)) continue;
    const primaryNodes = context.placedOn.get(primaryKey) ?? [];
    const score = parseScore(colocation.score);
    // A mandatory colocation only rules out the other nodes; it adds nothing where the primary runs.
    const before = { ...combined };
    for (const node of nodes) {
      if (score >= INFINITY && !primaryNodes.includes(node.name)) combined[node.name] = -INFINITY;
      else if (primaryNodes.includes(node.name) && score < INFINITY) combined[node.name] = addScores(combined[node.name]!, score);
    }
    // An optional (finite) colocation that would leave no node able to take the resource is dropped.
    if (Math.abs(score) < INFINITY && !nodes.some((node) => usableNode(node) && combined[node.name]! >= 0)) combined = before;
  }
  // Each member is colocated with the one before it, so the group's scores (the first
  // member's, with the group's own colocations) take in every later member's, in order, as a
  // primary takes in its dependents': a member banned from a node (a location, or
  // migration-threshold reached there) takes the whole group elsewhere. A member whose scores
  // would leave the group no node at or above 0 is not merged, nor anything after it: then
  // the group stays where its first member may run, and that member stops with the rest.
  for (const scores of memberScores.slice(1)) {
    const merged: Record<string, number> = {};
    for (const node of nodes) merged[node.name] = addScores(combined[node.name]!, scores[node.name]!);
    if (!nodes.some((node) => merged[node.name]! >= 0)) break;
    combined = merged;
  }
  if (!unit.clone) combined = withDependentPreferences(context, unit, combined);
  if (unit.clone?.promotable) combined = withPromotionPreferences(context, unit, combined);
  if (unit.clone) {
    const counts = context.cloneCounts.get(unit.clone.id);
    for (const node of nodes) if ((counts?.get(node.name) ?? 0) >= unit.clone.nodeMax) combined[node.name] = -INFINITY;
  }
  const first = unit.members[0]!;
  const firstState = context.states.get(first.id);
  const current = firstState?.activeOn.length === 1 ? firstState.activeOn[0] : undefined;
  const meta = { ...flattenSets(cib.rscDefaults), ...unit.meta };
  // A group whose first member is to be stopped cannot run at all.
  const firstStopped = (metaOf(cib, unit.members[0]!)["target-role"] ?? "").toLowerCase() === "stopped";
  const unitStopped = unit.orphan === true || firstStopped || context.failureEffects.stoppedUnits.has(unit.id) || cluster.stopAllResources || (meta["target-role"] ?? "").toLowerCase() === "stopped";
  // Without quorum (stop or freeze policy) nothing may start (reported as blocked), except
  // resources that require nothing to start (meta requires=nothing).
  const policy = requiresNothing(cib, unit) ? "ignore" : context.policy === "demote" ? demotePolicyFor(context, unit) : context.policy;
  let target = unitStopped ? undefined : chooseNode(combined, current ?? firstState?.activeOn[0], context.load, nodes);
  const activeAnywhere = unit.members.some((member) => (context.states.get(member.id)?.activeOn.length ?? 0) > 0);
  if ((policy === "stop" || policy === "freeze") && !activeAnywhere && target !== undefined && !onlyCurrent) {
    context.quorumBlocked.set(unit.id, target);
    if (unit.clone) {
      const counts = context.cloneCounts.get(unit.clone.id) ?? new Map<string, number>();
      context.cloneCounts.set(unit.clone.id, counts);
      counts.set(target, (counts.get(target) ?? 0) + 1);
    }
  }
  // Without quorum (policy stop) what runs is still assigned its node, but may not start there: it stops.
  const heldNode = policy === "stop" && !onlyCurrent ? target : undefined;
  if (heldNode !== undefined) (context.heldForQuorum ??= new Set()).add(unit.id);
  if (policy === "stop") target = undefined;
  // A member blocked by its failure (on-fail=block) keeps the unit where it is.
  // Held like an unmanaged resource: on the first node it was found on (by the status order).
  const blockedAt = unit.members.map((member) => context.states.get(member.id)?.activeOn ?? []).find((activeOn, index) => activeOn.some((node) => context.failureEffects.blockedMembers.has(`${unit.members[index]!.id}@${node}`)))?.[0];
  if (blockedAt !== undefined) target = blockedAt;
  // Running on a node in maintenance: it stays as it is.
  const onMaintenance = unit.members.flatMap((member) => context.states.get(member.id)?.activeOn ?? []).find((name) => nodes.find((node) => node.name === name)?.maintenance);
  if (onMaintenance !== undefined) target = onMaintenance;
  if (onlyCurrent && (target === undefined || target !== current)) { context.visiting.delete(unit.id); return; }
  if (policy === "freeze") target = frozenTarget(context, unit, target);
  context.placed.set(unit.id, target);
  context.visiting.delete(unit.id);
  if (target) {
    context.load.set(target, (context.load.get(target) ?? 0) + unit.members.length);
    for (const owner of placementKeys(unit)) context.placedOn.set(owner, [...(context.placedOn.get(owner) ?? []), target]);
    if (unit.clone) {
      const counts = context.cloneCounts.get(unit.clone.id) ?? new Map<string, number>();
      context.cloneCounts.set(unit.clone.id, counts);
      counts.set(target, (counts.get(target) ?? 0) + 1);
    }
  } else for (const owner of placementKeys(unit)) if (!context.placedOn.has(owner)) context.placedOn.set(owner, []);
  if (target === undefined) placeHeldForQuorum(context, unit, heldNode);
  // Actions are derived once every placement (and promotion) is known.
  context.pending.push(() => emitUnitActions(context, unit, target, meta, memberScores));
}

/** The ids a placement is recorded under: the unit, its owners, a clone's base ids and a group's members. */
function placementKeys(unit: PlacementUnit): Set<string> {
  return new Set([unit.id, ...unit.owners, ...(unit.clone?.bases ?? []), ...(unit.clone ? [] : unit.members.map((member) => member.id))]);
}

/**
 * Without quorum a resource is still assigned its node; only its start cannot run (one that
 * runs there stops). Resources colocated with it are therefore placed with it, and their
 * starts are blocked in turn.
 */
function placeHeldForQuorum(context: PlacementContext, unit: PlacementUnit, heldNode: string | undefined): void {
  const node = context.quorumBlocked.get(unit.id) ?? heldNode;
  if (node === undefined) return;
  context.load.set(node, (context.load.get(node) ?? 0) + unit.members.length);
  for (const owner of placementKeys(unit)) context.placedOn.set(owner, [...(context.placedOn.get(owner) ?? []), node]);
}

/**
 * Before a resource starts anywhere, its state must be known on every node in the
 * membership (a probe runs where it has no history). On a pending node (in the membership,
 * not joined yet) no probe can run, so a resource that runs nowhere and was never seen there
 * cannot start: its start is blocked (and so is whatever needs it). A resource already running
 * keeps running. Clone instances are left to their clone.
 */
function blockUnprobeableStarts(context: PlacementContext, units: PlacementUnit[]): void {
  const pending = context.nodes.filter((node) => node.pending && !node.unclean);
  if (pending.length === 0) return;
  const known = new Map(context.cib.status.map((status) => [status.uname, new Set(status.resources.filter((entry) => entry.operations.some((record) => record.opStatus !== -1)).map((entry) => entry.id))]));
  for (const unit of units) {
    if (unit.clone || unit.orphan || context.placed.get(unit.id) === undefined) continue;
    const first = unit.members[0]!;
    if ((context.states.get(first.id)?.activeOn.length ?? 0) > 0) continue;
    if (pending.some((node) => !(known.get(node.name)?.has(first.id) ?? false))) context.blocked.add(unit.id);
  }
}

/**
 * Mandatory orders (kind Mandatory, or a score other than 0): "then" may start only when
 * "first" will run. Where first has no node after placement, then's placed units are blocked
 * (they stop if running, and their start is reported as blocked), which may block further
 * orders in turn. With interleave between two clones, an instance of then needs an instance
 * of first on its own node.
 */
function applyMandatoryOrders(context: PlacementContext): void {
  const orders = context.cib.constraints.filter((constraint) => constraint.kind === "order").filter((order) => {
    const kind = (order.orderKind ?? "").toLowerCase();
    if (kind === "optional" || kind === "serialize") return false;
    if (kind === "" && order.score !== undefined && parseScore(order.score) <= 0) return false;
    const firstAction = (order.firstAction ?? "start").toLowerCase();
    const thenAction = (order.thenAction ?? order.firstAction ?? "start").toLowerCase();
    return (firstAction === "start" || firstAction === "promote") && (thenAction === "start" || thenAction === "promote");
  });
  const runningNodes = (id: string, role: string): string[] => {
    if (role === "promote") return context.placedOn.get(`${id}#Promoted`) ?? [];
    // A unit held by a blocking failure cannot start either, so it does not satisfy an order.
    const failureHeld = (unit: PlacementUnit) => unit.members.some((member) => (context.states.get(member.id)?.activeOn ?? []).some((node) => context.failureEffects.blockedMembers.has(`${member.id}@${node}`)));
    return (context.unitsByOwner.get(id) ?? []).filter((unit) => !context.blocked.has(unit.id) && !failureHeld(unit)).map((unit) => context.placed.get(unit.id)).filter((node): node is string => node !== undefined);
  };
  for (let round = 0, changed = true; changed && round < 100; round++) {
    changed = false;
    for (const order of orders) {
      const firstUnits = context.unitsByOwner.get(order.first) ?? [];
      const firstNodes = runningNodes(order.first, (order.firstAction ?? "start").toLowerCase());
      const cloneMin = minimumFirstInstances(firstUnits, order);
      const runnable = firstNodes.length > 0 && firstNodes.length >= cloneMin;
      const thenAction = (order.thenAction ?? order.firstAction ?? "start").toLowerCase();
      for (const unit of context.unitsByOwner.get(order.then) ?? []) {
        const target = context.placed.get(unit.id);
        if (target === undefined || context.blocked.has(unit.id)) continue;
        // Ordering only the promote: an unrunnable first keeps the instance from being promoted, it may still run.
        if (thenAction === "promote") {
          if (!runnable && context.promoted.delete(unit.id)) changed = true;
          continue;
        }
        // A minimum of first instances (clone-min) is counted over the whole clone: interleave does not apply then.
        const interleaved = unit.clone !== undefined && firstUnits[0]?.clone !== undefined && truthy(unit.meta.interleave) && cloneMin === 0;
        if (interleaved ? firstNodes.includes(target) && firstNodes.length >= cloneMin : runnable) continue;
        // With symmetrical=false a then that already runs keeps running; only its start is blocked.
        const running = unit.members.every((member) => (context.states.get(member.id)?.activeOn ?? []).includes(target));
        if (running && (order.symmetrical ?? "true").toLowerCase() === "false") continue;
        context.blocked.add(unit.id);
        // An instance with no first instance assigned to its node (interleave) is left unassigned; otherwise
        // orders do not change placement: the instance keeps its node and its start is listed, blocked.
        if (unit.clone && (!interleaved || assignedInstanceNodes(context, firstUnits).includes(target))) context.orderBlocked.add(unit.id);
        changed = true;
      }
    }
    // A mandatory colocation with something that ends up unable to run blocks the dependent too.
    for (const [unitId, colocations] of context.colocationsByUnit) {
      const target = context.placed.get(unitId);
      if (target === undefined || context.blocked.has(unitId)) continue;
      for (const colocation of colocations) {
        if (parseScore(colocation.score) < INFINITY || isRole(colocation.withRscRole, "Promoted") || isRole(colocation.withRscRole, "Unpromoted")) continue;
        const primaries = context.unitsByOwner.get(colocation.withRsc) ?? [];
        if (primaries.some((unit) => unit.id === unitId)) continue;
        if (runningNodes(colocation.withRsc, "start").includes(target)) continue;
        context.blocked.add(unitId);
        changed = true;
        break;
      }
    }
  }
}

/** Nodes a clone's instances are assigned to, whether or not they can start there (an order may block that). */
function assignedInstanceNodes(context: PlacementContext, units: PlacementUnit[]): string[] {
  return units.filter((unit) => !context.blocked.has(unit.id) || context.orderBlocked.has(unit.id)).map((unit) => context.placed.get(unit.id)).filter((node): node is string => node !== undefined);
}

/**
 * How many instances of a clone "first" an order needs before "then" may start: the clone's
 * clone-min, or 1 for an order with require-all=false (its older spelling); 0 when first is not
 * a clone or sets neither, and the order is then per instance where interleave asks for it.
 */
function minimumFirstInstances(firstUnits: PlacementUnit[], order: { extra: Record<string, string> }): number {
  const first = firstUnits[0];
  if (!first?.clone) return 0;
  if (first.meta["clone-min"] !== undefined) return Math.max(0, parseScore(first.meta["clone-min"]));
  return isFalse(order.extra["require-all"]) ? 1 : 0;
}

/**
 * A symmetrical mandatory order stops then before first. When then is blocked where it runs
 * (its failure has on-fail=block), first cannot stop there either: that stop is blocked.
 */
function blockStopsBehindBlocked(context: PlacementContext, units: PlacementUnit[]): void {
  if (context.failureEffects.blockedMembers.size === 0) return;
  // Inside a group, later members stop before earlier ones: a blocked later member blocks earlier stops.
  for (const unit of units) unit.members.forEach((member, index) => {
    for (const node of context.states.get(member.id)?.activeOn ?? []) {
      if (!context.failureEffects.blockedMembers.has(`${member.id}@${node}`)) continue;
      const earlier = new Set(unit.members.slice(0, index).map((entry) => entry.id));
      for (const action of context.actions) if (action.action === "stop" && action.node === node && earlier.has(action.resource ?? "")) { action.blocked = true; action.reason = `unrunnable ${member.id} stop`; }
    }
  });
  for (const order of context.cib.constraints) {
    if (order.kind !== "order" || ["optional", "serialize"].includes((order.orderKind ?? "").toLowerCase())) continue;
    // Which side must stop first: "then" for start->start orders (when symmetrical), "first" for stop->stop orders.
    const stopOrder = (order.firstAction ?? "").toLowerCase() === "stop" && (order.thenAction ?? "stop").toLowerCase() === "stop";
    if (!stopOrder && (order.symmetrical ?? "true").toLowerCase() === "false") continue;
    const earlier = stopOrder ? order.first : order.then;
    const later = stopOrder ? order.then : order.first;
    const blockedNodes = (context.unitsByOwner.get(earlier) ?? []).flatMap((unit) => membersNamed(context, unit, earlier))
      .flatMap((member) => (context.states.get(member.id)?.activeOn ?? []).filter((node) => context.failureEffects.blockedMembers.has(`${member.id}@${node}`)));
    if (blockedNodes.length === 0) continue;
    const firstIds = new Set((context.unitsByOwner.get(later) ?? []).flatMap((unit) => membersNamed(context, unit, later).map((member) => member.id)));
    for (const action of context.actions) {
      if (action.action === "stop" && action.resource !== undefined && firstIds.has(action.resource) && blockedNodes.includes(action.node!)) {
        action.blocked = true;
        action.reason = `${earlier} cannot stop first`;
      }
    }
  }
}

/**
 * A group stops its later members before its earlier ones. When a later member's stop is
 * needed but blocked (it runs on a node where nothing can be done), the earlier members'
 * stops, on any node, wait for it forever: they are blocked too.
 */
function blockGroupStopsBehindBlockedStops(context: PlacementContext, units: PlacementUnit[]): void {
  const stopsOf = new Map<string, ScheduledAction[]>();
  for (const action of context.actions) if (action.action === "stop" && action.resource !== undefined) stopsOf.set(action.resource, [...(stopsOf.get(action.resource) ?? []), action]);
  for (const unit of units) {
    if (unit.members.length < 2) continue;
    for (let index = unit.members.length - 1; index > 0; index--) {
      const later = unit.members[index]!;
      if (!(stopsOf.get(later.id) ?? []).some((action) => action.blocked)) continue;
      for (const earlier of unit.members.slice(0, index)) for (const action of stopsOf.get(earlier.id) ?? []) if (!action.blocked) { action.blocked = true; action.reason = `unrunnable ${later.id} stop`; }
      break;
    }
  }
}

/** The members of a unit that a constraint naming `id` reaches (all of them for a group or clone id). */
function membersNamed(context: PlacementContext, unit: PlacementUnit, id: string): Primitive[] {
  return unit.members.filter((member) => (context.owners.get(member.id) ?? [member.id]).includes(id));
}

/** The node where an action's starting part runs, if it has one. */
function startNode(action: ScheduledAction): string | undefined {
  if (action.blocked) return undefined;
  if (action.action === "start" || action.action === "restart" || action.action === "promote") return action.node;
  if (action.action === "move" || action.action === "recover") return action.node ?? action.to;
  return undefined;
}

/** The node where an action's stopping part runs, if it has one. */
function stopNode(action: ScheduledAction): string | undefined {
  if (action.blocked) return undefined;
  if (action.action === "stop" || action.action === "restart" || action.action === "demote") return action.node;
  if (action.action === "move" || action.action === "recover") return action.node ?? action.from;
  return undefined;
}

/**
 * The graph's edges. Orders (mandatory and optional alike, as ordering only binds actions
 * that happen) put then's start after first's start and, when symmetrical, then's stop
 * before first's stop; with interleave between clones only instances on the same node are
 * linked. Group members are ordered one after another the same way. A fence comes before
 * every action of a resource that was active on the fenced node.
 */
function orderingEdges(context: PlacementContext, units: PlacementUnit[]): OrderingEdge[] {
  const edges: OrderingEdge[] = [];
  const seen = new Set<string>();
  const byResource = new Map<string, number[]>();
  context.actions.forEach((action, index) => { if (action.resource) byResource.set(action.resource, [...(byResource.get(action.resource) ?? []), index]); });
  const add = (first: number, then: number, phase: OrderingEdge["phase"]) => {
    const key = `${first}:${then}:${phase}`;
    if (first === then || seen.has(key)) return;
    seen.add(key);
    edges.push({ first, then, phase });
  };
  const link = (firstMembers: string[], thenMembers: string[], symmetrical: boolean, sameNodeOnly: boolean) => {
    for (const firstId of firstMembers) for (const thenId of thenMembers) {
      for (const a of byResource.get(firstId) ?? []) for (const b of byResource.get(thenId) ?? []) {
        const first = context.actions[a]!;
        const then = context.actions[b]!;
        const starts = startNode(first) !== undefined && startNode(then) !== undefined;
        if (starts && (!sameNodeOnly || startNode(first) === startNode(then))) add(a, b, "start");
        const stops = stopNode(first) !== undefined && stopNode(then) !== undefined;
        if (symmetrical && stops && (!sameNodeOnly || stopNode(first) === stopNode(then))) add(b, a, "stop");
      }
    }
  };
  for (const unit of units) for (let index = 1; index < unit.members.length; index++) link([unit.members[index - 1]!.id], [unit.members[index]!.id], true, false);
  for (const order of context.cib.constraints) {
    if (order.kind !== "order" || (order.orderKind ?? "").toLowerCase() === "serialize") continue;
    const firstAction = (order.firstAction ?? "start").toLowerCase();
    const thenAction = (order.thenAction ?? order.firstAction ?? "start").toLowerCase();
    if (!["start", "promote"].includes(firstAction) || !["start", "promote"].includes(thenAction)) continue;
    const firstUnits = context.unitsByOwner.get(order.first) ?? [];
    const thenUnits = context.unitsByOwner.get(order.then) ?? [];
    const symmetrical = (order.symmetrical ?? "true").toLowerCase() !== "false";
    const interleaved = firstUnits[0]?.clone !== undefined && thenUnits[0]?.clone !== undefined && truthy(thenUnits[0].meta.interleave);
    link(firstUnits.flatMap((unit) => membersNamed(context, unit, order.first).map((member) => member.id)), thenUnits.flatMap((unit) => membersNamed(context, unit, order.then).map((member) => member.id)), symmetrical, interleaved);
  }
  context.actions.forEach((fence, fenceIndex) => {
    if (fence.action !== "fence" || fence.node === undefined) return;
    context.actions.forEach((action, index) => {
      if (action.resource && (context.states.get(action.resource)?.activeOn ?? []).includes(fence.node!)) add(fenceIndex, index, "fence");
    });
  });
  return edges;
}

/** Nodes where a resource's transition starts it (start, move, recover, restart, promote from Stopped). */
function startingNodes(actions: ScheduledAction[]): string[] {
  return actions.flatMap((action) => {
    if (action.blocked) return [];
    if (action.action === "start" || action.action === "restart" || (action.action === "promote" && action.from_role === "Stopped")) return action.node ? [action.node] : [];
    if (action.action === "move" || action.action === "recover") return [action.node ?? action.to!];
    return [];
  });
}

/**
 * Whether a clone "first" takes, in this transition, the action an order names (start or
 * promote) on an instance on `node`, the node of the primitive or group ordered after it:
 * Pacemaker weighs a clone's action for a node-bound "then" by the instances on that node
 * only, so then's start is required (and it restarts if it runs) only when an instance starts
 * or is promoted there. An order counting clone-min instances goes through an optional step
 * and requires nothing.
 */
function cloneActionRequired(context: PlacementContext, firstUnits: PlacementUnit[], order: { first: string; firstAction?: string; extra: Record<string, string> }, byResource: Map<string, ScheduledAction[]>, node: string): boolean {
  if (minimumFirstInstances(firstUnits, order) > 0) return false;
  const promote = (order.firstAction ?? "start").toLowerCase() === "promote";
  const actions = firstUnits.flatMap((unit) => membersNamed(context, unit, order.first).flatMap((member) => byResource.get(member.id) ?? []));
  if (!promote) return startingNodes(actions).includes(node);
  return actions.some((action) => !action.blocked && (action.node ?? action.to) === node && (action.to_role === "Promoted" || (action.role === "Promoted" && ["restart", "recover", "move"].includes(action.action))));
}

/**
 * Restarts implied by ordering: a mandatory order makes then's start required whenever
 * first starts (start, move, recover, restart); a "then" that stays where it runs is
 * therefore restarted. The same holds inside a group for later members. With interleave
 * only the instance on the node where first starts; a clone as first restarts nothing else. Applied until nothing changes, so
 * restarts propagate along chains.
 */
function impliedRestarts(context: PlacementContext, units: PlacementUnit[]): void {
  const byResource = new Map<string, ScheduledAction[]>();
  for (const action of context.actions) if (action.resource) byResource.set(action.resource, [...(byResource.get(action.resource) ?? []), action]);
  const orders = context.cib.constraints.filter((constraint) => constraint.kind === "order").filter((order) => {
    const kind = (order.orderKind ?? "").toLowerCase();
    if (kind === "serialize") return false;
    if ((kind === "optional" || (kind === "" && order.score !== undefined && parseScore(order.score) <= 0)) && !restartsWithFirst(context, order.then)) return false;
    return ["start", "promote"].includes((order.firstAction ?? "start").toLowerCase()) && ["start", "promote"].includes((order.thenAction ?? order.firstAction ?? "start").toLowerCase());
  });
  // A member restarts on its node when it stays there and has no action yet (a role change becomes part of the restart).
  const restart = (unit: PlacementUnit, member: Primitive, node: string, reason: string): boolean => {
    const state = context.states.get(member.id);
    if (!state || state.activeOn.length !== 1 || state.activeOn[0] !== node || context.placed.get(unit.id) !== node || context.blocked.has(unit.id)) return false;
    const existing = dropReload(context.actions, byResource.get(member.id) ?? []);
    if (existing.some((action) => action.action !== "promote" && action.action !== "demote")) return false;
    const roleChange = existing[0];
    if (roleChange) context.actions.splice(context.actions.indexOf(roleChange), 1);
    let action: ScheduledAction = { action: "restart", resource: member.id, node, reason };
    if (unit.clone?.promotable) {
      const from: Role = (state.promotedOn ?? []).includes(node) ? "Promoted" : "Unpromoted";
      action = roleChange ? { ...action, from_role: from, to_role: roleChange.to_role as Role } : { ...action, role: from };
    }
    context.actions.push(action);
    byResource.set(member.id, [action]);
    return true;
  };
  // A resource staying where it runs is restarted when its recorded parameters differ from the configuration.
  const parents = parentInstanceSets(context.cib.resources);
  const statusByNode = new Map(context.cib.status.map((status) => [status.uname, status]));
  const attributesByNode = new Map(context.nodes.map((node) => [node.name, node.attributes]));
  for (const unit of units) {
    if (unit.orphan) continue;
    unit.members.forEach((member, index) => {
      const state = context.states.get(member.id);
      const node = state?.activeOn.length === 1 ? state.activeOn[0]! : undefined;
      if (node === undefined || context.placed.get(unit.id) !== node) return;
      const historyId = state!.historyIds?.[node] ?? member.id;
      const history = statusByNode.get(node)?.resources.find((entry) => entry.id === historyId);
      if (!history) return;
      const base = unit.clone ? unit.clone.bases[index]! : member.id;
      const change = definitionChange(member, parents.get(base) ?? [], history.operations, attributesByNode.get(node) ?? {});
      if (change === "restart") restart(unit, member, node, "resource definition change");
      else if (change === "reload") reload(context, unit, member, node, byResource);
    });
  }
  for (let round = 0, changed = true; changed && round < 50; round++) {
    changed = false;
    for (const unit of units) {
      if (unit.members.length < 2) continue;
      unit.members.forEach((member, index) => {
        const stops = startingNodes(byResource.get(member.id) ?? []);
        for (const later of unit.members.slice(index + 1)) for (const node of stops) if (restart(unit, later, node, `required ${member.id} start`)) changed = true;
      });
    }
    for (const order of orders) {
      const firstUnits = context.unitsByOwner.get(order.first) ?? [];
      const stops = firstUnits.flatMap((unit) => membersNamed(context, unit, order.first).flatMap((member) => startingNodes(byResource.get(member.id) ?? [])));
      if (stops.length === 0) continue;
      for (const unit of context.unitsByOwner.get(order.then) ?? []) {
        const node = context.placed.get(unit.id);
        if (node === undefined) continue;
        // A clone as first restarts, of another clone, only the interleaved instance on the same node.
        const interleaved = unit.clone !== undefined && firstUnits[0]?.clone !== undefined && truthy(unit.meta.interleave) && minimumFirstInstances(firstUnits, order) === 0;
        if (firstUnits[0]?.clone !== undefined && unit.clone !== undefined && !(interleaved && stops.includes(node))) continue;
        if (firstUnits[0]?.clone !== undefined && unit.clone === undefined && !cloneActionRequired(context, firstUnits, order, byResource, node)) continue;
        for (const member of membersNamed(context, unit, order.then)) if (restart(unit, member, node, `required ${order.first} start`)) changed = true;
      }
    }
    if (stopOrderRestarts(context, byResource, restart)) changed = true;
  }
}

/**
 * The deprecated meta attribute restart-type=restart on an order's "then" resource makes an
 * optional order act like a mandatory one for restarts: when first's action is required, so
 * is then's.
 */
function restartsWithFirst(context: PlacementContext, id: string): boolean {
  const unit = context.unitsByOwner.get(id)?.[0];
  if (!unit) return false;
  // A primitive or group member: its own meta over its group's; a group or clone: the unit's.
  const member = unit.members.find((entry) => entry.id === id);
  const meta = { ...flattenSets(context.cib.rscDefaults), ...unit.meta, ...(member ? flattenSets(member.meta) : {}) };
  return (meta["restart-type"] ?? "").toLowerCase() === "restart";
}

/** Nodes where a resource's transition stops it (stop, move, recover, restart), blocked ones aside. */
function stoppingNodes(actions: ScheduledAction[]): string[] {
  return actions.flatMap((action) => {
    if (action.blocked) return [];
    if (action.action === "stop" || action.action === "restart") return action.node ? [action.node] : [];
    if (action.action === "move" || action.action === "recover") return [action.node ?? action.from!];
    return [];
  });
}

/**
 * Orders of stops (first-action and then-action "stop") whose then is required by its first:
 * a mandatory order, or an optional one whose then has restart-type=restart. When first
 * stops, then must stop too; a then that stays where it runs is therefore restarted.
 */
function stopOrderRestarts(context: PlacementContext, byResource: Map<string, ScheduledAction[]>, restart: (unit: PlacementUnit, member: Primitive, node: string, reason: string) => boolean): boolean {
  let changed = false;
  for (const order of context.cib.constraints) {
    if (order.kind !== "order" || (order.firstAction ?? "").toLowerCase() !== "stop" || (order.thenAction ?? order.firstAction ?? "").toLowerCase() !== "stop") continue;
    const kind = (order.orderKind ?? "").toLowerCase();
    const optional = kind === "optional" || (kind === "" && order.score !== undefined && parseScore(order.score) <= 0);
    if (kind === "serialize" || (optional && !restartsWithFirst(context, order.then))) continue;
    const firstUnits = context.unitsByOwner.get(order.first) ?? [];
    if (firstUnits[0]?.clone !== undefined) continue;
    const stops = firstUnits.flatMap((unit) => membersNamed(context, unit, order.first).flatMap((member) => stoppingNodes(byResource.get(member.id) ?? [])));
    if (stops.length === 0) continue;
    for (const unit of context.unitsByOwner.get(order.then) ?? []) {
      const node = context.placed.get(unit.id);
      if (node === undefined) continue;
      for (const member of membersNamed(context, unit, order.then)) if (restart(unit, member, node, `required ${order.first} stop`)) changed = true;
    }
  }
  return changed;
}

/**
 * Only reloadable parameters changed on a resource that stays where it runs: the agent
 * applies them in place (a reload), which restarts nothing ordered after it. A resource with
 * any other action (moving, recovering, stopping) takes its new parameters with its start.
 */
function reload(context: PlacementContext, unit: PlacementUnit, member: Primitive, node: string, byResource: Map<string, ScheduledAction[]>): void {
  if ((byResource.get(member.id) ?? []).length > 0 || context.blocked.has(unit.id)) return;
  const memberMeta = { ...flattenSets(context.cib.rscDefaults), ...unit.meta, ...flattenSets(member.meta) };
  if (context.cluster.maintenanceMode || isFalse(memberMeta["is-managed"]) || memberMeta.maintenance === "true") return;
  const state = context.states.get(member.id);
  let action: ScheduledAction = { action: "reload", resource: member.id, node, reason: "resource definition change" };
  if (unit.clone?.promotable) action = { ...action, role: (state?.promotedOn ?? []).includes(node) ? "Promoted" : "Unpromoted" };
  context.actions.push(action);
  byResource.set(member.id, [action]);
}

/** A restart applies new parameters too: a pending reload of the same resource is dropped. Returns the other actions. */
function dropReload(actions: ScheduledAction[], existing: ScheduledAction[]): ScheduledAction[] {
  for (const action of existing) if (action.action === "reload") actions.splice(actions.indexOf(action), 1);
  return existing.filter((action) => action.action !== "reload");
}

function emitUnitActions(context: PlacementContext, unit: PlacementUnit, target: string | undefined, meta: Record<string, string>, memberScores: Record<string, number>[]): void {
  const { cib, nodes, cluster } = context;
  const quorumNode = context.quorumBlocked.get(unit.id);
  if (quorumNode !== undefined) {
    for (const member of unit.members) {
      if (unit.clone?.promotable && context.promoted.has(unit.id)) context.actions.push({ action: "promote", resource: member.id, node: quorumNode, from_role: "Stopped", to_role: "Promoted", blocked: true, reason: "no quorum" });
      else context.actions.push({ action: "start", resource: member.id, node: quorumNode, blocked: true, reason: "no quorum" });
    }
    return;
  }
  if (context.blocked.has(unit.id) && target !== undefined) {
    for (const member of unit.members) {
      const state = context.states.get(member.id);
      const activeOn = (state?.activeOn ?? []).filter((name) => nodes.some((node) => node.name === name));
      const memberMeta = { ...meta, ...metaOf(cib, member) };
      if (activeOn.some((node) => context.failureEffects.blockedMembers.has(`${member.id}@${node}`))) continue;
      if (cluster.maintenanceMode || isFalse(memberMeta["is-managed"]) || memberMeta.maintenance === "true") continue;
      if (activeOn.length > 0 && unit.clone?.promotable) context.actions.push(...roleActionsFor(member.id, activeOn, state?.failedOn ?? [], state?.promotedOn ?? [], undefined, false, nodes, context.fenced));
      else if (activeOn.length > 1) context.actions.push(firstCopyStop(member.id, activeOn, "an unrunnable dependency"));
      else if (activeOn.length > 0) context.actions.push(...actionsFor(member.id, activeOn, state?.failedOn ?? [], undefined, nodes, context.fenced));
      // A clone instance kept from its node by a colocation is left unassigned (not listed); a primitive's
      // start, or an instance's start held back by an order, is listed as blocked.
      // One meant to stay stopped (target-role Stopped) has no start to list.
      else if ((!unit.clone || context.orderBlocked.has(unit.id)) && (memberMeta["target-role"] ?? "").toLowerCase() !== "stopped") context.actions.push({ action: "start", resource: member.id, node: target, blocked: true, reason: "an unrunnable dependency" });
    }
    return;
  }
  let blocked = false;
  unit.members.forEach((member, index) => {
    const state = context.states.get(member.id);
    const memberMeta = { ...meta, ...metaOf(cib, member) };
    if (cluster.maintenanceMode || isFalse(memberMeta["is-managed"]) || memberMeta.maintenance === "true") {
      // Unmanaged and not running (or failed) where the group goes: it will not be started or
      // recovered, so later members cannot run.
      if (target === undefined || !(state?.activeOn ?? []).includes(target) || (state?.failedOn ?? []).includes(target)) blocked = true;
      return;
    }
    if ((state?.activeOn ?? []).some((name) => nodes.find((node) => node.name === name)?.maintenance)) return;
    const blockedAt = (state?.activeOn ?? []).find((node) => context.failureEffects.blockedMembers.has(`${member.id}@${node}`));
    if (blockedAt !== undefined) {
      // Held by its own failure (on-fail=block): it is not acted on, so not listed, even where it should stop.
      return;
    }
    // A group member runs only where the previous member runs; once one cannot, the rest stop.
    if ((memberMeta["target-role"] ?? "").toLowerCase() === "stopped" || (target !== undefined && memberScores[index]![target]! < 0)) blocked = true;
    // The unit is held on a node it cannot use (by a blocked member): the other members stop there.
    const targetNode = target === undefined ? undefined : nodes.find((node) => node.name === target);
    const unusable = targetNode !== undefined && (!targetNode.online || targetNode.standby || targetNode.shuttingDown || targetNode.unclean);
    const memberTarget = blocked || unusable ? undefined : target;
    let activeOn = (state?.activeOn ?? []).filter((name) => nodes.some((node) => node.name === name));
    // A resource that needs fencing before it starts counts its copies on nodes being fenced
    // too; one that needs only quorum (a fencing device, by default) or nothing ignores them
    // when it is to run somewhere (a resource that stops is stopped on every node).
    const surviving = activeOn.filter((name) => !context.fenced.has(name));
    if (activeOn.length > 1 && surviving.length >= 1 && memberTarget !== undefined && !requiresFencing(cluster.stonithEnabled, member, memberMeta)) activeOn = surviving;
    // Assigned a node it may not start on (no quorum): one stop, where it was found first.
    if (activeOn.length > 1 && memberTarget === undefined && context.heldForQuorum?.has(unit.id)) { context.actions.push(firstCopyStop(member.id, activeOn, "no quorum")); return; }
    if (activeOn.length > 1) {
      const policy = (memberMeta["multiple-active"] ?? "stop_start").toLowerCase();
      // multiple-active=block leaves it alone; stop_only stops every copy and starts none.
      if (policy === "block") return;
      if (policy === "stop_only") { for (const node of activeOn) context.actions.push({ action: "stop", resource: member.id, node, reason: "resource is active on more than one node" }); return; }
    }
    if (unit.clone?.promotable) {
      context.actions.push(...roleActionsFor(member.id, activeOn, state?.failedOn ?? [], state?.promotedOn ?? [], memberTarget, memberTarget !== undefined && context.promoted.has(unit.id), nodes, context.fenced));
    } else context.actions.push(...actionsFor(member.id, activeOn, state?.failedOn ?? [], memberTarget, nodes, context.fenced, fencedForOwnFailure(context, member.id)));
  });
}

/**
 * A resource active on several nodes that keeps an assigned node but cannot start there (an
 * unrunnable dependency, no quorum): every copy stops, and the summary shows one stop, on the
 * first node it was found on.
 */
function firstCopyStop(id: string, activeOn: string[], reason: string): ScheduledAction {
  return { action: "stop", resource: id, node: activeOn[0]!, reason };
}

/** Whether starting the resource requires fencing first ("requires" meta; fencing devices require quorum). */
function requiresFencing(stonithEnabled: boolean, member: Primitive, meta: Record<string, string>): boolean {
  if (!stonithEnabled || member.class === "stonith") return false;
  const requires = (meta.requires ?? "fencing").toLowerCase();
  return requires === "fencing" || requires === "unfencing";
}

/** A resource active on several nodes that is to run on another one: one line, from the first of them. */
function multiplyActiveMove(id: string, current: string[], failedOn: string[], target: string): ScheduledAction {
  const failed = current.some((node) => failedOn.includes(node));
  return { action: failed ? "recover" : "move", resource: id, from: current[0]!, to: target, reason: "resource was active on more than one node" };
}

/** Nodes fenced because of this resource's own failure (it is recovered, not just moved, from there). */
function fencedForOwnFailure(context: PlacementContext, id: string): Set<string> {
  const causes = context.failureEffects.fenceCause;
  if (!causes) return new Set(context.failureEffects.fenceReasons.keys());
  return new Set([...causes].filter(([, members]) => members.has(id)).map(([node]) => node));
}

type Role = "Promoted" | "Unpromoted";

/**
 * Actions of a promotable clone instance, with role fields as crm_simulate reports them:
 * a start to Promoted is a promote from Stopped; a stop, move or recover names the role it
 * keeps, or from_role/to_role when the role changes.
 */
function roleActionsFor(id: string, current: string[], failedOn: string[], promotedOn: string[], target: string | undefined, toPromoted: boolean, nodes: NodeState[], fenced: Set<string>): ScheduledAction[] {
  const isDown = (name: string) => !nodes.find((node) => node.name === name)?.online;
  const roleOn = (node: string): Role => promotedOn.includes(node) ? "Promoted" : "Unpromoted";
  const next: Role = toPromoted ? "Promoted" : "Unpromoted";
  const withRoles = (action: ScheduledAction, from: Role): ScheduledAction => from === next ? { ...action, role: from } : { ...action, from_role: from, to_role: next };
  if (current.length === 0) {
    if (target === undefined) return [];
    return [toPromoted ? { action: "promote", resource: id, node: target, from_role: "Stopped", to_role: "Promoted", reason: "resource is stopped and may run here as Promoted" }
      : { action: "start", resource: id, node: target, reason: "resource is stopped and may run here" }];
  }
  if (current.length > 1) {
    const actions: ScheduledAction[] = [];
    for (const node of current) if (node !== target) actions.push({ action: "stop", resource: id, node, role: roleOn(node), reason: "resource is active on more than one node" });
    if (target && current.includes(target)) actions.push(withRoles({ action: "restart", resource: id, node: target, reason: "resource was active on more than one node" }, roleOn(target)));
    else if (target) actions.push({ action: "start", resource: id, node: target, reason: "no longer active on one node" });
    return actions;
  }
  const from = current[0]!;
  const role = roleOn(from);
  const failed = failedOn.includes(from);
  if (target === undefined) {
    if (!isDown(from) || fenced.has(from)) return [{ action: "stop", resource: id, node: from, role, reason: fenced.has(from) ? "node is fenced" : "node availability" }];
    // On a lost node that cannot be fenced the stop is needed but cannot happen.
    if (nodes.find((node) => node.name === from)?.unclean) return [{ action: "stop", resource: id, node: from, role, blocked: true, reason: "node is unclean and cannot be fenced" }];
    return [];
  }
  if (target === from) {
    if (failed) return [withRoles({ action: "recover", resource: id, node: from, reason: "last operation failed" }, role)];
    if (role === next) return [];
    return [{ action: next === "Promoted" ? "promote" : "demote", resource: id, node: from, from_role: role, to_role: next, reason: "promotion scores changed" }];
  }
  return [withRoles({ action: failed ? "recover" : "move", resource: id, from, to: target, reason: fenced.has(from) ? "node was fenced" : failed ? "recovery after failure" : "a better node is available" }, role)];
}

/** Pass 5: actions from current placement to target placement, each with its reason. */
function actionsFor(id: string, current: string[], failedOn: string[], target: string | undefined, nodes: NodeState[], fenced: Set<string>, fencedForFailure: ReadonlySet<string> = new Set()): ScheduledAction[] {
  const actions: ScheduledAction[] = [];
  const isDown = (name: string) => !nodes.find((node) => node.name === name)?.online;
  // A failure on a node being fenced for another reason (it was lost, or another resource's
  // failure fences it) does not count: the node is being fenced anyway.
  failedOn = failedOn.filter((node) => !fenced.has(node) || fencedForFailure.has(node));
  if (current.length > 1) {
    // A copy on a pending node cannot be stopped, so the resource cannot start again anywhere:
    // one stop is listed, on the first node it was found on (blocked if that node is pending).
    const pending = (name: string) => nodes.find((node) => node.name === name)?.pending === true;
    if (target !== undefined && current.some(pending)) return [{ action: "stop", resource: id, node: current[0]!, reason: "a copy cannot be stopped", ...(pending(current[0]!) ? { blocked: true } : {}) }];
    // Active on several nodes: all copies stop and one starts again, shown as a restart when
    // it stays on the first node it was found on.
    if (target && target === current[0]) {
      // A failure on any of the copies makes it a recovery.
      actions.push({ action: current.some((node) => failedOn.includes(node)) ? "recover" : "restart", resource: id, node: target, reason: "resource was active on more than one node" });
      return actions;
    }
    // Going elsewhere (another of its nodes included): every copy stops, and the summary shows
    // one move (or recovery) from the first node it was found on. Going nowhere: one stop per node.
    if (target) return [multiplyActiveMove(id, current, failedOn, target)];
    // Nothing can run on a pending node, nor on an unclean one that cannot be fenced: the stop there is blocked.
    const stuck = (name: string) => { const node = nodes.find((entry) => entry.name === name); return node?.pending === true || (node?.unclean === true && !fenced.has(name)); };
    for (const node of current) actions.push({ action: "stop", resource: id, node, reason: "resource is active on more than one node", ...(stuck(node) ? { blocked: true } : {}) });
    return actions;
  }
  const from = current[0];
  if (from === undefined) {
    if (target) actions.push({ action: "start", resource: id, node: target, reason: "resource is stopped and may run here" });
    return actions;
  }
  // Nothing can run on a pending node, its stop included: the resource must leave but cannot.
  if (nodes.find((node) => node.name === from)?.pending) return [{ action: "stop", resource: id, node: from, blocked: true, reason: "node is pending" }];
  const failed = failedOn.includes(from);
  if (target === from) {
    if (failed) actions.push({ action: "recover", resource: id, node: from, reason: "last operation failed" });
    return actions;
  }
  if (target === undefined) {
    if (!isDown(from) || fenced.has(from)) actions.push({ action: "stop", resource: id, node: from, reason: fenced.has(from) ? "node is fenced" : "node availability" });
    // On a lost node that cannot be fenced the stop is needed but cannot happen.
    else if (nodes.find((node) => node.name === from)?.unclean) actions.push({ action: "stop", resource: id, node: from, blocked: true, reason: "node is unclean and cannot be fenced" });
    return actions;
  }
  // A failed resource started elsewhere is a recovery (from -> to), not a move.
  // Fenced for its own failure (on-fail=fence) it is a recovery; fenced as a lost peer it just moves.
  actions.push({ action: failed && (!fenced.has(from) || fencedForFailure.has(from)) ? "recover" : "move", resource: id, from, to: target, reason: fenced.has(from) ? "node was fenced" : failed ? "recovery after failure" : "a better node is available" });
  return actions;
}
