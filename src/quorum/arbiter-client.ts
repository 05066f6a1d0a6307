// The node side of the arbiter, pure: when to ask, and whether a grant still counts.
//
// A grant counts only for the view it names (members and ring id) and only until
// safetyRatio x lease after this node SENT the request, measured on its own clock, so a
// grant that the arbiter might already have handed elsewhere is never counted.
export interface ArbiterClientState {
  requestEveryMs: number;
  leaseSafetyRatio: number;
  lastRequestMs: number;
  grant: { key: string; ringId: number; validUntilMs: number } | undefined;
}

export function initialArbiterClient(requestEveryMs: number, leaseSafetyRatio = 0.8): ArbiterClientState {
  return { requestEveryMs, leaseSafetyRatio, lastRequestMs: -Infinity, grant: undefined };
}

export function requestDue(state: ArbiterClientState, nowMs: number): boolean {
  return nowMs - state.lastRequestMs >= state.requestEveryMs;
}

export function requestSent(state: ArbiterClientState, nowMs: number): ArbiterClientState {
  return { ...state, lastRequestMs: nowMs };
}

export function replyReceived(state: ArbiterClientState, reply: { granted: boolean; members: number[]; ringId: number; leaseMs: number; sentAtMs: number }): ArbiterClientState {
  if (!reply.granted) return state;
  const validUntilMs = reply.sentAtMs + reply.leaseMs * state.leaseSafetyRatio;
  if (state.grant !== undefined && state.grant.validUntilMs > validUntilMs && state.grant.key === reply.members.join(",")) return state;
  return { ...state, grant: { key: [...reply.members].sort((a, b) => a - b).join(","), ringId: reply.ringId, validUntilMs } };
}

export function holdsVote(state: ArbiterClientState, members: number[], ringId: number, nowMs: number): boolean {
  const grant = state.grant;
  return grant !== undefined && grant.ringId === ringId && grant.key === [...members].sort((a, b) => a - b).join(",") && nowMs < grant.validUntilMs;
}

/** When the client next needs a tick: the next request, or the end of a grant it holds. */
export function arbiterDeadlineMs(state: ArbiterClientState, nowMs: number): number {
  let deadline = state.lastRequestMs + state.requestEveryMs;
  if (state.grant !== undefined && state.grant.validUntilMs > nowMs) deadline = Math.min(deadline, state.grant.validUntilMs);
  return deadline;
}
