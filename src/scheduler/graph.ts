// Pass 9, graph: the operations the DC runs (fence, stop, start, demote, promote, notify)
// and every ordering edge between them, as Pacemaker's scheduler adds them:
// - one resource: demote, then stop, then start, then promote;
// - a group: members start in order and stop in reverse order (unless ordered=false), and
//   every member stops before any member starts; a clone: all its instances' demotes, then stops, then starts, then
//   promotes (Pacemaker's clone pseudo-actions, which make them barriers);
// - order constraints of every kind (Mandatory, Optional, Serialize: ordering binds only
//   actions that happen), first-action/then-action, symmetrical (the inverse order between
//   the inverse actions), between clones clone to clone whether interleaved or not;
// - anti-colocation at -INFINITY: on one node, what makes one lose its role before what makes
//   the other gain its role; ordered clones: instances one after another;
// - fencing: one fence after another unless concurrent-fencing, the DC's last; every start or
//   promote after every fence (DESIGN.md's invariant 5, stricter than Pacemaker for resources
//   with requires=quorum or nothing), a fencing device's after the fencing of a node where its
//   state is unknown (Pacemaker's rule for what requires only quorum); a stop on a fenced node
//   is implied by the fence and, for what requires fencing, comes after it with every stop of
//   the same group or clone, so what waits for those stops waits for the fence;
// - unfencing ("fence on"): before the starts on that node of what needs unfencing only;
// - with a placement strategy, on each node the stops of resources with utilization before the
//   starts (and migrations in) of such resources;
// - a start still pending in the history is run again where the resource stays; a resource
//   active on several nodes with multiple-active=stop_unexpected stops only where unexpected.
// Probes and recurring monitors are not operations of the graph: every node probes the
// configuration before the DC plans, and the executor starts a resource's monitors itself.
import { flattenSets, parseScore, type OrderConstraint, type Primitive } from "../cib";
import { assert } from "../common/errors";
import { Builder, type Draft } from "./graph-builder";
import { orderFencing, orderUnfencing } from "./graph-fencing";
import { assignedMembers } from "./placement";
import { membersNamed } from "./restarts";
import { INFINITY, isFalse, isRole, truthy, type Decisions, type GraphOperation, type OperationKind, type PlacementUnit, type ScheduledAction } from "./types";

const PHASES: readonly OperationKind[] = ["demote", "stop", "start", "promote"];
const INVERSE: Record<string, OperationKind> = { start: "stop", stop: "start", promote: "demote", demote: "promote" };

/** The graph of `actions`; asserts it has no ordering cycle unless `check` is false (see findCycle). */
export function buildGraph(decisions: Decisions, actions: readonly ScheduledAction[], check = true): GraphOperation[] {
  const builder = new Builder();
  const fences = operationsOfActions(decisions, actions, builder);
  pendingStarts(decisions, builder);
  orderWithinResources(builder);
  orderWithinUnits(decisions, builder);
  for (const constraint of decisions.cib.constraints) if (constraint.kind === "order") orderConstraint(decisions, builder, constraint);
  orderAntiColocations(decisions, builder);
  orderFencing(decisions, builder, fences);
  orderUnfencing(decisions, builder);
  orderMigrationEquivalents(builder);
  orderLoad(decisions, builder);
  addNotifications(decisions, builder);
  const operations = withoutImplied(builder.operations);
  if (check) assertAcyclic(operations);
  return operations;
}

