// Resource edits: create, delete, update, enable/disable, group add, clone and
// promotable. Each works on a draft (a copy of the CIB) and returns warnings.
import type { Cib, Clone, Group, Primitive, Resource } from "../cib";
import { EdgehaError } from "../common/errors";
import { didYouMean } from "../common/suggest";
import { findResource, isStonith, requireFreeId, requireResource, resourcePlaces, writeValues } from "./lookup";
import { buildPrimitive, checkMeta, formatAgentName, replaceOperations, unknownAgentWarning } from "./operations";
import { checkDistinctIntervals, checkParameters, defaultOperations } from "./agent-rules";
import { forgetResources } from "./removal";
import type { AdminEdit, EditCatalog, GroupPosition } from "./types";

type Edit<K extends AdminEdit["kind"]> = Extract<AdminEdit, { kind: K }>;

/** Puts `members` into the group named by `position` (made when missing), at its place. */
function placeInGroup(draft: Cib, members: Primitive[], position: GroupPosition): string[] {
  const warnings: string[] = [];
  let found = findResource(draft, position.group);
  if (!found) {
    if (position.before !== undefined || position.after !== undefined) {
      throw new EdgehaError("E_ADMIN_GROUP", `--before/--after name a member of group '${position.group}', which does not exist yet`);
    }
    requireFreeId(draft, position.group, "group");
    const group: Group = { kind: "group", id: position.group, extra: {}, instance: [], meta: [], members: [] };
    draft.resources.push(group);
    warnings.push(`created group '${position.group}'`);
    found = { resource: group, parent: undefined, top: group };
  }
  const group = found.resource;
  if (group.kind !== "group") throw new EdgehaError("E_ADMIN_GROUP", `'${position.group}' is a ${group.kind}, not a group`);
  const anchor = position.before ?? position.after;
  let index = group.members.length;
  if (anchor !== undefined) {
    const at = group.members.findIndex((member) => member.id === anchor);
    if (at < 0) throw new EdgehaError("E_ADMIN_GROUP", `'${anchor}' is not a member of group '${group.id}'${didYouMean(anchor, group.members.map((member) => member.id))}`);
    index = position.before !== undefined ? at : at + 1;
  }
  group.members.splice(index, 0, ...members);
  return warnings;
}

/**
 * The primitive of a `resource create`. With the agent's meta-data (looked up by the CLI),
 * as pcs builds it: its default operations and its parameters checked (refused unless
 * --force); an agent looked for and not found is refused unless --force. Without a lookup
 * (pure callers), a monitor every 10s and a warning for an agent the catalog lacks.
 */
function newPrimitive(draft: Cib, edit: Edit<"resource-create">, catalog: EditCatalog): { primitive: Primitive; warnings: string[] } {
  const name = formatAgentName(edit.agent);
  const description = catalog.descriptions?.[name];
  if (description === undefined) {
    const built = buildPrimitive(draft, edit.id, edit.agent, edit.settings, edit.noDefaultOperations ? undefined : "10s");
    const unknown = unknownAgentWarning(edit.agent, catalog);
    return { primitive: built.primitive, warnings: unknown ? [unknown, ...built.warnings] : built.warnings };
  }
  const warnings: string[] = [];
  if (description === null) {
    if (edit.force !== true) throw new EdgehaError("E_ADMIN_AGENT", `agent '${name}' is not installed or does not provide valid meta-data, use --force to override`, { agent: name });
    warnings.push(`agent '${name}' is not installed or does not provide valid meta-data; created anyway (--force)`);
  } else {
    warnings.push(...checkParameters(edit.id, name, description, Object.fromEntries(Object.entries(edit.settings.instance).filter(([, value]) => value !== "")), true, edit.force === true));
  }
  warnings.push(...selfValidationProblems(edit.id, name, catalog, edit.force === true, "created"));
  checkDistinctIntervals(edit.id, edit.settings.operations);
  const operations = defaultOperations(edit.agent, description ?? undefined, edit.settings.operations, edit.noDefaultOperations);
  const built = buildPrimitive(draft, edit.id, edit.agent, { ...edit.settings, operations: operations.operations }, undefined, (description?.actions ?? []).map((action) => action.name));
  return { primitive: built.primitive, warnings: [...warnings, ...operations.warnings, ...built.warnings] };
}

/** What the agent's validate-all said (--agent-validation): refused unless force, then a warning. */
function selfValidationProblems(id: string, agent: string, catalog: EditCatalog, force: boolean, done: string): string[] {
  const validation = catalog.selfValidation;
  if (validation === undefined || validation.exitCode === 0) return [];
  const problem = `resource '${id}': validation of the options of ${agent} failed: its validate-all exited ${validation.exitCode}${validation.reason ? ` (${validation.reason})` : ""}`;
  if (!force) throw new EdgehaError("E_ADMIN_PARAMETER", `${problem}; use --force to override`, { agent });
  return [`${problem}; ${done} anyway (--force)`];
}

