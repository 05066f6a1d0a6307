// The membership state machine: heartbeats, failure detection and view agreement.
//
// Each node gossips which peers it hears steadily. From the latest gossip every node
// builds the same matrix (a pair is connected only if each hears the other), splits the
// nodes into fully connected groups deterministically (clique.ts) and proposes its own
// group. A view is installed when every member of the group proposes the same members;
// its ring id is the largest proposed one, above every ring any proposer had seen. A
// member that already installed the view is followed (adopted), so all members converge
// on one ring id. Nothing here reads a clock: time arrives with every input.
import { assert, unreachable } from "../common/errors";
import { partitionIntoCliques } from "./clique";
import type { Heartbeat, MembershipEffect, MembershipInput, MembershipSettings, MembershipState, PeerState, View } from "./types";

export interface StepResult {
  state: MembershipState;
  effects: MembershipEffect[];
  /**
   * The earliest local time at which a tick can change anything (a heartbeat due, a peer's
   * token running out, a rejoin hold or flap memory ending). A runner may sleep until then,
   * or until a heartbeat arrives: ticks before it are no-ops.
   */
  nextDeadlineMs: number;
}

export function initialMembership(settings: MembershipSettings, localId: number, incarnation: number, nowMs: number, ringSeen = 0): MembershipState {
  assert(settings.nodeIds.includes(localId), `node ${localId} is not in the configuration`);
  assert(settings.tokenMs > settings.heartbeatMs, "token must be longer than the heartbeat interval");
  // No view yet: the first tick installs one above every ring this node has seen, so a
  // restarted node never shows a ring id it used before (ringSeen comes from its state dir).
  const view: View = { ringId: ringSeen, members: [], incarnations: {} };
  return { settings, localId, incarnation, nowMs, nextHeartbeatMs: nowMs, lastProbeMs: -Infinity, peers: {}, view, ringSeen, viewChanges: 0 };
}

/**
 * The settings changed while running (a reload of the timing, a node added or removed): peers
 * no longer configured are forgotten (the next tick proposes a view without them), new ones are
 * taken in when first heard. The view itself changes only through the usual agreement.
 */
export function reconfigureMembership(state: MembershipState, settings: MembershipSettings): MembershipState {
  assert(settings.nodeIds.includes(state.localId), `node ${state.localId} is not in the configuration`);
  assert(settings.tokenMs > settings.heartbeatMs, "token must be longer than the heartbeat interval");
  const peers: MembershipState["peers"] = {};
  // A shorter token: each peer's silence so far keeps its share of the token (it was judged by the
  // old one), so a peer heard one old heartbeat ago is not lost the moment the token shrinks.
  const scale = Math.min(1, settings.tokenMs / state.settings.tokenMs);
  for (const [id, peer] of Object.entries(state.peers)) {
    if (!settings.nodeIds.includes(Number(id))) continue;
    peers[Number(id)] = scale === 1 ? peer : { ...peer, lastHeardMs: Math.max(peer.lastHeardMs, state.nowMs - Math.floor((state.nowMs - peer.lastHeardMs) * scale)) };
  }
  // A heartbeat due later than one new interval from now is brought forward.
  const nextHeartbeatMs = Math.min(state.nextHeartbeatMs, state.nowMs + settings.heartbeatMs);
  return { ...state, settings, peers, nextHeartbeatMs };
}

/**
 * A peer silent for a quarter interval longer than a heartbeat is probed every quarter interval:
 * with the default token of two heartbeats (the least the config allows) that is three probes,
 * each answered at once, before the token runs out; a token of three heartbeats gives seven. A
 * lost heartbeat then costs a probe and its answer, not a view change.
 */
export function probeTiming(heartbeatMs: number): { probeAfterMs: number; probeEveryMs: number } {
  const quarterMs = Math.max(1, Math.floor(heartbeatMs / 4));
  return { probeAfterMs: heartbeatMs + quarterMs, probeEveryMs: quarterMs };
}

