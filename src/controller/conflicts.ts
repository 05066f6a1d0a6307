// Which configuration a partition keeps when its members bring different ones to a join:
// the newest version wins (Pacemaker's rule). Two different copies with the same version
// (two partitions that each accepted a change) are a conflict: every node picks the same
// copy (the one most nodes hold, then the greater digest), says so at error level with both digests,
// keeps the other copy as a backup file, and shows it in `edgeha status` — never silently.
import { chainContains, chainOf, checkedLineage, cibDigest, compareMarks, compareVersions, formatMark, formatVersion, markOf, newerMark, sameMark, type Cib, type CibLineage, type CibMark } from "../cib";
import type { ConfigurationConflict } from "./protocol";
import { configurationOnly } from "./summary";
import { log, type Context, type Effects } from "./context";

/** Conflicts shown in the summary (newest last). */
const CONFLICTS_KEPT = 10;

function digestOf(cib: Cib): string {
  return cibDigest(configurationOnly(cib));
}

/** Says, keeps and shows one resolved conflict (once per losing copy). */
export function recordConflict(context: Context, conflict: { winner: Cib; loser: Cib; lostFrom: string; acknowledged?: CibMark | undefined }, out: Effects): void {
  const lostVersion = compareVersions(conflict.loser.version, conflict.winner.version) !== 0 ? formatVersion(conflict.loser.version) : undefined;
  const record: ConfigurationConflict = {
    version: formatVersion(conflict.winner.version), keptDigest: digestOf(conflict.winner), lostDigest: digestOf(conflict.loser), lostFrom: conflict.lostFrom, ...(lostVersion ? { lostVersion } : {}),
    ...(context.epochSeconds > 0 ? { atSeconds: context.epochSeconds } : {}),
  };
  if (context.conflicts.some((each) => each.lostDigest === record.lostDigest && each.keptDigest === record.keptDigest)) return;
  context.conflicts.push(record);
  if (context.conflicts.length > CONFLICTS_KEPT) context.conflicts.splice(0, context.conflicts.length - CONFLICTS_KEPT);
  if (conflict.acknowledged) log(out, "error", `configuration conflict: the copy ${formatVersion(conflict.loser.version)} of ${conflict.lostFrom} does not hold the newest change a quorum acknowledged (${formatMark(conflict.acknowledged)}): a branch that diverged before it; keeping ${record.version}${lostVersion ? "" : " of the same version"}, the other is kept as a backup file`, { ...record, acknowledged: formatMark(conflict.acknowledged) });
  else if (lostVersion) log(out, "error", `configuration conflict: the copy ${lostVersion} of ${conflict.lostFrom} is not part of the history of ${record.version}, which is kept; the other is kept as a backup file`, { ...record });
  else log(out, "error", "configuration conflict: two different copies of the same version; keeping the one most nodes hold (then the greater digest), the other is kept as a backup file", { ...record });
  out.push({ kind: "keep-conflict", cib: configurationOnly(conflict.loser), conflict: record });
}

/** A copy of the configuration offered at a join: by whom, and where it comes from (undefined: a node that keeps no lineage). */
export interface Offer { from: string; cib: Cib; lineage?: CibLineage | undefined }

/** What a join keeps: the copy to adopt (with its chain) when it is not this node's own, and the newest acknowledged mark offered. */
export interface Resolution { chosen: { cib: Cib; chain: CibMark[] } | undefined; mark: CibMark | undefined }

/**
 * The configuration this node should keep, given its own (held by `ownHolders` nodes: this
 * one, and on a joined DC its members that stored it) and the copies members offered:
 * 1. a copy that does not contain the newest change offered as acknowledged by a quorum (the
 *    highest mark, src/cib/lineage.ts) loses, whatever its version: it is a branch that
 *    diverged before that change (a partition that took changes nobody acknowledged);
 * 2. of the rest, the newest version; among different copies of that version, the one most
 *    nodes hold, then the greater digest (Pacemaker's version rule, with a deterministic tie).
 * Every copy set aside that the winner does not contain is recorded as a conflict (logged at
 * error level naming both, kept as a file, shown in status). When a copy set aside carries a
 * higher version than the winner, the winner is written again above every offered version, so
 * every member stores it. Two different marks of the same version (two acknowledged changes
 * apart: a pair without fencing) decide nothing; the version rule then does, loudly.
 */
