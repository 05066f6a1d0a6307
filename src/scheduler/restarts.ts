// Pass 7, implied actions: restarts that orders, group membership and definition changes
// imply for resources that otherwise stay where they run (and reloads), and stops that a
// blocked resource keeps from happening. Returns the completed action list.
import { parseScore, flattenSets, type Primitive, type ResourceHistory } from "../cib";
import { INVERSE_ORDER } from "./constraints";
import { definitionChange, parentInstanceSets } from "./digest";
import { minimumFirstInstances } from "./runnability";
import { isFalse, truthy, type Decisions, type PlacementUnit, type Role, type ScheduledAction } from "./types";
import type { ActionWork } from "./actions";

export function addImpliedActions(decisions: Decisions, actions: ScheduledAction[]): ScheduledAction[] {
  const work: ActionWork = { ...decisions, actions: actions.map((action) => ({ ...action })) };
  migrationsBehindRestarts(work);
  impliedRestarts(work, decisions.units);
  // Pacemaker blocks a migration on the final requiredness of what it is bound to, whatever made
  // it required: restarts implied above (of a group member after a recovered resource, say) count
  // too, and a migration that becomes a move may imply further restarts.
  for (let round = 0; round < 10 && migrationsBehindRestarts(work); round++) impliedRestarts(work, decisions.units);
  blockStopsBehindBlocked(work, decisions.units);
  blockGroupStopsBehindBlockedStops(work, decisions.units);
  return work.actions;
}

/** The members of a unit that a constraint naming `id` reaches (all of them for a group or clone id). */
export function membersNamed(context: Pick<Decisions, "owners">, unit: PlacementUnit, id: string): Primitive[] {
  return unit.members.filter((member) => (context.owners.get(member.id) ?? [member.id]).includes(id));
}

/** Nodes where a resource's transition starts it (start, move, recover, restart, promote from Stopped). */
export function startingNodes(actions: ScheduledAction[]): string[] {
  return actions.flatMap((action) => {
    if (action.blocked) return [];
    if (action.action === "start" || action.action === "restart" || (action.action === "promote" && action.from_role === "Stopped")) return action.node ? [action.node] : [];
    if (action.action === "move" || action.action === "recover") return [action.node ?? action.to!];
    return [];
  });
}

/** Nodes where a resource's transition stops it (stop, move, recover, restart), blocked ones aside. */
export function stoppingNodes(actions: ScheduledAction[]): string[] {
  return actions.flatMap((action) => {
    if (action.blocked) return [];
    if (action.action === "stop" || action.action === "restart") return action.node ? [action.node] : [];
    if (action.action === "move" || action.action === "recover") return [action.node ?? action.from!];
    return [];
  });
}

/**
 * Whether a clone "first" takes, in this transition, the action an order names (start or
 * promote) on an instance on `node` (any node when not given), the node of the primitive or group ordered after it:
 * Pacemaker weighs a clone's action for a node-bound "then" by the instances on that node
 * only, so then's start is required (and it restarts if it runs) only when an instance starts
 * or is promoted there. An order counting clone-min instances goes through an optional step
 * and requires nothing.
 */
export function cloneActionRequired(context: ActionWork, firstUnits: PlacementUnit[], order: { first: string; firstAction?: string; extra: Record<string, string> }, byResource: Map<string, ScheduledAction[]>, node?: string): boolean {
  if (minimumFirstInstances(firstUnits, order) > 0) return false;
  const promote = (order.firstAction ?? "start").toLowerCase() === "promote";
  const actions = firstUnits.flatMap((unit) => membersNamed(context, unit, order.first).flatMap((member) => byResource.get(member.id) ?? []));
  const onNode = (where: string | undefined) => node === undefined || where === node;
  // An instance that runs where it is placed but cannot start there again (an order blocks it)
  // is stopped through a restart whose start cannot run: that start is still required, and so is
  // the clone's, as in Pacemaker.
  const heldStops = firstUnits.filter((unit) => context.blocked.has(unit.id)).flatMap((unit) => {
    const placed = context.placed.get(unit.id);
    return membersNamed(context, unit, order.first).some((member) => (byResource.get(member.id) ?? []).some((action) => action.action === "stop" && action.node === placed)) ? [placed] : [];
  });
  if (!promote) return [...startingNodes(actions), ...heldStops].some(onNode);
  return actions.some((action) => !action.blocked && onNode(action.node ?? action.to) && (action.to_role === "Promoted" || (action.role === "Promoted" && ["restart", "recover", "move"].includes(action.action))));
}

