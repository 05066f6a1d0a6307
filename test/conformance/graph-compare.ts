// Compares the scheduler's graph (the operations the DC runs and their ordering) with the
// transition graph Pacemaker's crm_simulate writes (`crm_simulate -x X -S -G graph.xml`).
//
// How the two are made comparable:
// - operations: fence (reboot/off), start, stop, promote, demote on a resource and node (a
//   clone instance by its instance name, Pacemaker's long-id). Left out on both sides:
//   Pacemaker's pseudo-events (group/clone start, running, stop, stopped, the stops that
//   fencing implies), probes and recurring monitors (edgeha's nodes probe before the DC plans
//   and its executor runs a resource's monitors itself), cancels, fail-count clearing,
//   shutdown events, and clone notifications (edgeha sends them per node, not per instance);
// - ordering: "a before b" for every pair of compared operations, taken transitively through
//   every operation of the graph (Pacemaker orders through its pseudo-events); the two
//   graphs order alike when these relations are equal on the operations both have.
import type { GraphOperation } from "../../src/scheduler";

export interface ComparableGraph {
  /** "kind resource node" or "fence kind node". */
  operations: Set<string>;
  /** "a -> b" for compared operations a and b, a transitively before b. */
  before: Set<string>;
}

const COMPARED = new Set(["start", "stop", "promote", "demote", "migrate_to", "migrate_from"]);

function closure(keys: Map<number, string>, after: Map<number, number[]>): Set<string> {
  const before = new Set<string>();
  for (const [id, key] of keys) {
    const seen = new Set<number>();
    const stack = [...(after.get(id) ?? [])];
    while (stack.length > 0) {
      const next = stack.pop()!;
      if (seen.has(next)) continue;
      seen.add(next);
      const other = keys.get(next);
      if (other !== undefined) before.add(`${other} -> ${key}`);
      stack.push(...(after.get(next) ?? []));
    }
  }
  return before;
}

const attribute = (text: string, name: string) => new RegExp(`(?:^|\\s)${name}="([^"]*)"`).exec(text)?.[1];

/** Pacemaker's graph.xml, read as synapses: each one action and the actions it waits for. */
export function pacemakerGraph(xml: string): ComparableGraph {
  const keys = new Map<number, string>();
  const after = new Map<number, number[]>();
  for (const synapse of xml.split("<synapse").slice(1)) {
    const [actionSet, inputs = ""] = synapse.split("<inputs");
    const element = /<(rsc_op|pseudo_event|crm_event)\s([^>]*)>/.exec(actionSet!);
    if (!element) continue;
    const id = Number(attribute(element[2]!, "id"));
    after.set(id, [...inputs.matchAll(/<(?:rsc_op|pseudo_event|crm_event)\s(?:[^>]*\s)?id="(\d+)"/g)].map((match) => Number(match[1])));
    const operation = attribute(element[2]!, "operation") ?? "";
    const node = attribute(element[2]!, "on_node") ?? "";
    if (element[1] === "crm_event" && operation === "stonith") {
      const kind = /CRM_meta_stonith_action="([^"]*)"/.exec(actionSet!)?.[1] ?? "reboot";
      keys.set(id, `fence ${kind} ${node}`);
    } else if (element[1] === "rsc_op" && COMPARED.has(operation)) {
      const primitive = /<primitive\s([^>]*)>/.exec(actionSet!)?.[1] ?? "";
      keys.set(id, `${operation} ${attribute(primitive, "long-id") ?? attribute(primitive, "id")} ${node}`);
    }
  }
  return { operations: new Set(keys.values()), before: closure(keys, after) };
}

export function edgehaGraph(operations: readonly GraphOperation[]): ComparableGraph {
  const keys = new Map<number, string>();
  const after = new Map<number, number[]>();
  for (const operation of operations) {
    after.set(operation.id, operation.after);
    if (operation.kind === "fence") keys.set(operation.id, `fence ${operation.fenceAction ?? "reboot"} ${operation.node}`);
    else if (COMPARED.has(operation.kind)) keys.set(operation.id, `${operation.kind} ${operation.resource} ${operation.node}`);
  }
  return { operations: new Set(keys.values()), before: closure(keys, after) };
}

export interface GraphDifference {
  sameOperations: boolean;
  sameOrdering: boolean;
  missingOperations: string[];
  extraOperations: string[];
  /** Orderings Pacemaker has and edgeha lacks, and the reverse, among operations both have. */
  missingOrderings: string[];
  extraOrderings: string[];
}

export function compareGraphs(ours: ComparableGraph, theirs: ComparableGraph): GraphDifference {
  const missingOperations = [...theirs.operations].filter((key) => !ours.operations.has(key)).sort();
  const extraOperations = [...ours.operations].filter((key) => !theirs.operations.has(key)).sort();
  const common = (pair: string) => { const [left, right] = pair.split(" -> "); return ours.operations.has(left!) && theirs.operations.has(left!) && ours.operations.has(right!) && theirs.operations.has(right!); };
  const missingOrderings = [...theirs.before].filter((pair) => common(pair) && !ours.before.has(pair)).sort();
  const extraOrderings = [...ours.before].filter((pair) => common(pair) && !theirs.before.has(pair)).sort();
  return { sameOperations: missingOperations.length === 0 && extraOperations.length === 0, sameOrdering: missingOrderings.length === 0 && extraOrderings.length === 0, missingOperations, extraOperations, missingOrderings, extraOrderings };
}
