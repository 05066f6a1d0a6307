// Definition-change detection from the operation history (Pacemaker's "op-digest").
//
// When an executor records a start (or a probe, promote, migrate_from), it stores an MD5
// digest of the parameters the agent ran with. If the configuration now gives other
// parameters, the resource must be restarted where it runs to apply them (or reloaded,
// when the agent reported which parameters need a restart and none of those changed).
//
// The digest is the MD5 of the parameter set written as one XML element, attributes sorted
// by name: ` <parameters a="1" b="2"/>` followed by a newline. Parameters are the resource's
// instance attributes (a group's or clone's own ones inherited, the resource's winning), plus
// the instance attributes of the configured operation the record stands for. Meta
// attributes (CRM_meta_*) take no part for non-recurring operations.
//
// Pure: hashing is computation, no clock or I/O.
import { createHash } from "node:crypto";
import type { Cib, NvSet, OperationRecord, Primitive, Resource } from "../cib";
import { applicableSets, type RuleContext } from "./rules";

export type DefinitionChange = "none" | "restart" | "reload";

function escapeValue(value: string): string {
  return value.replace(/[&<>"\n\r\t]/g, (character) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;" })[character]!);
}

/** MD5 of a parameter set as the executor records it. */
export function parameterDigest(parameters: Record<string, string>): string {
  const names = Object.keys(parameters).sort((left, right) => (left < right ? -1 : left > right ? 1 : 0));
  const text = ` <parameters${names.map((name) => ` ${name}="${escapeValue(parameters[name]!)}"`).join("")}/>\n`;
  return createHash("md5").update(text).digest("hex");
}

/** Sets that apply on a node at now (no rule, or a rule that holds), by score, first value wins. */
function valuesOn(sets: readonly NvSet[], context: RuleContext, into: Record<string, string>): void {
  for (const set of applicableSets(sets, context)) {
    // "#default" stands for "no value": the parameter is left out.
    for (const [key, value] of Object.entries(set.values)) if (!(key in into) && value.toLowerCase() !== "#default") into[key] = value;
  }
}

/** For every configured primitive id: the instance-attribute sets of its parents, innermost first. */
export function parentInstanceSets(resources: readonly Resource[]): Map<string, NvSet[][]> {
  const result = new Map<string, NvSet[][]>();
  const visit = (resource: Resource, parents: NvSet[][]): void => {
    if (resource.kind === "primitive") result.set(resource.id, parents);
    else if (resource.kind === "group") for (const member of resource.members) visit(member, [resource.instance, ...parents]);
    else visit(resource.child, [resource.instance, ...parents]);
  };
  for (const resource of resources) visit(resource, []);
  return result;
}

/**
 * What a resource's non-recurring history on one node asks for: nothing, a restart (a
 * parameter that needs one changed, or the digest changed and the agent cannot reload), or
 * a reload (only reloadable parameters changed). Records before the last start, and all
 * records when a later stop ended it, are not looked at.
 */
export function definitionChange(primitive: Primitive, parents: readonly NvSet[][], records: readonly OperationRecord[], context: RuleContext): DefinitionChange {
  const sorted = [...records].sort((left, right) => (left.callId < 0 ? Number.MAX_SAFE_INTEGER : left.callId) - (right.callId < 0 ? Number.MAX_SAFE_INTEGER : right.callId));
  let start = -1;
  let stop = -1;
  sorted.forEach((record, index) => {
    const success = record.rcCode === 0 || record.rcCode === 8 || record.opStatus === -1;
    if ((record.operation === "start" || record.operation === "migrate_from") && success) start = index;
    else if (record.operation === "monitor" && record.intervalMs === 0 && (record.rcCode === 0 || record.rcCode === 8)) start = index;
    else if (record.operation === "stop" && record.rcCode === 0) stop = index;
  });
  if (start < 0 || stop > start) return "none";
  const base: Record<string, string> = {};
  valuesOn(primitive.instance, context, base);
  for (const sets of parents) valuesOn(sets, context, base);
  let result: DefinitionChange = "none";
  for (const record of sorted.slice(start)) {
    if (record.intervalMs !== 0 || !["start", "monitor", "promote", "migrate_from"].includes(record.operation)) continue;
    // The record's own operation's instance attributes join its parameters, as Pacemaker's
    // calculate_main_digest adds the extra parameters of the action the record stands for
    // (a probe's are those of a configured monitor of interval 0, a promote's its own).
    const configured = primitive.operations.find((op) => op.name === record.operation && op.intervalMs === 0);
    const extra: Record<string, string> = {};
    if (configured) valuesOn(configured.instance, context, extra);
    const all = { ...base, ...extra };
    const recorded = record.attributes["op-digest"];
    const restartDigest = record.attributes["op-restart-digest"];
    if (restartDigest !== undefined) {
      const forced = record.attributes["op-force-restart"];
      const kept = forced === undefined ? all : Object.fromEntries(Object.entries(all).filter(([name]) => ` ${forced} `.includes(` ${name} `)));
      if (parameterDigest(kept) !== restartDigest && !onlyMaskedChanged(primitive, record, all)) return "restart";
    }
    // A record without op-digest is taken as "unknown", not as a change. DEVIATION from Pacemaker,
    // whose rule (pcmk__check_action_config, RSC_DIGEST_UNKNOWN) restarts or reloads the resource:
    // records written by an agent from before op-digest carry none, so during a rolling upgrade
    // that rule would restart every running resource once, as each older node's history is read.
    if (recorded === undefined || parameterDigest(all) === recorded) continue;
    if (onlyMaskedChanged(primitive, record, all)) continue;
    // Extra parameters configured on the operation itself always take a restart to apply.
    if (Object.keys(extra).length > 0 || restartDigest === undefined) return "restart";
    // An agent cannot reload a resource whose start is still in progress: it is restarted.
    if (record.opStatus === -1) return "restart";
    result = "reload";
  }
  return result;
}

