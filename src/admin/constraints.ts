// Constraint edits: location (prefers/avoids and add), colocation, order, remove.
// Ids follow pcs's pattern (location-RSC-NODE-SCORE, colocation-A-B-SCORE,
// order-A-B-KIND) made unique, unless the person names one with id=.
import type { Cib, ColocationConstraint, LocationConstraint, OrderConstraint } from "../cib";
import { EdgehaError } from "../common/errors";
import { didYouMean } from "../common/suggest";
import { normaliseScore, requireFreeId, requireResource, uniqueId } from "./lookup";
import type { AdminEdit } from "./types";

type Edit<K extends AdminEdit["kind"]> = Extract<AdminEdit, { kind: K }>;

const ROLES = ["Stopped", "Started", "Unpromoted", "Promoted", "Slave", "Master"];
const ACTIONS = ["start", "stop", "promote", "demote"];
const ORDER_KINDS = ["Optional", "Mandatory", "Serialize"];

function requireRole(role: string | undefined, where: string): void {
  if (role !== undefined && !ROLES.includes(role)) throw new EdgehaError("E_ADMIN_ARGUMENT", `${where}: '${role}' is not a role${didYouMean(role, ROLES)} (roles: ${ROLES.join(", ")})`);
}

function addLocation(draft: Cib, location: LocationConstraint): string[] {
  requireResource(draft, location.rsc);
  // A node the CIB does not know is reported by analysis.ts after the edit.
  draft.constraints.push(location);
  return [];
}

export function locationPrefers(draft: Cib, edit: Edit<"location-prefers">): string[] {
  requireResource(draft, edit.rsc);
  if (edit.nodes.length === 0) throw new EdgehaError("E_ADMIN_ARGUMENT", `name at least one NODE[=SCORE] after '${edit.avoids ? "avoids" : "prefers"}'`);
  const warnings: string[] = [];
  for (const entry of edit.nodes) {
    const magnitude = normaliseScore(entry.score ?? "INFINITY", `score for node ${entry.node}`);
    if (magnitude.startsWith("-")) throw new EdgehaError("E_ADMIN_ARGUMENT", `write the score after prefers/avoids without a sign ('${entry.node}=${entry.score}'): avoids makes it negative`);
    const score = edit.avoids ? (magnitude === "0" ? "0" : `-${magnitude}`) : magnitude;
    const id = uniqueId(draft, `location-${edit.rsc}-${entry.node}-${score}`);
    warnings.push(...addLocation(draft, { kind: "location", id, rsc: edit.rsc, node: entry.node, score, rules: [], extra: {} }));
  }
  return warnings;
}

export function locationAdd(draft: Cib, edit: Edit<"location-add">): string[] {
  requireFreeId(draft, edit.id, "constraint");
  const score = normaliseScore(edit.score, `location '${edit.id}'`);
  return addLocation(draft, { kind: "location", id: edit.id, rsc: edit.rsc, node: edit.node, score, rules: [], extra: {} });
}

export function colocationAdd(draft: Cib, edit: Edit<"colocation-add">): string[] {
  requireResource(draft, edit.rsc);
  requireResource(draft, edit.withRsc);
  requireRole(edit.rscRole, "colocation");
  requireRole(edit.withRscRole, "colocation");
  if (edit.rsc === edit.withRsc) throw new EdgehaError("E_ADMIN_ARGUMENT", `a resource cannot be colocated with itself ('${edit.rsc}')`);
  const score = normaliseScore(edit.score ?? "INFINITY", "colocation score");
  let id = edit.id;
  if (id !== undefined) requireFreeId(draft, id, "constraint");
  else id = uniqueId(draft, `colocation-${edit.rsc}-${edit.withRsc}-${score}`);
  const constraint: ColocationConstraint = { kind: "colocation", id, rsc: edit.rsc, withRsc: edit.withRsc, score, extra: {} };
  // As pcs writes it: a role given for one side is written with Started for the other.
  const roles = edit.rscRole !== undefined || edit.withRscRole !== undefined;
  if (roles) constraint.rscRole = edit.rscRole ?? "Started";
  if (roles) constraint.withRscRole = edit.withRscRole ?? "Started";
  draft.constraints.push(constraint);
  return [];
}

export function orderAdd(draft: Cib, edit: Edit<"order-add">): string[] {
  requireResource(draft, edit.first);
  requireResource(draft, edit.then);
  if (edit.first === edit.then) throw new EdgehaError("E_ADMIN_ARGUMENT", `a resource cannot be ordered after itself ('${edit.first}')`);
  for (const action of [edit.firstAction, edit.thenAction]) {
    if (action !== undefined && !ACTIONS.includes(action)) throw new EdgehaError("E_ADMIN_ARGUMENT", `order: '${action}' is not an action${didYouMean(action, ACTIONS)} (actions: ${ACTIONS.join(", ")})`);
  }
  if (edit.orderKind !== undefined && !ORDER_KINDS.includes(edit.orderKind)) {
    throw new EdgehaError("E_ADMIN_ARGUMENT", `order: kind='${edit.orderKind}' is not one of ${ORDER_KINDS.join(", ")}${didYouMean(edit.orderKind, ORDER_KINDS)}`);
  }
  if (edit.symmetrical !== undefined && !["true", "false"].includes(edit.symmetrical)) throw new EdgehaError("E_ADMIN_ARGUMENT", `order: symmetrical='${edit.symmetrical}' must be true or false`);
  let id = edit.id;
  if (id !== undefined) requireFreeId(draft, id, "constraint");
  else id = uniqueId(draft, `order-${edit.first}-${edit.then}-${edit.orderKind ?? "mandatory"}`);
  const constraint: OrderConstraint = { kind: "order", id, first: edit.first, then: edit.then, extra: {} };
  if (edit.firstAction !== undefined) constraint.firstAction = edit.firstAction;
  if (edit.thenAction !== undefined) constraint.thenAction = edit.thenAction;
  if (edit.orderKind !== undefined) constraint.orderKind = edit.orderKind;
  if (edit.symmetrical !== undefined) constraint.symmetrical = edit.symmetrical;
  draft.constraints.push(constraint);
  return [];
}

export function removeConstraints(draft: Cib, edit: Edit<"constraint-remove">): string[] {
  if (edit.ids.length === 0) throw new EdgehaError("E_ADMIN_ARGUMENT", "name the constraint ids to remove (see 'edgeha constraint list')");
  for (const id of edit.ids) {
    const constraint = draft.constraints.find((item) => item.id === id);
    const candidates = draft.constraints.filter((item) => !edit.constraintKind || item.kind.startsWith(edit.constraintKind)).map((item) => item.id);
    if (!constraint) {
      const known = candidates.length === 0 ? " (there are none)" : didYouMean(id, candidates);
      throw new EdgehaError("E_ADMIN_UNKNOWN_CONSTRAINT", `no ${edit.constraintKind ?? ""}${edit.constraintKind ? " " : ""}constraint with id '${id}'${known}`, { id });
    }
    if (edit.constraintKind && !constraint.kind.startsWith(edit.constraintKind)) {
      throw new EdgehaError("E_ADMIN_UNKNOWN_CONSTRAINT", `'${id}' is a ${constraint.kind} constraint, not a ${edit.constraintKind} constraint`, { id });
    }
    draft.constraints = draft.constraints.filter((item) => item.id !== id);
  }
  return [];
}
