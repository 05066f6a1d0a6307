// Finding things in a CIB by name, with errors a person can act on: an unknown
// name comes back with the names that are close to it. Pure: no I/O.
import { CIB_LIMITS, parseScore, type Attributes, type Cib, type Clone, type Group, type NvSet, type Primitive, type Resource } from "../cib";
import { EdgehaError } from "../common/errors";
import { didYouMean } from "../common/suggest";

/** Where a resource sits: its parent group or clone, and the top-level resource that holds it. */
export interface FoundResource {
  resource: Resource;
  parent: Group | Clone | undefined;
  top: Resource;
}

/** Every resource with its place, top-level ones, group members and clone children. */
export function resourcePlaces(cib: Cib): FoundResource[] {
  const places: FoundResource[] = [];
  const visit = (resource: Resource, parent: Group | Clone | undefined, top: Resource): void => {
    places.push({ resource, parent, top });
    if (resource.kind === "group") resource.members.forEach((member) => visit(member, resource, top));
    if (resource.kind === "clone") visit(resource.child, resource, top);
  };
  for (const resource of cib.resources) visit(resource, undefined, resource);
  return places;
}

export function findResource(cib: Cib, id: string): FoundResource | undefined {
  return resourcePlaces(cib).find((place) => place.resource.id === id);
}

export function isStonith(resource: Resource): resource is Primitive {
  return resource.kind === "primitive" && resource.class === "stonith";
}

/** The resource named `id`, or E_ADMIN_UNKNOWN_RESOURCE naming the near matches. */
export function requireResource(cib: Cib, id: string): FoundResource {
  const found = findResource(cib, id);
  if (found) return found;
  const names = resourcePlaces(cib).map((place) => place.resource.id);
  const known = names.length === 0 ? " (the CIB has no resources yet)" : didYouMean(id, names);
  throw new EdgehaError("E_ADMIN_UNKNOWN_RESOURCE", `no resource named '${id}'${known}`, { resource: id });
}

export function nodeNames(cib: Cib): string[] {
  return cib.nodes.map((node) => node.uname);
}

/** The node named `name`, or E_ADMIN_UNKNOWN_NODE naming the near matches. */
export function requireNode(cib: Cib, name: string): Cib["nodes"][number] {
  const node = cib.nodes.find((item) => item.uname === name);
  if (node) return node;
  const known = cib.nodes.length === 0 ? " (the CIB lists no nodes yet; a node is added when it first joins)" : didYouMean(name, nodeNames(cib));
  throw new EdgehaError("E_ADMIN_UNKNOWN_NODE", `no node named '${name}'${known}`, { node: name });
}

/** A warning for a node that is not in the CIB, or undefined when it is. */
export function unknownNodeWarning(cib: Cib, name: string, consequence: string): string | undefined {
  if (cib.nodes.some((node) => node.uname === name)) return undefined;
  const known = cib.nodes.length === 0 ? " (the CIB lists no nodes yet)" : didYouMean(name, nodeNames(cib));
  return `node '${name}' is not in the CIB${known}: ${consequence}`;
}

const ID_PATTERN = /^[A-Za-z_][A-Za-z0-9._-]*$/;

/** What a message may quote of a name a person typed: enough to recognise it, never 100,000 characters. */
export function quoted(text: string): string {
  return text.length <= 64 ? `'${text}'` : `'${text.slice(0, 40)}...' (${text.length} characters)`;
}

/**
 * Pacemaker ids are XML names (NCName), as pcs checks them: a letter or '_' first, then
 * letters, digits, '.', '-', '_'; and at most CIB_LIMITS.idLengthMax characters.
 */
export function requireValidId(id: string, what: string): void {
  if (id.length > CIB_LIMITS.idLengthMax) {
    throw new EdgehaError("E_ADMIN_ID", `${quoted(id)} is not a valid ${what} id: at most ${CIB_LIMITS.idLengthMax} characters`, { id: id.slice(0, 64) });
  }
  if (!ID_PATTERN.test(id)) {
    throw new EdgehaError("E_ADMIN_ID", `${quoted(id)} is not a valid ${what} id: use letters, digits, '.', '-' and '_', starting with a letter or '_'`, { id });
  }
}