export function createResource(draft: Cib, edit: Edit<"resource-create">, catalog: EditCatalog): string[] {
  if (edit.agent.class === "") throw new EdgehaError("E_ADMIN_AGENT", `'${edit.agent.type}' names no class: write CLASS:PROVIDER:TYPE (ocf:heartbeat:${edit.agent.type}) or CLASS:TYPE`);
  requireFreeId(draft, edit.id, "resource");
  const { primitive, warnings } = newPrimitive(draft, edit, catalog);
  if (edit.disabled) writeValues(primitive.meta, `${edit.id}-meta_attributes`, { "target-role": "Stopped" });
  if (edit.group) warnings.push(...placeInGroup(draft, [primitive], edit.group));
  else if (edit.clone) {
    const cloneId = edit.clone.id ?? `${edit.id}-clone`;
    requireFreeId(draft, cloneId, "clone");
    warnings.push(...checkMeta(cloneId, edit.clone.meta, true));
    const clone: Clone = { kind: "clone", id: cloneId, legacyMaster: false, extra: {}, instance: [], meta: [], child: primitive };
    const meta = edit.clone.promotable ? { ...edit.clone.meta, promotable: "true" } : edit.clone.meta;
    writeValues(clone.meta, `${cloneId}-meta_attributes`, Object.fromEntries(Object.entries(meta).filter(([, value]) => value !== "")));
    draft.resources.push(clone);
  } else draft.resources.push(primitive);
  return warnings;
}

/** Takes a resource out of its place; a group left empty goes too (Pacemaker allows no empty group). */
function detach(draft: Cib, id: string): string[] {
  const place = findResource(draft, id)!;
  const removed: string[] = [id];
  if (!place.parent) {
    draft.resources = draft.resources.filter((resource) => resource.id !== id);
  } else if (place.parent.kind === "group") {
    place.parent.members = place.parent.members.filter((member) => member.id !== id);
    if (place.parent.members.length === 0) removed.push(...detach(draft, place.parent.id));
  } else {
    // A clone without its child is nothing: it goes with it.
    removed.push(...detach(draft, place.parent.id));
  }
  return removed;
}

function descendants(resource: Resource): string[] {
  if (resource.kind === "group") return [resource.id, ...resource.members.map((member) => member.id)];
  if (resource.kind === "clone") return [resource.id, ...descendants(resource.child)];
  return [resource.id];
}

export function deleteResource(draft: Cib, id: string, stonith: boolean): string[] {
  const found = requireResource(draft, id);
  if (isStonith(found.resource) && !stonith) throw new EdgehaError("E_ADMIN_ARGUMENT", `'${id}' is a fence device: delete it with 'edgeha stonith delete ${id}'`);
  if (!isStonith(found.resource) && stonith) throw new EdgehaError("E_ADMIN_ARGUMENT", `'${id}' is not a fence device: delete it with 'edgeha resource delete ${id}'`);
  const gone = new Set([...descendants(found.resource), ...detach(draft, id)]);
  const warnings = [...gone].filter((name) => name !== id).map((name) => `'${name}' was removed with '${id}'`);
  warnings.push(...forgetResources(draft, gone));
  return warnings;
}

export function updateResource(draft: Cib, edit: Edit<"resource-update">, catalog: EditCatalog = {}): string[] {
  const { resource } = requireResource(draft, edit.id);
  if (edit.stonith === true && !isStonith(resource)) throw new EdgehaError("E_ADMIN_ARGUMENT", `'${edit.id}' is not a fence device: change it with 'edgeha resource update ${edit.id} ...'`);
  // A clone has no parameters of its own: NAME=VALUE words are its options (meta attributes), as in pcs.
  const settings = resource.kind === "clone" ? { ...edit.settings, instance: {}, meta: { ...edit.settings.instance, ...edit.settings.meta } } : edit.settings;
  const warnings = checkMeta(edit.id, settings.meta, resource.kind === "clone");
  const description = resource.kind === "primitive" ? catalog.descriptions?.[formatAgentName(resource)] : undefined;
  if (description && resource.kind === "primitive") warnings.push(...checkParameters(edit.id, formatAgentName(resource), description, settings.instance, false, edit.force === true));
  if (resource.kind === "primitive") warnings.push(...selfValidationProblems(edit.id, formatAgentName(resource), catalog, edit.force === true, "updated"));
  if (settings.operations.length > 0) {
    if (resource.kind !== "primitive") throw new EdgehaError("E_ADMIN_ARGUMENT", `'${edit.id}' is a ${resource.kind}; operations belong to its primitives`);
    replaceOperations(draft, resource, settings.operations, (description?.actions ?? []).map((action) => action.name));
  }
  writeValues(resource.instance, `${edit.id}-instance_attributes`, settings.instance);
  writeValues(resource.meta, `${edit.id}-meta_attributes`, settings.meta);
  return warnings;
}