/** Fencing parameters Pacemaker itself handles (pcmk_host_list, pcmk_reboot_timeout, provides, ...), never passed to the agent. */
function isFencingParameter(name: string): boolean {
  if (name === "provides" || name === "stonith-timeout") return true;
  if (!name.startsWith("pcmk_")) return false;
  if (["pcmk_action_limit", "pcmk_delay_base", "pcmk_delay_max", "pcmk_host_argument", "pcmk_host_check", "pcmk_host_list", "pcmk_host_map"].includes(name)) return true;
  const rest = name.slice(5);
  const underscore = rest.indexOf("_");
  return underscore >= 0 && ["_action", "_timeout", "_retries"].includes(rest.slice(underscore));
}

/** a < b for dotted version numbers ("3.0.12" < "3.16.0"). */
function versionBefore(a: string, b: string): boolean {
  const left = a.split(".").map(Number);
  const right = b.split(".").map(Number);
  for (let index = 0; index < Math.max(left.length, right.length); index += 1) {
    const x = left[index] ?? 0;
    const y = right[index] ?? 0;
    if (x !== y) return x < y;
  }
  return false;
}

/**
 * A record that carries a "secure" digest (op-secure-digest: the digest without the parameters
 * op-secure-params names, passwords and the like) comes from a CIB whose secrets may be masked
 * ("****"). When that digest still matches, only masked parameters differ: not a definition
 * change (what Pacemaker's simulator does with such a CIB, pcmk__check_action_config with
 * only_sanitized_changed). Records written by a controller of feature set before 3.16.0 left a
 * fencing device's own pcmk_* parameters out of it.
 */
function onlyMaskedChanged(primitive: Primitive, record: OperationRecord, all: Record<string, string>): boolean {
  const secure = record.attributes["op-secure-digest"];
  const masked = record.attributes["op-secure-params"];
  if (secure === undefined || masked === undefined) return false;
  const hidden = new Set(masked.split(/\s+/).filter((name) => name.length > 0));
  const old = versionBefore(record.attributes["crm_feature_set"] ?? "0", "3.16.0");
  const kept = Object.fromEntries(Object.entries(all).filter(([name]) => !hidden.has(name) && !(old && primitive.class === "stonith" && isFencingParameter(name))));
  return parameterDigest(kept) === secure;
}

export function primitiveParents(cib: Cib): Map<string, NvSet[][]> {
  return parentInstanceSets(cib.resources);
}

/**
 * The parameter digest the configuration gives a non-recurring operation now: the resource's
 * instance attributes (a group's or clone's inherited), plus the configured operation's own.
 */
export function currentDigest(primitive: Primitive, parents: readonly NvSet[][], operation: string, context: RuleContext): string {
  return parameterDigest(resolvedParameters(primitive, parents, operation, context));
}

/**
 * The parameters a non-recurring operation of a resource runs with on a node (the context's):
 * its instance attributes whose rules hold there (a group's or clone's inherited, the
 * resource's winning), plus the configured operation's own. What currentDigest hashes, and
 * what the DC sends with the operation (Pacemaker's scheduler puts them in the graph).
 */
export function resolvedParameters(primitive: Primitive, parents: readonly NvSet[][], operation: string, context: RuleContext): Record<string, string> {
  const all: Record<string, string> = {};
  valuesOn(primitive.instance, context, all);
  for (const sets of parents) valuesOn(sets, context, all);
  const configured = primitive.operations.find((op) => op.name === operation && op.intervalMs === 0);
  const extra: Record<string, string> = {};
  if (configured) valuesOn(configured.instance, context, extra);
  return { ...all, ...extra };
}
