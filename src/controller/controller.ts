// The controller: one per node, a deterministic state machine. Every node elects the DC
// from the agreed view; the DC collects every member's report (join), distributes the
// newest configuration, runs the scheduler, and executes the transition by sending
// operations to members and fence requests to the fencer. Inputs carry the time; effects
// are performed by src/node/. No clock, sockets, processes or files here.
//
// The role is a discriminated union (context.ts) and each role has one step function
// below, as in etcd's raft: `electing`, `follower`, and the DC's two roles, `dc-joining`
// and `dc`. The concerns live beside this file: election.ts, join.ts (join and
// replication), execution.ts (transitions), clients.ts, summary.ts; invariants.ts checks
// the rules that must hold after every input and ends the process when one does not.
import { checkedLineage, type Cib, type CibLineage } from "../cib";
import { failureFilter, type ClusterSummary, type FenceHistoryEntry, type NodeReport } from "./protocol";
import { historyAtStart, recordFences } from "./fencing";
import { applyView, awaitElection, elect, followerTimedOut, loseDc, onJoin, reelect, setQuorate } from "./election";
import { completeJoinIfReady, JOIN_RESEND_MS, onJoinAck, sendJoins, startJoin } from "./join";
import { chaseSlowMembers, onCibAck, storeFromDc } from "./replication";
import { drive, onFenceDone, onOpResult, onReport, quiet, replan, wantPlan } from "./execution";
import { forward, onReply, onRequest, refuseNotDc, refuseWithoutDc, refuseWithoutQuorum } from "./clients";
import { mirrorExpected, withStatus } from "./summary";
import { checkInvariants, snapshot } from "./invariants";
import { assert, unreachable } from "../common/errors";
import { firstRequestId } from "../common/request-ids";
import { currentDc, dcState, inQuorumGrace, localName, log, nameOf, optionsNow, type Context, type ControllerEffect, type ControllerInput, type ControllerSettings, type DcRole, type Effects, type Role } from "./context";

export { CONTROLLER_DEFAULTS, type ControllerSettings, type ControllerInput, type ControllerEffect } from "./context";
export { configurationOnly } from "./summary";

export class Controller {
  private readonly context: Context;

  /** fenceHistory: this node's stored copy of the cluster's fence history (its fence history file). */
  constructor(settings: ControllerSettings, cib: Cib, report: NodeReport, fenceHistory: readonly FenceHistoryEntry[] = [], lineage?: CibLineage) {
    this.context = {
      settings, role: { kind: "electing", deadlineMs: undefined }, ringId: 0, members: [], quorate: false, knewDc: false, cib, lineage: checkedLineage(cib, lineage), localReport: report,
      expectedUp: new Set(), known: new Set([nameOf({ settings } as Context, settings.localId)]), summary: undefined, lastSentSummary: "", fenceHistory: [], fenceHistoryVersion: 0, fencesRunning: new Map(), fenceWaiters: new Map(), fencedInView: new Set(), fencedIncarnations: new Map(), incarnations: {}, nextFenceId: 1,
      transitionRecords: [], conflicts: [], epochSeconds: 0, nextRequestId: firstRequestId(settings.incarnation), forwarded: new Map(), syncedRing: undefined,
      leaving: false, nowMs: 0, quorumLostAtMs: undefined, graceOver: false,
    };
    this.context.fenceHistory = historyAtStart(fenceHistory, this.localName);
  }

  get localName(): string {
    return nameOf(this.context, this.context.settings.localId);
  }

  /** This node's role: electing, follower, dc-joining or dc. */
  get role(): Role["kind"] {
    return this.context.role.kind;
  }

  get isDc(): boolean {
    return dcState(this.context) !== undefined;
  }

  get dcName(): string | undefined {
    const dc = currentDc(this.context);
    return dc === undefined ? undefined : nameOf(this.context, dc);
  }

