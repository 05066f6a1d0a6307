// Building primitives and their operations from command-line settings, with the
// checks pcs makes: known classes, operation names and attributes, durations,
// meta attributes (unknown ones are warned about, values of target-role checked).
import { builtinAgents } from "../../agents";
import { parseDurationMs, type Attributes, type Operation, type Primitive } from "../cib";
import { EdgehaError } from "../common/errors";
import { didYouMean, nearMatches } from "../common/suggest";
import { uniqueId, writeValues } from "./lookup";
import type { AgentName, EditCatalog, OperationSpec, ResourceSettings } from "./types";
import type { Cib } from "../cib";

/** Resource classes a `resource create` accepts (stonith has its own command). */
export const RESOURCE_CLASSES = ["ocf", "builtin", "lsb", "systemd", "service"] as const;

const OPERATION_NAMES = ["start", "stop", "monitor", "promote", "demote", "notify", "reload", "reload-agent", "migrate_to", "migrate_from", "validate-all", "meta-data"];
const OPERATION_KEYS = ["id", "interval", "timeout", "role", "on-fail", "enabled", "description", "start-delay", "interval-origin", "record-pending", "requires", "OCF_CHECK_LEVEL"];
const ON_FAIL = ["ignore", "block", "stop", "restart", "standby", "fence", "demote", "restart-container"];
const ROLES = ["Stopped", "Started", "Unpromoted", "Promoted", "Slave", "Master"];

const RESOURCE_META = [
  "priority", "critical", "target-role", "is-managed", "maintenance", "resource-stickiness", "requires", "migration-threshold",
  "failure-timeout", "multiple-active", "allow-migrate", "allow-unhealthy-nodes", "container-attribute-target", "description",
];
export const CLONE_META = ["clone-max", "clone-node-max", "clone-min", "notify", "globally-unique", "ordered", "interleave", "promotable", "promoted-max", "promoted-node-max", "master-max", "master-node-max"];

/**
 * A provider or type is a plain name: it becomes a path (OCF_ROOT/resource.d/PROVIDER/TYPE,
 * /etc/init.d/TYPE) or a unit name, so '/', '..' and anything a shell or path could read
 * otherwise are refused. systemd templates (getty@tty1) and unit suffixes (.service) fit.
 */
const AGENT_PART = /^[A-Za-z0-9_@][A-Za-z0-9_.@+-]{0,127}$/;

/**
 * Reads CLASS:PROVIDER:TYPE (ocf) or CLASS:TYPE (builtin, lsb, systemd, service). With
 * `bareAllowed`, a TYPE alone is taken too, with an empty class: the CLI resolves it among
 * the installed agents, as pcs does (resolveBareAgent).
 */
export function parseAgentName(text: string, bareAllowed = false): AgentName {
  if (bareAllowed && !text.includes(":")) {
    if (!AGENT_PART.test(text)) throw new EdgehaError("E_ADMIN_AGENT", `'${text.slice(0, 200)}' is not a plain agent type name: it would be read as a path; use letters, digits, '_', '-', '.', '@', '+' (at most 128), not '/' or a leading '.'`);
    return { class: "", type: text };
  }
  const parts = text.split(":");
  const usage = "write it as CLASS:PROVIDER:TYPE for OCF agents (ocf:heartbeat:IPaddr2) or CLASS:TYPE (builtin:ipaddr, systemd:haproxy, lsb:memcached, service:nginx)";
  if (parts.some((part) => part === "") || parts.length < 2 || parts.length > 3) throw new EdgehaError("E_ADMIN_AGENT", `'${text.slice(0, 200)}' is not an agent name: ${usage}`);
  const bad = parts.slice(1).find((part) => !AGENT_PART.test(part));
  if (bad !== undefined) {
    throw new EdgehaError("E_ADMIN_AGENT", `'${bad.slice(0, 200)}' in '${text.slice(0, 200)}' is not a plain ${parts.length === 3 && bad === parts[1] ? "provider" : "agent type"} name: it would be read as a path; use letters, digits, '_', '-', '.', '@', '+' (at most 128), not '/' or a leading '.'`);
  }
  const agentClass = parts[0]!;
  if (agentClass === "stonith") throw new EdgehaError("E_ADMIN_AGENT", `'${text}' is a fence device: create it with 'edgeha stonith create NAME DRIVER ...'`);
  if (!(RESOURCE_CLASSES as readonly string[]).includes(agentClass)) {
    throw new EdgehaError("E_ADMIN_AGENT", `unknown resource class '${agentClass}' in '${text}'${didYouMean(agentClass, RESOURCE_CLASSES)}; classes: ${RESOURCE_CLASSES.join(", ")}`);
  }
  if (agentClass === "ocf" && parts.length !== 3) throw new EdgehaError("E_ADMIN_AGENT", `'${text}': an OCF agent needs a provider: ocf:PROVIDER:TYPE, e.g. ocf:heartbeat:${parts[1]}`);
  if (agentClass !== "ocf" && parts.length !== 2) throw new EdgehaError("E_ADMIN_AGENT", `'${text}': the ${agentClass} class has no provider: ${agentClass}:TYPE`);
  if (agentClass === "builtin" && !builtinAgents.has(parts[1]!)) {
    throw new EdgehaError("E_ADMIN_AGENT", `no built-in agent '${parts[1]}'${didYouMean(parts[1]!, [...builtinAgents.keys()])}; built in: ${[...builtinAgents.keys()].join(", ")}`);
  }
  return parts.length === 3 ? { class: agentClass, provider: parts[1]!, type: parts[2]! } : { class: agentClass, type: parts[1]! };
}

