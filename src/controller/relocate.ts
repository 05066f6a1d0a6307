// Where resources would run if stickiness did not hold them: what `edgeha resource relocate`
// moves them to (pcs's "relocate": the preferred node ignoring resource-stickiness). Pure: the
// DC hands in its CIB with status and the time.
import type { Cib, NvSet, Resource } from "../cib";
import { schedule, unpackResourceStates } from "../scheduler";

export interface Relocation {
  /** The top-level resource to move: a primitive or a group (clones are not relocated). */
  resource: string;
  from: string[];
  to: string;
}

const STICKINESS = ["resource-stickiness", "default-resource-stickiness"];

function withoutStickiness(sets: readonly NvSet[]): NvSet[] {
  return sets.map((set) => ({ ...set, values: Object.fromEntries(Object.entries(set.values).filter(([name]) => !STICKINESS.includes(name))) }));
}

function unstuck(resource: Resource): Resource {
  switch (resource.kind) {
    case "primitive":
      return { ...resource, meta: withoutStickiness(resource.meta) };
    case "group":
      return { ...resource, meta: withoutStickiness(resource.meta), members: resource.members.map((member) => ({ ...member, meta: withoutStickiness(member.meta) })) };
    case "clone":
      return resource;
  }
}

/** The CIB as the scheduler would see it if no resource were sticky. */
export function ignoringStickiness(cib: Cib): Cib {
  const zero: NvSet = { id: "relocate-no-stickiness", values: { "resource-stickiness": "0" } };
  return { ...cib, rscDefaults: [zero, ...withoutStickiness(cib.rscDefaults)], resources: cib.resources.map(unstuck) };
}

/**
 * The moves that would put each named top-level primitive or group (every one when none is
 * named) on its preferred node: where the scheduler puts it when stickiness is ignored. A
 * group goes where its first member would go. Resources that are not running, would stay,
 * would stop or cannot run anywhere are left out.
 */
export function relocationPlan(cib: Cib, nowSeconds: number, names?: readonly string[]): Relocation[] {
  const states = unpackResourceStates(cib);
  const graph = schedule(ignoringStickiness(cib), { now: nowSeconds });
  const placement = new Map<string, Set<string>>();
  const where = (id: string): Set<string> => {
    let nodes = placement.get(id);
    if (!nodes) placement.set(id, (nodes = new Set(states.get(id)?.activeOn ?? [])));
    return nodes;
  };
  for (const action of graph.actions) {
    if (action.resource === undefined || action.blocked) continue;
    const nodes = where(action.resource);
    if (action.action === "stop" && action.node) nodes.delete(action.node);
    if (action.action === "start" && action.node) nodes.add(action.node);
    if ((action.action === "move" || action.action === "migrate" || action.action === "recover") && action.to) {
      if (action.from) nodes.delete(action.from);
      nodes.add(action.to);
    }
  }
  const plan: Relocation[] = [];
  for (const resource of cib.resources) {
    if (resource.kind === "clone" || (names && names.length > 0 && !names.includes(resource.id))) continue;
    const lead = resource.kind === "group" ? resource.members[0]?.id : resource.id;
    if (lead === undefined) continue;
    const from = states.get(lead)?.activeOn ?? [];
    const to = [...where(lead)];
    if (from.length === 0 || to.length !== 1 || (from.length === 1 && from[0] === to[0])) continue;
    plan.push({ resource: resource.id, from: [...from], to: to[0]! });
  }
  return plan;
}
