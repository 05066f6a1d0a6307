// Pass 6, actions: from where each resource is to where it goes, the actions of the
// transition summary (start, stop, move, recover, promote, demote), each with its reason;
// blocked where needed but impossible (no quorum, an unrunnable dependency).
import { type Primitive } from "../cib";
import { assignedMembers, requiresNothing } from "./placement";
import { metaOf } from "./scores";
import { flattenSets } from "../cib";
import { isFalse, truthy, type Decisions, type NodeState, type PlacementUnit, type ResourceState, type Role, type ScheduledAction } from "./types";

/** The working state of the action passes: every decision, and the actions derived so far. */
export type ActionWork = Decisions & { actions: ScheduledAction[] };

export function deriveActions(decisions: Decisions, completed: Decisions["completed"]): ScheduledAction[] {
  const work: ActionWork = { ...decisions, actions: [...decisions.fenceActions] };
  for (const { unit, target } of completed) {
    const meta = { ...flattenSets(decisions.cib.rscDefaults), ...unit.meta };
    emitUnitActions(work, unit, target, meta, unit.members.map((member) => decisions.scores[member.id]!));
  }
  return work.actions;
}

export function emitUnitActions(context: ActionWork, unit: PlacementUnit, target: string | undefined, meta: Record<string, string>, memberScores: Record<string, number>[]): void {
  const { cib, nodes, cluster } = context;
  const quorumNode = context.quorumBlocked.get(unit.id);
  if (quorumNode !== undefined) {
    // Members after one that is to stay stopped run nowhere: no start of theirs is listed.
    for (const member of unit.members.slice(0, assignedMembers(context, unit))) {
      if (unit.clone?.promotable && context.promoted.has(unit.id)) context.actions.push({ action: "promote", resource: member.id, node: quorumNode, from_role: "Stopped", to_role: "Promoted", blocked: true, reason: "no quorum" });
      else context.actions.push({ action: "start", resource: member.id, node: quorumNode, blocked: true, reason: "no quorum" });
    }
    return;
  }
  if (context.blocked.has(unit.id) && target !== undefined) {
    for (const member of unit.members) {
      const state = context.states.get(member.id);
      const activeOn = (state?.activeOn ?? []).filter((name) => nodes.some((node) => node.name === name));
      const memberMeta = { ...meta, ...metaOf(cib, member) };
      if (activeOn.some((node) => context.failureEffects.blockedMembers.has(`${member.id}@${node}`))) continue;
      if (cluster.maintenanceMode || isFalse(memberMeta["is-managed"]) || memberMeta.maintenance === "true") continue;
      if (activeOn.length > 0 && unit.clone?.promotable) context.actions.push(...roleActionsFor(member.id, activeOn, state?.failedOn ?? [], state?.promotedOn ?? [], undefined, false, nodes, context.fenced));
      else if (activeOn.length > 1) context.actions.push(firstCopyStop(member.id, activeOn, "an unrunnable dependency"));
      else if (activeOn.length > 0) context.actions.push(...actionsFor(member.id, activeOn, state?.failedOn ?? [], undefined, nodes, context.fenced));
      // A clone instance kept from its node by a colocation is left unassigned (not listed); a primitive's
      // start, or an instance's start held back by an order, is listed as blocked.
      // One meant to stay stopped (target-role Stopped) has no start to list.
      else if ((!unit.clone || context.orderBlocked.has(unit.id)) && (memberMeta["target-role"] ?? "").toLowerCase() !== "stopped") context.actions.push({ action: "start", resource: member.id, node: target, blocked: true, reason: "an unrunnable dependency" });
    }
    return;
  }
  let blocked = false;
  // A member held by its own failure has no start: the members after it cannot start either.
  let heldBefore: { id: string; node: string } | undefined;
  unit.members.forEach((member, index) => {
    const state = context.states.get(member.id);
    const memberMeta = { ...meta, ...metaOf(cib, member) };
    if (cluster.maintenanceMode || isFalse(memberMeta["is-managed"]) || memberMeta.maintenance === "true") {
      // Unmanaged and not running (or failed) where the group goes: it will not be started or
      // recovered, so later members cannot run.
      if (target === undefined || !(state?.activeOn ?? []).includes(target) || (state?.failedOn ?? []).includes(target)) blocked = true;
      return;
    }
    if ((state?.activeOn ?? []).some((name) => nodes.find((node) => node.name === name)?.maintenance)) return;
    const blockedAt = (state?.activeOn ?? []).find((node) => context.failureEffects.blockedMembers.has(`${member.id}@${node}`));
    if (blockedAt !== undefined) {
      // Held by its own failure (on-fail=block): it is not acted on, so not listed, even where it should stop.
      heldBefore ??= { id: member.id, node: blockedAt };
      return;
    }
    // A group member runs only where the previous member runs; once one cannot, the rest stop.
    if ((memberMeta["target-role"] ?? "").toLowerCase() === "stopped" || (target !== undefined && memberScores[index]![target]! < 0)) blocked = true;
    // The unit is held on a node it cannot use (by a blocked member): the other members stop there.
    const targetNode = target === undefined ? undefined : nodes.find((node) => node.name === target);
    const unusable = targetNode !== undefined && (!targetNode.online || targetNode.standby || targetNode.shuttingDown || targetNode.unclean);
    const memberTarget = blocked || unusable ? undefined : target;
    if (heldBefore !== undefined && memberTarget !== undefined && !unit.clone?.promotable) { context.actions.push(...behindHeldMember(member.id, state, heldBefore, nodes, context.fenced)); return; }
    let activeOn = (state?.activeOn ?? []).filter((name) => nodes.some((node) => node.name === name));
    // A resource that needs fencing before it starts counts its copies on nodes being fenced
    // too; one that needs only quorum (a fencing device, by default) or nothing ignores them
    // when it is to run somewhere (a resource that stops is stopped on every node). As in
    // Pacemaker (pcmk__primitive_create_actions counts only clean nodes then), that holds for
    // every unclean node, also one that cannot be fenced yet (no quorum): else the copy there,
    // which no stop can reach, makes the copy on a clean node restart in every transition.
    const surviving = activeOn.filter((name) => !context.fenced.has(name) && nodes.find((node) => node.name === name)?.unclean !== true);
    if (activeOn.length > 1 && surviving.length >= 1 && memberTarget !== undefined && !requiresFencing(cluster.stonithEnabled, member, memberMeta)) activeOn = surviving;
    // Assigned a node it may not start on (no quorum): one stop, where it was found first.
    if (activeOn.length > 1 && memberTarget === undefined && context.heldForQuorum?.has(unit.id)) { context.actions.push(firstCopyStop(member.id, activeOn, "no quorum")); return; }
    // A member that runs nowhere, of a group held on a node without quorum while another member runs: its start there is listed, blocked.
    const heldNode = context.heldForQuorum?.get(unit.id);
    if (heldNode !== undefined && !blocked && !unit.clone && activeOn.length === 0 && (state?.activeOn ?? []).length === 0) { context.actions.push({ action: "start", resource: member.id, node: heldNode, blocked: true, reason: "no quorum" }); return; }
    // A migration left half-way (active on its source and its target) continues or is recovered.
    if (state?.partialMigration && !unit.clone && memberTarget !== undefined) { context.actions.push(partialMigration(member, state, activeOn, memberTarget, memberMeta, nodes)); return; }
    if (activeOn.length > 1) {
      const policy = (memberMeta["multiple-active"] ?? "stop_start").toLowerCase();
      // multiple-active=block leaves it alone; stop_only stops every copy and starts none.
      if (policy === "block") return;
      if (policy === "stop_only") { for (const node of activeOn) context.actions.push({ action: "stop", resource: member.id, node, reason: "resource is active on more than one node" }); return; }
    }
    // no-quorum-policy=freeze decides per primitive: one that runs nowhere may not start, even
    // where the rest of its group runs (its start is listed, blocked).
    if (context.policy === "freeze" && memberTarget !== undefined && activeOn.length === 0 && (state?.activeOn ?? []).length === 0 && !requiresNothing(context.cib, unit)) {
      context.actions.push({ action: "start", resource: member.id, node: memberTarget, blocked: true, reason: "quorum freeze" });
      return;
    }
    if (unit.clone?.promotable) {
      const roleActions = roleActionsFor(member.id, activeOn, state?.failedOn ?? [], state?.promotedOn ?? [], memberTarget, memberTarget !== undefined && context.promoted.has(unit.id), nodes, context.fenced, context.failureEffects.demotedMembers);
      // A promotion a colocation with an unrunnable primary forbids is listed, blocked.
      if (context.promoteBlocked.has(unit.id)) for (const action of roleActions) if (action.action === "promote") { action.blocked = true; action.reason = "colocation with an unrunnable primary"; }
      context.actions.push(...roleActions);
    } else if (state?.roleStopped && activeOn.length === 1) {
      // Only a migration says it may be there, and it is known Stopped: it is started there again
      // (shown as a restart), or moves; nothing is done where it is to stay stopped.
      if (memberTarget === activeOn[0]) context.actions.push({ action: "restart", resource: member.id, node: memberTarget, startOnly: true, reason: "a failed migration may have left it there" });
      else if (memberTarget !== undefined) context.actions.push({ action: "move", resource: member.id, from: activeOn[0]!, to: memberTarget, reason: "a failed migration may have left it there" });
    } else context.actions.push(...actionsFor(member.id, activeOn, state?.failedOn ?? [], memberTarget, nodes, context.fenced, fencedForOwnFailure(context, member.id)).map((action) => withPromotedRole(migrating(action, unit, member, memberMeta, nodes), state?.promotedOn ?? [])));
  });
}

