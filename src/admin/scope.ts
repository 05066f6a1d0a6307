// The configuration language's newer parts, edited as pcs edits them (issue 18 point 5):
// utilization of resources and nodes (for placement-strategy), tags (a name for several
// resources that constraints may use), and whether the cluster manages a resource
// (is-managed). Pure: the CIB in, warnings out.
import type { Cib } from "../cib";
import { EdgehaError } from "../common/errors";
import { didYouMean } from "../common/suggest";
import { propertyValues } from "./cluster-options";
import { requireFreeId, requireNode, requireResource, resourcePlaces, writeValues } from "./lookup";
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
