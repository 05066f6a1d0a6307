// Pass 2, history and failures: where each resource is active (the last result of each
// operation on each node), which clone instance each history belongs to, orphans, expired
// failures, on-fail, and which nodes are fenced. Returns the states; the nodes and units it
// was given are copied, never changed.
import { flattenSets, parseScore, type Cib, type ColocationConstraint, type Resource, type OperationRecord, type Primitive, type ResourceHistory } from "../cib";
import { assert } from "../common/errors";
import { currentDigest, parentInstanceSets } from "./digest";
import { anonymousFailCount, failCountOf, failureTimeoutOf } from "./scores";
import { canFence, membershipNodes, type CloneFactory, type Unpacked } from "./unpack";
import { neverUnfenced, unfencingUsers } from "./unfencing";
import { readMigrateFromFailure, readMigrateToFailure, readMigrateToSuccess, type MigrationReading, type NodeHistories } from "./migration";
import { INFINITY, addScores, baseId, isFalse, isRole, truthy, type FailureEffects, type History, type NodeState, type PlacementUnit, type ResourceState, type ScheduledAction } from "./types";

export function unpackHistory(unpacked: Unpacked): History {
  const { model } = unpacked;
  const { cib, cluster, policy, quorate } = model;
  const nodes = unpacked.nodes.map((node) => ({ ...node }));
  const units = [...unpacked.units];
  const states = instanceStates(cib, units, unpacked.factories, unpackResourceStates(cib, { pendingActive: true }), { nodes, stonithEnabled: cluster.stonithEnabled });
  if (cluster.stonithEnabled && !cluster.maintenanceMode) fenceDownNodesWithActiveResources(cib, units, states, nodes);
  // History on a node that left cleanly (not to be fenced) no longer describes anything running.
  const nodesByName = new Map<string, NodeState>();
  for (const node of nodes) if (!nodesByName.has(node.name)) nodesByName.set(node.name, node);
  for (const state of states.values()) {
    state.activeOn = state.activeOn.filter((name) => { const node = nodesByName.get(name); return node === undefined || node.online || node.unclean || node.maintenance === true || node.pending === true; });
  }
  forgetExpiredFailures(cib, units, states, model.nowSeconds);
  noteChangedDefinitions(cib, units, states, nodes, model.nowSeconds);
  const members = membershipNodes(cib);
  const fenceable = (name: string) => canFence(cluster, quorate || policy === "ignore", members.has(name));
  const failureEffects = applyOnFail(units, states, nodes, cluster.stonithEnabled, fenceable);
  findFenceCauses(cib, units, states, failureEffects);
  const fenced = new Set<string>();
  const fenceActions: ScheduledAction[] = [];
  for (const node of nodes) if (node.unclean && fenceable(node.name)) {
    fenced.add(node.name);
    fenceActions.push({ action: "fence", node: node.name, kind: cluster.stonithAction === "off" ? "off" : "reboot", reason: failureEffects.fenceReasons.get(node.name) ?? node.uncleanReason ?? "peer is no longer part of the cluster" });
  }
  fenceActions.push(...unfencing(cib, units, nodes, cluster.stonithEnabled));
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
    if (!(isRole(constraint.withRscRole, "Started") || isRole(constraint.withRscRole, "Promoted") || isRole(constraint.withRscRole, "Unpromoted"))) continue;
    // A colocation of a promotable clone's Unpromoted role places its instances as one without
    // a role does: Pacemaker gives the clone's colocations scored below 0 or at INFINITY to each
    // instance (append_parent_colocation), and an instance still being placed is placed by them
    // whatever the dependent role below Promoted (pcmk__colocation_affects); the role is chosen
    // afterwards (roles.ts).
    const unpromoted = isRole(constraint.rscRole, "Unpromoted") && parseScore(constraint.score) <= -INFINITY;
    if (!isRole(constraint.rscRole, "Started") && !unpromoted) continue;
    for (const unit of (unitsByOwner.get(constraint.rsc) ?? []).filter((entry) => !unpromoted || entry.clone?.promotable !== undefined)) { const list = colocationsByUnit.get(unit.id); if (list) list.push(constraint); else colocationsByUnit.set(unit.id, [constraint]); }
  }
  const unitsById = new Map(units.map((unit) => [unit.id, unit]));
  const describe = primaryFacts(cib);
  for (const [unitId, list] of colocationsByUnit) colocationsByUnit.set(unitId, byPrimaryPriority(unitsById.get(unitId)!, list, describe));
  const known = new Set(nodes.map((node) => node.name));
  for (const node of fenced) assert(known.has(node), `fenced node ${node} is a configured node`);
  return { nodes, units, states, failureEffects, fenced, fenceActions, owners, unitsByOwner, colocationsByUnit };
}