/**
 * A group member after one held by its own failure goes where that one is held, but cannot start
 * there, as the held one has no start to follow (Pacemaker orders each member's start after the
 * previous member's, and a blocked resource gets none): wherever it runs it stops, even where it
 * runs healthy (Pacemaker's group ordering requires its start again); else its start is listed, blocked.
 */
function behindHeldMember(id: string, state: ResourceState | undefined, held: { id: string; node: string }, nodes: NodeState[], fenced: Set<string>): ScheduledAction[] {
  const reason = `unrunnable ${held.id} start`;
  const activeOn = (state?.activeOn ?? []).filter((name) => nodes.some((node) => node.name === name));
  if (activeOn.length === 0) return [{ action: "start", resource: id, node: held.node, blocked: true, reason }];
  return actionsFor(id, activeOn, state?.failedOn ?? [], undefined, nodes, fenced).map((action) => ({ ...action, reason: action.blocked ? action.reason : reason }));
}

/**
 * A resource active on several nodes that keeps an assigned node but cannot start there (an
 * unrunnable dependency, no quorum): every copy stops, and the summary shows one stop, on the
 * first node it was found on.
 */
export function firstCopyStop(id: string, activeOn: string[], reason: string): ScheduledAction {
  return { action: "stop", resource: id, node: activeOn[0]!, reason };
}