/** The operations each summary action stands for; returns the fence operations in node order. */
function operationsOfActions(decisions: Decisions, actions: readonly ScheduledAction[], builder: Builder): Draft[] {
  const fences: Draft[] = [];
  const nodeByName = new Map(decisions.nodes.map((node) => [node.name, node]));
  // Unfencing (kind "on") is an operation too, but not one of the fences every start waits for (orderUnfencing).
  for (const action of actions) if (action.action === "fence" && !action.blocked && action.node !== undefined) {
    if (action.kind === "on") builder.add("fence", action.node, undefined, action.reason, { fenceAction: "on" });
    else fences.push(builder.add("fence", action.node, undefined, action.reason, { fenceAction: action.kind === "off" ? "off" : "reboot" }));
  }
  const stop = (member: string, node: string, promoted: boolean, reason: string) => {
    // A stop on a node being fenced is done by the fence; on a node that is down otherwise, there is nothing to do.
    const implied = decisions.fenced.has(node);
    if (!implied && nodeByName.get(node)?.online !== true) return;
    if (promoted && !implied) builder.add("demote", node, member, reason);
    builder.add("stop", node, member, reason, implied ? { implied: true } : {});
  };
  const start = (member: string, node: string, promote: boolean, reason: string) => {
    builder.add("start", node, member, reason);
    if (promote) builder.add("promote", node, member, reason);
  };
  const clonedMembers = new Set(decisions.units.filter((unit) => unit.clone !== undefined).flatMap((unit) => unit.members.map((each) => each.id)));
  const promotionBlocked = new Set(decisions.units.filter((unit) => decisions.promoteBlocked.has(unit.id)).flatMap((unit) => unit.members.map((each) => each.id)));
  for (const action of actions) {
    const member = action.resource;
    // A promotion that only a colocation with an unrunnable primary blocks still starts the
    // instance: its start is runnable, only the promote is not (Pacemaker's graph runs the start).
    if (member !== undefined && action.blocked && action.action === "promote" && action.from_role === "Stopped" && promotionBlocked.has(member)) { start(member, action.node!, false, action.reason); continue; }
    if (member === undefined || action.blocked) continue;
    const state = decisions.states.get(member);
    const copies = state?.activeOn ?? [];
    // A primitive has one role, whatever node it is found on: Promoted anywhere, it is demoted on
    // every node it is active on before it stops (Pacemaker's role per resource); a clone
    // instance's role is its own on its node.
    const promotedHere = (node: string) => (state?.promotedOn ?? []).includes(node) || (!clonedMembers.has(member) && (state?.promotedOn ?? []).length > 0);
    const toPromoted = action.to_role === "Promoted" || (action.to_role === undefined && action.role === "Promoted");
    // Every running copy stops (a resource found active on several nodes is listed once).
    const stopAll = (also: string | undefined) => { for (const node of new Set([...(also !== undefined ? [also] : []), ...copies])) stop(member, node, promotedHere(node), action.reason); };
    switch (action.action) {
      case "start": start(member, action.node!, false, action.reason); break;
      case "stop": stopAll(action.node); break;
      case "promote":
        if (action.from_role === "Stopped") start(member, action.node!, true, action.reason);
        else builder.add("promote", action.node!, member, action.reason);
        break;
      case "demote": builder.add("demote", action.node!, member, action.reason); break;
      case "re-promote": builder.order(builder.add("demote", action.node!, member, action.reason), builder.add("promote", action.node!, member, action.reason)); break;
      case "migrate": {
        const from = action.from!;
        const to = action.to!;
        const migration = { source: from, target: to };
        // migrate_to (unless a partial migration did it already), migrate_from, then the stop on
        // the source and on any other node it is thought active on; the start on the target is
        // what the migration achieves (a pseudo-operation that orders what follows the start).
        const migrateTo = action.partial ? undefined : builder.add("migrate_to", from, member, action.reason, { migration });
        const migrateFrom = builder.add("migrate_from", to, member, action.reason, { migration });
        for (const node of new Set([from, ...copies])) if (node !== to) stop(member, node, false, action.reason);
        const started = builder.add("start", to, member, action.reason, { implied: true });
        if (migrateTo) builder.order(migrateTo, migrateFrom);
        for (const stopped of builder.of(member, "stop")) builder.order(migrateFrom, stopped);
        builder.order(migrateFrom, started);
        builder.migrations.set(member, { migrateTo, migrateFrom, start: started, partial: action.partial === true });
        break;
      }
      case "move": case "recover": case "restart": case "reload": {
        if (action.startOnly) { start(member, action.node!, false, action.reason); break; }
        // A reload is run as a restart: the executor has no reload operation.
        const target = action.to ?? action.node!;
        if (keptActiveOn(decisions, member) === target) {
          // multiple-active=stop_unexpected: only the unexpected copies stop; the start where it
          // stays is a pseudo-operation that orders what follows it (Pacemaker's is_expected_node).
          for (const node of new Set([...(action.from !== undefined ? [action.from] : []), ...copies])) if (node !== target) stop(member, node, promotedHere(node), action.reason);
          builder.add("start", target, member, action.reason, { implied: true });
          break;
        }
        stopAll(action.from ?? action.node);
        start(member, target, toPromoted, action.reason);
        break;
      }
      case "fence": break;
    }
  }
  danglingStops(decisions, stop);
  return fences;
}