/**
 * Restarts implied by ordering: a mandatory order makes then's start required whenever
 * first starts (start, move, recover, restart); a "then" that stays where it runs is
 * therefore restarted. The same holds inside a group for later members. With interleave
 * only the instance on the node where first starts; a clone as first restarts nothing else. Applied until nothing changes, so
 * restarts propagate along chains.
 */
export function impliedRestarts(context: ActionWork, units: PlacementUnit[]): void {
  const byResource = new Map<string, ScheduledAction[]>();
  for (const action of context.actions) if (action.resource) byResource.set(action.resource, [...(byResource.get(action.resource) ?? []), action]);
  const orders = context.cib.constraints.filter((constraint) => constraint.kind === "order").filter((order) => {
    const kind = (order.orderKind ?? "").toLowerCase();
    if (kind === "serialize") return false;
    // An asymmetrical order only keeps then from starting while first cannot run: Pacemaker gives
    // it pe_order_asymmetrical instead of implies-then (ordering_flags_for_kind), so first's
    // restart or recovery does not restart then (handle_asymmetric_ordering).
    if (order.symmetrical !== undefined && isFalse(order.symmetrical) && order.extra[INVERSE_ORDER] === undefined && !restartsWithFirst(context, order.then)) return false;
    if ((kind === "optional" || (kind === "" && order.score !== undefined && parseScore(order.score) <= 0)) && !restartsWithFirst(context, order.then)) return false;
    // An order to then's promote requires only that promote: an instance that stays in its role restarts for nothing.
    return ["start", "promote"].includes((order.firstAction ?? "start").toLowerCase()) && (order.thenAction ?? order.firstAction ?? "start").toLowerCase() === "start";
  });
  // A member restarts on its node when it stays there and has no action yet (a role change becomes part of the restart).
  const restart = (unit: PlacementUnit, member: Primitive, node: string, reason: string): boolean => {
    const state = context.states.get(member.id);
    if (!state || state.activeOn.length !== 1 || state.activeOn[0] !== node || context.placed.get(unit.id) !== node || context.blocked.has(unit.id)) return false;
    // A member held where it runs by its own failure (on-fail=block) cannot stop there: it is not restarted.
    if (context.failureEffects.blockedMembers.has(`${member.id}@${node}`)) return false;
    const existing = dropReload(context.actions, byResource.get(member.id) ?? []);
    if (existing.some((action) => action.action !== "promote" && action.action !== "demote")) return false;
    const roleChange = existing[0];
    if (roleChange) context.actions.splice(context.actions.indexOf(roleChange), 1);
    let action: ScheduledAction = { action: "restart", resource: member.id, node, reason };
    if (unit.clone?.promotable) {
      const from: Role = (state.promotedOn ?? []).includes(node) ? "Promoted" : "Unpromoted";
      action = roleChange ? { ...action, from_role: from, to_role: roleChange.to_role as Role } : { ...action, role: from };
    }
    // An unmanaged resource is left as it is and nothing is listed for it (Pacemaker's summary
    // skips it), but what its implied restart implies in turn still holds: later members and
    // resources ordered after it restart.
    const memberMeta = { ...flattenSets(context.cib.rscDefaults), ...unit.meta, ...flattenSets(member.meta) };
    if (!(context.cluster.maintenanceMode || isFalse(memberMeta["is-managed"]) || memberMeta.maintenance === "true")) context.actions.push(action);
    byResource.set(member.id, [action]);
    return true;
  };
  // A resource staying where it runs is restarted when its recorded parameters differ from the configuration.
  const parents = parentInstanceSets(context.cib.resources);
  // Each node's resource histories by id (the last node_state of a name, the first history of an id, as a scan would find).
  const historiesByNode = new Map<string, Map<string, ResourceHistory>>();
  for (const status of context.cib.status) {
    const byId = new Map<string, ResourceHistory>();
    for (const entry of status.resources) if (!byId.has(entry.id)) byId.set(entry.id, entry);
    historiesByNode.set(status.uname, byId);
  }
  const attributesByNode = new Map(context.nodes.map((node) => [node.name, node.attributes]));
  for (const unit of units) {
    if (unit.orphan) continue;
    unit.members.forEach((member, index) => {
      const state = context.states.get(member.id);
      const node = state?.activeOn.length === 1 ? state.activeOn[0]! : undefined;
      if (node === undefined || context.placed.get(unit.id) !== node) return;
      const historyId = state!.historyIds?.[node] ?? member.id;
      const history = historiesByNode.get(node)?.get(historyId);
      if (!history) return;
      const base = unit.clone ? unit.clone.bases[index]! : member.id;
      const change = definitionChange(member, parents.get(base) ?? [], history.operations, { now: context.nowSeconds, node: attributesByNode.get(node) ?? {} });
      if (change === "restart") restart(unit, member, node, "resource definition change");
      else if (change === "reload") reload(context, unit, member, node, byResource);
    });
  }
  for (let round = 0, changed = true; changed && round < 50; round++) {
    changed = false;
    for (const unit of units) {
      if (unit.members.length < 2) continue;
      unit.members.forEach((member, index) => {
        const stops = startingNodes(byResource.get(member.id) ?? []);
        for (const later of unit.members.slice(index + 1)) for (const node of stops) if (restart(unit, later, node, `required ${member.id} start`)) changed = true;
      });
    }
    for (const order of orders) {
      const firstUnits = context.unitsByOwner.get(order.first) ?? [];
      const stops = firstUnits.flatMap((unit) => membersNamed(context, unit, order.first).flatMap((member) => startingNodes(byResource.get(member.id) ?? [])));
      if (stops.length === 0 && !(firstUnits[0]?.clone !== undefined && cloneActionRequired(context, firstUnits, order, byResource))) continue;
      for (const unit of context.unitsByOwner.get(order.then) ?? []) {
        const node = context.placed.get(unit.id);
        if (node === undefined) continue;
        // A clone as first restarts, of another clone, the interleaved instance on the same node;
        // without interleave, every instance once any instance of first takes the action (its
        // clone-wide "running" is then required, which is what interleave avoids).
        const interleaved = unit.clone !== undefined && firstUnits[0]?.clone !== undefined && truthy(unit.meta.interleave) && minimumFirstInstances(firstUnits, order) === 0;
        if (firstUnits[0]?.clone !== undefined && unit.clone !== undefined && !(interleaved ? stops.includes(node) : cloneActionRequired(context, firstUnits, order, byResource))) continue;
        if (firstUnits[0]?.clone !== undefined && unit.clone === undefined && !cloneActionRequired(context, firstUnits, order, byResource, node)) continue;
        for (const member of membersNamed(context, unit, order.then)) if (restart(unit, member, node, `required ${order.first} start`)) changed = true;
      }
    }
    if (stopOrderRestarts(context, byResource, restart)) changed = true;
  }
}