/** Whether starting the resource requires fencing first ("requires" meta; fencing devices require quorum). */
export function requiresFencing(stonithEnabled: boolean, member: Primitive, meta: Record<string, string>): boolean {
  if (!stonithEnabled || member.class === "stonith") return false;
  const requires = (meta.requires ?? "fencing").toLowerCase();
  return requires === "fencing" || requires === "unfencing";
}

/** A resource active on several nodes that is to run on another one: one line, from the first of them. */
export function multiplyActiveMove(id: string, current: string[], failedOn: string[], target: string): ScheduledAction {
  const failed = current.some((node) => failedOn.includes(node));
  return { action: failed ? "recover" : "move", resource: id, from: current[0]!, to: target, reason: "resource was active on more than one node" };
}

/** Nodes fenced because of this resource's own failure (it is recovered, not just moved, from there). */
export function fencedForOwnFailure(context: ActionWork, id: string): Set<string> {
  const causes = context.failureEffects.fenceCause;
  if (!causes) return new Set(context.failureEffects.fenceReasons.keys());
  return new Set([...causes].filter(([, members]) => members.has(id)).map(([node]) => node));
}

/**
 * Actions of a promotable clone instance, with role fields as crm_simulate reports them:
 * a start to Promoted is a promote from Stopped; a stop, move or recover names the role it
 * keeps, or from_role/to_role when the role changes.
 */