/**
 * A migration that completed (migrate_to and migrate_from both done) but was not followed by
 * the stop on its source leaves that stop to do, whatever else happens to the resource.
 */
function danglingStops(decisions: Decisions, stop: (member: string, node: string, promoted: boolean, reason: string) => void): void {
  for (const unit of decisions.units) for (const member of unit.members) {
    const dangling = decisions.states.get(member.id)?.danglingOn;
    if (dangling === undefined) continue;
    const meta = { ...flattenSets(decisions.cib.rscDefaults), ...unit.meta, ...flattenSets(member.meta) };
    if (decisions.cluster.maintenanceMode || isFalse(meta["is-managed"]) || truthy(meta.maintenance)) continue;
    for (const node of dangling) stop(member.id, node, false, "a migration completed but it was not stopped on its source");
  }
}

/**
 * The node where a resource active on several nodes stays active untouched, with
 * multiple-active=stop_unexpected: the node it is assigned to, when it is one of its copies.
 */
function keptActiveOn(decisions: Decisions, member: string): string | undefined {
  const unit = decisions.units.find((each) => each.members.some((candidate) => candidate.id === member));
  const primitive = unit?.members.find((candidate) => candidate.id === member);
  if (unit === undefined || primitive === undefined) return undefined;
  const meta = { ...flattenSets(decisions.cib.rscDefaults), ...unit.meta, ...flattenSets(primitive.meta) };
  if ((meta["multiple-active"] ?? "").toLowerCase() !== "stop_unexpected") return undefined;
  const copies = decisions.states.get(member)?.activeOn ?? [];
  const target = decisions.placed.get(unit.id);
  return copies.length > 1 && target !== undefined && copies.includes(target) ? target : undefined;
}

/**
 * A start still in flight (pending in the history) is run again where the resource is to run
 * (Pacemaker's create_pending_start, an action it always puts in the graph), so that what is
 * ordered after that start waits for it; the summary lists nothing, the role does not change.
 */
function pendingStarts(decisions: Decisions, builder: Builder): void {
  const online = new Set(decisions.nodes.filter((node) => node.online && !node.unclean).map((node) => node.name));
  for (const unit of decisions.units) {
    const target = decisions.placed.get(unit.id);
    if (target === undefined || !online.has(target) || decisions.blocked.has(unit.id) || decisions.quorumBlocked.has(unit.id) || decisions.heldForQuorum?.has(unit.id)) continue;
    for (const member of unit.members.slice(0, assignedMembers(decisions, unit))) {
      if ((decisions.states.get(member.id)?.startPendingOn ?? []).length === 0) continue;
      const meta = { ...flattenSets(decisions.cib.rscDefaults), ...unit.meta, ...flattenSets(member.meta) };
      if (decisions.cluster.maintenanceMode || isFalse(meta["is-managed"]) || truthy(meta.maintenance)) continue;
      builder.add("start", target, member.id, "its start was still pending");
    }
  }
}

/** One resource: demote before stop before start before promote. */
function orderWithinResources(builder: Builder): void {
  for (const member of builder.byMember.keys()) {
    for (let left = 0; left < PHASES.length; left++) for (let right = left + 1; right < PHASES.length; right++) {
      builder.orderAll(builder.of(member, PHASES[left]!), builder.of(member, PHASES[right]!));
    }
  }
}

