// Election. Every node takes the DC from the agreed view: a node that knew a DC elects
// the lowest member at once when that DC leaves; a node that starts without knowing one
// waits electionWaitMs for a DC to announce itself (a join) first, so that a returning
// node does not take the role from a healthy DC. When two DCs meet in one view, the older
// claim keeps the role (claimOf: leading a quorate partition first), then the lower id.
import type { ControllerInput } from "./context";
import { claimOf, claimWins, currentDc, dcState, log, nameOf, type Context, type DcState, type Effects } from "./context";
import type { ControllerMessage } from "./protocol";
import { configurationOnly } from "./summary";
import { startJoin } from "./join";
import { abandonPending } from "./clients";

/** The bookkeeping of a new view that does not depend on the role. */
export function applyView(context: Context, input: Extract<ControllerInput, { kind: "view" }>): void {
  context.ringId = input.ringId;
  context.members = [...input.members].sort((left, right) => left - right);
  setQuorate(context, input.quorate, input.nowMs);
  for (const id of context.members) {
    context.expectedUp.add(nameOf(context, id));
    context.known.add(nameOf(context, id));
  }
  // A node fenced while still in the view counts as offline only until it leaves the view, or
  // until it is in the view again as a new process (a larger incarnation: it rebooted and came
  // back before this node saw a view without it; corosync's CPG reports that as a leave and a join).
  context.incarnations = { ...(input.incarnations ?? {}) };
  for (const name of [...context.fencedInView]) {
    const id = context.members.find((member) => nameOf(context, member) === name);
    const fencedAs = context.fencedIncarnations.get(name);
    const now = id === undefined ? undefined : context.incarnations[id];
    if (id !== undefined && !(fencedAs !== undefined && now !== undefined && now > fencedAs)) continue;
    context.fencedInView.delete(name);
    context.fencedIncarnations.delete(name);
  }
}

export function setQuorate(context: Context, quorate: boolean, nowMs: number): void {
  if (context.quorate && !quorate) {
    context.quorumLostAtMs = nowMs;
    context.graceOver = false;
  }
  if (quorate) context.quorumLostAtMs = undefined;
  context.quorate = quorate;
}

/**
 * No DC is known: elect at once if one was known before, else wait for an announcement.
 * The wait starts again when the view gains members (a node that starts alone and then
 * meets its peers gives their DC the whole wait to announce itself); views only shrinking
 * or repeating do not postpone the election.
 */
export function awaitElection(context: Context, nowMs: number, gained: boolean, out: Effects): void {
  if (context.knewDc) {
    elect(context, nowMs, out);
    return;
  }
  const deadlineMs = nowMs + context.settings.electionWaitMs;
  if (context.role.kind !== "electing") context.role = { kind: "electing", deadlineMs };
  else if (context.role.deadlineMs === undefined || gained) context.role.deadlineMs = Math.max(context.role.deadlineMs ?? 0, deadlineMs);
}

/** The lowest member of the view is the DC. */
export function elect(context: Context, nowMs: number, out: Effects): void {
  const dc = context.members[0] ?? context.settings.localId;
  context.knewDc = true;
  log(out, "info", "elected the DC", { dc: nameOf(context, dc), ringId: context.ringId });
  if (dc === context.settings.localId) startJoin(context, nowMs, out);
  else context.role = { kind: "follower", dc, claim: undefined, waitingSinceMs: nowMs };
}

/**
 * A follower whose DC did not ask it to join within joinTimeoutMs of a new view: that node is
 * no longer a DC (it yielded, or followed another, in a view this node was not part of) and,
 * being in the view, it is never taken for lost. Like Pacemaker's election on a membership
 * change, the election runs again (the lowest member); a DC with a stronger claim keeps its
 * role through the claims exchanged in the joins.
 */
