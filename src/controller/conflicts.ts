// Which configuration a partition keeps when its members bring different ones to a join:
// the newest version wins (Pacemaker's rule). Two different copies with the same version
// (two partitions that each accepted a change) are a conflict: every node picks the same
// copy (the one most nodes hold, then the greater digest), says so at error level with both digests,
// keeps the other copy as a backup file, and shows it in `edgeha status` — never silently.
import { cibDigest, compareVersions, formatVersion, type Cib } from "../cib";
import type { ConfigurationConflict } from "./protocol";
import { configurationOnly } from "./summary";
import { log, type Context, type Effects } from "./context";

/** Conflicts shown in the summary (newest last). */
const CONFLICTS_KEPT = 10;

function digestOf(cib: Cib): string {
  return cibDigest(configurationOnly(cib));
}

/** Says, keeps and shows one resolved conflict (once per losing copy). */
export function recordConflict(context: Context, conflict: { winner: Cib; loser: Cib; lostFrom: string }, out: Effects): void {
  const record: ConfigurationConflict = {
    version: formatVersion(conflict.winner.version), keptDigest: digestOf(conflict.winner), lostDigest: digestOf(conflict.loser), lostFrom: conflict.lostFrom,
    ...(context.epochSeconds > 0 ? { atSeconds: context.epochSeconds } : {}),
  };
  if (context.conflicts.some((each) => each.lostDigest === record.lostDigest && each.keptDigest === record.keptDigest)) return;
  context.conflicts.push(record);
  if (context.conflicts.length > CONFLICTS_KEPT) context.conflicts.splice(0, context.conflicts.length - CONFLICTS_KEPT);
  log(out, "error", "configuration conflict: two different copies of the same version; keeping the one most nodes hold (then the greater digest), the other is kept as a backup file", { ...record });
  out.push({ kind: "keep-conflict", cib: configurationOnly(conflict.loser), conflict: record });
}

/**
 * The configuration this node should keep, given its own (held by `ownHolders` nodes: this
 * one, and on a joined DC its members that stored it) and the copies members offered (by
 * node name): the newest version; among different copies of that version, the one most
 * nodes hold (an acknowledged change was stored on a whole quorate partition, a copy nobody
 * acknowledged usually on the one node that made it), then the greater digest. The others
 * are recorded as conflicts. Returns undefined when its own copy stays.
 */
export function resolveOffers(context: Context, offers: ReadonlyArray<{ from: string; cib: Cib }>, out: Effects, ownHolders = 1): Cib | undefined {
  const self = context.settings.nodes.find((node) => node.id === context.settings.localId)?.name ?? "this node";
  const candidates = [{ from: self, cib: context.cib, weight: Math.max(1, ownHolders) }, ...offers.map((offer) => ({ ...offer, weight: 1 }))];
  let newest = context.cib;
  for (const candidate of candidates) if (compareVersions(candidate.cib.version, newest.version) > 0) newest = candidate.cib;
  const copies = new Map<string, { cib: Cib; holders: number; from: string[] }>();
  for (const candidate of candidates) {
    if (compareVersions(candidate.cib.version, newest.version) !== 0) continue;
    const digest = digestOf(candidate.cib);
    const copy = copies.get(digest) ?? { cib: candidate.cib, holders: 0, from: [] };
    copy.holders += candidate.weight;
    copy.from.push(candidate.from);
    copies.set(digest, copy);
  }
  const ranked = [...copies.entries()].sort(([leftDigest, left], [rightDigest, right]) => right.holders - left.holders || (rightDigest > leftDigest ? 1 : rightDigest < leftDigest ? -1 : 0));
  const winner = ranked[0]![1].cib;
  for (const [, copy] of ranked.slice(1)) recordConflict(context, { winner, loser: copy.cib, lostFrom: copy.from.join(", ") }, out);
  if (digestOf(winner) === digestOf(context.cib) && compareVersions(winner.version, context.cib.version) === 0) return undefined;
  if (compareVersions(winner.version, context.cib.version) > 0) log(out, "info", "adopting a newer configuration from a member", { version: formatVersion(winner.version) });
  return winner;
}