/**
 * Groups: members start one after another and stop in reverse order; every member's stop
 * (and demote) comes before any member's start (and promote). Clones: the same barriers
 * between all their instances' demotes, stops, starts and promotes.
 */
function orderWithinUnits(decisions: Decisions, builder: Builder): void {
  const clones = new Map<string, PlacementUnit[]>();
  for (const unit of decisions.units) {
    if (unit.clone) { const list = clones.get(unit.clone.id); if (list) list.push(unit); else clones.set(unit.clone.id, [unit]); }
    const ids = unit.members.map((member) => member.id);
    // A group with ordered=false (inherited from its clone, as Pacemaker's members inherit the
    // meta attributes of their parents) leaves its members unchained; the barriers still hold.
    const chained = ({ ...flattenSets(decisions.cib.rscDefaults), ...unit.meta }.ordered ?? "true");
    for (let index = 1; index < ids.length && truthy(chained); index++) {
      for (const kind of ["start", "promote"] as const) builder.orderAll(builder.of(ids[index - 1]!, kind), builder.of(ids[index]!, kind));
      for (const kind of ["stop", "demote"] as const) builder.orderAll(builder.of(ids[index]!, kind), builder.of(ids[index - 1]!, kind));
    }
    if (truthy(chained)) orderPartlyActiveStops(decisions, builder, ids);
    if (ids.length > 1) barriers(builder, ids);
  }
  for (const instances of clones.values()) {
    barriers(builder, instances.flatMap((unit) => unit.members.map((member) => member.id)));
    // An ordered clone (meta ordered=true) starts its instances one after another, by number, and
    // stops them in reverse: each instance that starts (stops) after (before) the previous one by
    // number that does too, those with nothing to do left out (Pacemaker's child_ordering_constraints).
    if (!truthy({ ...flattenSets(decisions.cib.rscDefaults), ...instances[0]!.meta }.ordered)) continue;
    const numbered = [...instances].sort((left, right) => left.clone!.instance - right.clone!.instance);
    for (const kind of ["start", "stop"] as const) {
      const acting = numbered.map((unit) => unit.members.flatMap((member) => builder.of(member.id, kind))).filter((operations) => operations.length > 0);
      for (let index = 1; index < acting.length; index++) {
        if (kind === "start") builder.orderAll(acting[index - 1]!, acting[index]!);
        else builder.orderAll(acting[index]!, acting[index - 1]!);
      }
    }
  }
}

/**
 * A partly active ordered group still stops in sequence: an active member that follows an
 * inactive one stops before the last active member ahead of it (Pacemaker's "partially active
 * groups shut down in sequence"), which the chain through the inactive member cannot give.
 */
function orderPartlyActiveStops(decisions: Decisions, builder: Builder, ids: string[]): void {
  const active = (id: string) => (decisions.states.get(id)?.activeOn ?? []).length > 0;
  let lastActive: string | undefined;
  ids.forEach((id, index) => {
    if (!active(id)) return;
    if (index > 0 && !active(ids[index - 1]!) && lastActive !== undefined) builder.orderAll(builder.of(id, "stop"), builder.of(lastActive, "stop"));
    lastActive = id;
  });
}

/**
 * A mandatory anti-colocation (score -INFINITY) orders, on one node, what makes either
 * resource lose its role there before what makes the other gain its role: a stop (or demote
 * of the Promoted role; a stop or promote of the Unpromoted one) before a start (or promote;
 * a start or demote).
 */