export function stepMembership(state: MembershipState, input: MembershipInput): StepResult {
  const result = stepInner(state, input);
  return { ...result, nextDeadlineMs: nextDeadlineMs(result.state) };
}

/** See StepResult.nextDeadlineMs. */
export function nextDeadlineMs(state: MembershipState): number {
  const { settings, nowMs } = state;
  let deadline = ownHeartbeatDueMs(state);
  const consider = (atMs: number) => { if (atMs > nowMs && atMs < deadline) deadline = atMs; };
  for (const id of settings.nodeIds) {
    const peer = state.peers[id];
    if (id === state.localId || peer === undefined || peer.left === true) continue;
    consider(lostAtMs(settings, peer));
    consider(peer.steadySinceMs + holdMs(settings, peer, nowMs));
    if (peer.flaps > 0) consider(peer.lastFlapMs + settings.flapForgetMs + 1);
    if (settings.probeAfterMs !== undefined && settings.probeAfterMs < settings.tokenMs) consider(peer.lastHeardMs + settings.probeAfterMs);
  }
  const periodMs = probePeriodMs(state);
  if (periodMs !== undefined) consider(state.lastProbeMs + periodMs);
  return deadline;
}

function stepInner(state: MembershipState, input: MembershipInput): Omit<StepResult, "nextDeadlineMs"> {
  let next: MembershipState;
  switch (input.kind) {
    case "tick":
      next = { ...state, nowMs: Math.max(state.nowMs, input.nowMs) };
      break;
    case "heartbeat":
      next = receive({ ...state, nowMs: Math.max(state.nowMs, input.nowMs) }, input.from, input.heartbeat);
      break;
    case "paused":
      next = creditPause({ ...state, nowMs: Math.max(state.nowMs, input.nowMs) }, input.pausedMs);
      break;
    case "leave":
      next = { ...state, nowMs: Math.max(state.nowMs, input.nowMs), leaving: true };
      break;
    case "host":
      next = hostReport({ ...state, nowMs: Math.max(state.nowMs, input.nowMs) }, input.from, input.answering);
      break;
    default:
      return unreachable(input, "membership input");
  }
  const before = proposalOf(state);
  const decided = decide(next);
  const effects = decided.effects;
  const after = proposalOf(decided.state);
  const changed = effects.length > 0 || !sameProposal(before, after) || (input.kind === "leave" && state.leaving !== true);
  const periodMs = probePeriodMs(decided.state);
  const probe = periodMs !== undefined && decided.state.nowMs >= decided.state.lastProbeMs + periodMs;
  const periodic = decided.state.nowMs >= ownHeartbeatDueMs(decided.state) || answersEarly(decided.state, input) || answersProbe(decided.state, input) || probe;
  if (changed || periodic) {
    const heartbeat = probe ? { ...heartbeatOf(decided.state), probe: true as const } : heartbeatOf(decided.state);
    const nextHeartbeatMs = periodic ? decided.state.nowMs + decided.state.settings.heartbeatMs : decided.state.nextHeartbeatMs;
    effects.push({ kind: "broadcast", heartbeat });
    const result = { ...decided.state, nextHeartbeatMs, lastProbeMs: probe ? decided.state.nowMs : decided.state.lastProbeMs };
    // The proposal does not depend on nextHeartbeatMs: the next step starts from it.
    proposals.set(result, after);
    return { state: result, effects };
  }
  return decided;
}

/**
 * A heartbeat that arrives in the second half of our own interval is answered at once with ours,
 * which was due soon anyway: peers then send in step, each answering the first one's heartbeat in
 * the same wake-up that received it, and an idle pair wakes three times per interval instead of
 * four. Heartbeats only ever go out earlier than due, never later, so no peer's silence grows.
 */
function answersEarly(state: MembershipState, input: MembershipInput): boolean {
  return input.kind === "heartbeat" && state.nextHeartbeatMs - state.nowMs <= state.settings.heartbeatMs / 2;
}

