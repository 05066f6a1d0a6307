// The operation history of each resource on this node, which the controller
// reads: like Pacemaker's status section it keeps the last result of each
// (action, interval) and the last failure, plus a bounded list of recent calls.

export interface HistoryEntry {
  callId: number;
  action: string;
  intervalMs: number;
  rc: number;
  /** Milliseconds since the epoch, from the runner's clock. */
  startedAtMs: number;
  runTimeMs: number;
  queueTimeMs: number;
  exitReason?: string;
  failed: boolean;
}

export interface ResourceHistory {
  /** Key "action:intervalMs" -> the last result of that operation. */
  last: Record<string, HistoryEntry>;
  lastFailure?: HistoryEntry;
  recent: HistoryEntry[];
}

export const RECENT_ENTRIES_MAX = 32;

export function operationKey(action: string, intervalMs: number): string {
  return `${action}:${intervalMs}`;
}

export function record(history: ResourceHistory | undefined, entry: HistoryEntry): ResourceHistory {
  const previous = history ?? { last: {}, recent: [] };
  const next: ResourceHistory = {
    last: { ...previous.last, [operationKey(entry.action, entry.intervalMs)]: entry },
    recent: [...previous.recent, entry].slice(-RECENT_ENTRIES_MAX),
  };
  const lastFailure = entry.failed ? entry : previous.lastFailure;
  if (lastFailure) next.lastFailure = lastFailure;
  return next;
}

/**
 * A completed start or stop replaces what recurring monitors said before it, as
 * in Pacemaker: after a stop there is no monitor result to act on.
 */
export function recordStateChange(history: ResourceHistory | undefined, entry: HistoryEntry): ResourceHistory {
  const updated = record(history, entry);
  if (entry.action !== "start" && entry.action !== "stop") return updated;
  const last = Object.fromEntries(Object.entries(updated.last).filter(([, value]) => value.intervalMs === 0));
  return { ...updated, last };
}