  get configuration(): Cib {
    return this.context.cib;
  }

  /**
   * Why this node's copy of the configuration may be older than the cluster's (a read served
   * from it must say so), or undefined when it is current: the DC once its join is complete,
   * a member once it stored what its DC sent in the current view.
   */
  get staleness(): string | undefined {
    const context = this.context;
    switch (context.role.kind) {
      case "electing":
        return "this node knows no DC yet (it has just started or the membership is changing)";
      case "dc-joining":
        return "this node is the DC and is still collecting its members' configurations (the join)";
      case "dc":
        return undefined;
      case "follower":
        return context.syncedRing === context.ringId ? undefined : `this node has not yet received the configuration from its DC (${nameOf(context, context.role.dc)}) since the membership changed`;
    }
  }

  /** The last summary: computed here on the DC, received from the DC elsewhere. */
  get summary(): ClusterSummary | undefined {
    return this.context.summary;
  }

  /** This node's copy of the cluster's fence history, oldest first. */
  get fenceHistory(): readonly FenceHistoryEntry[] {
    return this.context.fenceHistory;
  }

  /** The CIB with the status section the DC has built (the DC only). */
  statusCib(): Cib | undefined {
    const state = dcState(this.context);
    return state ? withStatus(this.context, state) : undefined;
  }

  /** The wall clock at the next input (for failure timeouts, fence records, shutdown times) when ticks are far apart. */
  observeWallClock(epochSeconds: number): void {
    this.context.epochSeconds = Math.max(this.context.epochSeconds, epochSeconds);
  }

  handle(input: ControllerInput): ControllerEffect[] {
    const context = this.context;
    const out: Effects = [];
    const before = snapshot(context);
    const historyBefore = context.fenceHistoryVersion;
    const membersBefore = context.members;
    context.nowMs = Math.max(context.nowMs, input.nowMs);
    // Quorum reported again unchanged: nothing to do (a DC would abort its transition for nothing).
    if (input.kind === "quorum" && input.quorate === context.quorate) return out;
    observe(context, input);
    const role = context.role;
    switch (role.kind) {
      case "electing":
        stepElecting(context, role, input, context.members.some((id) => !membersBefore.includes(id)), out);
        break;
      case "follower":
        stepFollower(context, role, input, out);
        break;
      case "dc-joining":
      case "dc":
        stepDc(context, role, input, context.members.some((id) => !membersBefore.includes(id)), out);
        break;
      default:
        unreachable(role, "role");
    }
    // The role may have changed above: a DC (new or old) runs its loop unless the tick is quiet.
    const now = context.role;
    if (now.kind === "dc" || now.kind === "dc-joining") {
      if (context.quorate) now.state.quorateSince ??= context.ringId;
      const joined = now.kind === "dc";
      if (!(input.kind === "tick" && quiet(context, now.state, joined, input.nowMs))) drive(context, now.state, joined, input.nowMs, out);
    }
    // The history is stored after the step that changed it (the file `stonith history` reads when the agent is down).
    if (context.fenceHistoryVersion !== historyBefore) out.push({ kind: "fence-history", records: [...context.fenceHistory] });
    checkInvariants(context, before, input, out);
    return out;
  }

