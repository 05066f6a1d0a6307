// The native CIB format: JSON (or YAML for hand-written input) validated by the
// published schema in docs/cib.schema.json, plus checks the schema cannot
// express (unique ids, constraints that name existing resources).
import type { ErrorObject } from "ajv";
import { parseDocument } from "yaml";
import { EdgehaError } from "../common/errors";
import generatedValidator from "./cib-validate.generated";
import { parseDurationMs } from "./duration";
import { allPrimitives, constraintResources, type Cib } from "./model";
import { checkReadable, rawCibSchema } from "./schema";
import { CIB_LIMITS } from "./limits";

// docs/cib.schema.json's validator, compiled ahead of time (scripts/cib-validator.mjs): compiling
// it here cost ~80 ms and kept Ajv's compiler and ~6 MiB of RSS in every agent for good.
type ValidateFunction = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };
const validateCib = generatedValidator as unknown as ValidateFunction;
function validateSchema(): ValidateFunction {
  return validateCib;
}

function describeError(error: ErrorObject): string {
  const where = error.instancePath === "" ? "(top level)" : error.instancePath;
  const extra = error.keyword === "additionalProperties" ? ` '${(error.params as { additionalProperty: string }).additionalProperty}'` : "";
  return `${where}: ${error.message ?? "invalid"}${extra}`;
}

/** Problems the schema cannot see: duplicate ids and references to unknown resources. */
export function semanticProblems(cib: Cib): string[] {
  const problems: string[] = [];
  const ids = new Set<string>();
  const resourceIds = new Set<string>();
  const note = (id: string, where: string): void => {
    if (ids.has(id)) problems.push(`${where}: the id '${id}' is used twice`);
    ids.add(id);
  };
  const visit = (resource: Cib["resources"][number], where: string): void => {
    note(resource.id, where);
    resourceIds.add(resource.id);
    if (resource.kind === "group") resource.members.forEach((member, index) => visit(member, `${where}/members/${index}`));
    if (resource.kind === "clone") visit(resource.child, `${where}/child`);
  };
  cib.resources.forEach((resource, index) => visit(resource, `/resources/${index}`));
  cib.constraints.forEach((constraint, index) => {
    const where = `/constraints/${index}`;
    note(constraint.id, where);
    for (const name of constraintResources(constraint)) if (!resourceIds.has(name)) problems.push(`${where}: constraint '${constraint.id}' names the unknown resource '${name}'`);
  });
  if (allPrimitives(cib.resources).length === 0 && cib.resources.length > 0) problems.push("/resources: no primitive inside");
  return problems;
}

/** Values derived from others, which a hand-written file may leave out. */
function fillDerived(cib: Cib): void {
  // The schema's defaults do not reach inside its oneOf branches: fill those here.
  const fillResource = (resource: Cib["resources"][number]): void => {
    const target = resource as unknown as Record<string, unknown>;
    for (const key of ["extra"]) target[key] ??= {};
    for (const key of ["instance", "meta"]) target[key] ??= [];
    if (resource.kind === "primitive") target.operations ??= [];
    if (resource.kind === "group") {
      target.members ??= [];
      resource.members.forEach(fillResource);
    }
    if (resource.kind === "clone") {
      target.legacyMaster ??= false;
      fillResource(resource.child);
    }
  };
  cib.resources.forEach(fillResource);
  for (const constraint of cib.constraints) {
    const target = constraint as unknown as Record<string, unknown>;
    target.extra ??= {};
    if (constraint.kind === "location") target.rules ??= [];
    if (constraint.kind === "colocation-sets" || constraint.kind === "order-sets") for (const set of constraint.sets) set.extra ??= {};
  }
  for (const primitive of allPrimitives(cib.resources)) {
    for (const operation of primitive.operations) {
      if (operation.intervalMs === undefined) operation.intervalMs = parseDurationMs(operation.interval, `operation ${operation.name} of ${primitive.id}`);
      const target = operation as unknown as Record<string, unknown>;
      target.extra ??= {};
      target.meta ??= [];
      target.instance ??= [];
      if (operation.id === undefined) operation.id = `${primitive.id}-${operation.name}-${operation.interval}`;
    }
  }
}

