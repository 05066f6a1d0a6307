// Node priorities for priority-fencing-delay, from the CIB's status section: the
// sum of the `priority` meta attribute of the resources active on each node, a
// promoted instance counting one more (as Pacemaker counts them). A resource is
// active on a node when its latest recorded operation there is a successful
// start, promote, migrate_from or monitor. Pure.
import type { Cib, NvSet, Resource } from "../cib/index";

const ACTIVE_OPERATIONS = new Set(["start", "promote", "migrate_from", "monitor"]);
const OCF_RUNNING_PROMOTED = 8;

function priorityOf(meta: readonly NvSet[]): number | undefined {
  for (const set of meta) {
    const value = set.values["priority"];
    if (value !== undefined && /^-?\d+$/.test(value.trim())) return Number(value);
  }
  return undefined;
}

/** Resource id -> priority, a member or clone child inheriting its parent's when it has none. */
function resourcePriorities(resources: readonly Resource[], defaults: readonly NvSet[]): Map<string, number> {
  const result = new Map<string, number>();
  const fallback = priorityOf(defaults) ?? 0;
  const visit = (resource: Resource, inherited: number): void => {
    const own = priorityOf(resource.meta) ?? inherited;
    result.set(resource.id, own);
    if (resource.kind === "group") resource.members.forEach((member) => visit(member, own));
    if (resource.kind === "clone") visit(resource.child, own);
  };
  resources.forEach((resource) => visit(resource, fallback));
  return result;
}

export function nodePriorities(cib: Cib): Record<string, number> {
  const priorities = resourcePriorities(cib.resources, cib.rscDefaults);
  const result: Record<string, number> = {};
  for (const node of cib.status) {
    let total = 0;
    for (const history of node.resources) {
      const latest = [...history.operations].sort((left, right) => right.callId - left.callId)[0];
      if (!latest || !ACTIVE_OPERATIONS.has(latest.operation)) continue;
      if (latest.rcCode !== 0 && latest.rcCode !== OCF_RUNNING_PROMOTED) continue;
      const priority = priorities.get(history.id.replace(/:\d+$/, "")) ?? 0;
      total += priority + (latest.rcCode === OCF_RUNNING_PROMOTED || latest.operation === "promote" ? 1 : 0);
    }
    result[node.uname] = total;
  }
  return result;
}

/** How many resources (fence devices not counted) are active on each node, from the same status. */
export function nodeActiveResources(cib: Cib): Record<string, number> {
  const result: Record<string, number> = {};
  for (const node of cib.status) {
    let count = 0;
    for (const history of node.resources) {
      if (history.class === "stonith") continue;
      const latest = [...history.operations].sort((left, right) => right.callId - left.callId)[0];
      if (latest && ACTIVE_OPERATIONS.has(latest.operation) && (latest.rcCode === 0 || latest.rcCode === OCF_RUNNING_PROMOTED)) count++;
    }
    result[node.uname] = count;
  }
  return result;
}
