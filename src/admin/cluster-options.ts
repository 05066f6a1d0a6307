// `property set|unset|list`: cluster options, checked against the options
// Pacemaker 2.1 knows (controller, scheduler, fencer and based), with did-you-mean
// for a misspelt name and a type check of each value. Options the cluster sets
// itself (dc-version, ...) are refused. Values go into cib-bootstrap-options.
import { BOOTSTRAP_SET_ID, orderedPropertySets, parseBoolean, parseDurationMs, type Attributes, type Cib, type NvSet } from "../cib";
import { EdgehaError } from "../common/errors";
import { didYouMean } from "../common/suggest";
import { normaliseScore, writeValues } from "./lookup";

type Kind = "boolean" | "duration" | "integer" | "score" | "percentage" | "text" | "read-only" | { select: string[] };

/** Name, kind, default (undefined where Pacemaker computes it or versions differ). */
const OPTIONS: Array<[string, Kind, string | undefined]> = [
  ["dc-version", "read-only", undefined], ["cluster-infrastructure", "read-only", undefined], ["have-watchdog", "read-only", undefined],
  ["last-lrm-refresh", "read-only", undefined], ["cluster-name", "text", undefined],
  ["dc-deadtime", "duration", "20s"], ["cluster-recheck-interval", "duration", "15min"], ["load-threshold", "percentage", "80%"],
  ["node-action-limit", "integer", "0"], ["fence-reaction", { select: ["stop", "panic"] }, "stop"], ["election-timeout", "duration", "2min"],
  ["shutdown-escalation", "duration", "20min"], ["join-integration-timeout", "duration", "3min"], ["join-finalization-timeout", "duration", "30min"],
  ["transition-delay", "duration", "0s"], ["stonith-watchdog-timeout", "text", "0"], ["stonith-max-attempts", "integer", "10"],
  ["no-quorum-policy", { select: ["stop", "freeze", "ignore", "demote", "suicide"] }, "stop"], ["symmetric-cluster", "boolean", "true"],
  ["maintenance-mode", "boolean", "false"], ["start-failure-is-fatal", "boolean", "true"], ["enable-startup-probes", "boolean", "true"],
  ["shutdown-lock", "boolean", "false"], ["shutdown-lock-limit", "duration", "0"], ["stonith-enabled", "boolean", "true"],
  ["stonith-action", { select: ["reboot", "off", "poweroff"] }, "reboot"], ["stonith-timeout", "duration", "60s"],
  ["concurrent-fencing", "boolean", undefined], ["startup-fencing", "boolean", "true"], ["priority-fencing-delay", "duration", "0"],
  ["node-pending-timeout", "duration", "0"], ["cluster-delay", "duration", "60s"], ["batch-limit", "integer", "0"], ["migration-limit", "integer", "-1"],
  ["stop-all-resources", "boolean", "false"], ["stop-orphan-resources", "boolean", "true"], ["stop-orphan-actions", "boolean", "true"],
  ["remove-after-stop", "boolean", "false"], ["pe-error-series-max", "integer", "-1"], ["pe-warn-series-max", "integer", "5000"],
  ["pe-input-series-max", "integer", "4000"], ["node-health-strategy", { select: ["none", "migrate-on-red", "only-green", "progressive", "custom"] }, "none"],
  ["node-health-base", "integer", "0"], ["node-health-green", "score", "0"], ["node-health-yellow", "score", "0"], ["node-health-red", "score", "-INFINITY"],
  ["placement-strategy", { select: ["default", "utilization", "minimal", "balanced"] }, "default"], ["enable-acl", "boolean", "false"],
  ["cluster-ipc-limit", "integer", "500"], ["default-resource-stickiness", "score", undefined], ["is-managed-default", "boolean", undefined],
];
const BY_NAME = new Map(OPTIONS.map(([name, kind, fallback]) => [name, { kind, fallback }]));
export const KNOWN_CLUSTER_OPTIONS: readonly string[] = OPTIONS.map(([name]) => name);