function orderAntiColocations(decisions: Decisions, builder: Builder): void {
  for (const constraint of decisions.cib.constraints) {
    if (constraint.kind !== "colocation" || parseScore(constraint.score) > -INFINITY) continue;
    const dependent = { id: constraint.rsc, role: roleOf(constraint.rscRole) };
    const primary = { id: constraint.withRsc, role: roleOf(constraint.withRscRole) };
    for (const [first, then] of [[dependent, primary], [primary, dependent]] as const) {
      const losing: OperationKind[] = first.role === "Promoted" ? ["demote"] : first.role === "Unpromoted" ? ["stop", "promote"] : ["stop"];
      const gaining: OperationKind[] = then.role === "Promoted" ? ["promote"] : then.role === "Unpromoted" ? ["start", "demote"] : ["start"];
      const firstMembers = memberIdsOf(decisions, first.id);
      const thenMembers = memberIdsOf(decisions, then.id);
      const before = losing.flatMap((kind) => firstMembers.flatMap((member) => builder.of(member, kind)));
      const after = gaining.flatMap((kind) => thenMembers.flatMap((member) => builder.of(member, kind)));
      for (const operation of after) for (const earlier of before) if (earlier.node === operation.node) builder.order(earlier, operation);
    }
  }
}

function roleOf(role: string | undefined): "Promoted" | "Unpromoted" | undefined {
  if (role === undefined) return undefined;
  if (isRole(role, "Promoted")) return "Promoted";
  if (isRole(role, "Unpromoted")) return "Unpromoted";
  return undefined;
}

/** The members (primitive ids, clone instances included) a constraint naming `id` reaches. */
function memberIdsOf(decisions: Decisions, id: string): string[] {
  return (decisions.unitsByOwner.get(id) ?? []).flatMap((unit) => membersNamed(decisions, unit, id).map((member: Primitive) => member.id));
}

function barriers(builder: Builder, members: string[]): void {
  const phase = (kind: OperationKind) => members.flatMap((member) => builder.of(member, kind));
  for (let left = 0; left < PHASES.length; left++) for (let right = left + 1; right < PHASES.length; right++) builder.orderAll(phase(PHASES[left]!), phase(PHASES[right]!));
}

/** An order constraint's kind: Mandatory, Optional or Serialize (a score of 0 is optional). */
function orderKind(constraint: OrderConstraint): "mandatory" | "optional" | "serialize" {
  const kind = (constraint.orderKind ?? "").toLowerCase();
  if (kind === "optional" || kind === "serialize") return kind;
  if (kind === "" && constraint.score !== undefined && parseScore(constraint.score) <= 0) return "optional";
  return "mandatory";
}

/**
 * One order constraint between the operations that exist: first's action before then's, and
 * (symmetrical, the default except for Serialize) then's inverse action before first's. A
 * Serialize order only keeps the two from running at once, which one direction does.
 */
function orderConstraint(decisions: Decisions, builder: Builder, constraint: OrderConstraint): void {
  const firstAction = (constraint.firstAction ?? "start").toLowerCase();
  const thenAction = (constraint.thenAction ?? constraint.firstAction ?? "start").toLowerCase();
  if (!(firstAction in INVERSE) || !(thenAction in INVERSE)) return;
  const firstUnits = decisions.unitsByOwner.get(constraint.first) ?? [];
  const thenUnits = decisions.unitsByOwner.get(constraint.then) ?? [];
  const memberIds = (units: PlacementUnit[], id: string) => units.flatMap((unit) => membersNamed(decisions, unit, id).map((member: Primitive) => member.id));
  const firstMembers = memberIds(firstUnits, constraint.first);
  const thenMembers = memberIds(thenUnits, constraint.then);
  // Between two clones the order holds clone to clone, interleaved or not: Pacemaker orders the
  // clones' own pseudo-actions (first's "running" before then's "start"), so every instance of
  // then waits for every instance of first that acts; interleave only decides which instances
  // restart or may run (restarts.ts, runnability.ts), and its per-node orders are implied.
  const kind = orderKind(constraint);
  const link = (firstKind: OperationKind, firsts: string[], thenKind: OperationKind, thens: string[]) => {
    // An optional order does not hold back what follows the stop of a migrating resource
    // (Pacemaker drops that input: "optional but stop in migration").
    const before = firsts.flatMap((member) => kind === "optional" && firstKind === "stop" && builder.migrations.has(member) ? [] : builder.of(member, firstKind));
    const after = thens.flatMap((member) => builder.of(member, thenKind));
    builder.orderAll(before, after);
  };
  link(firstAction as OperationKind, firstMembers, thenAction as OperationKind, thenMembers);
  const symmetrical = constraint.symmetrical === undefined ? kind !== "serialize" : !isFalse(constraint.symmetrical);
  if (symmetrical) link(INVERSE[thenAction]!, thenMembers, INVERSE[firstAction]!, firstMembers);
}

