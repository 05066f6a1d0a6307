// Where a copy of the configuration comes from, so a join can tell a diverged branch from a
// newer copy of the same history (a version number alone cannot: two partitions that each took
// changes number them alike). A copy carries its chain: the (version, digest) marks of the
// copies it was built on, itself last, bounded. A node also keeps its mark: the newest change it
// knows a quorum acknowledged (as the DC that answered it, or as a member that stored it from
// its DC). Both are stored with the copy (src/cib/store.ts) before the node answers or acks.
// A node's mark also names the membership ring it was acknowledged in, and marks are ordered by
// ring first, as raft orders log entries by term: a member marks what its DC of a quorate view
// sends as it stores it, before the DC knows whether a quorum holds it, and a DC whose view is
// stale (cut off, not yet aware) can send changes nobody else stores. A later quorate ring
// shares a member with every earlier quorate one, so its ring id is greater: its acknowledged
// change beats such a mark of an earlier ring whatever the versions (simulator seed 367 with
// 5 nodes: node5 marked 0.6.0 from its cut-off DC in ring 2 while ring 5's majority
// acknowledged 0.4.0 on another branch; at the merge 0.6.0 won by version).
import { cibDigest, compareVersions, formatVersion } from "./version";
import type { Cib, CibVersion } from "./model";

export interface CibMark {
  version: CibVersion;
  digest: string;
  /** A node's mark only: the ring in which it was acknowledged (absent in chains, and in marks stored before rings: ring 0). */
  ringId?: number;
}
export interface CibLineage {
  /** Marks of the copies this copy was built on, oldest first, the copy itself last (at most CHAIN_MAX). */
  chain: CibMark[];
  /** The newest change this node knows a quorum acknowledged. */
  mark?: CibMark;
}

/** Marks kept in a chain: older ancestors are assumed contained (as the version rule would). */
export const CHAIN_MAX = 64;
/** Hex characters of the configuration digest a mark keeps. */
const DIGEST_CHARS = 32;

/** The mark of a copy: its version and the digest of its configuration (no status). */
export function markOf(cib: Cib): CibMark {
  return { version: { ...cib.version }, digest: cibDigest({ ...cib, status: [] }).slice(0, DIGEST_CHARS) };
}

export function sameMark(left: CibMark | undefined, right: CibMark | undefined): boolean {
  return left !== undefined && right !== undefined && left.digest === right.digest && compareVersions(left.version, right.version) === 0;
}

export function formatMark(mark: CibMark): string {
  return `${formatVersion(mark.version)}/${mark.digest.slice(0, 12)}`;
}

/** The chain of `cib`: `base` (the chain it was built on, or its own when it came with one) ending with `cib`'s mark. */
export function chainOf(cib: Cib, base: readonly CibMark[]): CibMark[] {
  const own = markOf(cib);
  const chain = sameMark(base[base.length - 1], own) ? [...base] : [...base.filter((mark) => compareVersions(mark.version, own.version) < 0), own];
  return chain.slice(-CHAIN_MAX);
}

/**
 * Whether a copy with this chain holds the change `mark`: the mark is in its chain, or older
 * than the oldest mark the chain knows (beyond what it keeps, or a copy from a node that keeps
 * no chain: the version rule then decides, as it did before chains).
 */
export function chainContains(chain: readonly CibMark[], mark: CibMark): boolean {
  if (chain.length === 0) return true;
  if (chain.some((each) => sameMark(each, mark))) return true;
  return compareVersions(mark.version, chain[0]!.version) < 0;
}

/** The order of two acknowledged marks: by the ring they were acknowledged in, then by version. */
export function compareMarks(left: CibMark, right: CibMark): number {
  return Math.sign((left.ringId ?? 0) - (right.ringId ?? 0)) || compareVersions(left.version, right.version);
}

/** The newer of two marks (by ring, then version; the first on a tie). */
export function newerMark(left: CibMark | undefined, right: CibMark | undefined): CibMark | undefined {
  if (left === undefined) return right;
  if (right === undefined) return left;
  return compareMarks(right, left) > 0 ? right : left;
}

const isVersion = (value: unknown): value is CibVersion => {
  const version = value as Record<string, unknown> | null;
  return typeof version === "object" && version !== null && ["adminEpoch", "epoch", "numUpdates"].every((key) => Number.isSafeInteger(version[key]) && (version[key] as number) >= 0);
};
const isMark = (value: unknown): value is CibMark => {
  const mark = value as Record<string, unknown> | null;
  return typeof mark === "object" && mark !== null && isVersion(mark.version) && typeof mark.digest === "string" && /^[0-9a-f]{1,64}$/.test(mark.digest)
    && (mark.ringId === undefined || (Number.isSafeInteger(mark.ringId) && (mark.ringId as number) >= 0));
};

/**
 * The lineage stored or received with `cib`, checked: a chain that does not end with the copy's
 * own mark (or is malformed) is replaced by the copy alone (its ancestry unknown).
 */
export function checkedLineage(cib: Cib, value: unknown): CibLineage {
  const own = markOf(cib);
  const raw = (typeof value === "object" && value !== null ? value : {}) as { chain?: unknown; mark?: unknown };
  const chain = Array.isArray(raw.chain) && raw.chain.length <= CHAIN_MAX && raw.chain.every(isMark) && sameMark(raw.chain[raw.chain.length - 1], own) ? (raw.chain as CibMark[]).map((mark) => ({ version: { ...mark.version }, digest: mark.digest })) : [own];
  return { chain, ...(isMark(raw.mark) ? { mark: { version: { ...raw.mark.version }, digest: raw.mark.digest, ...(raw.mark.ringId !== undefined ? { ringId: raw.mark.ringId } : {}) } } : {}) };
}
