// Which configuration a partition keeps when its members bring different ones to a join:
// the newest version wins (Pacemaker's rule). Two different copies with the same version
// (two partitions that each accepted a change) are a conflict: every node picks the same
// copy (the greater digest, src/cib chooseNewer), says so at error level with both digests,
// keeps the other copy as a backup file, and shows it in `edgeha status` — never silently.
import { chooseNewer, cibDigest, compareVersions, formatVersion, type Cib } from "../cib";
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
  log(out, "error", "configuration conflict: two different copies of the same version; keeping the one with the greater digest, the other is kept as a backup file", { ...record });
  out.push({ kind: "keep-conflict", cib: configurationOnly(conflict.loser), conflict: record });
}

/**
 * The configuration this node should keep, given its own and the copies members offered
 * (by node name): the newest, conflicts resolved and recorded. Returns undefined when its
 * own copy stays.
 */
export function resolveOffers(context: Context, offers: ReadonlyArray<{ from: string; cib: Cib }>, out: Effects): Cib | undefined {
  let winner = context.cib;
  for (const offer of offers) winner = chooseNewer(winner, offer.cib);
  const candidates = [{ from: "this node", cib: context.cib }, ...offers];
  const seen = new Set([digestOf(winner)]);
  for (const candidate of candidates) {
    if (compareVersions(candidate.cib.version, winner.version) !== 0) continue;
    const digest = digestOf(candidate.cib);
    if (seen.has(digest)) continue;
    seen.add(digest);
    recordConflict(context, { winner, loser: candidate.cib, lostFrom: candidate.from === "this node" ? context.settings.nodes.find((node) => node.id === context.settings.localId)?.name ?? "this node" : candidate.from }, out);
  }
  if (winner === context.cib) return undefined;
  if (compareVersions(winner.version, context.cib.version) > 0) log(out, "info", "adopting a newer configuration from a member", { version: formatVersion(winner.version) });
  return winner;
}