/**
 * Orderings that bind a migrating resource's start or stop bind its migration too (Pacemaker's
 * pcmk__order_migration_equivalents), since the migration runs before its start and its stop:
 * A's start before a migrating B's start puts A's start (or, when A migrates too, A's
 * migrate_from) before B's migrate_to; A's promote before B's start does the same; A's stop (A
 * not migrating) or demote before B's stop puts it before B's migrate_to, and before B's
 * migrate_from when B's migration was left half-way.
 */
function orderMigrationEquivalents(builder: Builder): void {
  const byId = builder.operations;
  const migrationOf = (operation: Draft) => operation.resource === undefined ? undefined : builder.migrations.get(operation.resource);
  for (const [resource, migration] of builder.migrations) {
    for (const id of [...migration.start.after]) {
      const first = byId[id]!;
      if (first.resource === resource || migration.migrateTo === undefined) continue;
      const firstMigration = migrationOf(first);
      if (first.kind === "start") builder.order(firstMigration?.start === first ? firstMigration.migrateFrom : first, migration.migrateTo);
      else if (first.kind === "promote") builder.order(first, migration.migrateTo);
    }
    for (const stopped of builder.of(resource, "stop")) for (const id of [...stopped.after]) {
      const first = byId[id]!;
      if (first.resource === resource) continue;
      const firstMigrates = first.kind === "stop" && migrationOf(first) !== undefined;
      if ((first.kind !== "stop" || firstMigrates) && first.kind !== "demote") continue;
      if (migration.migrateTo) builder.order(first, migration.migrateTo);
      if (migration.partial) builder.order(first, migration.migrateFrom);
    }
  }
}

/**
 * With a placement strategy other than default, among resources that have utilization: on each
 * node, every stop comes before every start, and before every migrate_to of a resource moving
 * there, so what leaves a node frees its capacity before what arrives uses it (Pacemaker's
 * load_stopped pseudo-action per node, pcmk__create_utilization_constraints). When the
 * migrate_to already comes before one of those stops (two resources swapping nodes by
 * migration: each one's stop waits for its own migration), these orderings would close a loop:
 * Pacemaker then drops the load orderings into that migrate_to (ordering_is_invalid), checking
 * the migrations newest first, so the migrations still run, one after the other.
 */
function orderLoad(decisions: Decisions, builder: Builder): void {
  if (decisions.cluster.placementStrategy.toLowerCase() === "default") return;
  const loaded = new Set(decisions.units.flatMap((unit) => unit.members.filter((member) => Object.keys(flattenSets(member.utilization ?? [])).length > 0).map((member) => member.id)));
  const stops = new Map<string, Draft[]>();
  for (const operation of builder.operations) if (operation.kind === "stop" && loaded.has(operation.resource ?? "")) stops.set(operation.node, [...(stops.get(operation.node) ?? []), operation]);
  const migrations: { migrateTo: Draft; added: Draft[] }[] = [];
  for (const operation of [...builder.operations]) {
    if (!loaded.has(operation.resource ?? "")) continue;
    if (operation.kind === "start") builder.orderAll(stops.get(operation.node) ?? [], [operation]);
    // A migrate_to runs on the source; its load is on the node the resource moves to.
    if (operation.kind !== "migrate_to" || operation.migration === undefined) continue;
    const added = (stops.get(operation.migration.target) ?? []).filter((stop) => stop !== operation && !operation.after.includes(stop.id));
    builder.orderAll(added, [operation]);
    migrations.push({ migrateTo: operation, added });
  }
  for (const { migrateTo, added } of migrations.reverse()) {
    if (added.some((stop) => waitsFor(builder, stop, migrateTo))) builder.unorder(added, migrateTo);
  }
}

