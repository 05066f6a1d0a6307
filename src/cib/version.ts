// CIB versions as Pacemaker orders them: admin_epoch, then epoch, then
// num_updates. The newest CIB wins when members sync. The digest covers the
// whole model in a canonical form (keys sorted), so two members can tell in one
// comparison whether they hold the same CIB.
import { createHash } from "node:crypto";
import type { Cib, CibVersion } from "./model";

export function compareVersions(left: CibVersion, right: CibVersion): number {
  return left.adminEpoch - right.adminEpoch || left.epoch - right.epoch || left.numUpdates - right.numUpdates;
}

export function formatVersion(version: CibVersion): string {
  return `${version.adminEpoch}.${version.epoch}.${version.numUpdates}`;
}

/** The version after a configuration change (epoch + 1, num_updates reset). */
export function nextConfigurationVersion(version: CibVersion): CibVersion {
  return { adminEpoch: version.adminEpoch, epoch: version.epoch + 1, numUpdates: 0 };
}

/** The version after a status-only change. */
export function nextStatusVersion(version: CibVersion): CibVersion {
  return { ...version, numUpdates: version.numUpdates + 1 };
}

/** JSON with object keys sorted at every level; arrays keep their order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => {
    if (item === null || typeof item !== "object" || Array.isArray(item)) return item;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(item as Record<string, unknown>).sort()) sorted[key] = (item as Record<string, unknown>)[key];
    return sorted;
  });
}

export function cibDigest(cib: Cib): string {
  // No alerts and an empty list of alerts are the same CIB (alerts came later than the other sections).
  // The same for tags.
  let same = cib.alerts !== undefined && cib.alerts.length === 0 ? { ...cib, alerts: undefined } : cib;
  if (same.tags !== undefined && same.tags.length === 0) same = { ...same, tags: undefined };
  return createHash("sha256").update(canonicalJson(same)).digest("hex");
}

/**
 * Of two CIBs, the one members should keep: the higher version wins. Two
 * different CIBs with the same version (two partitions changed it apart) are
 * ordered by digest, so every member picks the same one without talking.
 */
export function chooseNewer(left: Cib, right: Cib): Cib {
  const order = compareVersions(left.version, right.version);
  if (order !== 0) return order > 0 ? left : right;
  return cibDigest(left) >= cibDigest(right) ? left : right;
}
