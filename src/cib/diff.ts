// Patches between two CIBs, for replication: the DC sends a patch from the
// version a member holds to the new one instead of the whole CIB. A patch names
// its base version and digest and is refused unless the receiver holds exactly
// that CIB; after applying it, the result must have the target digest, so a
// member can never end up with a CIB that no other member holds. Pure: no I/O.
import { EdgehaError } from "../common/errors";
import type { Attributes, Cib, CibVersion } from "./model";
import { canonicalJson, cibDigest, compareVersions, formatVersion } from "./version";

/** The sections of the CIB that are lists of items with an id. */
export const LIST_SECTIONS = ["properties", "nodes", "resources", "constraints", "rscDefaults", "opDefaults", "fencingTopology", "alerts", "tags", "status"] as const;
export type ListSection = (typeof LIST_SECTIONS)[number];

type Item = { id: string };

export type CibChange =
  | { kind: "attributes"; attributes: Attributes }
  /** Adds the item, or replaces the item with the same id where it stands. */
  | { kind: "put"; section: ListSection; item: Item }
  | { kind: "remove"; section: ListSection; id: string }
  /** The ids of the section in their new order (sent only when the order changed). */
  | { kind: "order"; section: ListSection; ids: string[] }
  /** The whole section, when its ids are not unique and items cannot be told apart. */
  | { kind: "replace"; section: ListSection; items: Item[] };

export interface CibPatch {
  base: CibVersion;
  baseDigest: string;
  target: CibVersion;
  targetDigest: string;
  changes: CibChange[];
}

function uniqueIds(items: readonly Item[]): boolean {
  return new Set(items.map((item) => item.id)).size === items.length;
}

function sectionChanges(section: ListSection, before: readonly Item[], after: readonly Item[]): CibChange[] {
  if (!uniqueIds(before) || !uniqueIds(after)) {
    return canonicalJson(before) === canonicalJson(after) ? [] : [{ kind: "replace", section, items: structuredClone([...after]) }];
  }
  const changes: CibChange[] = [];
  const beforeById = new Map(before.map((item) => [item.id, item]));
  const afterIds = new Set(after.map((item) => item.id));
  for (const item of before) if (!afterIds.has(item.id)) changes.push({ kind: "remove", section, id: item.id });
  for (const item of after) {
    const old = beforeById.get(item.id);
    if (!old || canonicalJson(old) !== canonicalJson(item)) changes.push({ kind: "put", section, item: structuredClone(item) });
  }
  // Order after the removals and puts above: kept items stay, new ones are appended.
  const resulting = [...before.filter((item) => afterIds.has(item.id)).map((item) => item.id)];
  for (const item of after) if (!beforeById.has(item.id)) resulting.push(item.id);
  const wanted = after.map((item) => item.id);
  if (resulting.join("\u0000") !== wanted.join("\u0000")) changes.push({ kind: "order", section, ids: wanted });
  return changes;
}

/** The patch that turns `before` into `after`. */
export function diffCibs(before: Cib, after: Cib): CibPatch {
  const changes: CibChange[] = [];
  if (canonicalJson(before.attributes) !== canonicalJson(after.attributes)) changes.push({ kind: "attributes", attributes: { ...after.attributes } });
  for (const section of LIST_SECTIONS) {
    changes.push(...sectionChanges(section, (before[section] ?? []) as readonly Item[], (after[section] ?? []) as readonly Item[]));
  }
  return { base: { ...before.version }, baseDigest: cibDigest(before), target: { ...after.version }, targetDigest: cibDigest(after), changes };
}

function applyChange(cib: Cib, change: CibChange): void {
  if (change.kind === "attributes") {
    cib.attributes = { ...change.attributes };
    return;
  }
  const sections = cib as unknown as Record<ListSection, Item[]>;
  const list = (sections[change.section] ??= []);
  switch (change.kind) {
    case "replace":
      sections[change.section] = structuredClone(change.items);
      return;
    case "remove": {
      const index = list.findIndex((item) => item.id === change.id);
      if (index >= 0) list.splice(index, 1);
      return;
    }
    case "put": {
      const index = list.findIndex((item) => item.id === change.item.id);
      if (index >= 0) list[index] = structuredClone(change.item);
      else list.push(structuredClone(change.item));
      return;
    }
    case "order": {
      const byId = new Map(list.map((item) => [item.id, item]));
      sections[change.section] = change.ids.map((id) => {
        const item = byId.get(id);
        if (!item) throw new EdgehaError("E_CIB_PATCH", `the patch orders ${change.section} with the id '${id}', which the CIB does not hold`);
        return item;
      });
      return;
    }
    default: {
      const unknown: never = change;
      throw new EdgehaError("E_CIB_PATCH", `unknown patch change ${JSON.stringify(unknown)}`);
    }
  }
}

/**
 * Applies a patch to the CIB it was made from and returns the new CIB (the
 * input is not modified). Refuses a patch whose base is not `cib` and one whose
 * result does not have the target digest.
 */
export function applyCibPatch(cib: Cib, patch: CibPatch): Cib {
  if (compareVersions(cib.version, patch.base) !== 0) {
    throw new EdgehaError("E_CIB_PATCH", `the patch applies to CIB version ${formatVersion(patch.base)}, but this CIB is version ${formatVersion(cib.version)}`);
  }
  if (cibDigest(cib) !== patch.baseDigest) {
    throw new EdgehaError("E_CIB_PATCH", `the patch applies to a CIB of version ${formatVersion(patch.base)} with other contents than this one (digests differ)`);
  }
  const result = structuredClone(cib);
  for (const change of patch.changes) applyChange(result, change);
  // No alerts left is written as none (the section came later than the others).
  if (result.alerts !== undefined && result.alerts.length === 0) delete result.alerts;
  if (result.tags !== undefined && result.tags.length === 0) delete result.tags;
  result.version = { ...patch.target };
  if (cibDigest(result) !== patch.targetDigest) {
    throw new EdgehaError("E_CIB_PATCH", `applying the patch to version ${formatVersion(patch.base)} did not give the CIB of version ${formatVersion(patch.target)} (digests differ)`);
  }
  return result;
}
