// Utilization (part of pass 4): with placement-strategy utilization, minimal or balanced,
// nodes have capacities (node utilization attributes) and resources use some of them
// (resource utilization attributes), as Pacemaker's pcmk_sched_utilization.c reads them:
// - before a resource is placed, nodes without the remaining capacity for it and the
//   unplaced resources mandatorily colocated with it are ruled out (if no node has room for
//   them all, only the nodes without room for the resource itself, and the node with the
//   most free capacity is preferred);
// - a placed resource uses its node's capacity;
// - nodes of equal score are ranked: minimal by name only (packing resources onto few
//   nodes), balanced by most free capacity first, then by fewest resources placed.
// With the default strategy utilization is ignored.
import { flattenSets, type Cib } from "../cib";
import type { NodeState, PlacementUnit } from "./types";

export type Capacity = Record<string, number>;

/** A utilization value as Pacemaker reads it: an integer, anything else counts as 0. */
function value(text: string | undefined): number {
  if (text === undefined) return 0;
  const match = /^\s*[+-]?\d+/.exec(text);
  return match ? Number(match[0]) : 0;
}

export function nodeCapacities(cib: Cib, nodes: readonly NodeState[]): Map<string, Capacity> {
  const capacities = new Map<string, Capacity>();
  for (const node of nodes) {
    const configured = cib.nodes.find((entry) => entry.uname === node.name);
    const capacity: Capacity = {};
    for (const [name, text] of Object.entries(flattenSets(configured?.utilization ?? []))) capacity[name] = value(text);
    capacities.set(node.name, capacity);
  }
  return capacities;
}

/** What a unit uses: the sum over its members. */
export function unitUtilization(unit: PlacementUnit): Capacity {
  const total: Capacity = {};
  for (const member of unit.members) for (const [name, text] of Object.entries(flattenSets(member.utilization ?? []))) total[name] = (total[name] ?? 0) + value(text);
  return total;
}

export function addUtilization(total: Capacity, more: Capacity): Capacity {
  const result = { ...total };
  for (const [name, amount] of Object.entries(more)) result[name] = (result[name] ?? 0) + amount;
  return result;
}

export function hasCapacity(remaining: Capacity | undefined, required: Capacity): boolean {
  for (const [name, amount] of Object.entries(required)) if (amount > (remaining?.[name] ?? 0)) return false;
  return true;
}

export function consume(remaining: Capacity | undefined, used: Capacity): void {
  if (!remaining) return;
  for (const [name, amount] of Object.entries(used)) if (name in remaining) remaining[name] = remaining[name]! - amount;
}

/**
 * Pacemaker's comparison of two nodes' remaining capacities: negative when the first has more
 * free capacity in more attributes than the second, positive in the other case.
 */
export function compareCapacities(first: Capacity | undefined, second: Capacity | undefined): number {
  let result = 0;
  const names = new Set([...Object.keys(first ?? {}), ...Object.keys(second ?? {})]);
  for (const name of names) {
    const left = first?.[name] ?? 0;
    const right = second?.[name] ?? 0;
    if (left > right) result--;
    else if (left < right) result++;
  }
  return result;
}
