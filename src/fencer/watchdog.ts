// Watchdog self-fencing with sbd's semantics, the pure part. A node that runs a watchdog
// feeds it only while it is healthy; when it is not, the watchdog resets the machine within
// its timeout. The others may then take a node they lost for fenced once
// stonith-watchdog-timeout has passed (Pacemaker's definition), through the "watchdog"
// fencing device: a topology level of its own (level 1 IPMI, level 2 watchdog), or the only
// way when no device can fence the node. Where this is unsafe it is refused with the reason:
//   - a two-node cluster without an arbiter: both halves of a split keep quorum (two_node),
//     so neither stops feeding while each takes the other for fenced (sbd refuses diskless
//     watchdog fencing there too);
//   - stonith-watchdog-timeout not longer than twice the lost node's watchdog timeout: the
//     node notices the loss up to a token later than its peers, then needs its watchdog's
//     whole timeout to reset; twice the timeout is the margin Pacemaker's docs advise.
// stonith-watchdog-timeout: 0 (default) turns it off; a negative value means twice the
// largest watchdog timeout plus one second. Pure.
import { parseDurationMs } from "../cib/index";

/** The name Pacemaker gives the watchdog device in fencing-topology levels. */
export const WATCHDOG_DEVICE = "watchdog";

/** The node attribute a node running a watchdog publishes: its watchdog's timeout in ms. */
export const WATCHDOG_ATTRIBUTE = "#watchdog-timeout-ms";

export interface WatchdogHealth {
  /** The node's partition has quorum (or, in a pair, holds the arbiter's vote). */
  quorate: boolean;
  /** A resource is active on this node. */
  resourcesActive: boolean;
  /** A stop failed here and waits for escalation (fencing). */
  failedStopPending: boolean;
  /** This node's last heartbeat is as old as the token (SIGSTOP, starvation): its peers may have lost it. */
  stalled?: boolean;
}

/** Feed the watchdog? sbd's rules; the event loop being responsive is the feeding itself. */
export function mayFeedWatchdog(health: WatchdogHealth): { feed: boolean; reason: string } {
  if (health.stalled) return { feed: false, reason: "this node stalled as long as the token (its peers may have taken it for lost)" };
  if (health.failedStopPending) return { feed: false, reason: "a stop failed and waits for fencing" };
  if (!health.quorate && health.resourcesActive) return { feed: false, reason: "quorum lost with resources active" };
  return { feed: true, reason: health.quorate ? "quorate" : "no quorum, but nothing runs here" };
}

export interface WatchdogFencingSettings {
  /** stonith-watchdog-timeout in ms as the CIB says (0 off, negative automatic). */
  stonithWatchdogTimeoutMs: number;
  /** Nodes in the cluster's configuration. */
  nodeCount: number;
  hasArbiter: boolean;
}

/** stonith-watchdog-timeout as text (Pacemaker accepts a duration, a plain number of seconds, or a negative number). */
export function parseStonithWatchdogTimeoutMs(text: string | undefined): number {
  if (text === undefined || text.trim() === "") return 0;
  const trimmed = text.trim();
  if (/^-\d+(\.\d+)?$/.test(trimmed)) return -1;
  try {
    return parseDurationMs(trimmed, "stonith-watchdog-timeout");
  } catch {
    return 0;
  }
}

/** The wait in force for a target whose watchdog has this timeout, or why watchdog fencing may not be used. */
export function watchdogWaitMs(settings: WatchdogFencingSettings, targetWatchdogTimeoutMs: number | undefined): { waitMs: number } | { refused: string } {
  if (settings.stonithWatchdogTimeoutMs === 0) return { refused: "stonith-watchdog-timeout is 0 (watchdog fencing is off)" };
  if (targetWatchdogTimeoutMs === undefined || targetWatchdogTimeoutMs <= 0) return { refused: "the node does not run a watchdog (it published no watchdog timeout)" };
  if (settings.nodeCount === 2 && !settings.hasArbiter) {
    return { refused: "watchdog fencing is unsafe in a two-node cluster without an arbiter: both halves of a split keep quorum, so neither resets itself; add an arbiter (quorum.arbiter) or a fence device" };
  }
  const waitMs = settings.stonithWatchdogTimeoutMs < 0 ? 2 * targetWatchdogTimeoutMs + 1000 : settings.stonithWatchdogTimeoutMs;
  if (waitMs <= 2 * targetWatchdogTimeoutMs) {
    return { refused: `stonith-watchdog-timeout (${waitMs / 1000} s) is not longer than twice the node's watchdog timeout (${targetWatchdogTimeoutMs / 1000} s); set it above ${(2 * targetWatchdogTimeoutMs) / 1000} s` };
  }
  return { waitMs };
}