  /**
   * When this controller next needs a tick, given the inputs so far: `busyMs` after the last
   * input while anything waits on time (an election, a join, the quorum grace, a transition, a
   * plan held back), the next recheck when the DC is quiet, and undefined when only events can
   * change anything (a member that is not the DC and knows its DC). The agent sleeps until then
   * instead of ticking all the time: an idle cluster costs no wake-ups here.
   */
  nextTickMs(busyMs: number): number | undefined {
    const context = this.context;
    const soon = context.nowMs + busyMs;
    const role = context.role;
    switch (role.kind) {
      case "electing":
        return role.deadlineMs === undefined ? undefined : Math.min(soon, Math.max(role.deadlineMs, context.nowMs));
      case "follower":
        // Waiting for the DC's join in a new view: wake when that wait is over.
        return role.claim === undefined && role.waitingSinceMs !== undefined ? Math.max(role.waitingSinceMs + context.settings.joinTimeoutMs, context.nowMs) : undefined;
      case "dc-joining":
        return soon;
      case "dc":
        if (context.quorumLostAtMs !== undefined && !context.graceOver) return soon;
        // Writes not yet stored everywhere, members not joined: chased on ticks.
        if (role.state.writes.size > 0 || context.members.some((id) => !role.state.acked.has(id))) return soon;
        if (!quiet(context, role.state, true, context.nowMs)) return soon;
        return role.state.lastPlanMs + context.settings.recheckMs;
    }
  }
}

/** The bookkeeping every input brings, whatever the role. */
function observe(context: Context, input: ControllerInput): void {
  switch (input.kind) {
    case "view":
      applyView(context, input);
      return;
    case "quorum":
      setQuorate(context, input.quorate, input.nowMs);
      return;
    case "tick":
      context.epochSeconds = input.epochSeconds;
      return;
    case "local-report":
    case "local-op-done":
      context.localReport = input.report;
      return;
    case "fence-done":
      context.epochSeconds = Math.max(context.epochSeconds, input.epochSeconds);
      return;
    case "nodes":
      applyNodes(context, input.nodes);
      return;
    case "message":
    case "client":
      return;
    default:
      unreachable(input, "input");
  }
}

/**
 * The node list changed live. A node added has never been part of this cluster, so it runs
 * nothing of it: it is known (down until it joins), never an "unseen" node to fence at start.
 * A node removed was drained first (`cluster node remove` moves its resources away): it is
 * forgotten, neither expected up nor a member to fence.
 */
function applyNodes(context: Context, nodes: ReadonlyArray<{ id: number; name: string }>): void {
  assert(nodes.some((node) => node.id === context.settings.localId), "the new node list leaves out this node (a removed node stops instead)");
  const before = new Set(context.settings.nodes.map((node) => node.name));
  const after = new Set(nodes.map((node) => node.name));
  context.settings = { ...context.settings, nodes: nodes.map((node) => ({ id: node.id, name: node.name })) };
  for (const name of after) if (!before.has(name)) context.known.add(name);
  for (const name of before) {
    if (after.has(name)) continue;
    context.known.delete(name);
    context.expectedUp.delete(name);
    context.fencedInView.delete(name);
    context.fencedIncarnations.delete(name);
  }
}

/** No DC known: wait for one to announce itself (a join), or elect when the wait is over. */
function stepElecting(context: Context, role: Extract<Role, { kind: "electing" }>, input: ControllerInput, viewGained: boolean, out: Effects): void {
  switch (input.kind) {
    case "view":
      awaitElection(context, input.nowMs, viewGained, out);
      return;
    case "tick":
      if (role.deadlineMs !== undefined && input.nowMs >= role.deadlineMs) elect(context, input.nowMs, out);
      return;
    case "fence-done":
      onFenceDone(context, undefined, input, out);
      return;
    case "client":
      if (!refuseWithoutQuorum(context, input.clientId, input.request, out)) refuseWithoutDc(input.clientId, out);
      return;
    case "message":
      onMessageWithoutRole(context, input, out);
      return;
    case "quorum":
    case "local-report":
    case "local-op-done":
    case "nodes":
      // Nobody to tell: the DC to come learns this node's state from its join answer.
      return;
    default:
      unreachable(input, "input");
  }
}