/** Whether `later` (directly or through others) is ordered after `first`. */
function waitsFor(builder: Builder, later: Draft, first: Draft): boolean {
  const seen = new Set<number>();
  const pending = [later.id];
  while (pending.length > 0) {
    const id = pending.pop()!;
    if (id === first.id) return true;
    if (seen.has(id)) continue;
    seen.add(id);
    pending.push(...builder.operations[id]!.after);
  }
  return false;
}

const NOTIFY_ORDER = ["demote", "stop", "start", "promote"] as const;

/**
 * Clone notifications (meta notify=true), as Pacemaker sends them: around each kind of change
 * to the clone's instances in this transition, a "pre" notification to every node where an
 * instance is active before it, then the changes, then a "post" notification to every node
 * where one is active after it; demote, stop, start and promote follow one another in that
 * order. Each carries who is starting, stopping, promoted, ... (notify_* meta values).
 */
function addNotifications(decisions: Decisions, builder: Builder): void {
  const clones = new Map<string, PlacementUnit[]>();
  for (const unit of decisions.units) if (unit.clone) { const list = clones.get(unit.clone.id); if (list) list.push(unit); else clones.set(unit.clone.id, [unit]); }
  const upNodes = new Set(decisions.nodes.filter((node) => node.online).map((node) => node.name));
  for (const [cloneId, instances] of clones) {
    const clone = decisions.cib.resources.find((resource) => resource.id === cloneId);
    if (clone?.kind !== "clone" || !truthy({ ...flattenSets(clone.meta) }.notify)) continue;
    const child = clone.child.kind === "group" ? clone.child.members[0]! : clone.child;
    const members = instances.map((unit) => unit.members[0]!.id);
    const running = new Set(members.flatMap((member) => decisions.states.get(member)?.activeOn ?? []).filter((node) => upNodes.has(node)));
    const promoted = new Set(members.flatMap((member) => decisions.states.get(member)?.promotedOn ?? []));
    const changes = Object.fromEntries(NOTIFY_ORDER.map((kind) => [kind, members.flatMap((member) => builder.of(member, kind)).filter((operation) => !operation.implied)])) as Record<(typeof NOTIFY_ORDER)[number], Draft[]>;
    notifyAround(builder, child.id, decisions.cib.nodes.map((node) => node.uname), upNodes, running, promoted, changes);
  }
}

