// What an agent's meta-data decides when a resource is created or updated, as pcs decides
// it: the default operations a new resource gets, and whether its parameters are ones the
// agent takes (an unknown name, a missing required one, a value not of the declared type),
// each refused unless --force. Pure: the CLI reads the meta-data (src/cli/commands/agents.ts).
import { parseDurationMs } from "../cib";
import { EdgehaError } from "../common/errors";
import { didYouMean } from "../common/suggest";
import type { AgentDescription, AgentName, OperationSpec } from "./types";

/** Actions that are not operations Pacemaker schedules (one-time, or an alias of monitor). */
const NOT_SCHEDULED = new Set(["meta-data", "validate-all", "status"]);
/** A monitor is always configured: Pacemaker notices failures only through it. */
const MONITOR_INTERVAL_DEFAULT = "60s";

/** The interval an operation gets when none is given: 60s for a monitor, 0s for the rest (pcs's rule). */
export function defaultInterval(action: string): string {
  return action === "monitor" ? MONITOR_INTERVAL_DEFAULT : "0s";
}

/** Pacemaker 2.1's role names for the old ones agents still print. */
export function currentRoleName(role: string): string {
  const lower = role.toLowerCase();
  return lower === "master" ? "Promoted" : lower === "slave" ? "Unpromoted" : role;
}

const seconds = (interval: string): number | undefined => {
  try {
    return parseDurationMs(interval) / 1000;
  } catch {
    return undefined;
  }
};

/**
 * The operations a new resource gets: the ones given, then the agent's own actions the
 * given ones do not name (for a fence device only its monitor; with --no-default-ops only
 * a monitor), a monitor every 60s when the agent has none. Default operations of the same
 * name and interval get the next free second, as pcs does.
 */
export function defaultOperations(agent: AgentName, description: AgentDescription | undefined, given: readonly OperationSpec[], necessaryOnly: boolean): { operations: OperationSpec[]; warnings: string[] } {
  const stonith = agent.class === "stonith";
  const fromAgent = (description?.actions ?? []).filter((action) => (necessaryOnly || stonith ? action.name === "monitor" : !NOT_SCHEDULED.has(action.name)));
  if (!fromAgent.some((action) => action.name === "monitor")) fromAgent.push({ name: "monitor" });
  const named = new Set(given.map((operation) => operation.name));
  const used = new Map<string, Set<number>>();
  const warnings: string[] = [];
  const defaults: OperationSpec[] = [];
  for (const action of fromAgent.filter((item) => !named.has(item.name))) {
    let interval = action.interval ?? defaultInterval(action.name);
    const taken = used.get(action.name) ?? new Set<number>();
    used.set(action.name, taken);
    let value = seconds(interval);
    if (value !== undefined) {
      const first = value;
      while (taken.has(value)) value += 1;
      if (value !== first) {
        warnings.push(`changing a ${action.name} operation interval from ${interval} to ${value} to make the operation unique`);
        interval = String(value);
      }
      taken.add(value);
    }
    const values: Record<string, string> = { interval };
    if (action.timeout !== undefined) values.timeout = action.timeout;
    if (action.role !== undefined) values.role = currentRoleName(action.role);
    if (action.startDelay !== undefined) values["start-delay"] = action.startDelay;
    if (action.depth !== undefined && action.depth !== "0") values.OCF_CHECK_LEVEL = action.depth;
    defaults.push({ name: action.name, values });
  }
  const completed = given.map((operation) => ({ name: operation.name, values: { interval: defaultInterval(operation.name), ...operation.values } }));
  return { operations: [...completed, ...defaults], warnings };
}

/** Two given operations of the same name and interval: Pacemaker would take only one. */
export function checkDistinctIntervals(owner: string, operations: readonly OperationSpec[]): void {
  const seen = new Map<string, string>();
  for (const operation of operations) {
    const interval = operation.values.interval ?? defaultInterval(operation.name);
    const key = `${operation.name}/${seconds(interval) ?? interval}`;
    const before = seen.get(key);
    if (before !== undefined) throw new EdgehaError("E_ADMIN_ARGUMENT", `resource '${owner}': operation ${operation.name} is given twice with the same interval (${before} and ${interval}); give each a different interval`);
    seen.set(key, interval);
  }
}

/** Pacemaker's booleans (crm_is_true and its false forms). */
const BOOLEAN = /^(true|false|yes|no|on|off|y|n|1|0)$/i;

function typeProblem(type: string | undefined, value: string, choices: readonly string[] | undefined): string | undefined {
  if (value === "") return undefined;
  switch (type) {
    case "integer":
      return /^[+-]?\d+$/.test(value) ? undefined : "an integer";
    case "boolean":
      return BOOLEAN.test(value) ? undefined : "a boolean (true/false, yes/no, on/off, 1/0)";
    case "select":
      return choices === undefined || choices.includes(value) ? undefined : `one of ${choices.join(", ")}`;
    case "time":
    case "second":
    case "duration":
      return seconds(value) === undefined ? "a duration (10s, 1min, PT10S)" : undefined;
    default:
      return undefined;
  }
}

/**
 * Parameters against the agent's meta-data: unknown names, missing required ones, values
 * not of the declared type and values the agent's own check refuses (a built-in agent's
 * validate-all) are errors unless `force` (then warnings). `creating`
 * checks required parameters (an update leaves them as they are).
 */
export function checkParameters(owner: string, agent: string, description: AgentDescription, values: Readonly<Record<string, string>>, creating: boolean, force: boolean): string[] {
  const problems: string[] = [];
  const refused = new Set<string>();
  const known = description.parameters.map((parameter) => parameter.name);
  for (const [name, value] of Object.entries(values)) {
    const parameter = description.parameters.find((item) => item.name === name);
    if (!parameter) {
      refused.add(name);
      problems.push(`invalid resource option '${name}' for ${agent}${didYouMean(name, known)}; allowed options are: ${known.map((item) => `'${item}'`).join(", ") || "none"}`);
      continue;
    }
    const expected = typeProblem(parameter.type, value, parameter.choices);
    if (expected) refused.add(name);
    if (expected) problems.push(`resource option '${name}' of ${agent} must be ${expected}, not '${value}'`);
  }
  // The agent's own check, on the values whose name and type are right (a wrong type is said once, above).
  const typed = Object.fromEntries(Object.entries(values).filter(([name]) => !refused.has(name)));
  for (const problem of description.validate?.(typed) ?? []) problems.push(`resource option '${problem.parameter}' of ${agent} must be ${problem.expected}, not '${problem.value}'`);
  if (creating) {
    for (const parameter of description.parameters) {
      if (parameter.required && !parameter.deprecated && (values[parameter.name] ?? "").trim() === "") problems.push(`required resource option '${parameter.name}' of ${agent} is missing`);
    }
  }
  if (problems.length === 0) return [];
  if (!force) throw new EdgehaError("E_ADMIN_PARAMETER", `resource '${owner}': ${problems.join("; ")}; use --force to override`);
  return problems.map((problem) => `resource '${owner}': ${problem}; set anyway (--force)`);
}
