// The arbiter's decision, pure: which side of a split gets the one arbiter vote.
//
// Nodes send a vote request every few hundred milliseconds naming their current view
// (members, ring id) and the priority of the resources they run. A grant is for one member
// set and lasts leaseMs from the request; a node counts it only while its view is that set.
// The arbiter never grants a different set while an earlier grant may still be counted, so
// two disjoint sides can never both hold the vote. When a new set asks and the old grant has
// lapsed, it waits holdMs to hear every side, then picks: highest priority, else the side
// with the lowest node id (or the highest, if configured).
import { assert } from "../common/errors";

export type ArbiterPreference = "priority-then-lowest" | "lowest" | "highest";

export interface ArbiterSettings {
  leaseMs: number;
  holdMs: number;
  preference: ArbiterPreference;
}

export interface VoteRequest {
  nodeId: number;
  members: number[];
  ringId: number;
  priority: number;
}

interface Candidate { members: number[]; priority: number; lastSeenMs: number }

export interface ArbiterState {
  settings: ArbiterSettings;
  /** The member set (joined as "1,2") holding the vote, and when its lease ends. */
  grantKey: string | undefined;
  grantUntilMs: number;
  candidates: Map<string, Candidate>;
  holdUntilMs: number | undefined;
}

export interface VoteReply { nodeId: number; granted: boolean; members: number[]; ringId: number; leaseMs: number }

export function initialArbiter(settings: ArbiterSettings): ArbiterState {
  assert(settings.leaseMs > 0 && settings.holdMs >= 0, "arbiter timings must be positive");
  return { settings, grantKey: undefined, grantUntilMs: 0, candidates: new Map(), holdUntilMs: undefined };
}

const keyOf = (members: number[]) => [...members].sort((a, b) => a - b).join(",");

/** One request at nowMs; returns the new state and the reply to send. */
export function arbiterRequest(state: ArbiterState, request: VoteRequest, nowMs: number): { state: ArbiterState; reply: VoteReply } {
  const key = keyOf(request.members);
  const candidates = new Map(state.candidates);
  candidates.set(key, { members: request.members, priority: request.priority, lastSeenMs: nowMs });
  // Forget sides not heard from within one lease; the map stays bounded by live views.
  for (const [other, candidate] of candidates) if (nowMs - candidate.lastSeenMs > state.settings.leaseMs) candidates.delete(other);
  let next: ArbiterState = { ...state, candidates };
  const leaseLive = state.grantKey !== undefined && nowMs < state.grantUntilMs;
  if (state.grantKey === key && leaseLive) {
    next = { ...next, grantUntilMs: nowMs + state.settings.leaseMs };
  } else if (!leaseLive) {
    next = decide(next, nowMs);
  }
  const granted = next.grantKey === key && nowMs < next.grantUntilMs;
  if (granted) next = { ...next, grantUntilMs: nowMs + state.settings.leaseMs };
  return { state: next, reply: { nodeId: request.nodeId, granted, members: request.members, ringId: request.ringId, leaseMs: state.settings.leaseMs } };
}

function decide(state: ArbiterState, nowMs: number): ArbiterState {
  const holdUntilMs = state.holdUntilMs ?? nowMs + state.settings.holdMs;
  if (nowMs < holdUntilMs) return { ...state, holdUntilMs };
  const best = [...state.candidates.values()].sort((a, b) => compare(a, b, state.settings.preference))[0];
  if (best === undefined) return { ...state, holdUntilMs: undefined };
  return { ...state, grantKey: keyOf(best.members), grantUntilMs: nowMs + state.settings.leaseMs, holdUntilMs: undefined };
}

function compare(a: Candidate, b: Candidate, preference: ArbiterPreference): number {
  // A side with more nodes is always preferred: it is the healthier partition.
  if (a.members.length !== b.members.length) return b.members.length - a.members.length;
  if (preference === "priority-then-lowest" && a.priority !== b.priority) return b.priority - a.priority;
  const lowA = Math.min(...a.members);
  const lowB = Math.min(...b.members);
  return preference === "highest" ? Math.max(...b.members) - Math.max(...a.members) : lowA - lowB;
}
