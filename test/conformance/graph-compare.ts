// Compares the scheduler's graph (the operations the DC runs and their ordering) with the
// transition graph Pacemaker's crm_simulate writes (`crm_simulate -x X -S -G graph.xml`).
//
// How the two are made comparable (each a difference of modelling, not of what runs):
// - operations: fence (reboot/off/on), start, stop, promote, demote, migrate_to, migrate_from on
//   a resource and node. A clone instance is named as the executor knows it: a unique clone's
//   instance by its instance name, an anonymous clone's by its primitive's id (Pacemaker's graph
//   gives the id the node's history uses, and the instance only as long-id; edgeha's executor
//   runs "web:1" as web on that node), so which instance number an anonymous clone's history
//   went to does not count (two instances on one node, clone-node-max > 1, become one
//   operation). A clone is anonymous unless globally-unique, or when it holds a class that
//   cannot be unique (anonymousClonePrimitives).
// - left out on both sides: Pacemaker's pseudo-events (group/clone start, running, stop,
//   stopped, the stops that fencing implies), probes and recurring monitors (edgeha's nodes
//   probe before the DC plans and its executor runs a resource's monitors itself), cancels,
//   fail-count clearing, shutdown events, and clone notifications (edgeha sends them per node,
//   not per instance);
// - ordering: "a before b" for every pair of compared operations, taken transitively through
//   every operation of the graph but the probes (Pacemaker orders through its pseudo-events; an
//   ordering that exists only through a probe, such as a start after the probe on another node
//   that waits for that node's unfencing, has no counterpart where probes ran before the plan);
//   the two graphs order alike when these relations are equal on the operations both have.
// Known difference that is edgeha's choice, counted as one: every start waits for every fence,
// whatever the resource requires (DESIGN.md's safety invariant 5), where Pacemaker lets a
// resource with requires=quorum or nothing start before an unrelated fence.
import { allPrimitives, flattenSets, type Cib } from "../../src/cib";
import type { GraphOperation } from "../../src/scheduler";

export interface ComparableGraph {
  /** "kind resource node" or "fence kind node". */
  operations: Set<string>;
  /** "a -> b" for compared operations a and b, a transitively before b. */
  before: Set<string>;
}

const COMPARED = new Set(["start", "stop", "promote", "demote", "migrate_to", "migrate_from"]);

/** "a -> b" for compared operations, through every operation but those in `opaque` (probes). */
function closure(keys: Map<number, string>, after: Map<number, number[]>, opaque: ReadonlySet<number> = new Set()): Set<string> {
  const before = new Set<string>();
  for (const [id, key] of keys) {
    const seen = new Set<number>();
    const stack = [...(after.get(id) ?? [])];
    while (stack.length > 0) {
      const next = stack.pop()!;
      if (seen.has(next)) continue;
      seen.add(next);
      const other = keys.get(next);
      if (other !== undefined && other !== key) before.add(`${other} -> ${key}`);
      if (!opaque.has(next)) stack.push(...(after.get(next) ?? []));
    }
  }
  return before;
}

const attribute = (text: string, name: string) => new RegExp(`(?:^|\\s)${name}="([^"]*)"`).exec(text)?.[1];

/** How the executor names a clone instance: an anonymous clone's by its primitive's id. */
function executorName(resource: string, anonymous: ReadonlySet<string>): string {
  const base = resource.replace(/:\d+$/, "");
  return anonymous.has(base) ? base : resource;
}

/**
 * Pacemaker's graph.xml, read as synapses: each one action and the actions it waits for.
 * `anonymous`: as for edgehaGraph.
 */
export function pacemakerGraph(xml: string, anonymous: ReadonlySet<string> = new Set()): ComparableGraph {
  const keys = new Map<number, string>();
  const after = new Map<number, number[]>();
  const probes = new Set<number>();
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
      keys.set(id, `${operation} ${executorName(attribute(primitive, "long-id") ?? attribute(primitive, "id") ?? "", anonymous)} ${node}`);
    } else if (element[1] === "rsc_op" && operation === "monitor" && (attribute(element[2]!, "operation_key") ?? "").endsWith("_monitor_0")) probes.add(id);
  }
  return { operations: new Set(keys.values()), before: closure(keys, after, probes) };
}

/**
 * edgeha's graph. `anonymous`: the primitives of anonymous clones (anonymousClonePrimitives),
 * whose instances are named by the primitive's id, as the executor runs them.
 */
export function edgehaGraph(operations: readonly GraphOperation[], anonymous: ReadonlySet<string> = new Set()): ComparableGraph {
  const keys = new Map<number, string>();
  const after = new Map<number, number[]>();
  for (const operation of operations) {
    after.set(operation.id, operation.after);
    if (operation.kind === "fence") keys.set(operation.id, `fence ${operation.fenceAction ?? "reboot"} ${operation.node}`);
    else if (COMPARED.has(operation.kind)) keys.set(operation.id, `${operation.kind} ${executorName(operation.resource ?? "", anonymous)} ${operation.node}`);
  }
  return { operations: new Set(keys.values()), before: closure(keys, after) };
}

/**
 * The primitives of anonymous clones: clones that are not globally-unique (rsc_defaults
 * included), or that hold a primitive whose class cannot be unique (only ocf and stonith can:
 * Pacemaker makes the others' clones anonymous, pe__force_anon).
 */
export function anonymousClonePrimitives(cib: Cib): Set<string> {
  const defaults = flattenSets(cib.rscDefaults);
  const unique = (value: string | undefined) => value !== undefined && ["true", "on", "yes", "y", "1"].includes(value.toLowerCase());
  const anonymous = new Set<string>();
  for (const resource of cib.resources) {
    if (resource.kind !== "clone") continue;
    const meta = { ...defaults, ...flattenSets(resource.meta), ...flattenSets(resource.child.meta) };
    const primitives = allPrimitives([resource.child]);
    const forced = primitives.some((primitive) => !["ocf", "stonith"].includes((primitive.class ?? "").toLowerCase()));
    if (!unique(meta["globally-unique"]) || forced) for (const primitive of primitives) anonymous.add(primitive.id);
  }
  return anonymous;
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
