// Unfencing, Pacemaker's rules (order_after_unfencing in its native resource code): once a
// fencing device provides unfencing (meta provides=unfencing), the fencing devices and every
// resource that needs unfencing (requires=unfencing, or no requires) are "unfencing users". A
// node that has never been unfenced (no #node-unfenced attribute) is unfenced ("fence on")
// before such a resource is probed there (history.ts) or started there: the start requires it.
// The graph orders the "fence on" before those starts (graph.ts orderUnfencing). Pure.
import { allPrimitives, flattenSets, type Cib, type Primitive } from "../cib";
import type { GraphOperation, NodeState, PlacementUnit, ScheduledAction } from "./types";

/** The members that need unfencing, by id (clone instances included); none unless a device provides unfencing. */
export function unfencingUsers(cib: Cib, units: readonly PlacementUnit[]): Primitive[] {
  const metaOf = (unit: PlacementUnit, member: Primitive) => ({ ...flattenSets(cib.rscDefaults), ...unit.meta, ...flattenSets(member.meta) });
  const members = units.filter((unit) => !unit.orphan).flatMap((unit) => unit.members.map((member) => ({ member, meta: metaOf(unit, member) })));
  if (!members.some(({ member, meta }) => member.class === "stonith" && (meta.provides ?? "").toLowerCase() === "unfencing")) return [];
  return members.filter(({ member, meta }) => member.class === "stonith" || ["", "unfencing"].includes((meta.requires ?? "").toLowerCase())).map(({ member }) => member);
}

/**
 * Whether the configuration has a fencing device that provides unfencing (meta provides=unfencing,
 * its own or the resource defaults'): then the DC's graph unfences the nodes, as Pacemaker's does.
 */
export function dcUnfences(cib: Cib): boolean {
  const defaults = flattenSets(cib.rscDefaults);
  return allPrimitives(cib.resources).some((primitive) => primitive.class === "stonith" && ({ ...defaults, ...flattenSets(primitive.meta) }.provides ?? "").toLowerCase() === "unfencing");
}

/** A node that may be unfenced now and never was: online, clean, not shutting down, without #node-unfenced. */
export function neverUnfenced(node: NodeState): boolean {
  return node.online && !node.unclean && !node.shuttingDown && node.attributes["#node-unfenced"] === undefined;
}

/**
 * The unfencing the graph's starts require: a "fence on" for each node never unfenced where an
 * unfencing user starts (or migrates in), unless the actions unfence it already.
 */
export function unfencingForStarts(cib: Cib, units: readonly PlacementUnit[], nodes: readonly NodeState[], actions: readonly ScheduledAction[], operations: readonly GraphOperation[], stonithEnabled: boolean): ScheduledAction[] {
  if (!stonithEnabled) return [];
  const users = new Set(unfencingUsers(cib, units).map((member) => member.id));
  if (users.size === 0) return [];
  const unfencing = new Set(actions.filter((action) => action.action === "fence" && action.kind === "on").map((action) => action.node));
  const byName = new Map(nodes.map((node) => [node.name, node]));
  const result: ScheduledAction[] = [];
  for (const operation of operations) {
    if ((operation.kind !== "start" && operation.kind !== "migrate_from") || operation.resource === undefined || !users.has(operation.resource)) continue;
    const node = byName.get(operation.node);
    if (node === undefined || unfencing.has(node.name) || !neverUnfenced(node)) continue;
    unfencing.add(node.name);
    result.push({ action: "fence", node: node.name, kind: "on", reason: `required by ${operation.resource} ${operation.kind === "start" ? "start" : "migrate_from"}` });
  }
  return result;
}