/**
 * The deprecated meta attribute restart-type=restart on an order's "then" resource makes an
 * optional order act like a mandatory one for restarts: when first's action is required, so
 * is then's.
 */
export function restartsWithFirst(context: ActionWork, id: string): boolean {
  const unit = context.unitsByOwner.get(id)?.[0];
  if (!unit) return false;
  // A primitive or group member: its own meta over its group's; a group or clone: the unit's.
  const member = unit.members.find((entry) => entry.id === id);
  const meta = { ...flattenSets(context.cib.rscDefaults), ...unit.meta, ...(member ? flattenSets(member.meta) : {}) };
  return (meta["restart-type"] ?? "").toLowerCase() === "restart";
}

/**
 * Orders of stops (first-action and then-action "stop") whose then is required by its first:
 * a mandatory order, or an optional one whose then has restart-type=restart. When first
 * stops, then must stop too; a then that stays where it runs is therefore restarted.
 */
export function stopOrderRestarts(context: ActionWork, byResource: Map<string, ScheduledAction[]>, restart: (unit: PlacementUnit, member: Primitive, node: string, reason: string) => boolean): boolean {
  let changed = false;
  for (const order of context.cib.constraints) {
    if (order.kind !== "order" || (order.firstAction ?? "").toLowerCase() !== "stop" || (order.thenAction ?? order.firstAction ?? "").toLowerCase() !== "stop") continue;
    // The inverse of a symmetrical set order implies first, not then (see INVERSE_ORDER).
    if (order.extra[INVERSE_ORDER] === "true") continue;
    const kind = (order.orderKind ?? "").toLowerCase();
    const optional = kind === "optional" || (kind === "" && order.score !== undefined && parseScore(order.score) <= 0);
    if (kind === "serialize" || (optional && !restartsWithFirst(context, order.then))) continue;
    const firstUnits = context.unitsByOwner.get(order.first) ?? [];
    if (firstUnits[0]?.clone !== undefined) continue;
    const stops = firstUnits.flatMap((unit) => membersNamed(context, unit, order.first).flatMap((member) => stoppingNodes(byResource.get(member.id) ?? [])));
    if (stops.length === 0) continue;
    for (const unit of context.unitsByOwner.get(order.then) ?? []) {
      const node = context.placed.get(unit.id);
      if (node === undefined) continue;
      for (const member of membersNamed(context, unit, order.then)) if (restart(unit, member, node, `required ${order.first} stop`)) changed = true;
    }
  }
  return changed;
}

