// Text in the shapes pcs 0.11 prints, for scripts and people used to pcs: `resource
// config`, `constraint [config]`, `constraint ref`, `resource [status]` of a file, `resource
// defaults`, `property [config]`. Secrets are shown as asterisks. Pure: no I/O.
import { flattenSets, type Cib, type Constraint, type NvSet, type Operation, type Resource, type Rule } from "../cib";
import { listProperties } from "./cluster-options";
import { isStonith, resourcePlaces } from "./lookup";
import { formatAgentName } from "./operations";
import { redactSecrets } from "./render";

function nvLines(title: string, sets: readonly NvSet[], indent: string, lines: string[]): void {
  for (const set of sets) {
    lines.push(`${indent}${title}: ${set.id}`);
    for (const [name, value] of Object.entries(set.values).sort(([a], [b]) => a.localeCompare(b, "en"))) lines.push(`${indent}  ${name}=${value}`);
  }
}

function operationLines(operation: Operation, indent: string, lines: string[]): void {
  lines.push(`${indent}${operation.name}: ${operation.id}`);
  const values: Record<string, string> = { interval: operation.interval, ...operation.extra };
  if (operation.timeout !== undefined) values.timeout = operation.timeout;
  if (operation.role !== undefined) values.role = operation.role;
  if (operation.onFail !== undefined) values["on-fail"] = operation.onFail;
  if (operation.enabled !== undefined) values.enabled = operation.enabled;
  for (const set of operation.instance) Object.assign(values, set.values);
  for (const [name, value] of Object.entries(values).sort(([a], [b]) => (a === "interval" ? -1 : b === "interval" ? 1 : a.localeCompare(b, "en")))) lines.push(`${indent}  ${name}=${value}`);
}

function resourceLines(resource: Resource, indent: string, lines: string[]): void {
  switch (resource.kind) {
    case "primitive": {
      const agent = `class=${resource.class}${resource.provider ? ` provider=${resource.provider}` : ""} type=${resource.type}`;
      lines.push(`${indent}Resource: ${resource.id} (${agent})`);
      nvLines("Attributes", resource.instance, `${indent}  `, lines);
      nvLines("Meta Attributes", resource.meta, `${indent}  `, lines);
      if (resource.operations.length > 0) {
        lines.push(`${indent}  Operations:`);
        for (const operation of resource.operations) operationLines(operation, `${indent}    `, lines);
      }
      return;
    }
    case "group":
      lines.push(`${indent}Group: ${resource.id}`);
      nvLines("Meta Attributes", resource.meta, `${indent}  `, lines);
      for (const member of resource.members) resourceLines(member, `${indent}  `, lines);
      return;
    case "clone":
      lines.push(`${indent}Clone: ${resource.id}`);
      nvLines("Meta Attributes", resource.meta, `${indent}  `, lines);
      resourceLines(resource.child, `${indent}  `, lines);
      return;
  }
}

/** `pcs resource config [NAME...]` / `pcs stonith config`: the resources (or the named ones) with their attributes and operations. */
export function renderResourceConfig(shown: Cib, resources: readonly Resource[]): string {
  const cib = redactSecrets(shown);
  const byId = new Map(resourcePlaces(cib).map((place) => [place.resource.id, place.resource]));
  const lines: string[] = [];
  for (const resource of resources) resourceLines(byId.get(resource.id) ?? resource, "", lines);
  return lines.length > 0 ? `${lines.join("\n")}\n` : "";
}

