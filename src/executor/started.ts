// What this node started, kept across restarts of the agent. The executor remembers the
// definition each resource here last ran with (a start, or a probe or monitor that found it
// active) so that it can still probe and stop it after the configuration dropped it (an
// orphan). Pacemaker keeps that in its operation history, which outlives a restart of the
// controller and is probed again when the node joins. This agent's history lives in its
// process, so the definitions go to a small file of the state directory (written durably
// by the caller on every change) and the next agent process probes them at start.
// Pure: the caller reads and writes the file (src/node/local-resources.ts, and
// src/sim/executor.ts over the simulated disk).
import type { NvSet, Operation, Primitive } from "../cib";

/** The file's name in the state directory. */
export const STARTED_FILE = "started-resources.json";
const FORMAT = "edgeha-started/1";
/** Far more than a configuration holds (the CIB's own bound is about 2,000 primitives per MiB). */
export const STARTED_DEFINITIONS_MAX = 10_000;
export const STARTED_FILE_BYTES_MAX = 16 * 1024 * 1024;

/** The parameters each resource ran with (those it was started with, resolved by the DC or here), by resource id. */
export type RanParameters = Record<string, Record<string, string>>;

/**
 * The file's text for these definitions (sorted by id, so that the same set gives the same
 * text) and the parameters they ran with, where known. The parameters are an optional field
 * beside the list, so that a file with none is the same as before and an older agent reads a
 * newer file (it ignores the field).
 */
export function encodeStarted(definitions: Iterable<Primitive>, parameters: RanParameters = {}): string {
  const list = [...definitions].sort((left, right) => (left.id < right.id ? -1 : left.id > right.id ? 1 : 0));
  const kept = Object.fromEntries(list.filter((primitive) => parameters[primitive.id] !== undefined).map((primitive) => [primitive.id, parameters[primitive.id]!]));
  return `${JSON.stringify({ format: FORMAT, resources: list, ...(Object.keys(kept).length > 0 ? { parameters: kept } : {}) })}\n`;
}

/**
 * The definitions in a file's text and the parameters they ran with (only when the file has
 * some: an older agent's file has none), or what is wrong with it (the caller says so loudly
 * and goes on without them).
 */
export function decodeStarted(text: string): { definitions: Primitive[]; parameters?: RanParameters } | { problem: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { problem: `not JSON (${(error as Error).message})` };
  }
  if (!isObject(parsed) || parsed.format !== FORMAT) return { problem: `not a ${FORMAT} file` };
  const resources = parsed.resources;
  if (!Array.isArray(resources)) return { problem: "no resources list" };
  if (resources.length > STARTED_DEFINITIONS_MAX) return { problem: `${resources.length} definitions; at most ${STARTED_DEFINITIONS_MAX} are read` };
  const definitions: Primitive[] = [];
  const ids = new Set<string>();
  for (const [index, entry] of resources.entries()) {
    const problem = primitiveProblem(entry);
    if (problem !== undefined) return { problem: `resources[${index}]: ${problem}` };
    const primitive = entry as Primitive;
    if (ids.has(primitive.id)) return { problem: `resources[${index}]: ${primitive.id} is listed twice` };
    ids.add(primitive.id);
    definitions.push(primitive);
  }
  if (parsed.parameters === undefined) return { definitions };
  const problem = parametersProblem(parsed.parameters, ids);
  return problem !== undefined ? { problem: `parameters: ${problem}` } : { definitions, parameters: parsed.parameters as RanParameters };
}

function parametersProblem(value: unknown, ids: ReadonlySet<string>): string | undefined {
  if (!isObject(value)) return "not a map of resources";
  for (const [id, parameters] of Object.entries(value)) {
    if (!ids.has(id)) return `${id} is not in the resources list`;
    if (!isStrings(parameters)) return `${id}'s are not a set of strings`;
  }
  return undefined;
}

function primitiveProblem(value: unknown): string | undefined {
  if (!isObject(value) || value.kind !== "primitive") return "not a primitive";
  for (const key of ["id", "class", "type"] as const) if (!isName(value[key])) return `${key} is not a name`;
  if (value.provider !== undefined && !isName(value.provider)) return "provider is not a name";
  if (!isStrings(value.extra)) return "extra is not a set of strings";
  for (const key of ["instance", "meta"] as const) if (!isSets(value[key])) return `${key} is not a list of attribute sets`;
  if (value.utilization !== undefined && !isSets(value.utilization)) return "utilization is not a list of attribute sets";
  if (value.template !== undefined && !isName(value.template)) return "template is not a name";
  if (!Array.isArray(value.operations) || !value.operations.every(isOperation)) return "operations is not a list of operations";
  return undefined;
}

function isOperation(value: unknown): value is Operation {
  return isObject(value) && isName(value.id) && isName(value.name) && typeof value.interval === "string" && typeof value.intervalMs === "number" && Number.isFinite(value.intervalMs) && value.intervalMs >= 0
    && ["timeout", "role", "onFail", "enabled"].every((key) => value[key] === undefined || typeof value[key] === "string")
    && isStrings(value.extra) && isSets(value.meta) && isSets(value.instance);
}

function isSets(value: unknown): value is NvSet[] {
  // Rules of a set (rule) are kept as they came; the executor reads only the values.
  return Array.isArray(value) && value.every((set) => isObject(set) && typeof set.id === "string" && isStrings(set.values)
    && (set.pairRefs === undefined || isStrings(set.pairRefs)) && (set.pairIds === undefined || isStrings(set.pairIds))
    && (set.idRef === undefined || typeof set.idRef === "string") && (set.score === undefined || typeof set.score === "string"));
}

function isStrings(value: unknown): value is Record<string, string> {
  return isObject(value) && Object.values(value).every((each) => typeof each === "string");
}

function isName(value: unknown): value is string {
  return typeof value === "string" && value.length > 0 && value.length <= 256;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
