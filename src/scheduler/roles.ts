// Roles and promotion (part of pass 4): promotion scores (which also rank a promotable
// clone's instances, see instances.ts), the promotion preferences that steer their placement,
// and which instances are promoted (promoted-max, promoted-node-max, promotion scores from node attributes,
// role location rules and colocations with the Promoted role).
import { flattenSets, parseScore } from "../cib";
import { ruleMatches } from "./rules";
import { metaOf, scoresFor } from "./scores";
import { addScores, INFINITY, isFalse, isRole, truthy, type NodeState, type PlacementUnit } from "./types";
import { assignedMembers, colocationHasInfluence, nodesWhereColocationHolds, usableNode, type PlacementWork } from "./placement";

export function canHostInstances(node: NodeState): boolean {
  return node.online && !node.standby && !node.unclean && !node.shuttingDown && node.maintenance !== true;
}

/**
 * The promotion score (node attribute) of a promotable instance on a node, where it counts:
 * where the instance runs; for an anonymous clone, where no instance runs and some instance
 * has history there (a probe tells about the resource, whichever instance number it was
 * given: Pacemaker's anonymous_known_on); everywhere when it has neither run nor history
 * anywhere; else where it has history. Undefined where it does not count or no attribute is
 * set. Groups sum their members', each member judged by its own instances.
 */
export function instancePromotionScore(context: PlacementWork, unit: PlacementUnit, node: NodeState, instances: PlacementUnit[]): number | undefined {
  const clone = unit.clone!;
  let total: number | undefined;
  unit.members.forEach((member, index) => {
    const state = context.states.get(member.id);
    const active = state?.activeOn ?? [];
    const known = state?.knownOn ?? [];
    const sameMember = (other: PlacementUnit) => context.states.get(other.members[index]?.id ?? "");
    const activeHere = () => instances.some((other) => (sameMember(other)?.activeOn ?? []).includes(node.name));
    const knownHere = () => instances.some((other) => (sameMember(other)?.knownOn ?? []).includes(node.name));
    const counts = active.includes(node.name) || (clone.anonymous && !activeHere() && knownHere())
      || (active.length === 0 && known.length === 0) || known.includes(node.name);
    if (!counts) return;
    const historyId = state?.historyIds?.[node.name];
    const value = (historyId ? node.attributes[`master-${historyId}`] : undefined) ?? node.attributes[`master-${member.id}`] ?? node.attributes[`master-${clone.bases[index]!}`];
    if (value !== undefined) total = addScores(total ?? 0, parseScore(value));
  });
  return total;
}

/** A promotable instance prefers, for placement, the nodes where its promotion score is positive. */
export function withPromotionPreferences(context: PlacementWork, unit: PlacementUnit, combined: Record<string, number>): Record<string, number> {
  const instances = context.unitsByOwner.get(unit.clone!.id)?.filter((other) => other.clone?.id === unit.clone!.id) ?? [unit];
  const result = { ...combined };
  for (const node of context.nodes) {
    if (!canHostInstances(node) || result[node.name]! < 0) continue;
    const score = instancePromotionScore(context, unit, node, instances) ?? 0;
    if (score > 0) result[node.name] = addScores(result[node.name]!, score);
  }
  return result;
}

/**
 * Promotion score of an instance on a node: the node's master-<resource> attribute where it
 * counts (instancePromotionScore; -1 when it has none or it does not count there), plus location constraints and rules for the Promoted role, plus colocations of
 * the clone's Promoted role with placed resources; when that is not negative, the clone's own
 * location scores on the node for any role are added (Pacemaker sorts instances by the clone's
 * node weight with their promotion scores added in).
 */
