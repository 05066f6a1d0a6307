// The join. The DC asks every member of the view to join; each answers with its
// configuration and its report; when every member answered (or the join timeout ran out)
// the DC keeps the newest configuration of the partition (conflicts.ts), distributes it
// (replication.ts), and only then serves the client requests that waited meanwhile.
import { formatVersion } from "../cib";
import type { ControllerMessage } from "./protocol";
import { seedFromSummary } from "./summary";
import { wantPlan } from "./execution";
import { resolveOffers } from "./conflicts";
import { adopt, distribute, forgetLeftMembers, noteAcknowledged, parseWire } from "./replication";
import { servePending } from "./clients";
import { recordFences } from "./fencing";
import { claimOf, localName, log, nameOf, optionsNow, type Context, type DcRole, type DcState, type Effects } from "./context";

/** Resend joins this often to members that have not answered. */
export const JOIN_RESEND_MS = 300;

function newDcState(context: Context, nowMs: number): DcState {
  return {
    ringId: context.ringId, since: context.ringId, quorateSince: undefined, lastJoinSentMs: nowMs, acked: new Set(), joinStartedMs: nowMs, reports: new Map(), transition: undefined, nextTransitionId: 1,
    needPlan: true, planReasons: ["a new DC took over"], lastPlanMs: -Infinity, fenceBlockedUntilMs: -Infinity, writes: new Map(), nextWriteId: 1, stopFailedNodes: new Set(), blocked: new Set(), unfenced: new Map(),
    futile: undefined, planNotBeforeMs: -Infinity, recentPlansMs: [], throttled: false, offers: new Map(), pending: [],
    historySent: new Map(),
  };
}

/** Becomes the DC (or stays it, in a new view) and asks every member to join. */
export function startJoin(context: Context, nowMs: number, out: Effects): void {
  const previous = context.role.kind === "dc" || context.role.kind === "dc-joining" ? context.role.state : undefined;
  if (previous?.transition) previous.transition.aborted = true;
  const state = previous ?? newDcState(context, nowMs);
  if (!previous && context.summary) seedFromSummary(context, state, context.summary);
  state.ringId = context.ringId;
  if (context.quorate) state.quorateSince ??= context.ringId;
  state.acked = new Set([context.settings.localId]);
  state.joinStartedMs = nowMs;
  wantPlan(state, `membership changed (ring ${context.ringId}: ${context.members.map((id) => nameOf(context, id)).join(", ")})`);
  state.reports.set(localName(context), context.localReport);
  // A lost node's last report stays until it is fenced (it tells where its resources were and
  // how important they are for priority-fencing-delay); without fencing it is down at once.
  if (!optionsNow(context).stonithEnabled) for (const name of [...state.reports.keys()]) if (!context.members.some((id) => nameOf(context, id) === name)) state.reports.delete(name);
  for (const name of [...state.unfenced.keys()]) if (!context.members.some((id) => nameOf(context, id) === name)) state.unfenced.delete(name);
  context.role = { kind: "dc-joining", state };
  // Members that left are no longer waited for; a write they held up completes now (or says it may not survive).
  forgetLeftMembers(context, state, out);
  if (state.transition) for (const step of state.transition.steps) {
    if (step.state === "running" && step.kind !== "fence" && !context.members.some((id) => nameOf(context, id) === step.node)) step.state = "failed";
  }
  sendJoins(context, state, nowMs, out);
  completeJoinIfReady(context, context.role, nowMs, out);
}

/** Asks every member of the view that has not answered this ring's join (again). */
export function sendJoins(context: Context, state: DcState, nowMs: number, out: Effects): void {
  state.lastJoinSentMs = nowMs;
  for (const id of context.members) if (!state.acked.has(id)) out.push({ kind: "send", to: id, message: { t: "join", ringId: context.ringId, since: claimOf(state) } });
}