export function formatAgentName(agent: { class: string; provider?: string; type: string }): string {
  return [agent.class, agent.provider, agent.type].filter((part) => part !== undefined).join(":");
}

/** A warning when the catalog is known and does not hold the agent. */
export function unknownAgentWarning(agent: AgentName, catalog: EditCatalog): string | undefined {
  // A catalog that lists no agent of this class knows nothing about it (e.g. systemd units).
  if (!catalog.agents?.some((item) => item.startsWith(`${agent.class}:`))) return undefined;
  const name = formatAgentName(agent);
  if (catalog.agents.includes(name)) return undefined;
  const near = nearMatches(name, catalog.agents);
  const hint = near.length > 0 ? ` (did you mean ${near.map((item) => `'${item}'`).join(" or ")}?)` : "";
  return `agent '${name}' is not installed on this machine${hint}: it must be installed on every node that may run the resource`;
}

function checkOperation(owner: string, spec: OperationSpec, agentActions: readonly string[]): void {
  if (!OPERATION_NAMES.includes(spec.name) && !agentActions.includes(spec.name)) {
    throw new EdgehaError("E_ADMIN_ARGUMENT", `resource '${owner}': unknown operation '${spec.name}'${didYouMean(spec.name, OPERATION_NAMES)}`);
  }
  for (const key of Object.keys(spec.values)) {
    if (!OPERATION_KEYS.includes(key)) throw new EdgehaError("E_ADMIN_ARGUMENT", `resource '${owner}', op ${spec.name}: unknown option '${key}'${didYouMean(key, OPERATION_KEYS)}`);
  }
  const onFail = spec.values["on-fail"];
  if (onFail !== undefined && !ON_FAIL.includes(onFail)) throw new EdgehaError("E_ADMIN_ARGUMENT", `resource '${owner}', op ${spec.name}: on-fail='${onFail}' is not one of ${ON_FAIL.join(", ")}`);
  const role = spec.values.role;
  if (role !== undefined && !ROLES.includes(role)) throw new EdgehaError("E_ADMIN_ARGUMENT", `resource '${owner}', op ${spec.name}: role='${role}' is not one of ${ROLES.join(", ")}`);
}

/** An operation from `op NAME k=v...`; a monitor without an interval gets 10s, other actions 0s. */
export function buildOperation(cib: Cib, owner: string, spec: OperationSpec, taken: Set<string>, agentActions: readonly string[] = []): Operation {
  checkOperation(owner, spec, agentActions);
  const { id, interval = spec.name === "monitor" ? "10s" : "0s", timeout, role, "on-fail": onFail, enabled, OCF_CHECK_LEVEL: checkLevel, ...rest } = spec.values;
  const intervalMs = parseDurationMs(interval, `resource '${owner}', op ${spec.name} interval`);
  if (timeout !== undefined) parseDurationMs(timeout, `resource '${owner}', op ${spec.name} timeout`);
  const operationId = id ?? uniqueId(cib, `${owner}-${spec.name}-interval-${interval}`, taken);
  taken.add(operationId);
  const operation: Operation = { id: operationId, name: spec.name, interval, intervalMs, extra: rest, meta: [], instance: [] };
  if (timeout !== undefined) operation.timeout = timeout;
  if (role !== undefined) operation.role = role;
  if (onFail !== undefined) operation.onFail = onFail;
  if (enabled !== undefined) operation.enabled = enabled;
  if (checkLevel !== undefined) writeValues(operation.instance, `${operationId}-instance_attributes`, { OCF_CHECK_LEVEL: checkLevel });
  return operation;
}

