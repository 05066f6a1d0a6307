// Membership core types: what a node knows, what it hears, what it asks the runner to do.

export interface MembershipSettings {
  nodeIds: number[];
  heartbeatMs: number;
  /** Silence on every link for this long marks a peer unreachable. */
  tokenMs: number;
  /** A peer that comes back is counted reachable only after this long of steady heartbeats. */
  rejoinHoldMs: number;
  /** Each flap doubles the hold, up to this many doublings (flap damping). */
  flapDoublingsMax: number;
  /** A peer that stays steady this long has its flap count forgotten. */
  flapForgetMs: number;
  /**
   * A peer silent this long (but not yet for tokenMs) is probed: heartbeats go out every
   * probeEveryMs asking for an answer at once, so a lost heartbeat or two is made up for well
   * before the token runs out. Absent: no probing (the token alone must cover lost packets).
   */
  probeAfterMs?: number;
  probeEveryMs?: number;
  /**
   * A peer whose MACHINE stopped answering (the runner's echo: ARP on the links, answered by the
   * peer's kernel, see src/node/liveness.ts) and whose agent then answers none of the probes sent
   * every hostProbeEveryMs for hostConfirmMs is lost at once, without waiting for the token.
   * Absent: only the token counts.
   */
  hostConfirmMs?: number;
  hostProbeEveryMs?: number;
}

export interface View {
  ringId: number;
  /** Sorted node ids. */
  members: number[];
  /** Incarnation of each member when the view was formed. */
  incarnations: Record<number, number>;
}

/** What a node says in every heartbeat. */
export interface Heartbeat {
  incarnation: number;
  /** Peers this node hears steadily (its own id excluded). */
  reach: number[];
  view: View;
  /** The member set this node wants, with the ring id it would give it; null when content. */
  proposal: { members: number[]; ringId: number } | null;
  /** Set when the sender misses a peer and asks every receiver to answer at once. */
  probe?: true;
  /**
   * Set when the sender leaves the cluster (a clean stop): receivers drop it from their view at
   * once instead of waiting for its token to run out. It hears nobody any more (reach is empty).
   */
  leaving?: true;
}

export interface PeerState {
  incarnation: number;
  lastHeardMs: number;
  /** Start of the current run of heartbeats without a gap longer than tokenMs. */
  steadySinceMs: number;
  flaps: number;
  lastFlapMs: number;
  last: Heartbeat;
  /** This incarnation of the peer announced that it leaves: it is no longer reachable. */
  left?: true;
  /** When the runner reported that the peer's machine stopped answering (see MembershipSettings.hostConfirmMs). */
  hostSilentSinceMs?: number;
}

export interface MembershipState {
  settings: MembershipSettings;
  localId: number;
  incarnation: number;
  nowMs: number;
  nextHeartbeatMs: number;
  /** When this node last sent a heartbeat that asked for an answer (see MembershipSettings.probeAfterMs). */
  lastProbeMs: number;
  /** This node prefers to answer its peers' heartbeats rather than send first (see following in step.ts). */
  follows?: boolean;
  /** This node leaves the cluster: its heartbeats say so until the runner stops sending them. */
  leaving?: true;
  peers: Record<number, PeerState>;
  view: View;
  /** Highest ring id this node has seen anywhere; new rings are above it. */
  ringSeen: number;
  viewChanges: number;
}

export type MembershipInput =
  | { kind: "tick"; nowMs: number }
  /**
   * The runner itself was paused (its event loop blocked) for pausedMs: what it reads now was
   * sent meanwhile. Peers are credited the pause, so our own stall is not their silence.
   */
  | { kind: "paused"; pausedMs: number; nowMs: number }
  | { kind: "heartbeat"; from: number; heartbeat: Heartbeat; nowMs: number }
  /** This node leaves (a clean stop): from now on its heartbeats announce it, the first at once. */
  | { kind: "leave"; nowMs: number }
  /** The runner's echo: the peer's machine answers again, or has stopped answering on every link. */
  | { kind: "host"; from: number; answering: boolean; nowMs: number };

export type MembershipEffect =
  | { kind: "broadcast"; heartbeat: Heartbeat }
  | { kind: "view"; view: View; reason: string };