/** A JSON syntax error's place: from V8's message when it gives one, else from the YAML parser (JSON is YAML). */
function jsonErrorPlace(text: string, message: string): string {
  const lineColumn = /line (\d+) column (\d+)/.exec(message);
  if (lineColumn) return `${lineColumn[1]}:${lineColumn[2]}`;
  const position = /at position (\d+)/.exec(message);
  if (position) {
    const before = text.slice(0, Number(position[1]));
    return `${before.split("\n").length}:${Number(position[1]) - before.lastIndexOf("\n")}`;
  }
  const located = parseDocument(text).errors[0]?.linePos?.[0];
  if (located) return `${located.line}:${located.col}`;
  if (/end of JSON input/.test(message)) {
    const lines = text.split("\n");
    return `${lines.length}:${lines[lines.length - 1]!.length + 1}`;
  }
  return "";
}

function parseText(text: string, fileName: string): unknown {
  if (text.length > CIB_LIMITS.textLengthMax) throw new EdgehaError("E_CIB_TOO_LARGE", `${fileName} has ${text.length} characters; edgeha reads a CIB of at most ${CIB_LIMITS.textLengthMax}`);
  if (/\.ya?ml$/i.test(fileName)) {
    const document = parseDocument(text);
    const problem = document.errors[0];
    if (problem) {
      const place = problem.linePos?.[0];
      const deep = /call stack/i.test(problem.message);
      // The yaml package appends "at line L, column C:" and an excerpt; the place is said first instead.
      const message = problem.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
      throw new EdgehaError(deep ? "E_CIB_TOO_LARGE" : "E_CIB_PARSE", `${fileName}:${place ? `${place.line}:${place.col}:` : ""} ${deep ? "nested far deeper than a CIB ever is" : message}`);
    }
    try {
      return document.toJS({ maxAliasCount: 100 });
    } catch (error) {
      // An alias expanding into too much (a "billion laughs" document).
      throw new EdgehaError("E_CIB_TOO_LARGE", `${fileName}: ${(error as Error).message}`);
    }
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const place = jsonErrorPlace(text, message);
    throw new EdgehaError("E_CIB_PARSE", `${fileName}:${place ? `${place}:` : ""} ${message.replace(/\s*\(line \d+ column \d+\)|\s*at position \d+/, "")}`);
  }
}

/** The nesting depth of parsed data, counted without recursion and stopping past `max`. */
function depthOver(data: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[data, 1]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (value === null || typeof value !== "object") continue;
    if (depth > max) return true;
    for (const item of Object.values(value as Record<string, unknown>)) if (item !== null && typeof item === "object") stack.push([item, depth + 1]);
  }
  return false;
}

/** Counts over the bounds edgeha's scheduler is built and measured for. */
export function cibLimitProblem(cib: Cib): string | undefined {
  const primitives = allPrimitives(cib.resources).length;
  if (primitives > CIB_LIMITS.primitivesMax) return `${primitives} primitives; edgeha takes at most ${CIB_LIMITS.primitivesMax}`;
  if (cib.constraints.length > CIB_LIMITS.constraintsMax) return `${cib.constraints.length} constraints; edgeha takes at most ${CIB_LIMITS.constraintsMax}`;
  if (cib.nodes.length > CIB_LIMITS.nodesMax) return `${cib.nodes.length} nodes; edgeha takes at most ${CIB_LIMITS.nodesMax}`;
  return undefined;
}

/** Parses and validates a native CIB (JSON, or YAML when the name ends in .yaml/.yml). */
export function parseNativeCib(text: string, fileName: string): Cib {
  const data = parseText(text, fileName);
  if (depthOver(data, CIB_LIMITS.depthMax)) throw new EdgehaError("E_CIB_TOO_LARGE", `${fileName}: nested deeper than ${CIB_LIMITS.depthMax} levels; a CIB is never that deep`);
  // A newer schema is refused as such before validation, whose errors would only confuse.
  checkReadable(rawCibSchema(data) ?? 1, fileName);
  const validate = validateSchema();
  if (!validate(data)) {
    const lines = (validate.errors ?? []).slice(0, 20).map(describeError);
    throw new EdgehaError("E_CIB_INVALID", `${fileName} is not a valid CIB:\n  ${lines.join("\n  ")}`);
  }
  const cib = data as unknown as Cib;
  const overLimit = cibLimitProblem(cib);
  if (overLimit) throw new EdgehaError("E_CIB_TOO_LARGE", `${fileName}: ${overLimit}`);
  fillDerived(cib);
  const problems = semanticProblems(cib).filter((problem) => !problem.includes("unknown resource"));
  if (problems.length > 0) throw new EdgehaError("E_CIB_INVALID", `${fileName} is not a valid CIB:\n  ${problems.join("\n  ")}`);
  return cib;
}

export function serializeNativeCib(cib: Cib): string {
  return `${JSON.stringify(cib, null, 2)}\n`;
}
