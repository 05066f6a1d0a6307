// `resource op add` and `resource op remove`, as pcs does them: one more operation on a
// primitive (refused when that action already runs at that interval, unless --force), and
// the removal of the operations an action and its options name exactly, or of one
// operation by id. Pure: the CIB in, warnings out.
import { parseDurationMs, type Cib, type Operation, type Primitive } from "../cib";
import { EdgehaError } from "../common/errors";
import { didYouMean } from "../common/suggest";
import { defaultInterval } from "./agent-rules";
import { requireResource, resourcePlaces } from "./lookup";
import { buildOperation, formatAgentName } from "./operations";
import type { AdminEdit, EditCatalog } from "./types";

type Edit<K extends AdminEdit["kind"]> = Extract<AdminEdit, { kind: K }>;

function requirePrimitive(draft: Cib, id: string): Primitive {
  const { resource } = requireResource(draft, id);
  if (resource.kind !== "primitive") throw new EdgehaError("E_ADMIN_ARGUMENT", `'${id}' is a ${resource.kind}; operations belong to its primitives (${resource.kind === "group" ? resource.members.map((member) => member.id).join(", ") : resource.child.id})`);
  return resource;
}

const secondsOf = (interval: string): number => parseDurationMs(interval) / 1000;

export function addOperation(draft: Cib, edit: Edit<"op-add">, catalog: EditCatalog): string[] {
  const primitive = requirePrimitive(draft, edit.id);
  const spec = { name: edit.operation.name, values: { interval: defaultInterval(edit.operation.name), ...edit.operation.values } };
  const description = catalog.descriptions?.[formatAgentName(primitive)];
  const operation = buildOperation(draft, primitive.id, spec, new Set(), (description?.actions ?? []).map((action) => action.name));
  // pcs's rule: an action the resource already has (in that role) is refused unless --force;
  // at the same interval Pacemaker would run only one of them, so that stays refused.
  const same = primitive.operations.filter((item) => item.name === operation.name && (item.role ?? "") === (operation.role ?? ""));
  const warnings: string[] = [];
  if (same.some((item) => item.intervalMs === operation.intervalMs)) {
    throw new EdgehaError("E_ADMIN_ARGUMENT", `resource '${primitive.id}' already has operation ${operation.name} with interval ${operation.interval}${operation.role ? ` in role ${operation.role}` : ""}; Pacemaker would run only one of them: give another interval`);
  }
  if (same.length > 0) {
    const problem = `operation ${operation.name} is already configured for '${primitive.id}' (${same.map((item) => `${item.name} interval=${item.interval} (id: ${item.id})`).join(", ")})`;
    if (edit.force !== true) throw new EdgehaError("E_ADMIN_ARGUMENT", `${problem}; use 'resource op remove' first, or --force to add another`);
    warnings.push(`${problem}; added another (--force)`);
  }
  primitive.operations.push(operation);
  return warnings;
}

/** The options an operation was written with, as `op ACTION k=v...` names them. */
function writtenOptions(operation: Operation): Record<string, string> {
  const values: Record<string, string> = { interval: operation.interval, ...operation.extra };
  if (operation.timeout !== undefined) values.timeout = operation.timeout;
  if (operation.role !== undefined) values.role = operation.role;
  if (operation.onFail !== undefined) values["on-fail"] = operation.onFail;
  if (operation.enabled !== undefined) values.enabled = operation.enabled;
  for (const set of operation.instance) Object.assign(values, set.values);
  return values;
}

/** Equal options: the same names, the same values (durations compared as durations). */
function sameOptions(written: Record<string, string>, given: Record<string, string>): boolean {
  const names = Object.keys(written);
  if (names.length !== Object.keys(given).length) return false;
  return names.every((name) => {
    const value = given[name];
    if (value === undefined) return false;
    if (value === written[name]) return true;
    if (name !== "interval" && name !== "timeout") return false;
    try {
      return secondsOf(value) === secondsOf(written[name]!);
    } catch {
      return false;
    }
  });
}

export function removeOperations(draft: Cib, edit: Edit<"op-remove">): string[] {
  if (edit.opId !== undefined) {
    for (const { resource } of resourcePlaces(draft)) {
      if (resource.kind !== "primitive") continue;
      const index = resource.operations.findIndex((operation) => operation.id === edit.opId);
      if (index === -1) continue;
      resource.operations.splice(index, 1);
      return [];
    }
    const ids = resourcePlaces(draft).flatMap(({ resource }) => (resource.kind === "primitive" ? resource.operations.map((operation) => operation.id) : []));
    throw new EdgehaError("E_ADMIN_ARGUMENT", `no operation with id '${edit.opId}'${didYouMean(edit.opId, ids)}`);
  }
  const primitive = requirePrimitive(draft, edit.id!);
  const given = { ...(edit.values ?? {}) };
  const matching = primitive.operations.filter((operation) => operation.name === edit.name && (Object.keys(given).length === 0 || sameOptions(writtenOptions(operation), given)));
  if (matching.length === 0) {
    const ofAction = primitive.operations.filter((operation) => operation.name === edit.name);
    const have = ofAction.map((operation) => `${operation.name} ${Object.entries(writtenOptions(operation)).map(([key, value]) => `${key}=${value}`).join(" ")}`);
    throw new EdgehaError("E_ADMIN_ARGUMENT", `resource '${primitive.id}' has no operation ${edit.name}${Object.keys(given).length > 0 ? ` with exactly ${Object.entries(given).map(([key, value]) => `${key}=${value}`).join(" ")}` : ""}${have.length > 0 ? `; it has: ${have.join("; ")}` : ""}`);
  }
  primitive.operations = primitive.operations.filter((operation) => !matching.includes(operation));
  return [];
}