/** `pcs resource [status]` of a CIB file: what is configured and, lacking live state, Stopped (disabled ones said so). */
export function renderOfflineResources(cib: Cib, stonith: boolean, nodes: readonly string[]): string {
  const lines: string[] = [];
  const disabled = (resource: Resource): string => (flattenSets(resource.meta)["target-role"]?.toLowerCase() === "stopped" ? " (disabled)" : "");
  const primitive = (resource: Resource, indent: string): void => {
    if (resource.kind === "primitive") lines.push(`${indent}* ${resource.id}\t(${formatAgentName(resource)}):\t Stopped${disabled(resource)}`);
  };
  for (const resource of cib.resources.filter((item) => isStonith(item) === stonith)) {
    if (resource.kind === "primitive") primitive(resource, "  ");
    else if (resource.kind === "group") {
      lines.push(`  * Resource Group: ${resource.id}${disabled(resource)}:`);
      for (const member of resource.members) primitive(member, "    ");
    } else {
      const promotable = flattenSets(resource.meta).promotable === "true" || resource.legacyMaster;
      lines.push(`  * Clone Set: ${resource.id} [${resource.child.id}]${promotable ? " (promotable)" : ""}${disabled(resource)}:`);
      lines.push(`    * Stopped: [ ${nodes.join(" ")} ]`);
    }
  }
  return lines.length > 0 ? `${lines.join("\n")}\n` : "  * No resources\n";
}

const scoreText = (score: string | undefined): string => score ?? "INFINITY";

/** NAME=VALUE words sorted by name, as pcs lists an element's attributes. */
const sortedPairs = (values: Readonly<Record<string, string | undefined>>): string[] => Object.entries(values).filter((entry): entry is [string, string] => entry[1] !== undefined).sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, value]) => `${name}=${value}`);

/**
 * A rule as pcs prints it under its constraint: "Rule: ATTRIBUTES", then its expressions,
 * date expressions (a date-spec and a duration on a line of their own) and nested rules,
 * each indented; `full` adds the ids. boolean-op is left out of a rule of one part, which
 * pcs writes without it.
 */
function ruleLines(rule: Rule, indent: string, full: boolean): string[] {
  const id = (value: string | undefined): string => (full && value !== undefined ? ` (id:${value})` : "");
  const parts = rule.expressions.length + (rule.dateExpressions ?? []).length + rule.rules.length;
  const attributes = sortedPairs({ "boolean-op": parts > 1 ? rule.booleanOp : undefined, role: rule.role, score: rule.score, "score-attribute": rule.scoreAttribute });
  const inner = `${indent}  `;
  const lines = [`${indent}Rule: ${attributes.join(" ")}${id(rule.id)}`];
  for (const expression of rule.expressions) {
    const words = expression.value === undefined ? [expression.operation, expression.attribute] : [expression.attribute, expression.operation, ...(expression.type ? [expression.type] : []), expression.value];
    lines.push(`${inner}Expression: ${words.join(" ")}${id(expression.id)}`);
  }
  for (const date of rule.dateExpressions ?? []) {
    const { id: specId, ...spec } = date.dateSpec ?? {};
    const { id: durationId, ...duration } = date.duration ?? {};
    if (date.operation === "date_spec") {
      lines.push(`${inner}Expression:${id(date.id)}`, `${inner}  Date Spec: ${sortedPairs(spec).join(" ")}${id(specId)}`);
      continue;
    }
    const operation = date.operation ?? "in_range";
    const words = operation === "in_range" ? ["date", "in_range", ...(date.start ? [date.start, "to"] : []), ...(date.end ? [date.end] : []), ...(date.duration ? ["duration"] : [])] : ["date", operation, ...(date.start ? [date.start] : []), ...(date.end ? [date.end] : [])];
    lines.push(`${inner}Expression: ${words.join(" ")}${id(date.id)}`);
    if (date.duration) lines.push(`${inner}  Duration: ${sortedPairs(duration).join(" ")}${id(durationId)}`);
  }
  for (const nested of rule.rules) lines.push(...ruleLines(nested, inner, full));
  return lines;
}