export function resolveOffers(context: Context, offers: readonly Offer[], out: Effects, ownHolders = 1): Resolution {
  const self = context.settings.nodes.find((node) => node.id === context.settings.localId)?.name ?? "this node";
  const candidates = [
    { from: self, cib: context.cib, chain: context.lineage.chain, mark: context.lineage.mark, weight: Math.max(1, ownHolders) },
    ...offers.map((offer) => {
      const lineage = offer.lineage ? checkedLineage(offer.cib, offer.lineage) : { chain: [markOf(offer.cib)] };
      return { from: offer.from, cib: offer.cib, chain: lineage.chain, mark: lineage.mark, weight: 1 };
    }),
  ];
  let mark: CibMark | undefined;
  for (const candidate of candidates) mark = newerMark(mark, candidate.mark);
  let eligible = candidates;
  /** The acknowledged mark that set copies aside, if one did. */
  let decidedBy: CibMark | undefined;
  const chainOfCopy = new Map(candidates.map((candidate) => [digestOf(candidate.cib), candidate.chain] as const));
  if (mark !== undefined) {
    const top = mark;
    const rivals = candidates.filter((candidate) => candidate.mark !== undefined && compareMarks(candidate.mark, top) === 0 && !sameMark(candidate.mark, top));
    const holding = candidates.filter((candidate) => chainContains(candidate.chain, top));
    if (rivals.length > 0) log(out, "error", "two different configuration changes of the same version were each acknowledged by a quorum (a split whose halves both took changes); the version rule decides between the copies", { marks: [formatMark(top), ...rivals.map((rival) => formatMark(rival.mark!))] });
    else if (holding.length > 0) {
      eligible = holding;
      decidedBy = top;
    }
  }
  let newest = eligible[0]!.cib;
  for (const candidate of eligible) if (compareVersions(candidate.cib.version, newest.version) > 0) newest = candidate.cib;
  const copies = new Map<string, { cib: Cib; chain: CibMark[]; holders: number }>();
  for (const candidate of eligible) {
    if (compareVersions(candidate.cib.version, newest.version) !== 0) continue;
    const digest = digestOf(candidate.cib);
    const copy = copies.get(digest) ?? { cib: candidate.cib, chain: candidate.chain, holders: 0 };
    copy.holders += candidate.weight;
    copies.set(digest, copy);
  }
  const ranked = [...copies.entries()].sort(([leftDigest, left], [rightDigest, right]) => right.holders - left.holders || (rightDigest > leftDigest ? 1 : rightDigest < leftDigest ? -1 : 0));
  const [winnerDigest, winner] = ranked[0]!;
  // Copies set aside: neither the winner nor a copy it was built on.
  const losers = new Map<string, { cib: Cib; from: string[] }>();
  for (const candidate of candidates) {
    const digest = digestOf(candidate.cib);
    if (digest === winnerDigest || chainContains(winner.chain, markOf(candidate.cib))) continue;
    const loser = losers.get(digest) ?? { cib: candidate.cib, from: [] };
    loser.from.push(candidate.from);
    losers.set(digest, loser);
  }
  let cib = winner.cib;
  let chain = winner.chain;
  const above = [...losers.values()].some((loser) => compareVersions(loser.cib.version, winner.cib.version) > 0);
  if (above) {
    let highest = winner.cib.version;
    for (const candidate of candidates) if (compareVersions(candidate.cib.version, highest) > 0) highest = candidate.cib.version;
    cib = { ...winner.cib, version: { adminEpoch: highest.adminEpoch, epoch: highest.epoch + 1, numUpdates: 0 } };
    chain = chainOf(cib, winner.chain);
  }
  for (const loser of losers.values()) recordConflict(context, { winner: cib, loser: loser.cib, lostFrom: loser.from.join(", "), acknowledged: decidedBy !== undefined && !chainContains(chainOfCopy.get(digestOf(loser.cib)) ?? [], decidedBy) ? decidedBy : undefined }, out);
  if (cib === context.cib) return { chosen: undefined, mark };
  if (above) log(out, "error", "keeping a configuration that holds the newest acknowledged change, written again above every version offered so every member stores it", { version: formatVersion(cib.version), from: formatVersion(winner.cib.version) });
  else if (compareVersions(cib.version, context.cib.version) > 0) log(out, "info", "adopting a newer configuration from a member", { version: formatVersion(cib.version) });
  return { chosen: { cib, chain }, mark };
}
