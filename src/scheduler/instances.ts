// Clone instance assignment (part of pass 4): the order a clone's instances are placed in, and
// whether an active instance keeps its node in the first round (Pacemaker 2.1.5's
// pcmk__cmp_instance and distribute_children). Which number goes where decides which instance
// stops, starts, moves or is promoted, so it follows Pacemaker's rules to the letter.
import { flattenSets, parseScore } from "../cib";
import { instancePromotionScore, canHostInstances } from "./roles";
import { scoresFor } from "./scores";
import type { PlacementWork } from "./placement";
import type { NodeState, PlacementUnit } from "./types";

/** What the order of instances is decided on, for one instance. */
interface InstanceFacts {
  unit: PlacementUnit;
  position: number;
  /** Nodes the instance is active on. */
  activeOn: string[];
  /** Its current node is one its own scores rule out (a ban, migration-threshold reached). */
  onDisallowedNode: boolean;
  priority: number;
  currentUsable: boolean;
  failed: boolean;
}

/**
 * The order a clone's instances are assigned in, as Pacemaker's pcmk__cmp_instance sorts them:
 * of two active instances the one active on fewer nodes first; one active on a node its own
 * scores rule out last; higher priority first (a promotable instance's priority is its best
 * promotion score); active before inactive (two inactive ones keep instance order); one whose
 * node can run resources first; one that did not fail first; then by instance number.
 * (Pacemaker also weighs the clone's colocations on the current nodes before the number; that
 * step is not modelled.)
 */
export function assignmentOrder(context: PlacementWork, instances: PlacementUnit[]): PlacementUnit[] {
  const facts = instances.map((unit, position) => instanceFacts(context, unit, position, instances));
  return [...facts].sort(compareInstances).map((entry) => entry.unit);
}

function compareInstances(left: InstanceFacts, right: InstanceFacts): number {
  const leftActive = left.activeOn.length > 0;
  const rightActive = right.activeOn.length > 0;
  if (leftActive && rightActive && left.activeOn.length !== right.activeOn.length) return left.activeOn.length - right.activeOn.length;
  if (left.onDisallowedNode !== right.onDisallowedNode) return left.onDisallowedNode ? 1 : -1;
  if (left.priority !== right.priority) return right.priority - left.priority;
  if (!leftActive || !rightActive) return leftActive === rightActive ? left.position - right.position : leftActive ? -1 : 1;
  if (left.currentUsable !== right.currentUsable) return left.currentUsable ? -1 : 1;
  if (left.failed !== right.failed) return left.failed ? 1 : -1;
  return left.position - right.position;
}

function instanceFacts(context: PlacementWork, unit: PlacementUnit, position: number, instances: PlacementUnit[]): InstanceFacts {
  const activeOn = [...new Set(unit.members.flatMap((member) => context.states.get(member.id)?.activeOn ?? []))];
  const current = context.nodes.find((node) => node.name === activeOn[0]);
  const currentUsable = current !== undefined && canHostInstances(current);
  // A node that cannot run resources is judged by the next rule (its node can run resources), not as a ban.
  const onDisallowedNode = current !== undefined && currentUsable && unit.members.some((member) => memberScores(context, unit, member)[current.name]! < 0);
  const failed = unit.members.some((member) => (context.states.get(member.id)?.failedOn.length ?? 0) > 0);
  return { unit, position, activeOn, onDisallowedNode, priority: instancePriority(context, unit, instances), currentUsable, failed };
}

function memberScores(context: PlacementWork, unit: PlacementUnit, member: PlacementUnit["members"][number]): Record<string, number> {
  const { cib, nodes, cluster } = context;
  return scoresFor(context.owners.get(member.id) ?? [member.id], cib, member, nodes, context.states.get(member.id), cluster.symmetricCluster, context.nowSeconds, context.index, unit.meta, true, unit.clone?.anonymous === true);
}

/**
 * An instance's priority: its meta attribute priority, raised for a promotable instance to its
 * best promotion score on a node able to run it (Pacemaker's pcmk__add_promotion_scores).
 */
function instancePriority(context: PlacementWork, unit: PlacementUnit, instances: PlacementUnit[]): number {
  // The instance is the group copy when the child is a group, else the primitive itself.
  const meta = { ...flattenSets(context.cib.rscDefaults), ...unit.meta, ...(unit.clone?.group === undefined ? flattenSets(unit.members[0]!.meta) : {}) };
  let priority = parseScore(meta.priority ?? "0");
  if (!unit.clone?.promotable) return priority;
  for (const node of context.nodes.filter(canHostInstances)) priority = Math.max(priority, instancePromotionScore(context, unit, node as NodeState, instances) ?? 0);
  return priority;
}

/**
 * The node an active instance may keep in the first round of its clone's placement, before any
 * other instance is placed (Pacemaker's distribute_children): the node it runs on (the first,
 * when it runs on several), if that node can run resources and holds fewer of the clone's
 * instances than an even share (clone-max over the usable nodes, at least 1). A failed
 * primitive instance waits for the second round.
 */
export function firstRoundNode(context: PlacementWork, unit: PlacementUnit): string | undefined {
  const clone = unit.clone;
  if (clone === undefined) return undefined;
  const activeOn = unit.members.flatMap((member) => context.states.get(member.id)?.activeOn ?? []);
  const node = context.nodes.find((entry) => entry.name === activeOn[0]);
  if (node === undefined || !canHostInstances(node)) return undefined;
  if (clone.group === undefined && (context.states.get(unit.members[0]!.id)?.failedOn.length ?? 0) > 0) return undefined;
  const instanceCount = (context.unitsByOwner.get(clone.id) ?? []).filter((other) => other.clone?.id === clone.id && !other.orphan).length;
  const usable = context.nodes.filter(canHostInstances).length;
  const evenShare = Math.max(1, usable === 0 ? 1 : Math.floor(instanceCount / usable));
  if ((context.cloneCounts.get(clone.id)?.get(node.name) ?? 0) >= evenShare) return undefined;
  return node.name;
}

/** Whether an instance keeps its first-round node: it may run there and no node scores higher. */
export function keepsFirstRoundNode(scores: Record<string, number>, node: string): boolean {
  const score = scores[node]!;
  return score >= 0 && Object.values(scores).every((other) => other <= score);
}