/** Pass 2: where each resource is active, from the last result of each operation. */
export function unpackResourceStates(cib: Cib, options: { pendingActive?: boolean } = {}): Map<string, ResourceState> {
  const states = new Map<string, ResourceState>();
  const online = onlineNodes(cib);
  const histories = new Map<string, NodeHistories>();
  for (const node of cib.status) for (const history of node.resources) {
    const list = histories.get(history.id);
    if (list) list.push({ node: node.uname, history }); else histories.set(history.id, [{ node: node.uname, history }]);
  }
  // Per resource: whether some node's own history leaves it active (Pacemaker's role is Started).
  const startedSomewhere = new Set<string>();
  for (const node of cib.status) {
    for (const history of node.resources) {
      const state = states.get(history.id) ?? { activeOn: [], failedOn: [], startFailedOn: [], bannedOn: [] };
      states.set(history.id, state);
      const migration = (reading: MigrationReading): boolean => {
        if (reading.kind === "superseded") return active;
        if (reading.kind === "dangling") { (state.danglingOn ??= []).push(node.uname); return false; }
        if (reading.alsoOn !== undefined && !state.activeOn.includes(reading.alsoOn)) { state.activeOn.push(reading.alsoOn); (state.migratedOn ??= []).push(reading.alsoOn); }
        if (reading.partial) state.partialMigration = reading.partial;
        if (reading.failed) state.migrationFailed = true;
        if (reading.danglingSource) (state.danglingOn ??= []).push(node.uname);
        return true;
      };
      // A pending operation (op-status -1) counts, with pendingActive, as a start/promote in flight: active.
      const records = operationsByAge(history.operations.filter((record) => record.opStatus !== -1 || (options.pendingActive === true && ["start", "promote", "migrate_from"].includes(record.operation))));
      let active = false;
      let failed = false;
      let startFailed = false;
      let hardError = false;
      let promoted = false;
      let failedOperation: NonNullable<ResourceState["failures"]>[string] | undefined;
      let hardFailure = false;
      let bannedSince = Number.NaN;
      let startPending = false;
      for (let record of records) {
        let recordFailed = false;
        const name = record.operation;
        const recurring = record.intervalMs > 0;
        // The role follows the last successful start/promote/demote and what monitors report (8: running promoted).
        // A failed demote leaves it Unpromoted: staying Promoted would only repeat the demote, and recovery stops it anyway.
        if (record.opStatus === -1) { active = true; if (name === "start") startPending = true; continue; }
        // "Degraded" (190) and "degraded promoted" (191) are successes: running, and running promoted.
        if (record.rcCode === 190 || record.rcCode === 191) record = { ...record, rcCode: record.rcCode === 190 ? 0 : 8 };
        if (record.rcCode === 8 || record.rcCode === 9) promoted = true;
        else if (record.rcCode === 0 && ["start", "demote", "monitor", "migrate_from"].includes(name)) promoted = false;
        else if (record.rcCode === 0 && name === "promote") promoted = true;
        // A migration's meaning depends on the other node's history too (see migration.ts).
        if (name === "migrate_to" && record.opStatus === 0 && record.rcCode === 0) { active = migration(readMigrateToSuccess(histories.get(history.id)!, node.uname, record, online)); continue; }
        if (name === "migrate_to" && record.rcCode !== 0) active = migration(readMigrateToFailure(histories.get(history.id)!, node.uname, record, online));
        if (name === "migrate_from" && record.rcCode !== 0) migration(readMigrateFromFailure(histories.get(history.id)!, node.uname, record, online));
        // "Running" from an operation that expected "not running" (a monitor of the Stopped role) is a failure, unless it is a probe.
        const unexpectedlyRunning = record.rcCode === 0 && expectedRc(record) === 7 && !(name === "monitor" && !recurring);
        if ((record.rcCode === 0 || record.rcCode === 8) && !unexpectedlyRunning) {
          if (name === "stop") { active = false; failed = false; }
          else if (name === "start" || name === "promote" || name === "migrate_from") { active = true; failed = false; }
          // A demote that succeeds leaves an earlier failure standing (Pacemaker clears past failures on it only with on-fail=demote).
          else if (name === "demote") active = true;
          else if (name === "monitor") active = true;
        } else if (record.rcCode === 7 && ((name === "monitor" && !recurring) || expectedRc(record) === 7)) { active = false; failed = false; }
        // A recurring monitor reporting "not running" where the controller expected "running" (its transition-key says so)
        // fails the resource and leaves it active there, even with no start in the history (Pacemaker's unpack_rsc_op_failure);
        // without an expected result it fails an active resource, and on an inactive one it is a Stopped-role monitor.
        else if (record.rcCode === 7 && name === "monitor" && recurring) { if (active || expectedRc(record) !== undefined) { failed = true; active = true; recordFailed = true; } }
        // Not installed (5) and invalid configuration (2, 6) are hard errors: the resource is not active there and is banned.
        // A probe finding them means "not running here"; any other operation fails the resource where it ran.
        // Hard errors (invalid argument, insufficient privileges, not installed, not
        // configured) ban the node. A probe answering "not installed" means not running there; any other
        // hard error leaves the resource failed where it was found or ran, to be stopped; even an
        // operation on a stopped resource (a failed stop) leaves it active there, as far as anyone knows.
        else if ([2, 4, 5, 6].includes(record.rcCode)) {
          hardError = true;
          if (name === "monitor" && !recurring && record.rcCode === 5) { active = false; failed = false; }
          else { active = true; failed = true; hardFailure = true; recordFailed = true; }
        }
        else { failed = true; active = true; recordFailed = true; if (name === "start") startFailed = true; if (name === "demote") promoted = false; }
        if (name === "start" && (record.rcCode === 0)) { startFailed = false; hardError = false; }
        if (hardError && [2, 4, 5, 6].includes(record.rcCode)) bannedSince = Number(record.attributes["last-rc-change"] ?? Number.NaN);
        // The executor itself found no agent (operation status 7): a failure on-fail=ignore cannot hide.
        // A further failure before anything clears the first: the most severe on-fail of them all applies (applyOnFail).
        // A failure after a success that cleared the earlier one (recovered) starts afresh.
        if (recordFailed && failedOperation?.recovered === true) failedOperation = undefined;
        if (recordFailed && failedOperation !== undefined) (failedOperation.later ??= []).push({ operation: name, intervalMs: record.intervalMs, ...([2, 4, 5, 6].includes(record.rcCode) && !(name === "monitor" && !recurring && record.rcCode === 5) ? { hard: true } : {}), ...(record.opStatus === 7 ? { notInstalled: true } : {}) });
        else if (failed && failedOperation === undefined) {
          const since = Number(record.attributes["last-rc-change"] ?? Number.NaN);
          failedOperation = { operation: name, intervalMs: record.intervalMs, ...(hardFailure ? { hard: true } : {}), ...(record.opStatus === 7 ? { notInstalled: true } : {}), ...(Number.isFinite(since) ? { since } : {}) };
        }
        if (!failed) { failedOperation = undefined; hardFailure = false; }
        else if (failedOperation && !recordFailed) failedOperation.recovered = monitorRecovers(failedOperation, record) || (failedOperation.recovered === true && (record.rcCode === 0 || record.rcCode === 8));
      }
      if (failed && failedOperation) (state.failures ??= {})[node.uname] = failedOperation;
      if (active) startedSomewhere.add(history.id);
      if (active) (state.activeEntries ??= []).push(history);
      if (active && !state.activeOn.includes(node.uname)) state.activeOn.push(node.uname);
      if (active && promoted) (state.promotedOn ??= []).push(node.uname);
      if (failed) state.failedOn.push(node.uname);
      if (startFailed && failed) state.startFailedOn.push(node.uname);
      if (hardError) state.bannedOn.push(node.uname);
      if (startPending) (state.startPendingOn ??= []).push(node.uname);
      if (hardError && Number.isFinite(bannedSince)) (state.bannedSince ??= {})[node.uname] = bannedSince;
    }
  }
  for (const [id, state] of states) {
    // A failed migration fails the resource wherever it is active: it is recovered, not migrated.
    if (state.migrationFailed) for (const node of state.activeOn) if (!state.failedOn.includes(node)) state.failedOn.push(node);
    // Active only where a migration may have left it, and stopped on the source: it is known
    // Stopped and is started there again, unless the migration is partial and may continue.
    const partialSourceStopped = state.partialMigration !== undefined && !state.activeOn.includes(state.partialMigration.source);
    if (state.migratedOn !== undefined && state.activeOn.length > 0 && !startedSomewhere.has(id) && !partialSourceStopped) state.roleStopped = true;
  }
  return states;
}

