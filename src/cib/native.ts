// The native CIB format: JSON (or YAML for hand-written input) validated by the
// published schema in docs/cib.schema.json, plus checks the schema cannot
// express (unique ids, constraints that name existing resources).
import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";
import { parse as parseYaml } from "yaml";
import { EdgehaError } from "../common/errors";
import schema from "../../docs/cib.schema.json";
import { parseDurationMs } from "./duration";
import { allPrimitives, constraintResources, type Cib } from "./model";
import { checkReadable, rawCibSchema } from "./schema";

// Compiled on first use: compiling costs ~80 ms, which every other command
// (and the start-up of the executable) should not pay.
let compiled: ValidateFunction | undefined;
function validateSchema(): ValidateFunction {
  // useDefaults fills the sections and lists a hand-written file leaves out.
  compiled ??= new Ajv({ allErrors: true, strict: false, useDefaults: true, discriminator: true }).compile(schema);
  return compiled;
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

/** Parses and validates a native CIB (JSON, or YAML when the name ends in .yaml/.yml). */
export function parseNativeCib(text: string, fileName: string): Cib {
  let data: unknown;
  try {
    data = /\.ya?ml$/i.test(fileName) ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    throw new EdgehaError("E_CIB_PARSE", `${fileName}: ${(error as Error).message}`);
  }
  // A newer schema is refused as such before validation, whose errors would only confuse.
  checkReadable(rawCibSchema(data) ?? 1, fileName);
  const validate = validateSchema();
  if (!validate(data)) {
    const lines = (validate.errors ?? []).slice(0, 20).map(describeError);
    throw new EdgehaError("E_CIB_INVALID", `${fileName} is not a valid CIB:\n  ${lines.join("\n  ")}`);
  }
  const cib = data as unknown as Cib;
  fillDerived(cib);
  const problems = semanticProblems(cib).filter((problem) => !problem.includes("unknown resource"));
  if (problems.length > 0) throw new EdgehaError("E_CIB_INVALID", `${fileName} is not a valid CIB:\n  ${problems.join("\n  ")}`);
  return cib;
}

export function serializeNativeCib(cib: Cib): string {
  return `${JSON.stringify(cib, null, 2)}\n`;
}