/**
 * Only reloadable parameters changed on a resource that stays where it runs: the agent
 * applies them in place (a reload), which restarts nothing ordered after it. A resource with
 * any other action (moving, recovering, stopping) takes its new parameters with its start.
 */
export function reload(context: ActionWork, unit: PlacementUnit, member: Primitive, node: string, byResource: Map<string, ScheduledAction[]>): void {
  if ((byResource.get(member.id) ?? []).length > 0 || context.blocked.has(unit.id)) return;
  const memberMeta = { ...flattenSets(context.cib.rscDefaults), ...unit.meta, ...flattenSets(member.meta) };
  if (context.cluster.maintenanceMode || isFalse(memberMeta["is-managed"]) || memberMeta.maintenance === "true") return;
  const state = context.states.get(member.id);
  let action: ScheduledAction = { action: "reload", resource: member.id, node, reason: "resource definition change" };
  if (unit.clone?.promotable) action = { ...action, role: (state?.promotedOn ?? []).includes(node) ? "Promoted" : "Unpromoted" };
  context.actions.push(action);
  byResource.set(member.id, [action]);
}

/** A restart applies new parameters too: a pending reload of the same resource is dropped. Returns the other actions. */
export function dropReload(actions: ScheduledAction[], existing: ScheduledAction[]): ScheduledAction[] {
  for (const action of existing) if (action.action === "reload") actions.splice(actions.indexOf(action), 1);
  return existing.filter((action) => action.action !== "reload");
}

/**
 * A symmetrical mandatory order stops then before first. When then is blocked where it runs
 * (its failure has on-fail=block), first cannot stop there either: that stop is blocked.
 */