function notifyAround(builder: Builder, childId: string, allNodes: string[], upNodes: Set<string>, running: Set<string>, promoted: Set<string>, changes: Record<(typeof NOTIFY_ORDER)[number], Draft[]>): void {
  const list = (items: Iterable<string>) => [...items].join(" ");
  const values = (type: "pre" | "post", operation: string, nodes: Set<string>): Record<string, string> => {
    const out: Record<string, string> = { notify_type: type, notify_operation: operation };
    for (const kind of NOTIFY_ORDER) {
      out[`notify_${kind}_resource`] = list(changes[kind].map((step) => step.resource!));
      out[`notify_${kind}_uname`] = list(changes[kind].map((step) => step.node));
    }
    out.notify_active_resource = list([...nodes].map(() => childId));
    out.notify_active_uname = list(nodes);
    out.notify_inactive_resource = list(allNodes.filter((node) => !nodes.has(node)).map(() => childId));
    out.notify_available_uname = list(allNodes.filter((node) => upNodes.has(node)));
    out.notify_all_uname = list(allNodes);
    const promotedNow = [...nodes].filter((node) => promoted.has(node));
    const unpromotedNow = [...nodes].filter((node) => !promoted.has(node));
    for (const [name, members] of [["promoted", promotedNow], ["master", promotedNow], ["unpromoted", unpromotedNow], ["slave", unpromotedNow]] as const) {
      out[`notify_${name}_resource`] = list(members.map(() => childId));
      out[`notify_${name}_uname`] = list(members);
    }
    return out;
  };
  let previousPost: Draft[] = [];
  for (const kind of NOTIFY_ORDER) {
    const changed = changes[kind];
    if (changed.length === 0) continue;
    // The instance a node's notification goes to: the one changing there, else the clone's child.
    const instanceOn = (node: string) => Object.values(changes).flat().find((step) => step.node === node)?.resource ?? childId;
    const pre = [...running].map((node) => builder.add("notify", node, instanceOn(node), `pre-${kind} notification`, { notify: values("pre", kind, running) }));
    builder.orderAll(previousPost, pre);
    builder.orderAll(pre, changed);
    if (kind === "stop") for (const step of changed) running.delete(step.node);
    if (kind === "start") for (const step of changed) running.add(step.node);
    if (kind === "promote") for (const step of changed) promoted.add(step.node);
    if (kind === "demote") for (const step of changed) promoted.delete(step.node);
    const post = [...running].filter((node) => upNodes.has(node)).map((node) => builder.add("notify", node, instanceOn(node), `post-${kind} notification`, { notify: values("post", kind, running) }));
    builder.orderAll(changed, post);
    previousPost = post;
  }
}

/**
 * Removes the stops implied by fencing: what waited for one waits for what it waited for
 * (the fence, and anything before it). Ids are renumbered from 0 in the same order.
 */
function withoutImplied(drafts: Draft[]): GraphOperation[] {
  const byId = new Map(drafts.map((draft) => [draft.id, draft]));
  const resolve = (ids: number[], seen: Set<number>): number[] => ids.flatMap((id) => {
    const draft = byId.get(id)!;
    if (!draft.implied) return [id];
    if (seen.has(id)) return [];
    seen.add(id);
    return resolve(draft.after, seen);
  });
  const kept = drafts.filter((draft) => !draft.implied);
  const renumber = new Map(kept.map((draft, index) => [draft.id, index]));
  const result = kept.map((draft, index): GraphOperation => {
    const after = [...new Set(resolve(draft.after, new Set()))].map((id) => renumber.get(id)!).sort((left, right) => left - right);
    const { implied: _implied, ...rest } = draft;
    return { ...rest, id: index, after };
  });
  return result;
}

/**
 * An ordering cycle of the graph, if it has one: its operations in the order its edges ask for
 * (each before the next, the last before the first).
 */
export function findCycle(operations: readonly GraphOperation[]): GraphOperation[] | undefined {
  const state = new Uint8Array(operations.length);
  for (let start = 0; start < operations.length; start++) {
    if (state[start] !== 0) continue;
    const stack: Array<[number, number]> = [[start, 0]];
    state[start] = 1;
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const operation = operations[top[0]]!;
      if (top[1] < operation.after.length) {
        const next = operation.after[top[1]++]!;
        // Each step of the stack waits for the one above it, and the top waits for `next`.
        if (state[next] === 1) return stack.slice(stack.findIndex(([id]) => id === next)).map(([id]) => operations[id]!).reverse();
        if (state[next] === 0) { state[next] = 1; stack.push([next, 0]); }
      } else { state[top[0]] = 2; stack.pop(); }
    }
  }
  return undefined;
}

/** The DC runs the graph to the end: an ordering cycle would deadlock it, so it is a bug here. */
export function assertAcyclic(operations: readonly GraphOperation[]): void {
  const cycle = findCycle(operations);
  if (cycle === undefined) return;
  const name = (step: GraphOperation) => `${step.kind} ${step.resource === undefined ? step.node : `${step.resource}@${step.node}`}`;
  assert(false, `the transition graph has an ordering cycle through ${cycle[0]!.kind} ${cycle[0]!.resource ?? cycle[0]!.node}: ${[...cycle, cycle[0]!].map(name).join(" -> ")}`);
}
