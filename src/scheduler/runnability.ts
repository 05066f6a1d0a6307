// Pass 5, runnability: a unit placed on a node may still be unable to start there — its
// state cannot be probed on a pending node, or a mandatory order or colocation ties it to
// something that cannot run. Returns which units are blocked (and which promotions an order
// forbids); placement is not changed.
import { parseScore } from "../cib";
import { SYMMETRIC_SET_ORDER } from "./constraints";
import { assignedMembers, nodesWhereColocationHolds } from "./placement";
import { metaOf } from "./scores";
import { INFINITY, isFalse, isRole, truthy, type History, type Model, type Placement, type PlacementUnit, type Runnability } from "./types";

type RunnabilityWork = Model & History & Omit<Placement, "promoted"> & { blocked: Set<string>; orderBlocked: Set<string>; promoted: Set<string> };

export function checkRunnability(model: Model, history: History, placement: Placement): Runnability {
  const work: RunnabilityWork = { ...model, ...history, ...placement, blocked: new Set(), orderBlocked: new Set(), promoted: new Set(placement.promoted) };
  blockUnprobeableStarts(work, history.units);
  applyMandatoryOrders(work);
  return { blocked: work.blocked, orderBlocked: work.orderBlocked, promoted: work.promoted, promoteBlocked: blockedPromotions(work) };
}

/**
 * A mandatory colocation of a promotable clone's Promoted role with a primary whose start cannot
 * run (placed, but blocked): the instances to be promoted cannot be, their promote is blocked
 * (Pacemaker's pcmk__block_colocation_dependents). A collective primary blocks only when all of
 * its instances cannot start.
 */
function blockedPromotions(context: RunnabilityWork): Set<string> {
  const result = new Set<string>();
  for (const colocation of context.cib.constraints) {
    if (colocation.kind !== "colocation" || parseScore(colocation.score) < INFINITY || colocation.rscRole === undefined || !isRole(colocation.rscRole, "Promoted")) continue;
    if (colocation.withRscRole !== undefined && !isRole(colocation.withRscRole, "Started")) continue;
    const primaries = context.unitsByOwner.get(colocation.withRsc) ?? [];
    if (primaries.length === 0 || !primaries.every((unit) => context.placed.get(unit.id) !== undefined && context.blocked.has(unit.id))) continue;
    for (const unit of context.unitsByOwner.get(colocation.rsc) ?? []) if (context.promoted.has(unit.id) && !primaries.includes(unit)) result.add(unit.id);
  }
  return result;
}

/**
 * Before a resource starts anywhere, its state must be known on every node in the
 * membership (a probe runs where it has no history). On a pending node (in the membership,
 * not joined yet) no probe can run, so a resource that runs nowhere and was never seen there
 * cannot start: its start is blocked (and so is whatever needs it). A resource already running
 * keeps running. Clone instances are left to their clone.
 */
export function blockUnprobeableStarts(context: RunnabilityWork, units: PlacementUnit[]): void {
  const pending = context.nodes.filter((node) => node.pending && !node.unclean);
  if (pending.length === 0) return;
  const known = new Map(context.cib.status.map((status) => [status.uname, new Set(status.resources.filter((entry) => entry.operations.some((record) => record.opStatus !== -1)).map((entry) => entry.id))]));
  for (const unit of units) {
    if (unit.clone || unit.orphan || context.placed.get(unit.id) === undefined) continue;
    const first = unit.members[0]!;
    if ((context.states.get(first.id)?.activeOn.length ?? 0) > 0) continue;
    if (pending.some((node) => !(known.get(node.name)?.has(first.id) ?? false))) context.blocked.add(unit.id);
  }
}

/**
 * Mandatory orders (kind Mandatory, or a score other than 0): "then" may start only when
 * "first" will run. Where first has no node after placement, then's placed units are blocked
 * (they stop if running, and their start is reported as blocked), which may block further
 * orders in turn. With interleave between two clones, an instance of then needs an instance
 * of first on its own node.
 */