export function roleActionsFor(id: string, current: string[], failedOn: string[], promotedOn: string[], target: string | undefined, toPromoted: boolean, nodes: NodeState[], fenced: Set<string>, demoted: ReadonlySet<string> = new Set()): ScheduledAction[] {
  const isDown = (name: string) => !nodes.find((node) => node.name === name)?.online;
  const roleOn = (node: string): Role => promotedOn.includes(node) ? "Promoted" : "Unpromoted";
  const next: Role = toPromoted ? "Promoted" : "Unpromoted";
  const withRoles = (action: ScheduledAction, from: Role): ScheduledAction => from === next ? { ...action, role: from } : { ...action, from_role: from, to_role: next };
  if (current.length === 0) {
    if (target === undefined) return [];
    return [toPromoted ? { action: "promote", resource: id, node: target, from_role: "Stopped", to_role: "Promoted", reason: "resource is stopped and may run here as Promoted" }
      : { action: "start", resource: id, node: target, reason: "resource is stopped and may run here" }];
  }
  if (current.length > 1) {
    const actions: ScheduledAction[] = [];
    for (const node of current) if (node !== target) actions.push({ action: "stop", resource: id, node, role: roleOn(node), reason: "resource is active on more than one node" });
    if (target && current.includes(target)) actions.push(withRoles({ action: "restart", resource: id, node: target, reason: "resource was active on more than one node" }, roleOn(target)));
    else if (target) actions.push({ action: "start", resource: id, node: target, reason: "no longer active on one node" });
    return actions;
  }
  const from = current[0]!;
  const role = roleOn(from);
  const failed = failedOn.includes(from);
  if (target === undefined) {
    if (!isDown(from) || fenced.has(from)) return [{ action: "stop", resource: id, node: from, role, reason: fenced.has(from) ? "node is fenced" : "node availability" }];
    // On a lost node that cannot be fenced the stop is needed but cannot happen.
    if (nodes.find((node) => node.name === from)?.unclean) return [{ action: "stop", resource: id, node: from, role, blocked: true, reason: "node is unclean and cannot be fenced" }];
    return [];
  }
  if (target === from) {
    if (failed) return [withRoles({ action: "recover", resource: id, node: from, reason: "last operation failed" }, role)];
    // Recovered by demotion (on-fail=demote): demoted in place, and promoted again when it is still to be Promoted.
    if (role === "Promoted" && next === "Promoted" && demoted.has(`${id}@${from}`)) return [{ action: "re-promote", resource: id, node: from, role: "Promoted", reason: "recovery by demotion" }];
    if (role === next) return [];
    return [{ action: next === "Promoted" ? "promote" : "demote", resource: id, node: from, from_role: role, to_role: next, reason: "promotion scores changed" }];
  }
  if (unfenceable(from, nodes, fenced)) return [{ action: "stop", resource: id, node: from, role, blocked: true, reason: "node is unclean and cannot be fenced" }];
  return [withRoles({ action: failed ? "recover" : "move", resource: id, from, to: target, reason: fenced.has(from) ? "node was fenced" : failed ? "recovery after failure" : "a better node is available" }, role)];
}