function checkValue(name: string, kind: Kind, value: string): void {
  const bad = (what: string): never => { throw new EdgehaError("E_ADMIN_PROPERTY_VALUE", `${name}='${value}' is not ${what}`); };
  if (typeof kind === "object") {
    if (!kind.select.includes(value)) bad(`one of ${kind.select.join(", ")}${didYouMean(value, kind.select)}`);
    return;
  }
  switch (kind) {
    case "boolean": if (parseBoolean(value) === undefined) bad("a boolean (true or false)"); return;
    case "duration": try { parseDurationMs(value); } catch { bad("a duration (e.g. 10s, 500ms, 2min)"); } return;
    case "integer": if (!/^-?\d+$/.test(value)) bad("an integer"); return;
    case "score": try { normaliseScore(value, name); } catch { bad("a score (an integer, INFINITY or -INFINITY)"); } return;
    case "percentage": if (!/^\d+(\.\d+)?%?$/.test(value)) bad("a percentage (e.g. 80%)"); return;
    case "text": case "read-only": return;
  }
}

/** The bootstrap set, made first when missing, followed by the other sets. */
function bootstrapFirst(draft: Cib): NvSet[] {
  let bootstrap = draft.properties.find((set) => set.id === BOOTSTRAP_SET_ID);
  if (!bootstrap) {
    bootstrap = { id: BOOTSTRAP_SET_ID, values: {} };
    draft.properties.unshift(bootstrap);
  }
  return [bootstrap, ...draft.properties.filter((set) => set !== bootstrap)];
}

export function setProperties(draft: Cib, values: Attributes, force: boolean): string[] {
  if (Object.keys(values).length === 0) throw new EdgehaError("E_ADMIN_ARGUMENT", "name the properties to set as NAME=VALUE");
  const warnings: string[] = [];
  for (const [name, value] of Object.entries(values)) {
    const option = BY_NAME.get(name);
    if (!option) {
      if (!force) throw new EdgehaError("E_ADMIN_PROPERTY", `unknown cluster property '${name}'${didYouMean(name, KNOWN_CLUSTER_OPTIONS)}; pass --force to set it anyway`, { property: name });
      warnings.push(`'${name}' is not a cluster property Pacemaker knows; set anyway (--force)`);
      continue;
    }
    if (option.kind === "read-only") throw new EdgehaError("E_ADMIN_PROPERTY", `'${name}' is set by the cluster itself and cannot be changed`, { property: name });
    if (value !== "") checkValue(name, option.kind, value);
    // As a CIB import refuses it (src/cib/scope.ts): the controller records no shutdown locks.
    if (name === "shutdown-lock" && parseBoolean(value) === true) throw new EdgehaError("E_CIB_UNSUPPORTED", "edgeha does not support shutdown-lock (resources of a node that shut down cleanly held for it until shutdown-lock-limit); leave it false", { property: name });
  }
  writeValues(bootstrapFirst(draft), BOOTSTRAP_SET_ID, values);
  return warnings;
}

export function unsetProperties(draft: Cib, names: readonly string[]): string[] {
  if (names.length === 0) throw new EdgehaError("E_ADMIN_ARGUMENT", "name the properties to unset");
  const set = new Set(Object.keys(propertyValues(draft)));
  const warnings = names.filter((name) => !set.has(name)).map((name) => `'${name}' was not set${BY_NAME.has(name) ? "" : didYouMean(name, [...set])}`);
  writeValues(draft.properties, BOOTSTRAP_SET_ID, Object.fromEntries(names.map((name) => [name, ""])));
  return warnings;
}

/** The properties in effect (set precedence applied, sets with rules left out). */
export function propertyValues(cib: Cib): Attributes {
  const values: Attributes = {};
  for (const set of orderedPropertySets(cib.properties)) for (const [key, value] of Object.entries(set.values)) if (!(key in values)) values[key] = value;
  return values;
}

export interface PropertyEntry {
  name: string;
  value: string | undefined;
  default: string | undefined;
  set: boolean;
}

/** The properties set, or with `all` every known option with its default beside them. */
export function listProperties(cib: Cib, all: boolean): PropertyEntry[] {
  const values = propertyValues(cib);
  const entries: PropertyEntry[] = Object.entries(values).map(([name, value]) => ({ name, value, default: BY_NAME.get(name)?.fallback, set: true }));
  if (all) {
    for (const [name, kind, fallback] of OPTIONS) if (!(name in values) && kind !== "read-only") entries.push({ name, value: fallback, default: fallback, set: false });
  }
  return entries.sort((left, right) => left.name.localeCompare(right.name));
}
