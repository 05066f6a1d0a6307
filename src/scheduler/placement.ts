// Pass 4, placement: every unit is assigned a node (or none) in configuration order, a
// unit's colocation primaries first, a clone's instances together; allocation scores take in
// colocations, group members, dependents' preferences and promotion scores (roles.ts).
// The pass keeps its working state to itself and returns the placement.
import { flattenSets, parseBoolean, parseScore, type Cib, type ColocationConstraint } from "../cib";
import { assert } from "../common/errors";
import { assignmentOrder, firstRoundNode, keepsFirstRoundNode } from "./instances";
import { choosePromoted, withPromotionPreferences } from "./roles";
import { metaOf, scoresFor } from "./scores";
import { addUtilization, compareCapacities, consume, hasCapacity, nodeCapacities, unitUtilization, type Capacity } from "./utilization";
import { addScores, INFINITY, isFalse, isRole, truthy, type History, type Model, type NodeState, type Placement, type PlacementUnit } from "./types";

/** The placement pass's working state: its inputs, and what it has decided so far. */
export interface PlacementWork extends Model, History {
  load: Map<string, number>;
  placed: Map<string, string | undefined>;
  placedOn: Map<string, string[]>;
  /** Instances of each clone placed per node. */
  cloneCounts: Map<string, Map<string, number>>;
  /** Clones whose placement has begun. */
  clonesStarted: Set<string>;
  promoted: Set<string>;
  quorumBlocked: Map<string, string>;
  heldForQuorum?: Map<string, string>;
  scores: Record<string, Record<string, number>>;
  visiting: Set<string>;
  /** Units being placed: nodes a mandatory colocation with an already placed primary rules out. */
  provisionalBans: Map<string, Set<string>>;
  /** placement-strategy: default, utilization, minimal or balanced. */
  strategy: string;
  /** Remaining capacity per node (utilization strategies). */
  remaining: Map<string, Capacity>;
  completed: Array<{ unit: PlacementUnit; target: string | undefined }>;
  /** Nodes in maintenance (the first node of each name, as a scan of the nodes finds it). */
  maintenanceNodes: Set<string>;
}

export function place(model: Model, history: History): Placement {
  const work: PlacementWork = { ...model, ...history, load: new Map(), placed: new Map(), placedOn: new Map(), cloneCounts: new Map(), clonesStarted: new Set(), promoted: new Set(), quorumBlocked: new Map(), scores: {}, visiting: new Set(), provisionalBans: new Map(), completed: [],
    strategy: model.cluster.placementStrategy.toLowerCase(), remaining: nodeCapacities(model.cib, history.nodes), maintenanceNodes: maintenanceNodes(history.nodes) };
  for (const unit of work.strategy === "default" ? history.units : utilizationOrder(work, history.units)) placeUnit(work, unit);
  const known = new Set(history.nodes.map((node) => node.name));
  assert(work.visiting.size === 0, "no unit is left half-placed");
  assert(work.completed.length === history.units.length, "every unit is placed exactly once");
  for (const { target } of work.completed) assert(target === undefined || known.has(target), `placed on a configured node (${target})`);
  return { placed: work.placed, placedOn: work.placedOn, promoted: work.promoted, quorumBlocked: work.quorumBlocked, heldForQuorum: work.heldForQuorum, scores: work.scores, completed: work.completed };
}

function maintenanceNodes(nodes: NodeState[]): Set<string> {
  const seen = new Set<string>();
  const found = new Set<string>();
  for (const node of nodes) {
    if (seen.has(node.name)) continue;
    seen.add(node.name);
    if (node.maintenance) found.add(node.name);
  }
  return found;
}

