// Frames dropped for reasons a person must hear about, per source address: a peer with
// another authkey, another cluster on the same port, a node that is missing from our
// nodes list, two nodes with one id. The codec only counts; this ledger remembers who,
// how many in the last minute, and when a log line is due (at once for the first frame
// of a kind from a source, then at most once a minute with the count meanwhile).
// No clock of its own: the caller hands in the time. Bounded: at most SOURCES_MAX entries,
// the least recently heard evicted first, so a flood of forged sources cannot grow it.
import type { DropReason } from "./frame";

/** The drop reasons that point at a misconfiguration (the others are loss, replay or damage). */
export type MisconfigurationReason = "auth" | "cluster" | "unknown-sender" | "self" | "version";
const REPORTED: ReadonlySet<DropReason> = new Set<DropReason>(["auth", "cluster", "unknown-sender", "self", "version"]);

export const DROP_WINDOW_MS = 60_000;
/** The window is counted in buckets of this width (six per minute). */
const BUCKET_MS = 10_000;
const BUCKETS = DROP_WINDOW_MS / BUCKET_MS;
/** At most one log line per source and reason in this time (the first one at once). */
export const DROP_LOG_INTERVAL_MS = 60_000;
export const SOURCES_MAX = 64;

export interface DropReport {
  source: string;
  reason: MisconfigurationReason;
  /** Frames dropped for this reason from this source in the last minute. */
  count: number;
  /** The node id the frames claimed (unauthenticated). */
  claimedSender?: number;
  /** One line for `status` and the log, naming the likely cause. */
  message: string;
}

interface Entry {
  source: string;
  reason: MisconfigurationReason;
  claimedSender: number | undefined;
  /** Counts per bucket; bucketStart[i] is the start of the bucket counts[i] holds. */
  counts: number[];
  bucketStarts: number[];
  lastHeardMs: number;
  lastLoggedMs: number;
  /** Drops since the last log line. */
  sinceLog: number;
}

/** What a person should suspect, by reason. */
export function describeDrops(source: string, reason: MisconfigurationReason, count: number, claimedSender: number | undefined): string {
  const frames = `${count} frame${count === 1 ? "" : "s"}`;
  switch (reason) {
    case "auth":
      return `${source}: ${frames} failed authentication in the last minute: a different authkey?`;
    case "cluster":
      return `${source}: ${frames} for another cluster in the last minute: a different cluster_name, or a second cluster on the same port?`;
    case "unknown-sender":
      return `${source}: ${frames} from node id ${claimedSender ?? "?"}, which is not in this node's nodes list, in the last minute: a node added elsewhere, or a different nodes list?`;
    case "self":
      return `${source}: ${frames} claiming this node's own id ${claimedSender ?? "?"} in the last minute: two nodes configured with the same id?`;
    case "version":
      return `${source}: ${frames} in a frame layout this build does not read, in the last minute: an edgeha more than one release apart?`;
    default: {
      const unknown: never = reason;
      return unknown;
    }
  }
}

export class DropLedger {
  private readonly entries = new Map<string, Entry>();

  /**
   * Notes one dropped frame; returns the report to log when a log line is due (the first
   * drop of its kind from its source, then at most once per DROP_LOG_INTERVAL_MS).
   */
  note(source: string, reason: DropReason, nowMs: number, claimedSender?: number): DropReport | undefined {
    if (!REPORTED.has(reason)) return undefined;
    const kind = reason as MisconfigurationReason;
    const key = `${source}|${kind}|${claimedSender ?? ""}`;
    let entry = this.entries.get(key);
    if (entry === undefined) {
      this.evictIfFull();
      entry = { source, reason: kind, claimedSender, counts: new Array<number>(BUCKETS).fill(0), bucketStarts: new Array<number>(BUCKETS).fill(-Infinity), lastHeardMs: nowMs, lastLoggedMs: -Infinity, sinceLog: 0 };
    } else {
      // Re-inserted, so the map's order stays least recently heard first.
      this.entries.delete(key);
    }
    this.entries.set(key, entry);
    const bucketStart = Math.floor(nowMs / BUCKET_MS) * BUCKET_MS;
    const slot = Math.floor(bucketStart / BUCKET_MS) % BUCKETS;
    if (entry.bucketStarts[slot] !== bucketStart) {
      entry.bucketStarts[slot] = bucketStart;
      entry.counts[slot] = 0;
    }
    entry.counts[slot]!++;
    entry.lastHeardMs = nowMs;
    entry.sinceLog++;
    if (nowMs - entry.lastLoggedMs < DROP_LOG_INTERVAL_MS) return undefined;
    const count = entry.lastLoggedMs === -Infinity ? entry.sinceLog : this.countOf(entry, nowMs);
    entry.lastLoggedMs = nowMs;
    entry.sinceLog = 0;
    return this.reportOf(entry, count);
  }

  /** Every source with drops in the last minute, most frames first. */
  recent(nowMs: number): DropReport[] {
    const reports: DropReport[] = [];
    for (const entry of this.entries.values()) {
      const count = this.countOf(entry, nowMs);
      if (count > 0) reports.push(this.reportOf(entry, count));
    }
    return reports.sort((left, right) => right.count - left.count || left.source.localeCompare(right.source, "en"));
  }

  private reportOf(entry: Entry, count: number): DropReport {
    return {
      source: entry.source, reason: entry.reason, count, ...(entry.claimedSender !== undefined ? { claimedSender: entry.claimedSender } : {}),
      message: describeDrops(entry.source, entry.reason, count, entry.claimedSender),
    };
  }

  private countOf(entry: Entry, nowMs: number): number {
    let count = 0;
    for (let slot = 0; slot < BUCKETS; slot++) {
      const start = entry.bucketStarts[slot]!;
      // A bucket counts while any of it lies inside the last DROP_WINDOW_MS.
      if (start + BUCKET_MS > nowMs - DROP_WINDOW_MS && start <= nowMs) count += entry.counts[slot]!;
    }
    return count;
  }

  private evictIfFull(): void {
    while (this.entries.size >= SOURCES_MAX) {
      const oldest = this.entries.keys().next();
      if (oldest.done) return;
      this.entries.delete(oldest.value);
    }
  }
}