/** `pcs constraint [config]` in pcs 0.11's text. */
export function renderConstraints(cib: Cib, full: boolean): string {
  const id = (constraint: Constraint): string => (full ? ` (id:${constraint.id})` : "");
  const lines: string[] = ["Location Constraints:"];
  const locations = cib.constraints.filter((constraint) => constraint.kind === "location");
  for (const rsc of [...new Set(locations.map((constraint) => constraint.rsc))]) {
    lines.push(`  Resource: ${rsc}`);
    const mine = locations.filter((constraint) => constraint.rsc === rsc);
    const enabled = mine.filter((constraint) => constraint.node !== undefined && !(constraint.score ?? "").startsWith("-"));
    const disabled = mine.filter((constraint) => constraint.node !== undefined && (constraint.score ?? "").startsWith("-"));
    if (enabled.length > 0) lines.push("    Enabled on:", ...enabled.map((constraint) => `      Node: ${constraint.node} (score:${scoreText(constraint.score)})${constraint.role ? ` (role:${constraint.role})` : ""}${id(constraint)}`));
    if (disabled.length > 0) lines.push("    Disabled on:", ...disabled.map((constraint) => `      Node: ${constraint.node} (score:${scoreText(constraint.score)})${constraint.role ? ` (role:${constraint.role})` : ""}${id(constraint)}`));
    for (const constraint of mine.filter((item) => item.node === undefined)) lines.push(`    Constraint: ${constraint.id}`, ...constraint.rules.flatMap((rule) => ruleLines(rule, "      ", full)));
  }
  lines.push("Ordering Constraints:");
  for (const constraint of cib.constraints) {
    if (constraint.kind === "order") {
      const options = [`kind:${constraint.orderKind ?? "Mandatory"}`, ...(constraint.symmetrical ? [`symmetrical:${constraint.symmetrical}`] : [])];
      lines.push(`  ${constraint.firstAction ?? "start"} ${constraint.first} then ${constraint.thenAction ?? constraint.firstAction ?? "start"} ${constraint.then} (${options.join(") (")})${id(constraint)}`);
    } else if (constraint.kind === "order-sets") {
      lines.push(`  Resource Sets:`, `    ${constraint.sets.map((set) => `set ${set.resources.join(" ")}`).join(" ")}${id(constraint)}`);
    }
  }
  lines.push("Colocation Constraints:");
  for (const constraint of cib.constraints) {
    if (constraint.kind === "colocation") {
      const roles = [...(constraint.rscRole ? [`rsc-role:${constraint.rscRole}`] : []), ...(constraint.withRscRole ? [`with-rsc-role:${constraint.withRscRole}`] : [])];
      lines.push(`  ${constraint.rsc} with ${constraint.withRsc} (score:${constraint.score})${roles.map((role) => ` (${role})`).join("")}${id(constraint)}`);
    } else if (constraint.kind === "colocation-sets") {
      lines.push(`  Resource Sets:`, `    ${constraint.sets.map((set) => `set ${set.resources.join(" ")}`).join(" ")}${id(constraint)}`);
    }
  }
  lines.push("Ticket Constraints:");
  return `${lines.join("\n")}\n`;
}

/** The constraints that name a resource (or its clone, group or members), as `pcs constraint ref` lists them. */
export function constraintsReferring(cib: Cib, id: string): string[] {
  const names = (constraint: Constraint): string[] => {
    switch (constraint.kind) {
      case "location": return [constraint.rsc];
      case "colocation": return [constraint.rsc, constraint.withRsc];
      case "order": return [constraint.first, constraint.then];
      default: return constraint.sets.flatMap((set) => set.resources);
    }
  };
  return cib.constraints.filter((constraint) => names(constraint).includes(id)).map((constraint) => constraint.id);
}

/** `pcs resource defaults` / `pcs resource op defaults`. */
export function renderDefaults(sets: readonly NvSet[]): string {
  if (sets.length === 0) return "No defaults set\n";
  const lines: string[] = [];
  nvLines("Meta Attrs", sets, "", lines);
  return `${lines.join("\n")}\n`;
}

/** `pcs property [config]`. */
export function renderProperties(cib: Cib): string {
  return `Cluster Properties:\n${listProperties(cib, false).map((entry) => ` ${entry.name}: ${entry.value ?? ""}`).join("\n")}${listProperties(cib, false).length > 0 ? "\n" : ""}`;
}