export function setTargetRole(draft: Cib, id: string, enabled: boolean): string[] {
  const { resource } = requireResource(draft, id);
  writeValues(resource.meta, `${id}-meta_attributes`, { "target-role": enabled ? "" : "Stopped" });
  return [];
}

export function addToGroup(draft: Cib, edit: Edit<"group-add">): string[] {
  const warnings: string[] = [];
  const members: Primitive[] = [];
  for (const id of edit.resources) {
    if (id === edit.position.group) throw new EdgehaError("E_ADMIN_GROUP", `a group cannot contain itself ('${id}')`);
    if (id === edit.position.before || id === edit.position.after) throw new EdgehaError("E_ADMIN_GROUP", `'${id}' cannot be placed before or after itself`);
    const found = requireResource(draft, id);
    if (found.resource.kind !== "primitive") throw new EdgehaError("E_ADMIN_GROUP", `'${id}' is a ${found.resource.kind}; only primitives can join a group`);
    if (isStonith(found.resource)) throw new EdgehaError("E_ADMIN_GROUP", `'${id}' is a fence device; fence devices do not go in groups`);
    if (found.top.kind === "clone") throw new EdgehaError("E_ADMIN_GROUP", `'${id}' is inside clone '${found.top.id}'; a cloned resource cannot join a group`);
    if (found.parent && found.parent.id !== edit.position.group) warnings.push(`'${id}' moved from group '${found.parent.id}' to '${edit.position.group}'`);
    if (found.parent?.kind === "group" && found.parent.id === edit.position.group) {
      // A new place in the same group: the group stays even if it was its only member.
      found.parent.members = found.parent.members.filter((member) => member.id !== id);
    } else {
      const removed = detach(draft, id);
      for (const name of removed.slice(1)) warnings.push(`group '${name}' was left empty and removed`, ...forgetResources(draft, new Set([name])));
    }
    members.push(found.resource);
  }
  warnings.push(...placeInGroup(draft, members, edit.position));
  return warnings;
}

/** Constraints that named the resource name its clone from now on. */
function retarget(draft: Cib, from: string, to: string): string[] {
  const warnings: string[] = [];
  for (const constraint of draft.constraints) {
    let touched = false;
    const swap = (name: string): string => (name === from ? ((touched = true), to) : name);
    switch (constraint.kind) {
      case "location": constraint.rsc = swap(constraint.rsc); break;
      case "colocation": constraint.rsc = swap(constraint.rsc); constraint.withRsc = swap(constraint.withRsc); break;
      case "order": constraint.first = swap(constraint.first); constraint.then = swap(constraint.then); break;
      default: for (const set of constraint.sets) set.resources = set.resources.map(swap);
    }
    if (touched) warnings.push(`constraint '${constraint.id}' now names '${to}' instead of '${from}'`);
  }
  return warnings;
}

export function cloneResource(draft: Cib, edit: Edit<"clone">): string[] {
  const found = requireResource(draft, edit.id);
  if (found.resource.kind === "clone") throw new EdgehaError("E_ADMIN_CLONE", `'${edit.id}' is already a clone`);
  if (found.parent?.kind === "clone") throw new EdgehaError("E_ADMIN_CLONE", `'${edit.id}' is already cloned by '${found.parent.id}'`);
  if (found.parent?.kind === "group") throw new EdgehaError("E_ADMIN_CLONE", `'${edit.id}' is a member of group '${found.parent.id}': clone the group instead`);
  if (isStonith(found.resource)) throw new EdgehaError("E_ADMIN_CLONE", `'${edit.id}' is a fence device; fence devices are not cloned`);
  const cloneId = `${edit.id}-clone`;
  requireFreeId(draft, cloneId, "clone");
  const warnings = checkMeta(cloneId, edit.meta, true);
  const meta = edit.promotable ? { ...edit.meta, promotable: "true" } : edit.meta;
  const clone: Clone = { kind: "clone", id: cloneId, legacyMaster: false, extra: {}, instance: [], meta: [], child: found.resource as Primitive | Group };
  writeValues(clone.meta, `${cloneId}-meta_attributes`, Object.fromEntries(Object.entries(meta).filter(([, value]) => value !== "")));
  // As pcs does: the clone takes the resource's place at the end of the resources (found by the pcs comparison).
  draft.resources = [...draft.resources.filter((resource) => resource.id !== edit.id), clone];
  warnings.push(...retarget(draft, edit.id, cloneId));
  return warnings;
}

/** Ids of the stonith primitives, for suggestions. */
export function stonithIds(cib: Cib): string[] {
  return resourcePlaces(cib).map((place) => place.resource).filter(isStonith).map((resource) => resource.id);
}