export function blockStopsBehindBlocked(context: ActionWork, units: PlacementUnit[]): void {
  if (context.failureEffects.blockedMembers.size === 0) return;
  // Inside a group, later members stop before earlier ones: a blocked later member blocks earlier stops.
  for (const unit of units) unit.members.forEach((member, index) => {
    for (const node of context.states.get(member.id)?.activeOn ?? []) {
      if (!context.failureEffects.blockedMembers.has(`${member.id}@${node}`)) continue;
      const earlier = new Set(unit.members.slice(0, index).map((entry) => entry.id));
      // A restart, recovery or move of an earlier member needs its stop first, which cannot happen: it is a stop, blocked (its start waits for that stop).
      for (const [position, action] of context.actions.entries()) {
        if ((action.node ?? action.from) !== node || !earlier.has(action.resource ?? "")) continue;
        if (action.action === "stop") { action.blocked = true; action.reason = `unrunnable ${member.id} stop`; }
        else if (action.action === "restart" || action.action === "recover" || action.action === "move") { const { from_role: _from, to_role: _to, from: _source, to: _destination, ...rest } = action; context.actions[position] = { ...rest, action: "stop", node, blocked: true, reason: `unrunnable ${member.id} stop`, ...(action.from_role === "Promoted" || action.from_role === "Unpromoted" ? { role: action.from_role } : {}) }; }
      }
    }
  });
  for (const order of context.cib.constraints) {
    if (order.kind !== "order" || ["optional", "serialize"].includes((order.orderKind ?? "").toLowerCase())) continue;
    // Which side must stop first: "then" for start->start orders (when symmetrical), "first" for stop->stop orders.
    const stopOrder = (order.firstAction ?? "").toLowerCase() === "stop" && (order.thenAction ?? "stop").toLowerCase() === "stop";
    if (!stopOrder && (order.symmetrical ?? "true").toLowerCase() === "false") continue;
    const earlier = stopOrder ? order.first : order.then;
    const later = stopOrder ? order.then : order.first;
    const blockedNodes = (context.unitsByOwner.get(earlier) ?? []).flatMap((unit) => membersNamed(context, unit, earlier))
      .flatMap((member) => (context.states.get(member.id)?.activeOn ?? []).filter((node) => context.failureEffects.blockedMembers.has(`${member.id}@${node}`)));
    if (blockedNodes.length === 0) continue;
    const firstIds = new Set((context.unitsByOwner.get(later) ?? []).flatMap((unit) => membersNamed(context, unit, later).map((member) => member.id)));
    for (const action of context.actions) {
      if (action.action === "stop" && action.resource !== undefined && firstIds.has(action.resource) && blockedNodes.includes(action.node!)) {
        action.blocked = true;
        action.reason = `${earlier} cannot stop first`;
      }
    }
  }
}

/**
 * A group stops its later members before its earlier ones. When a later member's stop is
 * needed but blocked (it runs on a node where nothing can be done), the earlier members'
 * stops, on any node, wait for it forever: they are blocked too.
 */
export function blockGroupStopsBehindBlockedStops(context: ActionWork, units: PlacementUnit[]): void {
  const stopsOf = new Map<string, ScheduledAction[]>();
  for (const action of context.actions) if (action.action === "stop" && action.resource !== undefined) stopsOf.set(action.resource, [...(stopsOf.get(action.resource) ?? []), action]);
  for (const unit of units) {
    if (unit.members.length < 2) continue;
    for (let index = unit.members.length - 1; index > 0; index--) {
      const later = unit.members[index]!;
      if (!(stopsOf.get(later.id) ?? []).some((action) => action.blocked)) continue;
      for (const earlier of unit.members.slice(0, index)) for (const action of stopsOf.get(earlier.id) ?? []) if (!action.blocked) { action.blocked = true; action.reason = `unrunnable ${later.id} stop`; }
      break;
    }
  }
}

/**
 * A live migration runs only where no ordering that makes what comes first required binds the
 * migrating resource's stop or start before a required action of a resource that does not
 * migrate (Pacemaker's pcmk__ar_then_implies_first and pcmk__ar_intermediate_stop: "first"
 * loses pcmk_action_migratable when "then" is required and not migratable, and migrate_to and
 * migrate_from then become unrunnable through pcmk__ar_unmigratable_then_blocks, so the resource
 * moves by a stop and a start). Those orderings are the inverse of every mandatory symmetrical
 * order ("F promote then R start" puts R's stop before F's demote; "F start then R start" puts
 * R's stop before F's stop) and a group member's stop before the stop of the member before it.
 * Otherwise the migration's own orderings (migrate_to after what precedes the start, the stop
 * after migrate_from) would close a cycle through that action's inverse. After a plain start
 * (of one that was not running) it still migrates: nothing stops. Applied until nothing
 * changes, along chains.
 */