/**
 * A node that follows sends on its own timer only an eighth of an interval after its heartbeat
 * is due; until then a peer's heartbeat, answered at once (answersEarly), comes first. So a pair
 * in which one node follows keeps in step with that node waking once per interval, the other
 * twice (its timer, then the answer), instead of the two taking turns. The agent makes the node
 * that runs resources follow: the busier node wakes less for heartbeats. Peers still hear a
 * follower at least every 1.125 intervals, before they would start probing it (1.25).
 */
function ownHeartbeatDueMs(state: MembershipState): number {
  return state.follows === true ? state.nextHeartbeatMs + Math.floor(state.settings.heartbeatMs / 8) : state.nextHeartbeatMs;
}

/** The same state, following (or not) from now on (see ownHeartbeatDueMs). */
export function following(state: MembershipState, follows: boolean): MembershipState {
  return (state.follows === true) === follows ? state : { ...state, follows };
}

/** A probe from a peer whose heartbeat was taken (its incarnation is current) is answered at once. */
function answersProbe(state: MembershipState, input: MembershipInput): boolean {
  return input.kind === "heartbeat" && input.heartbeat.probe === true && input.from !== state.localId && state.peers[input.from]?.lastHeardMs === state.nowMs;
}

/**
 * How often this node asks for an answer at once, or undefined when it does not. It does while
 * some peer has been silent past probeAfterMs but not yet for the token, every probeEveryMs; and
 * while some peer's machine stopped answering and its agent has not been heard since, every
 * hostProbeEveryMs until hostConfirmMs is over. One answer ends it, so a healthy pair never
 * probes, and a peer that is really gone costs a few extra heartbeats before it is lost.
 */
function probePeriodMs(state: MembershipState): number | undefined {
  const { probeAfterMs, probeEveryMs, tokenMs, hostProbeEveryMs } = state.settings;
  let periodMs: number | undefined;
  for (const id of state.settings.nodeIds) {
    const peer = state.peers[id];
    if (id === state.localId || peer === undefined || peer.left === true) continue;
    const silenceMs = state.nowMs - peer.lastHeardMs;
    if (probeAfterMs !== undefined && probeEveryMs !== undefined && silenceMs >= probeAfterMs && silenceMs < tokenMs) periodMs = Math.min(periodMs ?? Infinity, probeEveryMs);
    if (hostProbeEveryMs !== undefined && confirming(state.settings, peer) && state.nowMs < lostAtMs(state.settings, peer)) periodMs = Math.min(periodMs ?? Infinity, hostProbeEveryMs);
  }
  return periodMs;
}

/** The peer's machine stopped answering and its agent has not been heard since: its loss is being confirmed. */
function confirming(settings: MembershipSettings, peer: PeerState): boolean {
  return settings.hostConfirmMs !== undefined && peer.hostSilentSinceMs !== undefined && peer.lastHeardMs <= peer.hostSilentSinceMs;
}

/** When the peer counts as lost: at the end of its token, or sooner once its silent machine's loss is confirmed. */
export function lostAtMs(settings: MembershipSettings, peer: PeerState): number {
  const tokenEndMs = peer.lastHeardMs + settings.tokenMs;
  return confirming(settings, peer) ? Math.min(tokenEndMs, peer.hostSilentSinceMs! + settings.hostConfirmMs!) : tokenEndMs;
}

/** The runner's echo about a peer's machine; a peer never heard from is not judged by it. */
function hostReport(state: MembershipState, from: number, answering: boolean): MembershipState {
  const peer = state.peers[from];
  if (from === state.localId || peer === undefined) return state;
  if (answering) {
    if (peer.hostSilentSinceMs === undefined) return state;
    const { hostSilentSinceMs: _cleared, ...rest } = peer;
    return { ...state, peers: { ...state.peers, [from]: rest } };
  }
  if (peer.hostSilentSinceMs !== undefined) return state;
  return { ...state, peers: { ...state.peers, [from]: { ...peer, hostSilentSinceMs: state.nowMs } } };
}