export function promotionScore(context: PlacementWork, unit: PlacementUnit, node: NodeState, instances: PlacementUnit[]): number {
  // Pacemaker's set_instance_priority reads the attribute through the same rule as placement
  // (promotion_score_applies): an instance moving to a node where the resource was never probed
  // ignores the score there, so it arrives Unpromoted and is promoted after the probe.
  let total = instancePromotionScore(context, unit, node, instances) ?? -1;
  let cloneWeight = 0;
  const owners = new Set([unit.id, ...unit.owners, ...unit.clone!.bases]);
  for (const constraint of context.cib.constraints) {
    if (constraint.kind === "location" && owners.has(constraint.rsc)) {
      // A location of the clone itself for any role is part of the clone's own weight on the
      // node, which a promotion score that is not negative is added to (Pacemaker's final sort index).
      const ofClone = (role: string | undefined) => constraint.rsc === unit.clone!.id && (role === undefined || isRole(role, "Started"));
      if (constraint.node !== undefined) {
        if (constraint.node === node.name && isRole(constraint.role, "Promoted")) total = addScores(total, parseScore(constraint.score));
        else if (constraint.node === node.name && ofClone(constraint.role)) cloneWeight = addScores(cloneWeight, parseScore(constraint.score));
        continue;
      }
      for (const rule of constraint.rules) {
        const role = rule.role ?? constraint.role;
        if (!(isRole(role, "Promoted") || ofClone(role)) || !ruleMatches(rule, node.attributes, { now: context.nowSeconds })) continue;
        if (!isRole(role, "Promoted")) { cloneWeight = addScores(cloneWeight, rule.scoreAttribute !== undefined ? parseScore(node.attributes[rule.scoreAttribute]) : parseScore(rule.score)); continue; }
        total = addScores(total, rule.scoreAttribute !== undefined ? parseScore(node.attributes[rule.scoreAttribute]) : parseScore(rule.score));
      }
    } else if (constraint.kind === "colocation" && owners.has(constraint.rsc) && isRole(constraint.rscRole, "Promoted")) {
      const withRole = constraint.withRscRole !== undefined && isRole(constraint.withRscRole, "Promoted") ? "#Promoted" : "";
      const primaryNodes = context.placedOn.get(constraint.withRsc + withRole) ?? [];
      const value = parseScore(constraint.score);
      // By node-attribute with a primitive or group (pcmk__apply_coloc_to_priority); a promotable
      // primary's instances are matched by node (nodesWhereColocationHolds, as mandatory).
      if (nodesWhereColocationHolds(context, constraint, primaryNodes, true).has(node.name)) total = addScores(total, value);
      else if (value >= INFINITY) total = -INFINITY;
    } else if (constraint.kind === "colocation" && owners.has(constraint.rsc) && isRole(constraint.rscRole, "Unpromoted")) {
      // An instance that is to stay Unpromoted with the primary: where it runs with it, the score
      // counts against its promotion (Pacemaker's pcmk__apply_coloc_to_priority).
      const withRole = constraint.withRscRole !== undefined && isRole(constraint.withRscRole, "Promoted") ? "#Promoted" : "";
      if (nodesWhereColocationHolds(context, constraint, context.placedOn.get(constraint.withRsc + withRole) ?? [], true).has(node.name)) total = addScores(total, -parseScore(constraint.score));
    }
  }
  // The instance's priority is final here; a negative one is never promoted (Pacemaker's sort index).
  if (total < 0) return total;
  // A resource that must run with the Promoted role pulls promotion toward the nodes it prefers:
  // its scores are merged into the clone's weight on the node, which already holds the instance's
  // priority (pcmk__set_instance_roles: add_sort_index_to_node_score, then apply_coloc_to_primary),
  // so the merge sees the priority whatever order the constraints are listed in.
  let weight = addScores(cloneWeight, total);
  for (const constraint of context.cib.constraints) {
    if (constraint.kind !== "colocation" || !owners.has(constraint.withRsc) || owners.has(constraint.rsc) || !isRole(constraint.withRscRole, "Promoted") || parseScore(constraint.score) <= 0) continue;
    if (!colocationHasInfluence(context, constraint)) continue;
    const factor = parseScore(constraint.score) / INFINITY;
    for (const dependent of context.unitsByOwner.get(constraint.rsc) ?? []) {
      if (dependent.clone) continue;
      const position = Math.max(0, dependent.members.findIndex((member) => member.id === constraint.rsc));
      weight = withColocatedWeights(context, dependent, position, node, weight, factor, new Set());
    }
  }
  return weight;
}