/** An unclean node not fenced in this transition (it left a partition without quorum): nothing it runs can be stopped. */
function unfenceable(name: string, nodes: NodeState[], fenced: Set<string>): boolean {
  return nodes.find((node) => node.name === name)?.unclean === true && !fenced.has(name);
}

/** Pass 5: actions from current placement to target placement, each with its reason. */
export function actionsFor(id: string, current: string[], failedOn: string[], target: string | undefined, nodes: NodeState[], fenced: Set<string>, fencedForFailure: ReadonlySet<string> = new Set()): ScheduledAction[] {
  const actions: ScheduledAction[] = [];
  const isDown = (name: string) => !nodes.find((node) => node.name === name)?.online;
  // A failure on a node being fenced for another reason (it was lost, or another resource's
  // failure fences it) does not count: the node is being fenced anyway.
  failedOn = failedOn.filter((node) => !fenced.has(node) || fencedForFailure.has(node));
  if (current.length > 1) {
    // A copy on a pending node cannot be stopped, so the resource cannot start again anywhere:
    // one stop is listed, on the first node it was found on (blocked if that node is pending).
    const pending = (name: string) => nodes.find((node) => node.name === name)?.pending === true;
    if (target !== undefined && current.some(pending)) return [{ action: "stop", resource: id, node: current[0]!, reason: "a copy cannot be stopped", ...(pending(current[0]!) ? { blocked: true } : {}) }];
    // Active on several nodes: all copies stop and one starts again, shown as a restart when
    // it stays on the first node it was found on.
    if (target && target === current[0]) {
      // A failure on any of the copies makes it a recovery.
      actions.push({ action: current.some((node) => failedOn.includes(node)) ? "recover" : "restart", resource: id, node: target, reason: "resource was active on more than one node" });
      return actions;
    }
    // Going elsewhere (another of its nodes included): every copy stops, and the summary shows
    // one move (or recovery) from the first node it was found on. Going nowhere: one stop per node.
    if (target) return [multiplyActiveMove(id, current, failedOn, target)];
    // Nothing can run on a pending node, nor on an unclean one that cannot be fenced: the stop there is blocked.
    const stuck = (name: string) => { const node = nodes.find((entry) => entry.name === name); return node?.pending === true || (node?.unclean === true && !fenced.has(name)); };
    for (const node of current) actions.push({ action: "stop", resource: id, node, reason: "resource is active on more than one node", ...(stuck(node) ? { blocked: true } : {}) });
    return actions;
  }
  const from = current[0];
  if (from === undefined) {
    if (target) actions.push({ action: "start", resource: id, node: target, reason: "resource is stopped and may run here" });
    return actions;
  }
  // Nothing can run on a pending node, its stop included: the resource must leave but cannot.
  if (nodes.find((node) => node.name === from)?.pending) return [{ action: "stop", resource: id, node: from, blocked: true, reason: "node is pending" }];
  const failed = failedOn.includes(from);
  if (target === from) {
    if (failed) actions.push({ action: "recover", resource: id, node: from, reason: "last operation failed" });
    return actions;
  }
  if (target === undefined) {
    if (!isDown(from) || fenced.has(from)) actions.push({ action: "stop", resource: id, node: from, reason: fenced.has(from) ? "node is fenced" : "node availability" });
    // On a lost node that cannot be fenced the stop is needed but cannot happen.
    else if (nodes.find((node) => node.name === from)?.unclean) actions.push({ action: "stop", resource: id, node: from, blocked: true, reason: "node is unclean and cannot be fenced" });
    return actions;
  }
  // Leaving an unclean node that cannot be fenced (no quorum): its stop cannot happen, so
  // neither can the start elsewhere that waits for it.
  if (unfenceable(from, nodes, fenced)) return [{ action: "stop", resource: id, node: from, blocked: true, reason: "node is unclean and cannot be fenced" }];
  // A failed resource started elsewhere is a recovery (from -> to), not a move.
  // Fenced for its own failure (on-fail=fence) it is a recovery; fenced as a lost peer it just moves.
  actions.push({ action: failed && (!fenced.has(from) || fencedForFailure.has(from)) ? "recover" : "move", resource: id, from, to: target, reason: fenced.has(from) ? "node was fenced" : failed ? "recovery after failure" : "a better node is available" });
  return actions;
}