/**
 * The result the controller expected of an operation: the third field of its transition-key
 * ("action:transition:expected-rc:uuid"). "Not running" when that was expected is a success
 * that leaves the resource Stopped (Pacemaker's determine_op_status), whatever the operation.
 */
function expectedRc(record: OperationRecord): number | undefined {
  const field = record.attributes["transition-key"]?.split(":")[2];
  return field !== undefined && /^\d+$/.test(field) ? Number(field) : undefined;
}

/**
 * A unit's colocations in the order Pacemaker applies them (pcmk__add_this_with keeps each
 * resource's list sorted by cmp_primary_priority): member by member (a colocation of the group
 * or clone counts as its first member's), then the primary with the higher priority first,
 * clones before groups before primitives (promotable clones first), then by the primary's id.
 */
function byPrimaryPriority(unit: PlacementUnit, colocations: ColocationConstraint[], describe: (id: string) => PrimaryFacts): ColocationConstraint[] {
  const memberIndex = (rsc: string) => Math.max(0, unit.members.findIndex((member) => (unit.ownersOf(member)).includes(rsc) && !unit.owners.includes(rsc)));
  return colocations.map((colocation, index) => ({ colocation, index, member: memberIndex(colocation.rsc), ...describe(colocation.withRsc) }))
    .sort((left, right) => left.member - right.member || right.priority - left.priority || right.variant - left.variant || (left.colocation.withRsc < right.colocation.withRsc ? -1 : left.colocation.withRsc > right.colocation.withRsc ? 1 : 0) || left.index - right.index)
    .map((entry) => entry.colocation);
}

