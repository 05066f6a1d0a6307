// The cluster-wide part of the bootstrap config, and a short digest of each of its
// settings. Every node announces these digests (src/membership/advert.ts), so two
// nodes whose files differ find out, and can name the setting, without sending the
// config itself. Pure. Paths and the log level are local and left out.
import { createHash } from "node:crypto";
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
    "timing.heartbeat_ms": config.timing.heartbeatMs,
    "timing.token_ms": config.timing.tokenMs,
    "timing.consensus_ms": config.timing.consensusMs,
    "timing.join_ms": config.timing.joinMs,
    "timing.echo_ms": config.timing.echoMs,
  };
}

function digestOf(value: unknown): string {
  return createHash("sha256").update(JSON.stringify(value)).digest("hex").slice(0, DIGEST_HEX);
}

/** One short digest per cluster-wide setting (effective values: a default and the same value written agree). */
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