/** Pass 4: choose a node, ties broken by the current node, then fewest resources, then node order. */
export function chooseNode(scores: Record<string, number>, current: string | undefined, load: Map<string, number>, nodes: NodeState[]): string | undefined {
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
 * A clone's instances are placed together: first every active instance that may stay on
 * its current node keeps it, then the others are placed in instance order.
 */
export function placeClone(context: PlacementWork, cloneId: string): void {
  if (context.clonesStarted.has(cloneId)) return;
  context.clonesStarted.add(cloneId);
  const instances = context.unitsByOwner.get(cloneId)?.filter((unit) => unit.clone?.id === cloneId) ?? [];
  const order = assignmentOrder(context, instances);
  for (const unit of order) placeUnit(context, unit, true);
  for (const unit of order) placeUnit(context, unit);
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
 * A primary's node scores take in the preferences of resources colocated with it (not yet
 * placed), weighted by the colocation score over INFINITY, so it goes where its dependents
 * can follow (or, for a negative score, away from where they prefer); the merge is dropped
 * when it would leave no node allowed. A group dependent speaks through its first member,
 * then its later ones (see mergeDependentMember).
 */
export function withDependentPreferences(context: PlacementWork, unit: PlacementUnit, combined: Record<string, number>): Record<string, number> {
  // Nothing is colocated with it: nothing to merge.
  if (!context.index.colocationsByPrimary.has(unit.id) && !unit.owners.some((id) => context.index.colocationsByPrimary.has(id)) && !unit.members.some((member) => context.index.colocationsByPrimary.has(member.id))) return combined;
  return mergeDependentsOf(context, unit, combined, 1, new Set([unit.id]));
}

/**
 * Merges the preferences of the unplaced resources colocated with `unit`, and of those
 * colocated with them in turn, each weighted by the product of the colocation scores over
 * INFINITY along the way (Pacemaker's colocated node scores); a merge that would leave no
 * node usable is dropped.
 */
function mergeDependentsOf(context: PlacementWork, unit: PlacementUnit, combined: Record<string, number>, outer: number, visited: Set<string>): Record<string, number> {
  let result = combined;
  const ids = new Set([unit.id, ...unit.owners, ...unit.members.map((member) => member.id)]);
  const colocations = [...ids].flatMap((id) => context.index.colocationsByPrimary.get(id) ?? []);
  for (const constraint of colocations) {
    if (ids.has(constraint.rsc)) continue;
    if (!(constraint.rscRole === undefined || isRole(constraint.rscRole, "Started")) || !(constraint.withRscRole === undefined || isRole(constraint.withRscRole, "Started"))) continue;
    if (!colocationHasInfluence(context, constraint)) continue;
    const factor = outer * parseScore(constraint.score) / INFINITY;
    if (factor === 0) continue;
    for (const dependent of context.unitsByOwner.get(constraint.rsc) ?? []) {
      if (dependent.clone || context.placed.has(dependent.id) || visited.has(dependent.id)) continue;
      // A member named by the colocation speaks from where it sits in its group: itself and the members after it.
      const position = Math.max(0, dependent.members.findIndex((member) => member.id === constraint.rsc));
      const merged = mergeDependentMember(context, result, dependent, position, factor, constraint.extra?.["node-attribute"]);
      if (merged === undefined) continue;
      visited.add(dependent.id);
      result = mergeDependentsOf(context, dependent, merged, factor, visited);
    }
  }
  return result;
}

/**
 * no-quorum-policy=demote without quorum: an instance of a promotable clone that runs keeps
 * running (unpromoted); everything else is handled as with the stop policy.
 */
export function demotePolicyFor(context: PlacementWork, unit: PlacementUnit): string {
  const running = unit.members.some((member) => (context.states.get(member.id)?.activeOn.length ?? 0) > 0);
  return unit.clone?.promotable !== undefined && running ? "ignore" : "stop";
}

/**
 * A resource whose start needs neither quorum nor fencing (meta "requires" is "nothing",
 * on every member) may start and keep running without quorum. Fencing devices default to
 * requiring quorum like anything else.
 */
export function requiresNothing(cib: Cib, unit: PlacementUnit): boolean {
  return unit.members.every((member) => ({ ...flattenSets(cib.rscDefaults), ...unit.meta, ...flattenSets(member.meta) }.requires ?? "").toLowerCase() === "nothing");
}

/**
 * no-quorum-policy=freeze forbids only starting what is not active (those starts are blocked
 * before this point): an active resource is placed as usual, and may move. Active means, as
 * Pacemaker's native_active has it, on an online node or on an unclean one: a resource on a
 * node of this partition that is being fenced moves. One on an unclean node that cannot be
 * fenced (it left: without quorum only members are fenced) is placed too, but cannot be
 * stopped there, so its start waits (actions list the stop, blocked). One running only on
 * nodes that left cleanly is not active: it stays stopped here, not recovered.
 */
export function frozenTarget(context: PlacementWork, unit: PlacementUnit, target: string | undefined): string | undefined {
  const activeOn = unit.members.flatMap((member) => context.states.get(member.id)?.activeOn ?? []);
  const active = activeOn.filter((name) => { const node = context.nodes.find((entry) => entry.name === name); return node?.online === true || node?.unclean === true; });
  return active.length > 0 ? target : undefined;
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
export function usableNode(node: NodeState): boolean {
  return node.online && !node.standby && !node.unclean && !node.shuttingDown && !node.maintenance;
}

export function mergeDependentMember(context: PlacementWork, scores: Record<string, number>, dependent: PlacementUnit, index: number, factor: number, attribute?: string): Record<string, number> | undefined {
  const { cib, nodes, cluster } = context;
  const member = dependent.members[index]!;
  const own = scoresFor(context.owners.get(member.id) ?? [member.id], cib, member, nodes, context.states.get(member.id), cluster.symmetricCluster, context.nowSeconds, context.index, dependent.meta);
  for (const node of context.provisionalBans.get(dependent.id) ?? []) own[node] = -INFINITY;
  const merged: Record<string, number> = { ...scores };
  for (const node of nodes) {
    const score = bestMatchingScore(nodes, own, node, attribute);
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

export function placeUnit(context: PlacementWork, unit: PlacementUnit, onlyCurrent = false): void {
  if (unit.clone && !context.clonesStarted.has(unit.clone.id)) { placeClone(context, unit.clone.id); return; }
  if (context.placed.has(unit.id) || context.visiting.has(unit.id)) return;
  const firstRound = onlyCurrent ? firstRoundNode(context, unit) : undefined;
  if (onlyCurrent && firstRound === undefined) return;
  context.visiting.add(unit.id);
  const { cib, nodes, cluster } = context;
  const colocations = context.colocationsByUnit.get(unit.id) ?? [];
  // Primaries are placed one after another; once one is placed, a mandatory colocation with it
  // already rules out the other nodes for this unit, which the next primaries take into
  // account when they weigh this unit's preferences (as Pacemaker updates a dependent's
  // allowed nodes after placing each of its primaries).
  const banned = new Set<string>();
  context.provisionalBans.set(unit.id, banned);
  for (const colocation of colocations) {
    if (unit.owners.includes(colocation.withRsc)) continue;
    for (const primary of context.unitsByOwner.get(colocation.withRsc) ?? []) placeUnit(context, primary);
    const primaryNodes = withoutBlockedInstances(context, colocation.withRsc, context.placedOn.get(colocation.withRsc));
    if (primaryNodes === undefined || parseScore(colocation.score) < INFINITY || colocation.withRscRole !== undefined && !isRole(colocation.withRscRole, "Started")) continue;
    const holds = nodesWhereColocationHolds(context, colocation, primaryNodes, true);
    for (const node of context.nodes) if (!holds.has(node.name)) banned.add(node.name);
  }
  const memberScores = unit.members.map((member) => scoresFor(context.owners.get(member.id) ?? [member.id], cib, member, nodes, context.states.get(member.id), cluster.symmetricCluster, context.nowSeconds, context.index, unit.meta, unit.clone !== undefined, unit.clone?.anonymous === true));
  unit.members.forEach((member, index) => { context.scores[member.id] = memberScores[index]!; });
  let combined: Record<string, number> = { ...memberScores[0]! };
  // A later group member's own colocations do not place the group (see laterMemberColocations).
  const later = laterMemberColocations(unit, colocations);
  for (const colocation of colocations) {
    if (unit.owners.includes(colocation.withRsc) || later.has(colocation)) continue;
    // With the Promoted role of a promotable clone: where its promoted instances run.
    const primaryKey = colocation.withRsc + (isRole(colocation.withRscRole, "Promoted") ? "#Promoted" : isRole(colocation.withRscRole, "Unpromoted") ? "#Unpromoted" : "");
    // A primary not placed yet is part of a colocation loop being placed: the loop is broken here.
    if (!context.placedOn.has(primaryKey)) continue;
    const score = parseScore(colocation.score);
    const placedNodes = context.placedOn.get(primaryKey) ?? [];
    const primaryNodes = score >= INFINITY && primaryKey === colocation.withRsc ? withoutBlockedInstances(context, colocation.withRsc, placedNodes)! : placedNodes;
    // A mandatory colocation only rules out the other nodes; it adds nothing where it holds.
    const holds = nodesWhereColocationHolds(context, colocation, primaryNodes, score >= INFINITY);
    const before = { ...combined };
    for (const node of nodes) {
      if (score >= INFINITY && !holds.has(node.name)) combined[node.name] = -INFINITY;
      else if (holds.has(node.name) && score < INFINITY) combined[node.name] = addScores(combined[node.name]!, score);
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
  // Promotion scores steer where a promotable primitive's instances go; a cloned group's members
  // choose their node by their own scores, which do not hold them (Pacemaker adds them to the
  // group copy's scores only, which rank it but place no member).
  if (unit.clone?.promotable && unit.clone.group === undefined) combined = withPromotionPreferences(context, unit, combined);
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
  const used = unitUtilization(unit);
  let target: string | undefined;
  if (unitStopped) target = undefined;
  else if (context.strategy === "default") target = chooseNode(combined, current ?? firstState?.activeOn[0], context.load, nodes);
  else {
    const { allowed, prefer } = withinCapacity(context, unit, combined, used);
    combined = allowed;
    target = chooseNodeByStrategy(context, combined, current ?? firstState?.activeOn[0], prefer);
  }
  // The first round keeps an instance on its node when no node scores higher. A cloned group
  // whose members choose another node is left there (Pacemaker 2.1.5 undoes the choice only for
  // a primitive), without counting against that node's or the clone's limits.
  let uncounted = false;
  if (firstRound !== undefined && target !== undefined) {
    if (keepsFirstRoundNode(combined, firstRound)) target = firstRound;
    else uncounted = unit.clone?.group !== undefined && combined[firstRound]! >= 0;
  }
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
  if (heldNode !== undefined) (context.heldForQuorum ??= new Map()).set(unit.id, heldNode);
  if (policy === "stop") target = undefined;
  // A member blocked by its failure (on-fail=block) is held where it is, like an unmanaged
  // resource: on the first node it was found on (by the status order). The first member holds the
  // unit there; a later one holds only the members after it (actions.ts), as a group places each
  // member in turn and the members before it are placed as usual.
  const blockedActive = unit.members.map((member) => context.states.get(member.id)?.activeOn ?? []);
  const blockedIndex = blockedActive.findIndex((activeOn, index) => activeOn.some((node) => context.failureEffects.blockedMembers.has(`${unit.members[index]!.id}@${node}`)));
  const blockedAt = blockedIndex < 0 ? undefined : blockedActive[blockedIndex]![0];
  if (blockedIndex === 0) target = blockedAt;
  // Unmanaged (is-managed=false, meta maintenance, maintenance-mode): it stays on the node it is
  // found on, or is assigned none when inactive, whatever else holds (Pacemaker assigns an
  // unmanaged primitive its current node before anything else); here when every member of a
  // primitive or group is (clone instances keep the clone's own assignment of running instances).
  const unmanaged = !unit.clone && unit.members.every((member) => {
    const memberMeta = { ...meta, ...flattenSets(member.meta) };
    return cluster.maintenanceMode || isFalse(memberMeta["is-managed"]) || truthy(memberMeta.maintenance);
  });
  if (unmanaged && blockedAt === undefined) target = firstState?.activeOn[0];
  // Running on a node in maintenance: it stays as it is.
  const onMaintenance = context.maintenanceNodes.size === 0 ? undefined : unit.members.flatMap((member) => context.states.get(member.id)?.activeOn ?? []).find((name) => context.maintenanceNodes.has(name));
  if (onMaintenance !== undefined) target = onMaintenance;
  if (onlyCurrent && (target === undefined || (target !== firstRound && !uncounted))) { context.visiting.delete(unit.id); context.provisionalBans.delete(unit.id); return; }
  if (policy === "freeze") target = frozenTarget(context, unit, target);
  context.placed.set(unit.id, target);
  if (target !== undefined) for (const colocation of later) banLaterMember(context, unit, colocation, target);
  context.visiting.delete(unit.id);
  context.provisionalBans.delete(unit.id);
  if (target) {
    if (context.strategy !== "default") consume(context.remaining.get(target), used);
    context.load.set(target, (context.load.get(target) ?? 0) + assignedMembers(context, unit));
    for (const owner of placementKeys(unit)) context.placedOn.set(owner, [...(context.placedOn.get(owner) ?? []), target]);
    if (unit.clone && !uncounted) {
      const counts = context.cloneCounts.get(unit.clone.id) ?? new Map<string, number>();
      context.cloneCounts.set(unit.clone.id, counts);
      counts.set(target, (counts.get(target) ?? 0) + 1);
    }
  } else for (const owner of placementKeys(unit)) if (!context.placedOn.has(owner)) context.placedOn.set(owner, []);
  if (target === undefined) placeHeldForQuorum(context, unit, heldNode);
  // Actions are derived (actions.ts) once every placement, promotion and runnability is known.
  context.completed.push({ unit, target });
}

/**
 * The nodes where a colocation with a placed primary holds: those whose value of the
 * colocation's node-attribute (by default, the node itself) is the value on a node of the
 * primary, compared without case; a node without the attribute matches one without it, as in
 * Pacemaker. A mandatory colocation with a clone holds on its instances' nodes alone
 * (Pacemaker excludes the other nodes there, whatever the attribute).
 */
export function nodesWhereColocationHolds(context: Pick<PlacementWork, "nodes" | "unitsByOwner">, colocation: ColocationConstraint, primaryNodes: string[], mandatory: boolean): Set<string> {
  const attribute = colocation.extra?.["node-attribute"];
  const primaryIsClone = context.unitsByOwner.get(colocation.withRsc)?.[0]?.clone !== undefined;
  if (attribute === undefined || (mandatory && primaryIsClone)) return new Set(primaryNodes);
  const values = new Set(primaryNodes.map((name) => attributeValue(context.nodes.find((node) => node.name === name), attribute)));
  return new Set(context.nodes.filter((node) => values.has(attributeValue(node, attribute))).map((node) => node.name));
}

/**
 * Whether a colocation's dependent pulls its primary toward the nodes it prefers (Pacemaker's
 * pcmk__colocation_has_influence): always while the primary runs nowhere; otherwise as the
 * constraint's influence says, or when that is absent or not a boolean, as the dependent's
 * critical meta attribute says (true by default).
 */
export function colocationHasInfluence(context: Pick<PlacementWork, "cib" | "states" | "unitsByOwner">, colocation: ColocationConstraint): boolean {
  const primaryActive = (context.unitsByOwner.get(colocation.withRsc) ?? []).some((unit) => unit.members.some((member) => (context.states.get(member.id)?.activeOn.length ?? 0) > 0));
  if (!primaryActive) return true;
  const written = colocation.extra?.influence === undefined ? undefined : parseBoolean(colocation.extra.influence);
  if (written !== undefined) return written;
  const dependent = context.unitsByOwner.get(colocation.rsc)?.[0];
  const member = dependent?.members.find((entry) => entry.id === colocation.rsc);
  const meta = { ...flattenSets(context.cib.rscDefaults), ...(dependent?.meta ?? {}), ...(member ? flattenSets(member.meta) : {}) };
  return !isFalse(meta.critical);
}

/** A node's value of a colocation attribute, lower-cased (Pacemaker compares them without case); undefined when it has none. */
function attributeValue(node: NodeState | undefined, attribute: string): string | undefined {
  return node?.attributes[attribute]?.toLowerCase();
}

/**
 * A dependent's score for a node, as a primary weighs it (Pacemaker's best node score matching
 * the colocation attribute): its best score among the usable nodes that share the node's value of
 * the attribute (by default, the node itself, when usable); -INFINITY when there is none.
 */
export function bestMatchingScore(nodes: NodeState[], scores: Record<string, number>, node: NodeState, attribute: string | undefined): number {
  const value = attribute === undefined ? undefined : attributeValue(node, attribute);
  let best = -INFINITY;
  for (const each of nodes) {
    const matches = attribute === undefined ? each === node : attributeValue(each, attribute) === value;
    const score = scores[each.name] ?? -INFINITY;
    if (matches && usableNode(each) && score > best) best = score;
  }
  return best;
}

/**
 * The nodes of a clone's instances a mandatory colocation with the clone may use: not those of
 * an instance blocked by its own failure (on-fail=block, a stop that failed and cannot be
 * fenced), which stays where it is but is no partner to follow (Pacemaker's
 * pcmk__clone_apply_coloc_score leaves out instances with pe_rsc_block). Other primaries' as given.
 */
function withoutBlockedInstances(context: PlacementWork, primaryId: string, nodes: string[] | undefined): string[] | undefined {
  const instances = context.unitsByOwner.get(primaryId) ?? [];
  if (nodes === undefined || instances[0]?.clone === undefined) return nodes;
  const blocked = new Set(instances.flatMap((instance) => {
    const node = context.placed.get(instance.id);
    return node !== undefined && instance.members.some((member) => context.failureEffects.blockedMembers.has(`${member.id}@${node}`)) ? [node] : [];
  }));
  return blocked.size === 0 ? nodes : nodes.filter((node) => !blocked.has(node));
}

/**
 * The colocations of a group (not cloned) that name a member after the first as the dependent.
 * Pacemaker places a group member by member (pcmk__group_assign): the first member's node takes
 * in what is colocated with the members, but not what a later member is colocated with; that
 * later member then follows the member before it, and stops, with those after it, when its own
 * colocation cannot hold there (pcmk__primitive_assign of that member).
 */
function laterMemberColocations(unit: PlacementUnit, colocations: readonly ColocationConstraint[]): Set<ColocationConstraint> {
  if (unit.clone !== undefined || unit.members.length < 2) return new Set();
  const later = new Set(unit.members.slice(1).map((member) => member.id));
  return new Set(colocations.filter((colocation) => later.has(colocation.rsc)));
}

/** A later member whose mandatory (anti-)colocation fails on the group's node may not run there (nor the members after it, actions.ts). */
function banLaterMember(context: PlacementWork, unit: PlacementUnit, colocation: ColocationConstraint, target: string): void {
  const score = parseScore(colocation.score);
  if (Math.abs(score) < INFINITY || !(colocation.withRscRole === undefined || isRole(colocation.withRscRole, "Started"))) return;
  const primaryNodes = context.placedOn.get(colocation.withRsc);
  if (primaryNodes === undefined) return;
  if (score > 0 ? primaryNodes.includes(target) : !primaryNodes.includes(target)) return;
  const member = unit.members.find((each) => each.id === colocation.rsc)!;
  context.scores[member.id] = { ...context.scores[member.id]!, [target]: -INFINITY };
}

/**
 * How many of a unit's members are assigned its node (what a node's count of resources, which
 * breaks ties between nodes, takes in): a group member after one that is to stay stopped
 * (target-role Stopped, managed) is colocated with a resource that runs nowhere, so it is not assigned.
 */
export function assignedMembers(context: Pick<PlacementWork, "cib" | "cluster">, unit: PlacementUnit): number {
  // An unmanaged member is assigned where it runs whatever its target-role, and so are the members after it.
  const stopped = unit.members.findIndex((member) => {
    const meta = { ...unit.meta, ...metaOf(context.cib, member) };
    const unmanaged = context.cluster.maintenanceMode || isFalse(meta["is-managed"]) || truthy(meta.maintenance);
    return !unmanaged && (meta["target-role"] ?? "").toLowerCase() === "stopped";
  });
  return stopped < 0 ? unit.members.length : stopped;
}

/** The ids a placement is recorded under: the unit, its owners, a clone's base ids and a group's members. */
export function placementKeys(unit: PlacementUnit): Set<string> {
  return new Set([unit.id, ...unit.owners, ...(unit.clone?.bases ?? []), ...(unit.clone ? [] : unit.members.map((member) => member.id))]);
}

/**
 * Without quorum a resource is still assigned its node; only its start cannot run (one that
 * runs there stops). Resources colocated with it are therefore placed with it, and their
 * starts are blocked in turn.
 */
export function placeHeldForQuorum(context: PlacementWork, unit: PlacementUnit, heldNode: string | undefined): void {
  const node = context.quorumBlocked.get(unit.id) ?? heldNode;
  if (node === undefined) return;
  // A running clone instance held for quorum on the node it runs on keeps that node, which
  // counts against clone-node-max as any assigned instance's (a blocked start's is counted
  // where it is chosen). One that would have moved is left out: whether Pacemaker assigns it
  // before the others depends on the instance order, which is not modelled here yet.
  const runsThere = unit.members.some((member) => (context.states.get(member.id)?.activeOn ?? []).includes(node));
  if (unit.clone && !context.quorumBlocked.has(unit.id) && runsThere) {
    const counts = context.cloneCounts.get(unit.clone.id) ?? new Map<string, number>();
    context.cloneCounts.set(unit.clone.id, counts);
    counts.set(node, (counts.get(node) ?? 0) + 1);
  }
  context.load.set(node, (context.load.get(node) ?? 0) + assignedMembers(context, unit));
  for (const owner of placementKeys(unit)) context.placedOn.set(owner, [...(context.placedOn.get(owner) ?? []), node]);
}

/**
 * Nodes without room for the unit and the unplaced resources mandatorily colocated with it
 * are ruled out; when no node has room for them all, only those without room for the unit
 * itself, and the node with the most free capacity is preferred.
 */
function withinCapacity(context: PlacementWork, unit: PlacementUnit, combined: Record<string, number>, used: Capacity): { allowed: Record<string, number>; prefer: string | undefined } {
  const together = addUtilization(used, colocatedUtilization(context, unit));
  const available = context.nodes.filter((node) => usableNode(node) && combined[node.name]! >= 0);
  const allowed = { ...combined };
  let mostCapable: string | undefined;
  for (const node of available) if (mostCapable === undefined || compareCapacities(context.remaining.get(node.name), context.remaining.get(mostCapable)) < 0) mostCapable = node.name;
  const anyCapable = available.some((node) => hasCapacity(context.remaining.get(node.name), together));
  for (const node of available) if (!hasCapacity(context.remaining.get(node.name), anyCapable ? together : used)) allowed[node.name] = -INFINITY;
  return { allowed, prefer: anyCapable ? undefined : mostCapable };
}

/**
 * What the resources tied to this unit by mandatory colocations, either way and transitively,
 * still need (Pacemaker's colocated resources and their unassigned utilization): followed from
 * a unit, and from a clone instance through its clone's colocations too (those with the clone
 * as primary only when the clone has fewer instances than there are usable nodes); from a
 * clone on to the resources it is colocated with, but only to dependents that are clones
 * themselves. A unit counts what it uses while it is not placed; a clone not fully placed
 * counts its first instance's use when none of its instances is among them.
 */
function colocatedUtilization(context: PlacementWork, start: PlacementUnit): Capacity {
  const units = new Map<string, PlacementUnit>();
  const clones = new Set<string>();
  const usable = context.nodes.filter(usableNode).length;
  const instancesOf = (cloneId: string) => (context.unitsByOwner.get(cloneId) ?? []).filter((unit) => unit.clone?.id === cloneId && !unit.orphan);
  const mandatory = (constraint: ColocationConstraint) => parseScore(constraint.score) >= INFINITY;
  const cloneOf = (id: string): string | undefined => {
    const found = context.unitsByOwner.get(id)?.find((unit) => unit.clone !== undefined && (unit.clone.id === id || unit.clone.bases.includes(id)));
    return found?.clone?.id;
  };
  const visitId = (id: string) => {
    const cloneId = cloneOf(id);
    if (cloneId !== undefined) visitClone(cloneId);
    else for (const unit of context.unitsByOwner.get(id) ?? []) visitUnit(unit);
  };
  const visitUnit = (unit: PlacementUnit) => {
    if (units.has(unit.id)) return;
    units.set(unit.id, unit);
    const ownIds = [...new Set([unit.id, ...unit.members.map((member) => member.id), ...unit.owners.filter((owner) => owner !== unit.clone?.id && !(unit.clone?.bases ?? []).includes(owner))])];
    for (const constraint of context.colocationsByUnit.get(unit.id) ?? []) if (mandatory(constraint)) visitId(constraint.withRsc);
    for (const id of ownIds) for (const constraint of context.index.colocationsByPrimary.get(id) ?? []) if (mandatory(constraint)) visitId(constraint.rsc);
    // A clone instance takes its clone's colocations with it as primary while the clone does not run everywhere.
    if (unit.clone !== undefined && instancesOf(unit.clone.id).length < usable) {
      for (const id of [unit.clone.id, ...unit.clone.bases]) for (const constraint of context.index.colocationsByPrimary.get(id) ?? []) if (mandatory(constraint)) visitDependentOfClone(unit.clone.id, constraint.rsc, false);
    }
  };
  const visitDependentOfClone = (cloneId: string, id: string, clonesOnly: boolean) => {
    const dependentClone = cloneOf(id);
    if (dependentClone === cloneId) return;
    if (dependentClone !== undefined) visitClone(dependentClone);
    else if (!clonesOnly) for (const unit of context.unitsByOwner.get(id) ?? []) visitUnit(unit);
  };
  const visitClone = (cloneId: string) => {
    if (clones.has(cloneId)) return;
    clones.add(cloneId);
    const instances = instancesOf(cloneId);
    const ids = new Set([cloneId, ...(instances[0]?.clone?.bases ?? [])]);
    for (const constraint of instances[0] ? context.colocationsByUnit.get(instances[0].id) ?? [] : []) if (mandatory(constraint) && ids.has(constraint.rsc)) visitId(constraint.withRsc);
    for (const id of ids) for (const constraint of context.index.colocationsByPrimary.get(id) ?? []) if (mandatory(constraint)) visitDependentOfClone(cloneId, constraint.rsc, true);
  };
  visitUnit(start);
  let total: Capacity = {};
  for (const unit of units.values()) if (unit !== start && !context.placed.has(unit.id)) total = addUtilization(total, unitUtilization(unit));
  for (const cloneId of clones) {
    const instances = instancesOf(cloneId);
    if (instances.every((unit) => context.placed.has(unit.id)) || instances.some((unit) => units.has(unit.id))) continue;
    if (instances[0] !== undefined) total = addUtilization(total, unitUtilization(instances[0]));
  }
  return total;
}

/**
 * The node for a unit under a utilization strategy, as Pacemaker sorts nodes: by score, then
 * (balanced) most free capacity, then (not minimal) fewest resources placed and the current
 * node, then name; the most capable node when preferred and scored as well as the best; the
 * current node when it scores as well as the chosen one (above 0).
 */
function chooseNodeByStrategy(context: PlacementWork, scores: Record<string, number>, current: string | undefined, prefer: string | undefined): string | undefined {
  const candidates = context.nodes.filter((node) => scores[node.name]! >= 0).map((node) => node.name);
  if (candidates.length === 0) return undefined;
  candidates.sort((left, right) => {
    const byScore = scores[right]! - scores[left]!;
    if (byScore !== 0) return byScore;
    if (context.strategy !== "minimal") {
      if (context.strategy === "balanced") { const byCapacity = compareCapacities(context.remaining.get(left), context.remaining.get(right)); if (byCapacity !== 0) return byCapacity; }
      const byLoad = (context.load.get(left) ?? 0) - (context.load.get(right) ?? 0);
      if (byLoad !== 0) return byLoad;
      if (left === current) return -1;
      if (right === current) return 1;
    }
    return left < right ? -1 : left > right ? 1 : 0;
  });
  const best = candidates[0]!;
  if (prefer !== undefined && candidates.includes(prefer) && scores[prefer]! >= scores[best]!) return prefer;
  if (current !== undefined && scores[best]! > 0 && candidates.includes(current) && scores[current] === scores[best]) return current;
  return best;
}

/**
 * Under a utilization strategy resources are placed in Pacemaker's order: higher priority
 * first, then the higher score on the node where they run, then the higher score on the
 * nodes in their order; otherwise configuration order. A clone's instances stay together.
 */
function utilizationOrder(context: PlacementWork, units: PlacementUnit[]): PlacementUnit[] {
  const groups = new Map<string, PlacementUnit[]>();
  for (const unit of units) {
    const key = unit.clone?.id ?? unit.id;
    const list = groups.get(key);
    if (list) list.push(unit); else groups.set(key, [unit]);
  }
  const nodeOrder = [...context.nodes].sort((left, right) => {
    if (context.strategy === "balanced") { const byCapacity = compareCapacities(context.remaining.get(left.name), context.remaining.get(right.name)); if (byCapacity !== 0) return byCapacity; }
    return left.name < right.name ? -1 : left.name > right.name ? 1 : 0;
  });
  const keyed = [...groups.values()].map((members, position) => {
    const unit = members[0]!;
    const member = unit.members[0]!;
    const meta = { ...flattenSets(context.cib.rscDefaults), ...unit.meta, ...flattenSets(member.meta) };
    const scores = unit.orphan ? {} : orderScores(context, unit);
    const running = members.flatMap((entry) => context.states.get(entry.members[0]!.id)?.activeOn ?? [])[0];
    return { members, position, priority: parseScore(meta.priority ?? "0"), current: running === undefined ? -INFINITY : scores[running] ?? -INFINITY, scores: nodeOrder.map((node) => scores[node.name] ?? -INFINITY) };
  });
  keyed.sort((left, right) => {
    if (left.priority !== right.priority) return right.priority - left.priority;
    if (left.current !== right.current) return right.current - left.current;
    for (let index = 0; index < left.scores.length; index++) if (left.scores[index] !== right.scores[index]) return right.scores[index]! - left.scores[index]!;
    return left.position - right.position;
  });
  return keyed.flatMap((entry) => entry.members);
}

/**
 * A unit's node scores as Pacemaker weighs them when it orders resources for placement
 * (cmp_resources): a clone's own (its locations, without its instances' stickiness), a
 * group's last member's with each member before it (the group's internal
 * colocations), a primitive's own; then, for each resource it is colocated with, that
 * resource's scores times the colocation's score over INFINITY, and so on along those
 * resources' own colocations (pcmk__add_colocated_node_scores); a merge that would leave no
 * node usable is dropped.
 */
function orderScores(context: PlacementWork, unit: PlacementUnit): Record<string, number> {
  const visiting = new Set<string>([unit.id]);
  let scores = ownScores(context, unit, "last");
  for (const member of [...unit.members].reverse().slice(1)) {
    const merged = mergeColocated(context, scores, ownScoresOfMember(context, unit, member), 1);
    if (merged === undefined) break;
    scores = merged;
  }
  return withColocatedPrimaries(context, unit, scores, 1, visiting);
}

/** The scores of each resource this unit is colocated with, merged in turn (a merge that leaves no node usable is dropped with what follows it). */
function withColocatedPrimaries(context: PlacementWork, unit: PlacementUnit, scores: Record<string, number>, outer: number, visiting: Set<string>): Record<string, number> {
  let result = scores;
  const sign = outer < 0 ? -1 : 1;
  for (const colocation of context.colocationsByUnit.get(unit.id) ?? []) {
    if (unit.owners.includes(colocation.withRsc) || unit.members.some((member) => member.id === colocation.withRsc)) continue;
    const primary = context.unitsByOwner.get(colocation.withRsc)?.[0];
    if (primary === undefined || visiting.has(primary.id)) continue;
    const factor = sign * parseScore(colocation.score) / INFINITY;
    visiting.add(primary.id);
    const merged = mergeColocated(context, result, ownScores(context, primary, "first"), factor, colocation.extra["node-attribute"]);
    if (merged !== undefined) result = withColocatedPrimaries(context, primary, merged, factor, visiting);
    visiting.delete(primary.id);
  }
  return result;
}

/** A unit's own scores: a clone's (no instance stickiness), otherwise those of its first or last member. */
function ownScores(context: PlacementWork, unit: PlacementUnit, which: "first" | "last"): Record<string, number> {
  return ownScoresOfMember(context, unit, which === "first" ? unit.members[0]! : unit.members[unit.members.length - 1]!);
}

function ownScoresOfMember(context: PlacementWork, unit: PlacementUnit, member: PlacementUnit["members"][number]): Record<string, number> {
  const collective = unit.clone !== undefined;
  return scoresFor(context.owners.get(member.id) ?? [member.id], context.cib, member, context.nodes, collective ? undefined : context.states.get(member.id), context.cluster.symmetricCluster, context.nowSeconds, context.index, unit.meta, collective, unit.clone?.anonymous === true);
}

/**
 * Adds another resource's scores times a factor, as Pacemaker does (rounded, at least 1 in
 * size when neither is zero, a negative factor never turning a negative score into a
 * preference); with node-attribute, a node takes the best score among the nodes that share
 * its value. Undefined when no usable node would be left at or above 0.
 */
function mergeColocated(context: PlacementWork, scores: Record<string, number>, other: Record<string, number>, factor: number, attribute?: string): Record<string, number> | undefined {
  const merged: Record<string, number> = { ...scores };
  for (const node of context.nodes) {
    const score = bestMatchingScore(context.nodes, other, node, attribute);
    if (factor < 0 && score < 0) continue;
    const product = factor * score;
    let weight = product < 0 ? -Math.round(-product) : Math.round(product);
    if (weight === 0 && score !== 0) weight = factor > 0 ? 1 : factor < 0 ? -1 : 0;
    merged[node.name] = addScores(weight, scores[node.name] ?? -INFINITY);
  }
  return context.nodes.some((node) => usableNode(node) && merged[node.name]! >= 0) ? merged : undefined;
}