function receive(state: MembershipState, from: number, heartbeat: Heartbeat): MembershipState {
  if (from === state.localId || !state.settings.nodeIds.includes(from)) return state;
  const known = state.peers[from];
  const now = state.nowMs;
  if (known !== undefined && heartbeat.incarnation < known.incarnation) return state;
  // A peer that announced its leave stays gone until it starts again (a new incarnation).
  if (known?.left === true && heartbeat.incarnation === known.incarnation) return state;
  let peer: PeerState;
  if (known === undefined || heartbeat.incarnation > known.incarnation) {
    peer = { incarnation: heartbeat.incarnation, lastHeardMs: now, steadySinceMs: now, flaps: known?.flaps ?? 0, lastFlapMs: known?.lastFlapMs ?? -Infinity, last: heartbeat };
  } else if (now >= lostAtMs(state.settings, known)) {
    // The steady run was broken: count a flap, so a link that keeps flapping waits longer each time.
    const flaps = now - known.lastFlapMs > state.settings.flapForgetMs ? 1 : known.flaps + 1;
    peer = { ...known, lastHeardMs: now, steadySinceMs: now, flaps, lastFlapMs: now, last: heartbeat };
  } else {
    peer = { ...known, lastHeardMs: now, last: heartbeat };
  }
  if (heartbeat.leaving === true) peer = { ...peer, left: true };
  return { ...state, peers: { ...state.peers, [from]: peer }, ringSeen: Math.max(state.ringSeen, heartbeat.view.ringId) };
}

/** Shifts every peer's clocks by the pause (never past now), so silence and steadiness are measured as if it had not happened. */
function creditPause(state: MembershipState, pausedMs: number): MembershipState {
  if (!(pausedMs > 0)) return state;
  const peers: Record<number, PeerState> = {};
  for (const [id, peer] of Object.entries(state.peers)) {
    const shifted = { ...peer, lastHeardMs: Math.min(state.nowMs, peer.lastHeardMs + pausedMs), steadySinceMs: Math.min(state.nowMs, peer.steadySinceMs + pausedMs) };
    peers[Number(id)] = peer.hostSilentSinceMs === undefined ? shifted : { ...shifted, hostSilentSinceMs: Math.min(state.nowMs, peer.hostSilentSinceMs + pausedMs) };
  }
  return { ...state, peers };
}

export function holdMs(settings: MembershipSettings, peer: PeerState, nowMs: number): number {
  const flaps = nowMs - peer.lastFlapMs > settings.flapForgetMs ? 0 : Math.min(peer.flaps, settings.flapDoublingsMax);
  return settings.rejoinHoldMs * 2 ** flaps;
}

/** Peers heard within the token and steady for their hold time (none while this node leaves). */
export function reachable(state: MembershipState): number[] {
  const out: number[] = [];
  if (state.leaving === true) return out;
  for (const id of state.settings.nodeIds) {
    const peer = state.peers[id];
    if (id === state.localId || peer === undefined || peer.left === true) continue;
    if (state.nowMs >= lostAtMs(state.settings, peer)) continue;
    if (state.nowMs - peer.steadySinceMs < holdMs(state.settings, peer, state.nowMs)) continue;
    out.push(id);
  }
  return out;
}

function incarnationOf(state: MembershipState, id: number): number {
  return id === state.localId ? state.incarnation : state.peers[id]!.incarnation;
}

function sameView(state: MembershipState, view: View, members: number[]): boolean {
  return view.members.length === members.length && members.every((id, index) => view.members[index] === id && view.incarnations[id] === incarnationOf(state, id));
}

/**
 * The group this node belongs to under the deterministic split. The matrix holds every node
 * this node hears and every node that one of those reports hearing, so a node that lost one
 * direction of a link computes the same split as the nodes on the other side (for a node it
 * no longer hears, the reach from its last heartbeat stands; it is not connected to us anyway).
 */
export function candidateOf(state: MembershipState): number[] {
  let group = candidates.get(state);
  if (group === undefined) candidates.set(state, (group = computeCandidate(state)));
  return group;
}

// A step asks for the group and the proposal of the same state several times, and the next
// step asks again for the state the last one returned. States are never mutated, so both are
// remembered per state object (a cache of pure functions: the results are the same).
const candidates = new WeakMap<MembershipState, number[]>();
const proposals = new WeakMap<MembershipState, Heartbeat["proposal"]>();

