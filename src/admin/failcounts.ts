// `resource failcount reset` on a CIB file: the fail counts and last failures that the status
// section keeps as transient node attributes (fail-count-RSC#OP_INTERVAL, last-failure-RSC,
// and the older fail-count-RSC), removed for a resource, a node, an operation. Pure.
import type { Cib, Resource } from "../cib";
import { EdgehaError } from "../common/errors";
import { didYouMean } from "../common/suggest";
import { resourcePlaces } from "./lookup";

export interface FailCountFilter {
  resource?: string;
  node?: string;
  /** Only this operation's counts; its interval defaults to 0, as crm_resource reads it. */
  operation?: string;
  intervalMs?: number;
}

/** fail-count-NAME, fail-count-NAME#OP_INTERVAL, last-failure-NAME, last-failure-NAME#OP_INTERVAL. */
function parseFailureName(name: string): { kind: "fail-count" | "last-failure"; resource: string; operation?: string; intervalMs?: number } | undefined {
  const match = /^(fail-count|last-failure)-(.+?)(?:#(.+)_(\d+))?$/.exec(name);
  if (!match) return undefined;
  return { kind: match[1] as "fail-count" | "last-failure", resource: match[2]!, ...(match[3] === undefined ? {} : { operation: match[3], intervalMs: Number(match[4]) }) };
}

/** The ids a resource's fail counts are kept under: itself and what it contains; a clone instance's too (web:1). */
function failureOwners(cib: Cib, name: string): (owner: string) => boolean {
  const found = resourcePlaces(cib).find((place) => place.resource.id === name);
  const ids = new Set<string>([name]);
  const visit = (resource: Resource): void => {
    ids.add(resource.id);
    if (resource.kind === "group") resource.members.forEach(visit);
    if (resource.kind === "clone") visit(resource.child);
  };
  if (found) visit(found.resource);
  return (owner) => ids.has(owner.replace(/:\d+$/, ""));
}

/** Refuses a resource or node that neither the configuration nor the status section knows. */
export function requireFailCountTarget(cib: Cib, filter: FailCountFilter): void {
  const inStatus = cib.status.flatMap((state) => state.transient.flatMap((set) => Object.keys(set.values))).map(parseFailureName).flatMap((parsed) => (parsed ? [parsed.resource] : []));
  const configured = resourcePlaces(cib).map((place) => place.resource.id);
  if (filter.resource !== undefined && !configured.includes(filter.resource) && !inStatus.includes(filter.resource)) {
    throw new EdgehaError("E_ADMIN_UNKNOWN_RESOURCE", `no resource named '${filter.resource}'${didYouMean(filter.resource, configured)}`, { resource: filter.resource });
  }
  const nodes = [...new Set([...cib.nodes.map((node) => node.uname), ...cib.status.map((state) => state.uname)])];
  if (filter.node !== undefined && !nodes.includes(filter.node)) throw new EdgehaError("E_ADMIN_UNKNOWN_NODE", `no node named '${filter.node}'${didYouMean(filter.node, nodes)}`, { node: filter.node });
}

/**
 * Removes the matching fail counts and last failures from the status section. With an
 * operation, only its counts go, and a resource's last-failure goes with its last count on
 * that node. Returns the new CIB (the input is not modified) and what was removed.
 */
export function resetFailCounts(cib: Cib, filter: FailCountFilter): { cib: Cib; cleared: Array<{ node: string; name: string }> } {
  requireFailCountTarget(cib, filter);
  const next = structuredClone(cib);
  const owned = filter.resource === undefined ? () => true : failureOwners(cib, filter.resource);
  const cleared: Array<{ node: string; name: string }> = [];
  for (const state of next.status) {
    if (filter.node !== undefined && state.uname !== filter.node) continue;
    const names = state.transient.flatMap((set) => Object.keys(set.values));
    const remove = new Set(names.filter((name) => {
      const parsed = parseFailureName(name);
      if (!parsed || !owned(parsed.resource)) return false;
      if (filter.operation === undefined) return true;
      return parsed.operation === filter.operation && parsed.intervalMs === (filter.intervalMs ?? 0);
    }));
    // A plain last-failure-RSC belongs to every operation: it goes once no fail count of RSC is left.
    for (const name of names) {
      const parsed = parseFailureName(name);
      if (parsed?.kind !== "last-failure" || parsed.operation !== undefined || !owned(parsed.resource)) continue;
      const left = names.some((other) => !remove.has(other) && parseFailureName(other)?.kind === "fail-count" && parseFailureName(other)?.resource === parsed.resource);
      if (!left) remove.add(name);
    }
    for (const set of state.transient) {
      for (const name of Object.keys(set.values)) {
        if (!remove.has(name)) continue;
        delete set.values[name];
        if (set.pairIds) delete set.pairIds[name];
        cleared.push({ node: state.uname, name });
      }
    }
  }
  if (cleared.length > 0) next.version = { ...next.version, numUpdates: next.version.numUpdates + 1 };
  return { cib: next, cleared };
}
