// What a node must do when it wakes up after a gap in its own clock (pure: time is an input).
//
// The runner's event loop may have been paused: CPU starvation, memory pressure, a debugger,
// SIGSTOP, a suspended VM. Peers judge a node by the heartbeats they hear, so what matters is
// how long ago this node's last heartbeat went out:
//   - shorter than the token: no peer can have declared this node lost. If the runner woke
//     later than it meant to, it was paused, and whatever it reads now may have been sent
//     meanwhile: the peers are credited the whole time since it last woke (their silence was
//     ours). Crediting too much only delays noticing a peer that died during our pause;
//     crediting too little turns our pause into a peer's flap and a view change;
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
  /** When this node last sent a heartbeat (what its peers last heard of it). */
  lastHeartbeatSentMs: number;
  heartbeatMs: number;
  tokenMs: number;
  /** Its current view holds another node. */
  peersInView: boolean;
}

export type WakeVerdict =
  | { kind: "steady" }
  /** Woke late: paused for up to pausedMs (since it last woke), but heard in time: credit the peers. */
  | { kind: "paused"; pausedMs: number }
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
  const pausedMs = facts.nowMs - facts.lastActivityMs;
  if (facts.nowMs - facts.plannedWakeMs > lateToleranceMs(facts.heartbeatMs) && pausedMs > 0) return { kind: "paused", pausedMs };
  return { kind: "steady" };
}