/**
 * A move of a resource with allow-migrate is a live migration (migrate_to on the old node,
 * migrate_from on the new one) when Pacemaker allows it: the resource is managed, did not
 * fail, is no clone instance, and neither node is unclean. edgeha adds one rule: only an OCF
 * agent (not a built-in one, nor an init script or systemd unit) is asked to migrate, as the
 * others have no migrate_to/migrate_from action.
 */
function migrating(action: ScheduledAction, unit: PlacementUnit, member: Primitive, meta: Record<string, string>, nodes: NodeState[]): ScheduledAction {
  if (action.action !== "move" || !canMigrate(unit, member, meta)) return action;
  const unclean = (name: string | undefined) => nodes.find((node) => node.name === name)?.unclean !== false;
  if (unclean(action.from) || unclean(action.to)) return action;
  return { ...action, action: "migrate", reason: "live migration to a better node" };
}

/** allow-migrate on an OCF agent's primitive outside a clone (see migrating()). */
export function canMigrate(unit: PlacementUnit, member: Primitive, meta: Record<string, string>): boolean {
  return unit.clone === undefined && truthy(meta["allow-migrate"]) && member.class === "ocf" && member.provider !== undefined && member.provider !== "edgeha";
}

/**
 * A migration left half-way (migrate_to done, migrate_from not): it continues (migrate_from on
 * the target, then the stop on the source) when the resource is still to run on that target,
 * is active on exactly its source and target, did not fail, and may migrate. Otherwise it is
 * stopped on both and started where it is to run (Pacemaker's "Forcing recovery ... because
 * it can no longer migrate").
 */
function partialMigration(member: Primitive, state: ResourceState, activeOn: string[], target: string, meta: Record<string, string>, nodes: NodeState[]): ScheduledAction {
  const partial = state.partialMigration!;
  const clean = (name: string) => nodes.find((node) => node.name === name)?.unclean === false;
  const failed = activeOn.some((node) => state.failedOn.includes(node));
  const allowed = truthy(meta["allow-migrate"]) && member.class === "ocf" && member.provider !== "edgeha" && !state.migrationFailed && !failed;
  if (allowed && activeOn.length === 2 && activeOn.includes(partial.source) && target === partial.target && clean(partial.source) && clean(target)) {
    return { action: "migrate", resource: member.id, from: partial.source, to: target, partial: true, reason: "a migration left half-way continues" };
  }
  // Shown from the first node it was found on (its target: the migration put it there first).
  const from = activeOn[0]!;
  const reason = "a migration left half-way cannot continue";
  if (from === target) return { action: failed ? "recover" : "restart", resource: member.id, node: target, reason };
  return { action: failed ? "recover" : "move", resource: member.id, from, to: target, reason };
}

/**
 * A resource that is no promotable clone instance but was found Promoted (a monitor reported
 * "running promoted") changes role when it stops, moves or restarts (to Started), and the
 * summary says so, as Pacemaker prints a role whenever the current one is above Started.
 */
function withPromotedRole(action: ScheduledAction, promotedOn: readonly string[]): ScheduledAction {
  const from = action.from ?? action.node;
  if (from === undefined || !promotedOn.includes(from) || action.blocked) return action;
  if (action.action === "stop") return { ...action, role: "Promoted" };
  if (["move", "recover", "restart", "migrate"].includes(action.action)) return { ...action, from_role: "Promoted", to_role: "Started" };
  return action;
}