export function applyMandatoryOrders(context: RunnabilityWork): void {
  const orders = context.cib.constraints.filter((constraint) => constraint.kind === "order").filter((order) => {
    const kind = (order.orderKind ?? "").toLowerCase();
    if (kind === "optional" || kind === "serialize") return false;
    if (kind === "" && order.score !== undefined && parseScore(order.score) <= 0) return false;
    const firstAction = (order.firstAction ?? "start").toLowerCase();
    const thenAction = (order.thenAction ?? order.firstAction ?? "start").toLowerCase();
    return (firstAction === "start" || firstAction === "promote") && (thenAction === "start" || thenAction === "promote");
  });
  const runningNodes = (id: string, role: string): string[] => {
    if (role === "promote") return context.placedOn.get(`${id}#Promoted`) ?? [];
    // A unit held by a blocking failure cannot start either, so it does not satisfy an order.
    const failureHeld = (unit: PlacementUnit) => unit.members.some((member) => (context.states.get(member.id)?.activeOn ?? []).some((node) => context.failureEffects.blockedMembers.has(`${member.id}@${node}`)));
    return (context.unitsByOwner.get(id) ?? []).filter((unit) => !context.blocked.has(unit.id) && !failureHeld(unit) && !memberCutOff(unit)).map((unit) => context.placed.get(unit.id)).filter((node): node is string => node !== undefined);
  };
  // A group (or cloned group) with a member that is to start but cannot, behind one meant to stay
  // stopped, never finishes starting: its "running" cannot happen, so what is ordered after it cannot start.
  const memberCutOff = (unit: PlacementUnit): boolean => {
    const cut = assignedMembers(context, unit);
    return unit.members.slice(cut + 1).some((member) => !stoppedByRole(context, unit, member));
  };
  for (let round = 0, changed = true; changed && round < 100; round++) {
    changed = false;
    for (const order of orders) {
      const firstUnits = context.unitsByOwner.get(order.first) ?? [];
      const firstNodes = runningNodes(order.first, (order.firstAction ?? "start").toLowerCase());
      const cloneMin = minimumFirstInstances(firstUnits, order);
      // An order from a require-all="false" set: then may start when any one of the set's resources can.
      const group = order.extra["one-or-more"];
      const runnable = group !== undefined
        ? orders.some((other) => other.extra["one-or-more"] === group && other.then === order.then && runningNodes(other.first, (other.firstAction ?? "start").toLowerCase()).length > 0)
        : firstNodes.length > 0 && firstNodes.length >= cloneMin;
      const thenAction = (order.thenAction ?? order.firstAction ?? "start").toLowerCase();
      for (const unit of context.unitsByOwner.get(order.then) ?? []) {
        const target = context.placed.get(unit.id);
        if (target === undefined || context.blocked.has(unit.id)) continue;
        // Ordering only the promote: an unrunnable first keeps the instance from being promoted, it may still run.
        if (thenAction === "promote") {
          if (!runnable && context.promoted.delete(unit.id)) changed = true;
          continue;
        }
        // A minimum of first instances (clone-min) is counted over the whole clone: interleave does not apply then.
        const interleaved = unit.clone !== undefined && firstUnits[0]?.clone !== undefined && truthy(unit.meta.interleave) && cloneMin === 0;
        if (interleaved ? firstNodes.includes(target) && firstNodes.length >= cloneMin : runnable) continue;
        // With symmetrical=false a then that already runs keeps running; only its start is blocked.
        // A member that failed there is not kept running: its recovery is a stop and a start, and the start cannot happen.
        const running = unit.members.every((member) => (context.states.get(member.id)?.activeOn ?? []).includes(target) && !(context.states.get(member.id)?.failedOn ?? []).includes(target));
        if (running && (order.symmetrical ?? "true").toLowerCase() === "false" && order.extra[SYMMETRIC_SET_ORDER] !== "true") continue;
        context.blocked.add(unit.id);
        // An instance with no first instance assigned to its node (interleave) is left unassigned; otherwise
        // orders do not change placement: the instance keeps its node and its start is listed, blocked.
        if (unit.clone && (!interleaved || assignedInstanceNodes(context, firstUnits).includes(target))) context.orderBlocked.add(unit.id);
        changed = true;
      }
    }
    // A mandatory colocation with something that ends up unable to run blocks the dependent too.
    for (const [unitId, colocations] of context.colocationsByUnit) {
      const target = context.placed.get(unitId);
      if (target === undefined || context.blocked.has(unitId)) continue;
      for (const colocation of colocations) {
        if (parseScore(colocation.score) < INFINITY || isRole(colocation.withRscRole, "Promoted") || isRole(colocation.withRscRole, "Unpromoted")) continue;
        const primaries = context.unitsByOwner.get(colocation.withRsc) ?? [];
        if (primaries.some((unit) => unit.id === unitId)) continue;
        // Pacemaker 2.1.5 blocks dependents through the colocations of the unrunnable start's
        // topmost resource (pcmk__block_colocation_dependents), and a group that is not cloned
        // hands the colocations with it over to its last member: a group, or a member of one,
        // whose start cannot run blocks no dependent. The dependent still goes where it is placed.
        if (primaries.length > 0 && primaries.every(isUnclonedGroup)) continue;
        if (nodesWhereColocationHolds(context, colocation, runningNodes(colocation.withRsc, "start"), true).has(target)) continue;
        // A later member of a group stops there, with the members after it; the group's first members still run (placement.ts, laterMemberColocations).
        const unit = context.units.find((each) => each.id === unitId)!;
        if (unit.clone === undefined && unit.members.slice(1).some((member) => member.id === colocation.rsc)) {
          context.scores[colocation.rsc] = { ...context.scores[colocation.rsc]!, [target]: -INFINITY };
          continue;
        }
        context.blocked.add(unitId);
        changed = true;
        break;
      }
    }
  }
}

/** A group that is not cloned (its unit is named after the group, not after a member). */
function isUnclonedGroup(unit: PlacementUnit): boolean {
  return unit.clone === undefined && unit.members.some((member) => member.id !== unit.id);
}

/** Nodes a clone's instances are assigned to, whether or not they can start there (an order may block that). */
export function assignedInstanceNodes(context: RunnabilityWork, units: PlacementUnit[]): string[] {
  return units.filter((unit) => !context.blocked.has(unit.id) || context.orderBlocked.has(unit.id)).map((unit) => context.placed.get(unit.id)).filter((node): node is string => node !== undefined);
}

/**
 * How many instances of a clone "first" an order needs before "then" may start: the clone's
 * clone-min, or 1 for an order with require-all=false (its older spelling); 0 when first is not
 * a clone or sets neither, and the order is then per instance where interleave asks for it.
 */
export function minimumFirstInstances(firstUnits: PlacementUnit[], order: { extra: Record<string, string> }): number {
  const first = firstUnits[0];
  if (!first?.clone) return 0;
  if (first.meta["clone-min"] !== undefined) return Math.max(0, parseScore(first.meta["clone-min"]));
  return isFalse(order.extra["require-all"]) ? 1 : 0;
}

function stoppedByRole(context: RunnabilityWork, unit: PlacementUnit, member: PlacementUnit["members"][number]): boolean {
  return ((({ ...unit.meta, ...metaOf(context.cib, member) })["target-role"]) ?? "").toLowerCase() === "stopped";
}