/** A weight a merge would have turned negative: it takes no further merge in that step, and is 1 after it. */
const HELD = Number.NEGATIVE_INFINITY;

/**
 * Merges into a promotion weight on a node a dependent member's score there, then, in turn,
 * the scores of what depends on it: the next member of its group (colocated with it at
 * INFINITY) and resources colocated with it (with the last member, for the group), each at
 * the colocation's score over INFINITY with the outer factor's sign (Pacemaker's
 * pcmk__add_colocated_node_scores keeping weights non-negative: a positive weight that would
 * turn negative is held, and ends the step at 1; a weight of 0 stays 0).
 * Pacemaker also drops a step that would leave no node of the clone usable; that check over
 * all nodes is not made here.
 */
function withColocatedWeights(context: PlacementWork, dependent: PlacementUnit, index: number, node: NodeState, weight: number, factor: number, merging: Set<string>): number {
  const member = dependent.members[index]!;
  if (merging.has(member.id)) return weight;
  merging.add(member.id);
  const scores = scoresFor(context.owners.get(member.id) ?? [member.id], context.cib, member, context.nodes, context.states.get(member.id), context.cluster.symmetricCluster, context.nowSeconds, context.index, dependent.meta);
  let result = nonNegativeMerge(weight, usableNode(node) ? scores[node.name]! : -INFINITY, factor);
  const sign = factor < 0 ? -1 : 1;
  if (index + 1 < dependent.members.length) result = withColocatedWeights(context, dependent, index + 1, node, result, sign, merging);
  const primaries = new Set([member.id, ...(index === dependent.members.length - 1 ? [dependent.id, ...dependent.owners] : [])]);
  for (const id of primaries) for (const colocation of context.index.colocationsByPrimary.get(id) ?? []) {
    const next = parseScore(colocation.score) / INFINITY;
    if (next === 0 || !colocationHasInfluence(context, colocation)) continue;
    for (const other of context.unitsByOwner.get(colocation.rsc) ?? []) {
      if (other.clone || other.id === dependent.id) continue;
      const position = Math.max(0, other.members.findIndex((entry) => entry.id === colocation.rsc));
      result = withColocatedWeights(context, other, position, node, result, sign * next, merging);
    }
  }
  merging.delete(member.id);
  return result === HELD ? 1 : result;
}

/** One merge keeping a weight non-negative (see withColocatedWeights). */
function nonNegativeMerge(weight: number, score: number, factor: number): number {
  if (weight === HELD || (factor < 0 && score < 0)) return weight;
  const scaled = score * factor;
  let rounded = scaled < 0 ? Math.ceil(scaled - 0.5) : Math.floor(scaled + 0.5);
  if (rounded === 0 && score !== 0) rounded = factor > 0 ? 1 : -1;
  const next = addScores(weight, Math.max(-INFINITY, Math.min(INFINITY, rounded)));
  if (next < 0 && weight > 0) return HELD;
  if (next < 0 && weight === 0) return weight;
  return next;
}

/**
 * Where a promotable clone's instances run in the Unpromoted role after promotion is chosen:
 * what a colocation with its Unpromoted role follows.
 */
export function recordUnpromotedNodes(context: PlacementWork, cloneId: string, instances: PlacementUnit[]): void {
  const nodes = instances.filter((unit) => !context.promoted.has(unit.id)).map((unit) => context.placed.get(unit.id)).filter((node): node is string => node !== undefined);
  for (const owner of new Set([cloneId, ...instances[0]!.owners, ...instances[0]!.clone!.bases])) context.placedOn.set(`${owner}#Unpromoted`, nodes);
}

