// Text for people: constraint list and config show, in the order pcs prints them.
import { allPrimitives, flattenSets, type Attributes, type Cib, type Constraint, type Operation, type Resource } from "../cib";
import { formatAgentName } from "./operations";
import { listProperties } from "./cluster-options";

/** Parameter names that hold secrets (fence device passwords): shown as asterisks, never printed. */
const SECRET_NAME = /(^|_)(password|passwd|secret|passphrase)$/i;
export const REDACTED = "********";
const SECRET_DEVICE_NAMES = ["kg", "hexadecimal_kg"];

/** A copy of the CIB with every secret parameter of every resource replaced by asterisks. */
export function redactSecrets(cib: Cib): Cib {
  const copy = structuredClone(cib);
  for (const primitive of allPrimitives(copy.resources)) {
    // Devices may name more secrets in pcmk_secret_params; IPMI's kg keys are secrets too.
    const marked = new Set([...(flattenSets(primitive.instance).pcmk_secret_params ?? "").split(/[\s,]+/).filter(Boolean), ...(primitive.class === "stonith" ? SECRET_DEVICE_NAMES : [])]);
    for (const set of primitive.instance) for (const name of Object.keys(set.values)) if (SECRET_NAME.test(name) || marked.has(name)) set.values[name] = REDACTED;
  }
  return copy;
}

const pairs = (values: Attributes): string => Object.entries(values).map(([key, value]) => `${key}=${value}`).join(" ");

export function describeConstraint(constraint: Constraint): string {
  switch (constraint.kind) {
    case "location": {
      const target = constraint.node !== undefined ? `node ${constraint.node}` : `${constraint.rules.length} rule(s)`;
      return `location ${constraint.rscPattern !== undefined ? `rsc-pattern=${constraint.rscPattern}` : constraint.rsc} ${target} score=${constraint.score ?? "(rules)"}${constraint.role ? ` role=${constraint.role}` : ""} (id: ${constraint.id})`;
    }
    case "colocation":
      return `colocation ${constraint.rscRole ? `${constraint.rscRole} ` : ""}${constraint.rsc} with ${constraint.withRscRole ? `${constraint.withRscRole} ` : ""}${constraint.withRsc} score=${constraint.score} (id: ${constraint.id})`;
    case "order":
      return `order ${constraint.firstAction ?? "start"} ${constraint.first} then ${constraint.thenAction ?? constraint.firstAction ?? "start"} ${constraint.then}${constraint.orderKind ? ` kind=${constraint.orderKind}` : ""}${constraint.symmetrical ? ` symmetrical=${constraint.symmetrical}` : ""} (id: ${constraint.id})`;
    case "colocation-sets":
    case "order-sets":
      return `${constraint.kind === "order-sets" ? "order" : "colocation"} set ${constraint.sets.map((set) => `(${set.resources.join(" ")})`).join(" ")} (id: ${constraint.id})`;
    default: {
      const unknown: never = constraint;
      return String(unknown);
    }
  }
}

function describeOperation(operation: Operation): string {
  const parts = [`interval=${operation.interval}`];
  if (operation.timeout) parts.push(`timeout=${operation.timeout}`);
  if (operation.role) parts.push(`role=${operation.role}`);
  if (operation.onFail) parts.push(`on-fail=${operation.onFail}`);
  return `${operation.name} ${parts.join(" ")}`;
}

function describeResource(resource: Resource, indent: string, lines: string[]): void {
  const meta = flattenSets(resource.meta);
  const metaText = Object.keys(meta).length > 0 ? `  meta: ${pairs(meta)}` : "";
  switch (resource.kind) {
    case "primitive": {
      lines.push(`${indent}${resource.id} (${formatAgentName(resource)})${metaText}`);
      const instance = flattenSets(resource.instance);
      if (Object.keys(instance).length > 0) lines.push(`${indent}  attributes: ${pairs(instance)}`);
      for (const operation of resource.operations) lines.push(`${indent}  op ${describeOperation(operation)}`);
      return;
    }
    case "group":
      lines.push(`${indent}group ${resource.id}${metaText}`);
      for (const member of resource.members) describeResource(member, `${indent}  `, lines);
      return;
    case "clone":
      lines.push(`${indent}clone ${resource.id}${metaText}`);
      describeResource(resource.child, `${indent}  `, lines);
      return;
  }
}

/** The configuration as `pcs config` readers expect it. */
export function renderConfiguration(shown: Cib): string {
  const cib = redactSecrets(shown);
  const lines: string[] = [`CIB version ${cib.version.adminEpoch}.${cib.version.epoch}.${cib.version.numUpdates}`, "", "Nodes:"];
  for (const node of cib.nodes) {
    const attributes = flattenSets(node.instance);
    lines.push(`  ${node.uname} (id ${node.id})${Object.keys(attributes).length > 0 ? `  ${pairs(attributes)}` : ""}`);
  }
  const isStonith = (resource: Resource): boolean => resource.kind === "primitive" && resource.class === "stonith";
  lines.push("", "Resources:");
  for (const resource of cib.resources.filter((item) => !isStonith(item))) describeResource(resource, "  ", lines);
  lines.push("", "Fence devices:");
  for (const resource of cib.resources.filter(isStonith)) describeResource(resource, "  ", lines);
  lines.push("", "Fencing levels:");
  for (const level of cib.fencingTopology) lines.push(`  ${level.target ?? level.targetPattern ?? `${level.targetAttribute}=${level.targetValue}`} level ${level.index}: ${level.devices.join(",")} (id: ${level.id})`);
  lines.push("", "Constraints:");
  for (const constraint of cib.constraints) lines.push(`  ${describeConstraint(constraint)}`);
  const defaults = flattenSets(cib.rscDefaults);
  if (Object.keys(defaults).length > 0) lines.push("", "Resource defaults:", `  ${pairs(defaults)}`);
  const operationDefaults = flattenSets(cib.opDefaults);
  if (Object.keys(operationDefaults).length > 0) lines.push("", "Operation defaults:", `  ${pairs(operationDefaults)}`);
  lines.push("", "Cluster properties:");
  for (const entry of listProperties(cib, false)) lines.push(`  ${entry.name}=${entry.value}`);
  return `${lines.join("\n")}\n`;
}
