// The cluster-wide part of the bootstrap config, and a short digest of each of its
// settings. Every node announces these digests (src/membership/advert.ts), so two
// nodes whose files differ find out, and can name the setting, without sending the
// config itself. Pure. Paths and the log level are local and left out.
//
// Timing is compared as the file WROTE it, never with the defaults filled in: a newer build may
// change a default (the heartbeat went from 300 to 500 ms), and during a rolling upgrade the old
// and the new build then run side by side with different effective timing, which works (each
// probes a peer that is slower than its own heartbeat, and the peer answers at once) and is not a
// misconfiguration. So "timing.<key>" is announced only for a key the file sets (an older build,
// which announces every key with its effective value, then differs only where this file wrote
// another value), and "timing.written" names the keys written, so two nodes of this build whose
// files set different timing keys (one writes heartbeat_ms, the other leaves it out) still differ.
import { createHash } from "node:crypto";
import { TIMING_FIELDS, TIMING_KEYS } from "./read";
import type { BootstrapConfig } from "./types";

/** Hex digits of sha256 kept per setting: enough to tell files apart, short on the wire. */
const DIGEST_HEX = 8;

/** The settings every node of a cluster must agree on, by their key in the file. */
export function clusterWideSettings(config: BootstrapConfig): Record<string, unknown> {
  const quorum = config.quorum;
  return {
    cluster_name: config.clusterName,
    "transport.port": config.transport.port,
    "transport.crypto": config.transport.crypto,
    nodes: [...config.nodes].sort((left, right) => left.id - right.id).map((node) => ({ name: node.name, id: node.id, links: node.links })),
    "quorum.expected_votes": quorum.expectedVotes,
    "quorum.two_node": quorum.twoNode,
    "quorum.wait_for_all": quorum.waitForAll,
    "quorum.last_man_standing": quorum.lastManStanding,
    "quorum.last_man_standing_window_ms": quorum.lastManStandingWindowMs,
    "quorum.auto_tie_breaker": quorum.autoTieBreaker,
    "quorum.auto_tie_breaker_node": quorum.autoTieBreakerNode,
    "quorum.arbiter": quorum.arbiter === undefined ? null : `${quorum.arbiter.host}:${quorum.arbiter.port}`,
    ...writtenTiming(config),
  };
}

/** "timing.<key>" for each timing key the file sets, and "timing.written": which keys those are (see the top of this file). */
function writtenTiming(config: BootstrapConfig): Record<string, number | string[]> {
  const written = TIMING_KEYS.filter((key) => config.timingWritten === undefined || config.timingWritten.includes(key));
  return { "timing.written": written, ...Object.fromEntries(written.map((key) => [`timing.${key}`, config.timing[TIMING_FIELDS[key]]])) };
}

/**
 * The timing this file writes, in clear: the keys it sets and the value of every timing key in
 * force. Peers announce it beside the digests so a difference in "timing.written" can be named
 * with both values (a digest cannot say which keys, and an older build's advert has no names).
 */
export interface TimingInClear {
  written: string[];
  values: Record<string, number>;
}

export function timingInClear(config: BootstrapConfig): TimingInClear {
  return {
    written: TIMING_KEYS.filter((key) => config.timingWritten === undefined || config.timingWritten.includes(key)),
    values: Object.fromEntries(TIMING_KEYS.map((key) => [key, config.timing[TIMING_FIELDS[key]]])),
  };
}

function digestOf(value: unknown): string {
  return createHash("sha256").update(JSON.stringify(value)).digest("hex").slice(0, DIGEST_HEX);
}

/** One short digest per cluster-wide setting (effective values, so a default and the same value written agree; timing as written). */
export function clusterDigests(config: BootstrapConfig): Record<string, string> {
  return Object.fromEntries(Object.entries(clusterWideSettings(config)).map(([key, value]) => [key, digestOf(value)]));
}

/**
 * The settings whose digests differ, in key order. A key only one side has (a build
 * that knows more settings) is not a difference.
 */
export function digestDifferences(mine: Readonly<Record<string, string>>, theirs: Readonly<Record<string, string>>): string[] {
  return Object.keys(mine).filter((key) => theirs[key] !== undefined && theirs[key] !== mine[key]).sort();
}