export function followerTimedOut(context: Context, role: Extract<Context["role"], { kind: "follower" }>, nowMs: number, out: Effects): boolean {
  if (role.claim !== undefined || role.waitingSinceMs === undefined || nowMs - role.waitingSinceMs < context.settings.joinTimeoutMs) return false;
  log(out, "warn", "the DC did not ask this node to join the new view: electing again", { dc: nameOf(context, role.dc), ringId: context.ringId, waitedMs: nowMs - role.waitingSinceMs });
  loseDc(context, out, false);
  elect(context, nowMs, out);
  return true;
}

/** This DC gives up its role and the election runs again at once (see stepDc). */
export function reelect(context: Context, state: DcState, nowMs: number, out: Effects): void {
  log(out, "info", "the view grew and this node never led a quorate partition: electing again", { ringId: context.ringId });
  stepDown(state, out);
  context.role = { kind: "electing", deadlineMs: undefined };
  elect(context, nowMs, out);
}

/** This node stops being the DC: its transition is aborted, requests that waited for its join are answered. */
function stepDown(state: DcState, out: Effects): void {
  if (state.transition) state.transition.aborted = true;
  abandonPending(state, out);
}

/** The DC this node followed left the view: requests it never answered are answered here. */
export function loseDc(context: Context, out: Effects, left = true): void {
  const dc = currentDc(context);
  if (dc !== undefined && left) log(out, "warn", "the DC left the view", { dc: nameOf(context, dc), ringId: context.ringId });
  // Not applied unless stored, so the client is told to check and retry.
  for (const clientId of context.forwarded.values()) out.push({ kind: "reply", clientId, reply: { ok: false, code: "E_NOT_DC", error: "the DC left the cluster before answering; the change may not have been applied: check and retry" } });
  context.forwarded.clear();
  context.role = { kind: "electing", deadlineMs: undefined };
}

/**
 * A join from `from`. A DC compares claims: when its own wins it answers with its own join
 * (the other yields on receiving it); when the other's wins, it yields. Any other node
 * follows the sender.
 */
export function onJoin(context: Context, from: number, message: Extract<ControllerMessage, { t: "join" }>, out: Effects): void {
  if (message.ringId !== context.ringId) return;
  const state = dcState(context);
  if (state) {
    if (!claimWins(message.since, from, claimOf(state), context.settings.localId)) {
      out.push({ kind: "send", to: from, message: { t: "join", ringId: context.ringId, since: claimOf(state) } });
      return;
    }
    log(out, "info", "yielding the DC role", { to: nameOf(context, from) });
    stepDown(state, out);
  } else if (context.role.kind === "follower" && context.role.dc !== from && context.role.claim !== undefined && !claimWins(message.since, from, context.role.claim, context.role.dc)) {
    // Two DCs of one view both asked this node to join (partitions merged). The one with the
    // weaker claim yields when the other's join reaches it, so this node stays with the
    // stronger, whichever join came last: following the loser would leave it with a DC that
    // is about to stop being one, and the winner, holding its answer already, would never
    // ask again (issue 15, defect 3).
    log(out, "info", "ignoring a join from a node whose claim to the DC role is weaker than this node's DC's", { from: nameOf(context, from), dc: nameOf(context, context.role.dc) });
    return;
  }
  follow(context, from, message.since, out);
}

/** Follows `dc` and answers its join with this node's configuration and report. */
function follow(context: Context, dc: number, claim: number, out: Effects): void {
  context.role = { kind: "follower", dc, claim, waitingSinceMs: undefined };
  context.knewDc = true;
  out.push({ kind: "send", to: dc, message: { t: "join-ack", ringId: context.ringId, cib: JSON.parse(JSON.stringify(configurationOnly(context.cib))) as unknown, report: context.localReport, lineage: { chain: [...context.lineage.chain], ...(context.lineage.mark ? { mark: context.lineage.mark } : {}) }, ...(context.fenceHistory.length > 0 ? { fenceHistory: [...context.fenceHistory] } : {}) } });
}