/** Promotes up to promoted-max placed instances (promoted-node-max per node), best promotion score first. */
export function choosePromoted(context: PlacementWork, cloneId: string, instances: PlacementUnit[], limits: { max: number; nodeMax: number }): void {
  const meta = { ...flattenSets(context.cib.rscDefaults), ...instances[0]!.meta };
  const max = isRole(meta["target-role"], "Unpromoted") ? 0 : limits.max;
  const candidates = instances.flatMap((unit) => {
    // An instance that would start but for quorum is still ranked: its start is reported (blocked) as a promote.
    const target = context.placed.get(unit.id) ?? context.quorumBlocked.get(unit.id);
    const node = target === undefined ? undefined : context.nodes.find((entry) => entry.name === target);
    if (!node) return [];
    // An instance of a cloned group is promoted only if every member will be active with it
    // (Pacemaker's node_to_be_promoted_on): a member that may not run there (a ban, a reached
    // migration-threshold, target-role Stopped) keeps the whole instance Unpromoted. A member held
    // where it is (blocked, unmanaged) stays active there.
    if (unit.members.length > 1 && !allMembersActive(context, unit, node.name)) return [];
    // A failed instance (to be recovered) ranks after one that did not fail, as Pacemaker's instance comparison has it.
    const failed = unit.members.some((member) => (context.states.get(member.id)?.failedOn ?? []).length > 0);
    const state = context.states.get(unit.members[0]!.id);
    const promoted = (state?.promotedOn ?? []).length > 0;
    // The instance's current role, wherever it runs: Promoted, then Unpromoted (active), then Stopped.
    const currentRole = promoted ? 2 : (state?.activeOn.length ?? 0) > 0 ? 1 : 0;
    return [{ unit, node: node.name, score: promotionScore(context, unit, node, instances), currentRole, promoted, failed }];
  });
  // Equal scores: the higher current role first, as Pacemaker's cmp_promotable_instance has it,
  // then the instance comparison (one that did not fail first), then the instance number.
  candidates.sort((left, right) => right.score - left.score || right.currentRole - left.currentRole || Number(left.failed) - Number(right.failed) || left.unit.clone!.instance - right.unit.clone!.instance);
  const perNode = new Map<string, number>();
  const promotedNodes: string[] = [];
  let chosen = 0;
  for (const candidate of candidates) {
    if (chosen >= max || candidate.score < 0 || (perNode.get(candidate.node) ?? 0) >= limits.nodeMax) continue;
    // Without quorum under no-quorum-policy=freeze nothing is promoted that is not Promoted
    // already, wherever it is now (Pacemaker's set_instance_role looks at the current role):
    // a Promoted instance that moves keeps its role.
    if (context.policy === "freeze" && !candidate.promoted) continue;
    perNode.set(candidate.node, (perNode.get(candidate.node) ?? 0) + 1);
    chosen++;
    // Under no-quorum-policy=demote without quorum, an instance chosen for promotion that runs
    // stays Unpromoted, and still takes its place among the promoted-max; one that would start
    // stays chosen, its start (so its promotion) blocked (Pacemaker's effective_quorum_policy
    // caps only instances whose current role is Promoted or Unpromoted).
    if (context.policy === "demote" && !context.quorumBlocked.has(candidate.unit.id)) continue;
    promotedNodes.push(candidate.node);
    context.promoted.add(candidate.unit.id);
  }
  for (const owner of new Set([cloneId, ...instances[0]!.owners, ...instances[0]!.clone!.bases])) context.placedOn.set(`${owner}#Promoted`, promotedNodes);
  recordUnpromotedNodes(context, cloneId, instances);
}

/** Whether every member of a cloned group's instance will be active on the node its instance is placed on. */
function allMembersActive(context: PlacementWork, unit: PlacementUnit, node: string): boolean {
  const assigned = assignedMembers(context, unit);
  return unit.members.every((member, index) => {
    const meta = { ...unit.meta, ...metaOf(context.cib, member) };
    if (context.cluster.maintenanceMode || isFalse(meta["is-managed"]) || truthy(meta.maintenance)) return (context.states.get(member.id)?.activeOn ?? []).includes(node);
    if (context.failureEffects.blockedMembers.has(`${member.id}@${node}`)) return true;
    return index < assigned && (context.scores[member.id]?.[node] ?? 0) >= 0;
  });
}