interface PrimaryFacts { priority: number; variant: number }

/**
 * A colocation primary's priority and variant (promotable clone 3, clone 2, group 1,
 * primitive 0), by id: the first resource of the configuration with that id, or a group
 * member or clone child inside it (the configuration is indexed once, facts are kept).
 */
function primaryFacts(cib: Cib): (id: string) => PrimaryFacts {
  const defaults = flattenSets(cib.rscDefaults);
  const byId = new Map<string, Resource>();
  for (const resource of cib.resources) {
    const inside = resource.kind === "group" ? resource.members : resource.kind === "clone" ? [resource.child, ...(resource.child.kind === "group" ? resource.child.members : [])] : [];
    for (const each of [resource, ...inside]) if (!byId.has(each.id)) byId.set(each.id, each);
  }
  const facts = new Map<string, PrimaryFacts>();
  return (id) => {
    let found = facts.get(id);
    if (found) return found;
    const match = byId.get(id);
    found = { priority: 0, variant: 0 };
    if (match) {
      const meta = { ...defaults, ...flattenSets(match.meta) };
      const promotable = match.kind === "clone" && (match.legacyMaster === true || truthy(meta.promotable));
      found = { priority: parseScore(meta.priority ?? "0"), variant: match.kind === "clone" ? (promotable ? 3 : 2) : match.kind === "group" ? 1 : 0 };
    }
    facts.set(id, found);
    return found;
  };
}