function migrationsBehindRestarts(context: ActionWork): boolean {
  const byResource = new Map<string, ScheduledAction[]>();
  for (const action of context.actions) if (action.resource) byResource.set(action.resource, [...(byResource.get(action.resource) ?? []), action]);
  // Whether the transition requires `kind` of resource `id`, other than by migrating it.
  const requires = (id: string, kind: string) => (byResource.get(id) ?? []).some((action) => {
    if (action.blocked || action.action === "migrate") return false;
    const promotedBefore = action.role === "Promoted" || action.from_role === "Promoted";
    switch (kind) {
      case "stop": return ["stop", "move", "recover"].includes(action.action) || (action.action === "restart" && !action.startOnly);
      case "start": return ["start", "move", "recover", "restart"].includes(action.action) || (action.action === "promote" && action.from_role === "Stopped");
      case "demote": return action.action === "demote" || action.action === "re-promote" || (promotedBefore && ["stop", "move", "recover", "restart"].includes(action.action));
      case "promote": return action.action === "promote" || action.action === "re-promote" || (action.action === "restart" && action.role === "Promoted");
      default: return false;
    }
  });
  // Whether a clone's stop (over all its instances `ids`) is required and not migratable. It is
  // migratable unless an instance both stops and starts (pcmk__create_instance_actions). edgeha
  // adds one case: one instance stopping while another starts (a shuffle) counts too, as the
  // clone's stop comes before its start there, which comes before the migration (Pacemaker would
  // order a cycle through the clone's stopped and start).
  const collectiveStop = (ids: string[]) => ids.some((id) => (byResource.get(id) ?? []).some((action) => !action.blocked && (["move", "recover"].includes(action.action) || (action.action === "restart" && !action.startOnly))))
    || (ids.some((id) => requires(id, "stop")) && ids.some((id) => requires(id, "start")));
  // then-implies-first orderings whose first is a member's stop or start: member -> [the action it precedes].
  const bound = new Map<string, Array<{ others: string[]; action: string; collective: boolean }>>();
  const bind = (member: string, own: string, others: string[], action: string, collective = false) => {
    const rest = others.filter((other) => other !== member);
    if (rest.length > 0 && (own === "stop" || own === "start")) bound.set(member, [...(bound.get(member) ?? []), { others: rest, action, collective }]);
  };
  const holds = (entry: { others: string[]; action: string; collective: boolean }) => entry.collective && entry.action === "stop" ? collectiveStop(entry.others) : entry.others.some((other) => requires(other, entry.action));
  for (const unit of context.units) unit.members.forEach((member, index) => { if (index > 0) bind(member.id, "stop", [unit.members[index - 1]!.id], "stop"); });
  const membersOf = (id: string) => (context.unitsByOwner.get(id) ?? []).flatMap((unit) => membersNamed(context, unit, id).map((member) => member.id));
  const collective = (id: string) => (context.unitsByOwner.get(id) ?? []).some((unit) => unit.clone !== undefined);
  for (const order of context.cib.constraints) {
    if (order.kind !== "order") continue;
    const orderKind = (order.orderKind ?? (order.score !== undefined && parseScore(order.score) === 0 ? "optional" : "mandatory")).toLowerCase();
    if (orderKind === "optional" || orderKind === "serialize") continue;
    const firstAction = (order.firstAction ?? "start").toLowerCase();
    const thenAction = (order.thenAction ?? firstAction).toLowerCase();
    if (order.extra[INVERSE_ORDER] !== undefined) {
      // An inverse derived from a set already reads "first then then" with then-implies-first.
      for (const member of membersOf(order.first)) bind(member, firstAction, membersOf(order.then), thenAction, collective(order.then));
    } else if (order.symmetrical === undefined || truthy(order.symmetrical)) {
      const inverseThen = INVERSE_ACTION[thenAction];
      const inverseFirst = INVERSE_ACTION[firstAction];
      if (inverseThen === undefined || inverseFirst === undefined) continue;
      for (const member of membersOf(order.then)) bind(member, inverseThen, membersOf(order.first), inverseFirst, collective(order.first));
    }
  }
  let any = false;
  for (let changed = true, round = 0; changed && round < 50; round++) {
    changed = false;
    for (const action of context.actions) {
      if (action.action !== "migrate" || !(bound.get(action.resource!) ?? []).some(holds)) continue;
      action.action = "move";
      action.reason = "ordered before a required action of a resource that does not migrate";
      changed = true;
      any = true;
    }
  }
  return any;
}

const INVERSE_ACTION: Record<string, string> = { start: "stop", stop: "start", promote: "demote", demote: "promote" };