/** Every id used anywhere in the configuration sections (sets, operations, rules included). */
export function configurationIds(cib: Cib): Set<string> {
  const ids = new Set<string>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (value === null || typeof value !== "object") return;
    const record = value as Record<string, unknown>;
    if (typeof record.id === "string") ids.add(record.id);
    for (const [key, item] of Object.entries(record)) if (key !== "values" && key !== "extra" && key !== "pairIds" && key !== "pairRefs") visit(item);
    for (const pairId of Object.values((record.pairIds as Attributes | undefined) ?? {})) ids.add(pairId);
  };
  visit([cib.properties, cib.nodes, cib.resources, cib.constraints, cib.rscDefaults, cib.opDefaults, cib.fencingTopology, cib.alerts ?? [], cib.tags ?? []]);
  return ids;
}

/** E_ADMIN_EXISTS when `id` is already used anywhere in the configuration. */
export function requireFreeId(cib: Cib, id: string, what: string): void {
  requireValidId(id, what);
  if (configurationIds(cib).has(id)) throw new EdgehaError("E_ADMIN_EXISTS", `the id '${id}' is already used in the CIB; choose another name for the ${what}`, { id });
}

/** `base` made valid and unique (base, base-1, base-2, ...). */
export function uniqueId(cib: Cib, base: string, taken: ReadonlySet<string> = new Set()): string {
  const cleaned = base.replace(/[^A-Za-z0-9._-]/g, "_").replace(/^([^A-Za-z_])/, "_$1");
  const used = configurationIds(cib);
  let candidate = cleaned;
  for (let counter = 1; used.has(candidate) || taken.has(candidate); counter += 1) candidate = `${cleaned}-${counter}`;
  return candidate;
}

/** A score as the CLI accepts it (INFINITY, +INFINITY, -INFINITY, INF, or an integer), normalised. */
export function normaliseScore(text: string, where: string): string {
  const value = text.trim();
  if (/^\+?(INFINITY|INF)$/i.test(value)) return "INFINITY";
  if (/^-(INFINITY|INF)$/i.test(value)) return "-INFINITY";
  if (/^[+-]?\d{1,7}$/.test(value)) return String(parseScore(value));
  throw new EdgehaError("E_ADMIN_ARGUMENT", `${where}: '${text}' is not a score (use an integer, INFINITY or -INFINITY)`);
}

/**
 * Sets (or, for an empty value, removes) values in the first set of `sets`,
 * creating a set with `setId` when there is none. Returns the sets.
 */
export function writeValues(sets: NvSet[], setId: string, values: Attributes): NvSet[] {
  let set = sets.find((item) => !item.idRef && !item.rule);
  const needed = Object.values(values).some((value) => value !== "");
  if (!set) {
    if (!needed) return sets;
    set = { id: setId, values: {} };
    sets.unshift(set);
  }
  for (const [name, value] of Object.entries(values)) {
    if (value === "") {
      // Every plain set, so no other set keeps a value the person removed.
      for (const item of sets.filter((candidate) => !candidate.idRef && !candidate.rule)) {
        delete item.values[name];
        if (item.pairIds) delete item.pairIds[name];
        if (item.pairRefs) delete item.pairRefs[name];
      }
      continue;
    }
    set.values[name] = value;
    if (set.pairRefs) delete set.pairRefs[name];
    set.pairIds ??= {};
    set.pairIds[name] ??= `${set.id}-${name}`;
  }
  return sets;
}

/** The value of `name` in the first set that names it, as Pacemaker reads sets without rules. */
export function readValue(sets: readonly NvSet[], name: string): string | undefined {
  for (const set of sets) if (!set.rule && name in set.values) return set.values[name];
  return undefined;
}