/** Nodes that are members and whose controller has joined (as unpackNodes decides "online"). */
function onlineNodes(cib: Cib): (name: string) => boolean {
  const online = new Set(cib.status.filter((status) => truthy(status.attributes.in_ccm) && status.attributes.crmd === "online" && (status.attributes.join ?? "member") === "member").map((status) => status.uname));
  return (name) => online.has(name);
}

/**
 * Order of one resource's operations on one node, oldest first: by call id; a pending operation
 * (call id -1) goes after the others unless its transition key names an earlier transition of the
 * same controller run than the other's (a start still pending from before a stop that completed).
 */
/**
 * One resource's records on one node, oldest first, in the order Pacemaker reads them: the
 * records are listed newest-written first (its list is built by prepending each record of the
 * document) and merge-sorted by compareOperationAge. The order of records the comparison
 * cannot rank (pending operations of other transitions) follows from that merge, so it is
 * reproduced exactly: the first half holds floor(n/2) records and a tie takes the left one.
 */
export function operationsByAge(records: readonly OperationRecord[]): OperationRecord[] {
  const mergeSort = (list: OperationRecord[]): OperationRecord[] => {
    if (list.length <= 1) return list;
    const middle = Math.floor(list.length / 2);
    const left = mergeSort(list.slice(0, middle));
    const right = mergeSort(list.slice(middle));
    const merged: OperationRecord[] = [];
    let [i, j] = [0, 0];
    while (i < left.length && j < right.length) merged.push(compareOperationAge(left[i]!, right[j]!) <= 0 ? left[i++]! : right[j++]!);
    return merged.concat(left.slice(i), right.slice(j));
  };
  return mergeSort([...records].reverse());
}

export function compareOperationAge(left: OperationRecord, right: OperationRecord): number {
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
export function sameCallOrder(left: OperationRecord, right: OperationRecord): number {
  const changed = (record: OperationRecord) => Number(record.attributes["last-rc-change"] ?? Number.NaN);
  const [first, second] = [changed(left), changed(right)];
  return Number.isFinite(first) && Number.isFinite(second) ? Math.sign(first - second) : 0;
}

/**
 * A node that is down, even one that left cleanly, where the history still shows a managed
 * resource active must be fenced before that resource may run elsewhere (with fencing enabled):
 * the node is taken to be unclean.
 */
export function fenceDownNodesWithActiveResources(cib: Cib, units: PlacementUnit[], states: Map<string, ResourceState>, nodes: NodeState[]): void {
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

/**
 * on-fail of the failed operation (matched by name and interval in the resource's
 * operations; a failed stop defaults to fence when fencing is enabled, else block):
 * ignore forgets the failure, block leaves the resource where it is with no action,
 * stop keeps it stopped, standby puts the node in standby, fence makes the node unclean.
 */
/**
 * A failure older than the resource's failure-timeout is ignored (Pacemaker's
 * check_operation_expiry): when the last-failure time says the fail count expired, or when the
 * failed operation itself changed failure-timeout ago or more and no fail count that has not
 * expired is left (a failure without any fail count, say a monitor that timed out, expires by
 * its own last-rc-change).
 */
export function forgetExpiredFailures(cib: Cib, units: PlacementUnit[], states: Map<string, ResourceState>, nowSeconds: number): void {
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
      const countExpired = Number.isFinite(last) && last + timeout <= nowSeconds;
      const failCount = unit.clone?.anonymous ? anonymousFailCount(attributes, base) : addScores(failCountOf(attributes, member.id), base === member.id ? 0 : failCountOf(attributes, base));
      const since = state.failures?.[node]?.since;
      const operationExpired = since !== undefined && since + timeout <= nowSeconds && (failCount <= 0 || countExpired);
      const expired = countExpired || operationExpired;
      if (expired && state.failures) delete state.failures[node];
      return !expired;
    });
  }
}