/** Checks meta attributes: target-role's value is an error, an unknown name a warning. */
export function checkMeta(owner: string, meta: Attributes, clone: boolean): string[] {
  const warnings: string[] = [];
  const known = clone ? [...RESOURCE_META, ...CLONE_META] : RESOURCE_META;
  for (const [name, value] of Object.entries(meta)) {
    if (name === "target-role" && value !== "" && !ROLES.includes(value)) {
      throw new EdgehaError("E_ADMIN_ARGUMENT", `resource '${owner}': target-role='${value}' is not one of ${ROLES.join(", ")}`);
    }
    if (!known.includes(name)) warnings.push(`resource '${owner}': '${name}' is not a meta attribute Pacemaker knows${didYouMean(name, known)}; it was set anyway`);
  }
  return warnings;
}

/** Resource or operation defaults: values checked like meta attributes and op options (unknown names warned about). */
export function writeDefaults(draft: Cib, section: "rscDefaults" | "opDefaults", values: Attributes): string[] {
  if (Object.keys(values).length === 0) throw new EdgehaError("E_ADMIN_ARGUMENT", "name the defaults to set as NAME=VALUE (NAME= removes one)");
  const known = section === "rscDefaults" ? [...RESOURCE_META, ...CLONE_META] : OPERATION_KEYS.filter((key) => key !== "id");
  const warnings: string[] = [];
  for (const [name, value] of Object.entries(values)) {
    if (!known.includes(name)) warnings.push(`'${name}' is not a ${section === "rscDefaults" ? "resource meta attribute" : "operation option"} Pacemaker knows${didYouMean(name, known)}; it was set anyway`);
    if (section === "opDefaults" && (name === "timeout" || name === "interval") && value !== "") parseDurationMs(value, `operation default ${name}`);
  }
  if (section === "rscDefaults") checkMeta("resource defaults", Object.fromEntries(Object.entries(values).filter(([name]) => name === "target-role")), false);
  writeValues(draft[section], section === "rscDefaults" ? "rsc-options" : "op-options", values);
  return warnings;
}

/** Drops empty values (which mean "remove" on update but nothing on create). */
function present(values: Attributes): Attributes {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== ""));
}

/**
 * A new primitive with its attributes and operations; adds a monitor every `defaultMonitor`
 * unless one is given or it is undefined. `agentActions` are operation names the agent's
 * meta-data declares beyond Pacemaker's own (an LSB script's restart, force-reload).
 */
export function buildPrimitive(cib: Cib, id: string, agent: AgentName, settings: ResourceSettings, defaultMonitor: string | undefined, agentActions: readonly string[] = []): { primitive: Primitive; warnings: string[] } {
  const primitive: Primitive = { kind: "primitive", id, class: agent.class, type: agent.type, extra: {}, instance: [], meta: [], operations: [] };
  if (agent.provider !== undefined) primitive.provider = agent.provider;
  const warnings = checkMeta(id, settings.meta, false);
  writeValues(primitive.instance, `${id}-instance_attributes`, present(settings.instance));
  writeValues(primitive.meta, `${id}-meta_attributes`, present(settings.meta));
  const taken = new Set<string>([id]);
  const operations = [...settings.operations];
  if (defaultMonitor !== undefined && !operations.some((operation) => operation.name === "monitor")) {
    // As pcs adds the agent's default monitor; the command's help says so, `config show` shows it.
    operations.push({ name: "monitor", values: { interval: defaultMonitor } });
  }
  primitive.operations = operations.map((spec) => buildOperation(cib, id, spec, taken, agentActions));
  return { primitive, warnings };
}

/** Replaces the operations named in `specs` (all of that name) with the new ones. */
export function replaceOperations(cib: Cib, primitive: Primitive, specs: readonly OperationSpec[], agentActions: readonly string[] = []): void {
  const names = new Set(specs.map((spec) => spec.name));
  primitive.operations = primitive.operations.filter((operation) => !names.has(operation.name));
  const taken = new Set(primitive.operations.map((operation) => operation.id));
  for (const spec of specs) primitive.operations.push(buildOperation(cib, primitive.id, spec, taken, agentActions));
}
