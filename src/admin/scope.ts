// The configuration language's newer parts, edited as pcs edits them (issue 18 point 5):
// utilization of resources and nodes (for placement-strategy), tags (a name for several
// resources that constraints may use), and whether the cluster manages a resource
// (is-managed). Pure: the CIB in, warnings out.
import type { Cib, ColocationSetConstraint, OrderSetConstraint, ResourceSet } from "../cib";
import { EdgehaError } from "../common/errors";
import { didYouMean } from "../common/suggest";
import { propertyValues } from "./cluster-options";
import { normaliseScore, requireFreeId, requireNode, requireResource, resourcePlaces, uniqueId, writeValues } from "./lookup";
import { constraintsReferring } from "./pcs-render";
import type { AdminEdit } from "./types";

type Edit<K extends AdminEdit["kind"]> = Extract<AdminEdit, { kind: K }>;

/** Utilization values are integers (Pacemaker's rule: anything else counts as 0). */
const UTILIZATION_VALUE = /^[+-]?\d+$/;

export function setUtilization(draft: Cib, edit: Edit<"utilization">): string[] {
  for (const [name, value] of Object.entries(edit.values)) {
    if (value !== "" && !UTILIZATION_VALUE.test(value)) throw new EdgehaError("E_ADMIN_ARGUMENT", `utilization '${name}=${value}' of '${edit.id}': the value must be an integer`);
  }
  if (edit.target === "node") {
    const node = requireNode(draft, edit.id);
    writeValues(node.utilization, `nodes-${node.id}-utilization`, edit.values);
  } else {
    const { resource } = requireResource(draft, edit.id);
    if (resource.kind !== "primitive") throw new EdgehaError("E_ADMIN_ARGUMENT", `'${edit.id}' is a ${resource.kind}; utilization belongs to its primitives`);
    resource.utilization ??= [];
    writeValues(resource.utilization, `${edit.id}-utilization`, edit.values);
    if (resource.utilization.length === 0) delete resource.utilization;
  }
  const strategy = propertyValues(draft)["placement-strategy"] ?? "default";
  return strategy === "default" ? ["placement-strategy is 'default', so utilization is not used for placement until it is set (utilization, minimal or balanced)"] : [];
}

export function createTag(draft: Cib, edit: Edit<"tag-create">): string[] {
  requireFreeId(draft, edit.id, "tag");
  if (edit.refs.length === 0) throw new EdgehaError("E_ADMIN_ARGUMENT", `tag '${edit.id}' needs at least one resource`);
  const known = resourcePlaces(draft).map((place) => place.resource.id);
  for (const ref of edit.refs) {
    if (!known.includes(ref)) throw new EdgehaError("E_ADMIN_UNKNOWN_RESOURCE", `tag '${edit.id}': no resource named '${ref}'${didYouMean(ref, known)}`, { resource: ref });
  }
  if (new Set(edit.refs).size !== edit.refs.length) throw new EdgehaError("E_ADMIN_ARGUMENT", `tag '${edit.id}' names a resource twice`);
  draft.tags = [...(draft.tags ?? []), { id: edit.id, refs: [...edit.refs] }];
  return [];
}

export function removeTags(draft: Cib, ids: readonly string[]): string[] {
  const tags = draft.tags ?? [];
  for (const id of ids) {
    if (!tags.some((tag) => tag.id === id)) throw new EdgehaError("E_ADMIN_ARGUMENT", `no tag named '${id}'${didYouMean(id, tags.map((tag) => tag.id))}`);
    const users = constraintsReferring(draft, id);
    if (users.length > 0) throw new EdgehaError("E_ADMIN_ARGUMENT", `tag '${id}' is used by constraint(s) ${users.join(", ")}: remove them first`);
  }
  draft.tags = tags.filter((tag) => !ids.includes(tag.id));
  if (draft.tags.length === 0) delete draft.tags;
  return [];
}

export function setManaged(draft: Cib, ids: readonly string[], managed: boolean): string[] {
  for (const id of ids) {
    const { resource } = requireResource(draft, id);
    // pcs removes is-managed to manage again (true is the default).
    writeValues(resource.meta, `${id}-meta_attributes`, { "is-managed": managed ? "" : "false" });
  }
  return [];
}