/** on-fail values from the mildest to the most severe (Pacemaker's cmp_on_fail). */
const ON_FAIL_SEVERITY: Record<string, number> = { ignore: 10, demote: 20, restart: 30, migrate: 60, block: 70, stop: 80, standby: 90, fence: 100 };

/** The on-fail that applies to a failed operation of a member. */
function onFailOf(member: PlacementUnit["members"][number], failure: { operation: string; intervalMs: number }, stonithEnabled: boolean): string {
  const operation = member.operations.find((op) => op.name === failure.operation && op.intervalMs === failure.intervalMs);
  const configured = operation?.onFail?.toLowerCase();
  // on-fail=demote is allowed only on a promote and on a recurring monitor of the Promoted role; elsewhere the default applies.
  // on-fail=fence means stop when fencing is disabled.
  const demoteAllowed = failure.operation === "promote" || (failure.operation === "monitor" && failure.intervalMs > 0 && isRole(operation?.role, "Promoted"));
  const chosen = configured === "demote" && !demoteAllowed ? undefined : configured;
  const onFail = chosen === "fence" && !stonithEnabled ? "stop" : chosen ?? (failure.operation === "stop" ? (stonithEnabled ? "fence" : "block") : "restart");
  return onFail;
}

export function applyOnFail(units: PlacementUnit[], states: Map<string, ResourceState>, nodes: NodeState[], stonithEnabled: boolean, canFenceNode: (name: string) => boolean = () => stonithEnabled): FailureEffects {
  const effects: FailureEffects = { blockedMembers: new Set(), stoppedUnits: new Set(), fenceReasons: new Map() };
  // A node already unclean before its histories are read (lost, or down with resources active)
  // is fenced whatever failed there: Pacemaker's process_rsc_state takes every on-fail there as
  // ignore, so nothing there counts as failed (a resource only moves off it).
  const uncleanBefore = new Set(nodes.filter((node) => node.unclean).map((node) => node.name));
  for (const unit of units) for (const member of unit.members) {
    const state = states.get(member.id);
    if (!state?.failures) continue;
    for (const [nodeName, first] of Object.entries(state.failures)) {
      if (!state.failedOn.includes(nodeName)) continue;
      // Of several failures in a row, the one whose on-fail is the most severe decides (Pacemaker's cmp_on_fail).
      let failure: NonNullable<ResourceState["failures"]>[string] = first;
      let onFail = onFailOf(member, first, stonithEnabled);
      for (const later of first.later ?? []) {
        const candidate = onFailOf(member, later, stonithEnabled);
        if ((ON_FAIL_SEVERITY[candidate] ?? 30) > (ON_FAIL_SEVERITY[onFail] ?? 30)) { failure = later; onFail = candidate; }
      }
      const node = nodes.find((entry) => entry.name === nodeName);
      // A stop that failed with a hard error where nothing can fence the node leaves no way to
      // recover: the resource is left alone there (unmanaged, blocked), whatever its on-fail.
      if (failure.operation === "stop" && failure.hard && !canFenceNode(nodeName)) { effects.blockedMembers.add(`${member.id}@${nodeName}`); continue; }
      // On a node already unclean only on-fail=stop still acts: it sets the role the resource
      // falls back to (Pacemaker's fail_role, unpack_rsc_op_failure), which the node's state does not undo.
      if (uncleanBefore.has(nodeName) && onFail !== "ignore") {
        if (onFail === "stop") effects.stoppedUnits.add(unit.id);
        ignoreFailure(state, nodeName, false);
        continue;
      }
      // Cleared by a later success of the same monitor: only a failure whose on-fail asks for
      // stop, standby or fence (or a hard error) outlives that.
      if (onFail === "ignore" && !failure.notInstalled) state.failureIgnored = true;
      if (failure === first && failure.recovered && !failure.hard && ["restart", "block", "ignore", "demote"].includes(onFail)) { ignoreFailure(state, nodeName, false); continue; }
      // on-fail=ignore takes the operation as having succeeded: no failure and, for a hard
      // error the agent returned, no ban either. Only an agent the executor could not find at all is never ignored.
      // A stop taken as having succeeded leaves the resource stopped there (Pacemaker's unpack_rsc_op "pretending failed ... succeeded").
      if (onFail === "ignore" && !failure.notInstalled) {
        ignoreFailure(state, nodeName, failure.hard === true);
        if (failure.operation === "stop") { state.activeOn = state.activeOn.filter((name) => name !== nodeName); if (state.promotedOn) state.promotedOn = state.promotedOn.filter((name) => name !== nodeName); }
      }
      // on-fail=demote recovers by demotion: no stop; the instance is demoted there (and promoted again if it is still to be Promoted).
      else if (onFail === "demote" && !failure.hard) { ignoreFailure(state, nodeName, false); (effects.demotedMembers ??= new Set()).add(`${member.id}@${nodeName}`); }
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
export function findFenceCauses(cib: Cib, units: PlacementUnit[], states: Map<string, ResourceState>, effects: FailureEffects): void {
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
export function monitorRecovers(failure: { operation: string; intervalMs: number }, record: OperationRecord): boolean {
  return failure.operation === "monitor" && record.operation === "monitor" && record.intervalMs === failure.intervalMs && (record.rcCode === 0 || record.rcCode === 8);
}

/** Forgets a failure on a node (on-fail=ignore); with `banned`, the ban its hard error set there too. */
export function ignoreFailure(state: ResourceState, nodeName: string, banned: boolean): void {
  state.failedOn = state.failedOn.filter((name) => name !== nodeName);
  if (banned) state.bannedOn = state.bannedOn.filter((name) => name !== nodeName);
}

/**
 * States of clone instances. A unique clone's history names its instance; an anonymous
 * clone's history (named with or without a number) goes to instances as assignAnonymousHistories
 * says. Instances active beyond
 * clone-max, and active resources the configuration no longer has, become orphan units
 * (appended to `units`) that only stop.
 */
export function instanceStates(cib: Cib, units: PlacementUnit[], factories: Map<string, CloneFactory>, raw: Map<string, ResourceState>, cluster: { nodes: NodeState[]; stonithEnabled: boolean }): Map<string, ResourceState> {
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
export function assignAnonymousHistories(cib: Cib, factory: CloneFactory, instances: PlacementUnit[], units: PlacementUnit[], raw: Map<string, ResourceState>, states: Map<string, ResourceState>, cluster: { nodes: NodeState[]; stonithEnabled: boolean }): void {
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
      // Each entry is read alone: a second entry of the same id on this node that leaves it stopped (a probe) is no second copy.
      if (!(state.activeEntries ?? []).includes(history)) continue;
      location.set(chosen, status.uname);
      taken.add(`${chosen.id}#${index}`);
      const id = chosen.members[index]!.id;
      const target = states.get(id) ?? { activeOn: [], failedOn: [], startFailedOn: [], bannedOn: [] };
      target.activeOn.push(status.uname);
      if (state.failedOn.includes(status.uname)) target.failedOn.push(status.uname);
      const failure = state.failures?.[status.uname];
      if (failure && state.failedOn.includes(status.uname)) (target.failures ??= {})[status.uname] = failure;
      if ((state.promotedOn ?? []).includes(status.uname)) (target.promotedOn ??= []).push(status.uname);
      if ((state.startPendingOn ?? []).includes(status.uname)) (target.startPendingOn ??= []).push(status.uname);
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
export function needsFencing(cib: Cib, member: Primitive, unit: PlacementUnit, stonithEnabled: boolean): boolean {
  const requires = ({ ...flattenSets(cib.rscDefaults), ...unit.meta, ...flattenSets(member.meta) }.requires ?? "").toLowerCase();
  if (requires === "fencing") return true;
  if (requires === "quorum" || requires === "nothing") return false;
  if (member.class === "stonith") return false;
  return stonithEnabled;
}

/**
 * A failure recorded for parameters the configuration no longer gives (the last failure's
 * digest, of a non-recurring operation, differs from the one the configuration gives now)
 * no longer counts there: Pacemaker clears the fail count when the definition changed.
 */
function noteChangedDefinitions(cib: Cib, units: PlacementUnit[], states: Map<string, ResourceState>, nodes: NodeState[], nowSeconds: number): void {
  const parents = parentInstanceSets(cib.resources);
  const attributesOf = new Map(nodes.map((node) => [node.name, node.attributes]));
  const histories = new Map<string, Array<{ node: string; history: ResourceHistory }>>();
  for (const status of cib.status) for (const history of status.resources) {
    const list = histories.get(baseId(history.id)) ?? [];
    list.push({ node: status.uname, history });
    histories.set(baseId(history.id), list);
  }
  for (const unit of units) unit.members.forEach((member, index) => {
    if (unit.orphan) return;
    const base = unit.clone ? unit.clone.bases[index]! : member.id;
    for (const { node, history } of histories.get(baseId(member.id)) ?? []) {
      const failure = history.operations.find((record) => record.id.endsWith("_last_failure_0") && record.intervalMs === 0 && record.attributes["op-digest"] !== undefined);
      if (!failure) continue;
      if (currentDigest(member, parents.get(base) ?? [], failure.operation, { now: nowSeconds, node: attributesOf.get(node) ?? {} }) === failure.attributes["op-digest"]) continue;
      const state = states.get(member.id) ?? { activeOn: [], failedOn: [], startFailedOn: [], bannedOn: [] };
      (state.failuresClearedOn ??= []).push(node);
      states.set(member.id, state);
    }
  });
}

/**
 * Unfencing: when a fencing device provides unfencing (meta provides=unfencing), a node must
 * be unfenced ("fence on") before the resources that need it are probed or started there.
 * A node that is online, clean and not shutting down, that has not been unfenced yet (no
 * #node-unfenced attribute), and where such a resource has no history (so it is to be
 * probed) is unfenced in this transition. Resources need unfencing when they say
 * requires=unfencing, or by default once a device provides it; fencing devices always do.
 */
function unfencing(cib: Cib, units: PlacementUnit[], nodes: NodeState[], stonithEnabled: boolean): ScheduledAction[] {
  if (!stonithEnabled) return [];
  const needing = unfencingUsers(cib, units);
  if (needing.length === 0) return [];
  const actions: ScheduledAction[] = [];
  for (const node of nodes) {
    if (!neverUnfenced(node)) continue;
    const known = new Set(cib.status.find((status) => status.uname === node.name)?.resources.map((history) => baseId(history.id)) ?? []);
    const probed = needing.find((member) => !known.has(baseId(member.id)));
    if (probed) actions.push({ action: "fence", node: node.name, kind: "on", reason: `required by ${baseId(probed.id)} monitor` });
  }
  return actions;
}