/** Messages any node that is not a DC treats alike. */
function onMessageWithoutRole(context: Context, input: Extract<ControllerInput, { kind: "message" }>, out: Effects): void {
  const { from, message } = input;
  if (!context.members.includes(from)) return;
  switch (message.t) {
    case "join":
      onJoin(context, from, message, out);
      return;
    case "request":
      refuseNotDc(from, message.requestId, out);
      return;
    case "reply":
      onReply(context, message, out);
      return;
    case "join-ack":
    case "cib-ack":
    case "report":
    case "op-result":
    // Only the DC reads these; from anyone but our DC, the rest are stale.
    case "cib":
    case "op":
    case "cleanup":
    case "summary":
    case "fence-history":
      return;
    default:
      unreachable(message, "message");
  }
}

/** A member of the DC `role.dc`: tells it what happens here, does what it says. */
function stepFollower(context: Context, role: Extract<Role, { kind: "follower" }>, input: ControllerInput, out: Effects): void {
  switch (input.kind) {
    case "view":
      if (!context.members.includes(role.dc)) {
        loseDc(context, out);
        awaitElection(context, input.nowMs, false, out);
      } else {
        // Claims are compared within one ring (joins carry their ring): a new view starts afresh,
        // and the DC asks again (its join carries its claim).
        role.claim = undefined;
        role.waitingSinceMs = input.nowMs;
      }
      return;
    case "local-report":
      out.push({ kind: "send", to: role.dc, message: { t: "report", ringId: context.ringId, report: input.report } });
      return;
    case "local-op-done":
      out.push({ kind: "send", to: role.dc, message: { t: "op-result", ringId: input.ringId, transition: input.transition, step: input.step, ok: input.ok, reason: input.reason, report: input.report } });
      return;
    case "fence-done":
      onFenceDone(context, undefined, input, out);
      return;
    case "client":
      if (!refuseWithoutQuorum(context, input.clientId, input.request, out)) forward(context, role.dc, input.clientId, input.request, out);
      return;
    case "message":
      if (!context.members.includes(input.from)) return;
      if (input.from === role.dc) onMessageFromDc(context, input, out);
      else onMessageWithoutRole(context, input, out);
      return;
    case "tick":
      followerTimedOut(context, role, input.nowMs, out);
      return;
    case "quorum":
    case "nodes":
      return;
    default:
      unreachable(input, "input");
  }
}

/** What the DC this node follows says. */
function onMessageFromDc(context: Context, input: Extract<ControllerInput, { kind: "message" }>, out: Effects): void {
  const { from, message } = input;
  switch (message.t) {
    // From our DC whatever ring it names: views may change while a message is in flight.
    case "cib":
      storeFromDc(context, from, message, out);
      return;
    case "op":
      if (message.ringId < context.ringId && !context.quorate && ["start", "promote", "migrate_from"].includes(message.operation) && optionsNow(context).noQuorumPolicy !== "ignore") {
        // Ordered in an earlier view, with its quorum; this node has lost quorum since (corosync
        // would have delivered the order before the new view, we learned the view first). A node
        // without quorum starts nothing (no-quorum-policy): the DC is told, and plans again.
        log(out, "warn", "not starting: the order came from an earlier view and this node has no quorum now", { resource: message.resource, operation: message.operation, ringId: message.ringId, now: context.ringId });
        out.push({ kind: "send", to: from, message: { t: "op-result", ringId: message.ringId, transition: message.transition, step: message.step, ok: false, reason: `not run: ordered in ring ${message.ringId}, and ${localName(context)} has no quorum in ring ${context.ringId}`, report: context.localReport } });
        return;
      }
      out.push({ kind: "run", transition: message.transition, step: message.step, ringId: message.ringId, resource: message.resource, operation: message.operation, ...(message.notify ? { notify: message.notify } : {}), ...(message.migration ? { migration: message.migration } : {}), ...(message.formerHolderFenced ? { formerHolderFenced: true } : {}), ...(message.params ? { params: message.params } : {}) });
      return;
    case "cleanup":
      out.push({ kind: "cleanup", resource: message.resource, ...failureFilter(message) });
      return;
    case "summary":
      context.summary = message.summary;
      mirrorExpected(context, message.summary, out);
      return;
    case "fence-history":
      recordFences(context, message.records);
      return;
    case "join":
    case "request":
    case "reply":
    case "join-ack":
    case "cib-ack":
    case "report":
    case "op-result":
      onMessageWithoutRole(context, input, out);
      return;
    default:
      unreachable(message, "message");
  }
}