const SET_OPTIONS = { order: ["action", "require-all", "role", "sequential"], colocation: ["role", "sequential", "require-all"] } as const;
const CONSTRAINT_OPTIONS = { order: ["id", "kind", "symmetrical"], colocation: ["id", "score"] } as const;
const BOOLEAN = /^(true|false|yes|no|on|off|1|0)$/i;
const ACTIONS = ["start", "stop", "promote", "demote"];
const ROLES = ["Stopped", "Started", "Promoted", "Unpromoted", "Master", "Slave"];
const ORDER_KINDS = ["Mandatory", "Optional", "Serialize"];

function checkOption(kind: string, name: string, value: string, allowed: readonly string[], where: string): void {
  if (!allowed.includes(name)) throw new EdgehaError("E_ADMIN_ARGUMENT", `${where}: '${name}' is not an option of a ${kind} ${where.startsWith("set") ? "set" : "set constraint"}; allowed: ${allowed.join(", ")}`);
  const bad = (what: string) => new EdgehaError("E_ADMIN_ARGUMENT", `${where}: ${name}='${value}' must be ${what}`);
  if ((name === "sequential" || name === "require-all" || name === "symmetrical") && !BOOLEAN.test(value)) throw bad("true or false");
  if (name === "action" && !ACTIONS.includes(value)) throw bad(`one of ${ACTIONS.join(", ")}`);
  if (name === "role" && !ROLES.includes(value)) throw bad(`one of ${ROLES.join(", ")}`);
  if (name === "kind" && !ORDER_KINDS.includes(value)) throw bad(`one of ${ORDER_KINDS.join(", ")}`);
}

/** An order or colocation constraint over resource sets, as pcs's `constraint order|colocation set` writes it. */
export function addSetConstraint(draft: Cib, edit: Edit<"set-constraint">): string[] {
  const kind = edit.constraintKind;
  if (edit.sets.length === 0 || edit.sets.some((set) => set.resources.length === 0)) throw new EdgehaError("E_ADMIN_ARGUMENT", `every set of a ${kind} set constraint names at least one resource`);
  const known = new Set([...resourcePlaces(draft).map((place) => place.resource.id), ...(draft.tags ?? []).map((tag) => tag.id)]);
  const all = edit.sets.flatMap((set) => set.resources);
  for (const id of all) if (!known.has(id)) throw new EdgehaError("E_ADMIN_UNKNOWN_RESOURCE", `${kind} set: no resource or tag named '${id}'${didYouMean(id, [...known])}`, { resource: id });
  if (new Set(all).size !== all.length) throw new EdgehaError("E_ADMIN_ARGUMENT", `${kind} set: a resource is named twice`);
  for (const [name, value] of Object.entries(edit.options)) checkOption(kind, name, value, CONSTRAINT_OPTIONS[kind], "setoptions");
  const base = `${kind}_set_${all.join("")}`.slice(0, 200);
  const id = edit.options.id ?? uniqueId(draft, base);
  requireFreeId(draft, id, "constraint");
  const taken = new Set<string>([id]);
  const sets: ResourceSet[] = edit.sets.map((given, index) => {
    for (const [name, value] of Object.entries(given.options)) checkOption(kind, name, value, SET_OPTIONS[kind], `set ${index + 1}`);
    const setId = uniqueId(draft, index === 0 ? `${id}_set` : `${id}_set-${index}`, taken);
    taken.add(setId);
    const set: ResourceSet = { id: setId, resources: [...given.resources], extra: {} };
    if (given.options.sequential !== undefined) set.sequential = given.options.sequential;
    if (given.options["require-all"] !== undefined) set.requireAll = given.options["require-all"];
    if (given.options.action !== undefined) set.action = given.options.action;
    if (given.options.role !== undefined) set.role = given.options.role;
    return set;
  });
  if (kind === "order") {
    const constraint: OrderSetConstraint = { kind: "order-sets", id, sets, extra: {} };
    if (edit.options.kind !== undefined) constraint.orderKind = edit.options.kind;
    if (edit.options.symmetrical !== undefined) constraint.symmetrical = edit.options.symmetrical;
    draft.constraints.push(constraint);
  } else {
    const constraint: ColocationSetConstraint = { kind: "colocation-sets", id, score: normaliseScore(edit.options.score ?? "INFINITY", "colocation set score"), sets, extra: {} };
    draft.constraints.push(constraint);
  }
  return [];
}
