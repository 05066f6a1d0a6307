// Pass 8, ordering: the edges between the transition's actions (orders, group members,
// fencing before the actions of resources that ran on the fenced node).
import { truthy, type OrderingEdge, type PlacementUnit, type ScheduledAction } from "./types";
import { membersNamed } from "./restarts";
import type { ActionWork } from "./actions";

/** The node where an action's starting part runs, if it has one. */
export function startNode(action: ScheduledAction): string | undefined {
  if (action.blocked) return undefined;
  if (action.action === "start" || action.action === "restart" || action.action === "promote") return action.node;
  if (action.action === "move" || action.action === "recover") return action.node ?? action.to;
  return undefined;
}

/** The node where an action's stopping part runs, if it has one. */
export function stopNode(action: ScheduledAction): string | undefined {
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
export function orderingEdges(context: ActionWork, units: PlacementUnit[]): OrderingEdge[] {
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