/** The DC, joining (collecting the members' answers) or joined (planning and serving). */
function stepDc(context: Context, role: DcRole, input: ControllerInput, viewGained: boolean, out: Effects): void {
  const state = role.state;
  switch (input.kind) {
    case "view":
      // A DC that never led a quorate partition (a node that started alone) holds no claim
      // worth keeping: when others join, the election runs again (the lowest member).
      if (viewGained && state.quorateSince === undefined) reelect(context, state, input.nowMs, out);
      else startJoin(context, input.nowMs, out);
      return;
    case "quorum":
      replan(state, "quorum changed");
      return;
    case "tick":
      onDcTick(context, role, input.nowMs, out);
      return;
    case "local-report":
      onReport(context, state, context.settings.localId, input.report);
      return;
    case "local-op-done":
      onOpResult(context, state, context.settings.localId, input, out);
      return;
    case "fence-done":
      onFenceDone(context, state, input, out);
      return;
    case "client":
      if (!refuseWithoutQuorum(context, input.clientId, input.request, out)) onRequest(context, role, input.request, { clientId: input.clientId }, out);
      return;
    case "message":
      onDcMessage(context, role, input, out);
      return;
    case "nodes":
      wantPlan(state, "the node list changed");
      return;
    default:
      unreachable(input, "input");
  }
}

function onDcTick(context: Context, role: DcRole, nowMs: number, out: Effects): void {
  const state = role.state;
  if (context.quorumLostAtMs !== undefined && !context.graceOver && !inQuorumGrace(context)) {
    // The grace ran out without quorum: now no-quorum-policy applies.
    context.graceOver = true;
    replan(state, "quorum grace over");
    log(out, "warn", "still no quorum after the grace period; applying no-quorum-policy", { graceMs: context.settings.quorumGraceMs ?? 0 });
  }
  // A member that has not stored a write in time may follow another DC: it is asked to join again.
  if (role.kind === "dc") chaseSlowMembers(context, state, out);
  // Joins can cross a view change in flight: ask again until every member answered (after
  // the join too: a member that missed it or was chased above).
  if (nowMs - state.lastJoinSentMs >= JOIN_RESEND_MS && context.members.some((id) => !state.acked.has(id))) sendJoins(context, state, nowMs, out);
  if (role.kind === "dc-joining") completeJoinIfReady(context, role, nowMs, out);
  if (nowMs - state.lastPlanMs >= context.settings.recheckMs) wantPlan(state, "periodic recheck (cluster-recheck-interval)");
}

function onDcMessage(context: Context, role: DcRole, input: Extract<ControllerInput, { kind: "message" }>, out: Effects): void {
  const { from, message } = input;
  if (!context.members.includes(from)) return;
  const state = role.state;
  switch (message.t) {
    case "join":
      onJoin(context, from, message, out);
      return;
    case "join-ack":
      onJoinAck(context, role, from, message, out);
      return;
    case "cib-ack":
      onCibAck(context, state, from, message.writeId, out);
      return;
    case "report":
      onReport(context, state, from, message.report);
      return;
    case "op-result":
      onOpResult(context, state, from, message, out);
      return;
    case "request":
      onRequest(context, role, message.request, { node: from, requestId: message.requestId }, out);
      return;
    case "reply":
      onReply(context, message, out);
      return;
    case "cib":
    case "op":
    case "cleanup":
    case "summary":
    case "fence-history":
      // Only a DC sends these; another node's are stale (it yields when our join reaches it).
      return;
    default:
      unreachable(message, "message");
  }
}