function sameProposal(left: Heartbeat["proposal"], right: Heartbeat["proposal"]): boolean {
  if (left === null || right === null) return left === right;
  return left.ringId === right.ringId && left.members.length === right.members.length && left.members.every((id, index) => right.members[index] === id);
}

function computeCandidate(state: MembershipState): number[] {
  const mine = reachable(state);
  const alive = new Set([state.localId, ...mine]);
  for (const id of mine) for (const other of state.peers[id]!.last.reach) if (state.settings.nodeIds.includes(other)) alive.add(other);
  const reachOf = (id: number) => (id === state.localId ? mine : state.peers[id]?.last.reach ?? []);
  const connected = (a: number, b: number) => reachOf(a).includes(b) && reachOf(b).includes(a);
  const group = partitionIntoCliques([...alive], connected).find((members) => members.includes(state.localId));
  assert(group !== undefined, "every node belongs to one group");
  return group;
}

function proposalOf(state: MembershipState): Heartbeat["proposal"] {
  let proposal = proposals.get(state);
  if (proposal === undefined) proposals.set(state, (proposal = computeProposal(state)));
  return proposal;
}

function computeProposal(state: MembershipState): Heartbeat["proposal"] {
  if (state.leaving === true) return null;
  const members = candidateOf(state);
  if (content(state, members)) return null;
  return { members, ringId: Math.max(state.ringSeen, state.view.ringId) + 1 };
}

/** Content: my view is my group, and every other member of it reports a view with the same members. */
function content(state: MembershipState, members: number[]): boolean {
  if (!sameView(state, state.view, members)) return false;
  const key = members.join(",");
  return members.every((id) => id === state.localId || state.peers[id]!.last.view.members.join(",") === key);
}

function heartbeatOf(state: MembershipState): Heartbeat {
  const heartbeat: Heartbeat = { incarnation: state.incarnation, reach: reachable(state), view: state.view, proposal: proposalOf(state) };
  return state.leaving === true ? { ...heartbeat, leaving: true } : heartbeat;
}

function decide(state: MembershipState): Omit<StepResult, "nextDeadlineMs"> {
  // A node that leaves keeps its last view: it hears nobody any more, and a view of itself
  // alone would make it act (elect itself, fence the peer) on its way out.
  if (state.leaving === true) return { state, effects: [] };
  const members = candidateOf(state);
  const others = members.filter((id) => id !== state.localId);
  // Follow a member that already installed exactly this group with a newer ring, so every
  // member ends on the same ring id even when proposals crossed.
  for (const id of others) {
    const theirs = state.peers[id]!.last.view;
    if (theirs.ringId > state.view.ringId && sameView(state, theirs, members)) return install(state, theirs, `joined ring ${theirs.ringId} formed by node ${id}`);
  }
  // My view already is my group: members that lag behind follow it by the rule above, so
  // forming yet another ring for the same members would only add a needless view change.
  if (sameView(state, state.view, members)) return { state, effects: [] };
  let ringId = Math.max(state.ringSeen, state.view.ringId) + 1;
  for (const id of others) {
    const heard = state.peers[id]!.last;
    const proposal = heard.proposal;
    if (proposal === null || proposal.members.join(",") !== members.join(",")) return { state, effects: [] };
    ringId = Math.max(ringId, proposal.ringId);
  }
  const incarnations: Record<number, number> = {};
  for (const id of members) incarnations[id] = incarnationOf(state, id);
  return install(state, { ringId, members, incarnations }, others.length === 0 ? "no peer reachable" : "every member agreed");
}

function install(state: MembershipState, view: View, reason: string): Omit<StepResult, "nextDeadlineMs"> {
  assert(view.ringId > state.view.ringId, "ring ids only grow");
  const next = { ...state, view, ringSeen: Math.max(state.ringSeen, view.ringId), viewChanges: state.viewChanges + 1 };
  return { state: next, effects: [{ kind: "view", view, reason }] };
}