/** The join is complete once every member answered, or the join timeout ran out. */
export function completeJoinIfReady(context: Context, role: DcRole, nowMs: number, out: Effects): void {
  if (role.kind === "dc") return;
  const state = role.state;
  const timedOut = nowMs - state.joinStartedMs >= context.settings.joinTimeoutMs;
  if (!timedOut && context.members.some((id) => !state.acked.has(id))) return;
  context.role = { kind: "dc", state };
  // The DC serves nothing before this: it now holds the newest configuration of the partition.
  adoptNewest(context, state, out);
  const missing = context.members.filter((id) => !state.acked.has(id)).map((id) => nameOf(context, id));
  if (missing.length > 0) log(out, "warn", "members did not answer the join in time", { missing });
  log(out, "info", "join complete", { ringId: state.ringId, members: [...state.acked].map((id) => nameOf(context, id)), cib: formatVersion(context.cib.version) });
  // Like Pacemaker, the nodes section lists every cluster node, so constraints and node
  // attributes can name them; the bootstrap config is where they come from.
  const missingNodes = context.settings.nodes.filter((node) => !context.cib.nodes.some((each) => each.uname === node.name));
  if (missingNodes.length > 0) {
    const nodes = [...context.cib.nodes, ...missingNodes.map((node) => ({ id: String(node.id), uname: node.name, extra: {}, instance: [], utilization: [] }))];
    adopt(context, { ...context.cib, nodes, version: { ...context.cib.version, epoch: context.cib.version.epoch + 1, numUpdates: 0 } }, out);
  } else {
    out.push({ kind: "configure", cib: context.cib });
  }
  distribute(context, state, undefined, out);
  servePending(context, state, out);
}

/**
 * A member answered the join: its report, and its configuration. While joining, the copies
 * are collected and the newest is chosen when the join completes; a member that answers
 * later is compared at once.
 */
export function onJoinAck(context: Context, role: DcRole, from: number, message: Extract<ControllerMessage, { t: "join-ack" }>, out: Effects): void {
  const state = role.state;
  if (message.ringId !== context.ringId) return;
  state.acked.add(from);
  // Filed under the authenticated sender, whatever name the report gives.
  state.reports.set(nameOf(context, from), { ...message.report, node: nameOf(context, from) });
  // The member's fence history joins the cluster's; the member gets the merged one again.
  if (message.fenceHistory) {
    const knownDone = new Set(context.fenceHistory.filter((entry) => entry.state === "done").map((entry) => entry.id));
    recordFences(context, message.fenceHistory);
    forgetFencedStopFailures(context, state, knownDone, out);
  }
  state.historySent.delete(from);
  const theirs = parseWire(message.cib, `the configuration from ${nameOf(context, from)}`, out);
  if (theirs) state.offers.set(from, { cib: theirs, lineage: message.lineage });
  if (role.kind === "dc") {
    adoptNewest(context, state, out);
    distribute(context, state, undefined, out);
  } else {
    completeJoinIfReady(context, role, context.nowMs, out);
  }
  wantPlan(state, `${nameOf(context, from)} joined`);
}

/**
 * A node where a stop failed is fenced for it; when another partition's DC fenced it meanwhile
 * (this DC learns it from a member's fence history at a join), that fencing made it safe, as
 * Pacemaker erases a fenced node's status when it hears of the fencing: it is not fenced again
 * once it is back (simulator seed 98 at the 500 ms heartbeat: node1, alone and without quorum,
 * kept node3's failed stop while node2 fenced node3; when the three met again node1 fenced the
 * rebooted node3 a second time). What the member reports at its join stays the scheduler's to
 * read: a failed stop it still reports fences it again.
 */
function forgetFencedStopFailures(context: Context, state: DcState, knownDone: ReadonlySet<string>, out: Effects): void {
  for (const entry of context.fenceHistory) {
    if (entry.state !== "done" || entry.action === "on" || knownDone.has(entry.id) || !state.stopFailedNodes.has(entry.target)) continue;
    state.stopFailedNodes.delete(entry.target);
    log(out, "info", "a node where a stop failed was fenced by another DC since: it is not fenced again for that stop", { target: entry.target, fencedBy: entry.origin });
  }
}

/** Keeps the newest configuration among this node's and the members' answers (conflicts resolved loudly). */
function adoptNewest(context: Context, state: DcState, out: Effects): void {
  const offers = [...state.offers].map(([id, offer]) => ({ from: nameOf(context, id), ...offer }));
  // Joined before these offers came, the DC's members hold its copy (it distributed it to them).
  const ownHolders = context.role.kind === "dc" ? [...state.acked].filter((id) => !state.offers.has(id)).length : 1;
  state.offers.clear();
  const { chosen, mark } = resolveOffers(context, offers, out, ownHolders);
  if (chosen) adopt(context, chosen.cib, out, { chain: chosen.chain, mark });
  else if (mark) noteAcknowledged(context, mark, out);
}

