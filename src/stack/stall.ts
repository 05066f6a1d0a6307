// What a node must do when it wakes up after a gap in its own clock (pure: time is an input).
//
// The runner's event loop may have been paused: CPU starvation, memory pressure, a debugger,
// SIGSTOP, a suspended VM. Peers judge a node by the heartbeats they hear, so what matters is
// how long ago this node's last heartbeat went out:
//   - shorter than the token: no peer can have declared this node lost. If the runner woke
//     later than it meant to, it was paused, and whatever it reads now may have been sent
//     meanwhile: the peers are credited the pause (their silence was ours). When it began is
//     not known (the loop may have been blocked before the timer was due), so the first pause
//     in a token is credited the whole time since the runner last woke; later ones within the
//     same token only how late the runner woke. Crediting too little turns our pause into a
//     peer's flap and a view change; crediting the whole gap every time would let a machine
//     that is always a little late never notice a dead peer;
//   - the token or longer: every peer may have declared this node lost, formed a view without
//     it, and (with fencing that waits, or without fencing) started its resources elsewhere.
//     This node must not carry on as if nothing happened: before it sends, runs or feeds
//     anything it stops its resources (or lets the watchdog reset it) and starts afresh.
// A node alone in its view has no peer that could have taken over, so its gap is only a pause.

export interface WakeFacts {
  nowMs: number;
  /** When the runner last woke (any input). */
  lastActivityMs: number;
  /** When the runner meant to wake at the latest (the deadline it last slept until). */
  plannedWakeMs: number;
  /** When a pause was last credited the whole gap since the previous wake-up. */
  lastWholeCreditMs: number;
  /** When this node last sent a heartbeat (what its peers last heard of it). */
  lastHeartbeatSentMs: number;
  heartbeatMs: number;
  tokenMs: number;
  /** Its current view holds another node. */
  peersInView: boolean;
}

export type WakeVerdict =
  | { kind: "steady" }
  /** Woke late: credit the peers pausedMs; whole: the whole gap since the last wake-up (see above). */
  | { kind: "paused"; pausedMs: number; whole: boolean }
  /** Silent for silentMs (at least thresholdMs): peers may have declared this node lost. */
  | { kind: "stalled"; silentMs: number; thresholdMs: number };

/**
 * The silence after which peers may have declared this node lost: the token, less 2 % for
 * clocks that run at slightly different rates (a peer's token may end a little before ours).
 */
export function stallThresholdMs(tokenMs: number): number {
  return tokenMs - Math.max(1, Math.ceil(tokenMs / 50));
}

/** How late a runner may wake without counting as paused: timers fire a little late on a busy machine. */
export function lateToleranceMs(heartbeatMs: number): number {
  return Math.max(15, Math.floor(heartbeatMs / 8));
}

export function judgeWake(facts: WakeFacts): WakeVerdict {
  const silentMs = facts.nowMs - facts.lastHeartbeatSentMs;
  const thresholdMs = stallThresholdMs(facts.tokenMs);
  if (facts.peersInView && silentMs >= thresholdMs) return { kind: "stalled", silentMs, thresholdMs };
  const lateMs = facts.nowMs - facts.plannedWakeMs;
  if (lateMs <= lateToleranceMs(facts.heartbeatMs)) return { kind: "steady" };
  const whole = facts.nowMs - facts.lastWholeCreditMs >= facts.tokenMs;
  const pausedMs = whole ? facts.nowMs - facts.lastActivityMs : lateMs;
  return pausedMs > 0 ? { kind: "paused", pausedMs, whole } : { kind: "steady" };
}
