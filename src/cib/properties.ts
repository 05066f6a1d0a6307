// Typed cluster properties (crm_config), read the way Pacemaker 2.1 reads them:
// the set named cib-bootstrap-options first, then the others by descending
// score; the first set that names a property wins. A value that does not parse
// falls back to the property's default with a warning, as Pacemaker does.
// Every property as written stays available in `raw`, typed or not.
import type { Attributes, Cib, NvSet } from "./model";
import { parseDurationMs } from "./duration";

export interface ClusterOptions {
  stonithEnabled: boolean;
  stonithAction: string;
  stonithTimeoutMs: number;
  /** stop, freeze, ignore, demote or suicide. */
  noQuorumPolicy: string;
  symmetricCluster: boolean;
  maintenanceMode: boolean;
  stopAllResources: boolean;
  startFailureIsFatal: boolean;
  priorityFencingDelayMs: number;
  clusterRecheckIntervalMs: number;
  clusterDelayMs: number;
  stopOrphanResources: boolean;
  stopOrphanActions: boolean;
  removeAfterStop: boolean;
  startupFencing: boolean;
  enableStartupProbes: boolean;
  shutdownLock: boolean;
  shutdownLockLimitMs: number;
  /** How long a node's clean stop may take before it stops its own resources and exits anyway. */
  shutdownEscalationMs: number;
  placementStrategy: string;
  nodeHealthStrategy: string;
  batchLimit: number;
  migrationLimit: number;
  /** Every property as written, after set precedence; untyped ones included. */
  raw: Attributes;
}

/** The set Pacemaker always reads first. */
export const BOOTSTRAP_SET_ID = "cib-bootstrap-options";

const SCORE_INFINITY = 1_000_000;

/** A score as Pacemaker reads it: INFINITY and -INFINITY are one million, other text is an integer, bounded. */
export function parseScore(text: string | undefined): number {
  if (text === undefined) return 0;
  const value = text.trim();
  if (/^\+?INFINITY$/i.test(value)) return SCORE_INFINITY;
  if (/^-INFINITY$/i.test(value)) return -SCORE_INFINITY;
  const number = Number.parseInt(value, 10);
  if (Number.isNaN(number)) return 0;
  return Math.max(-SCORE_INFINITY, Math.min(SCORE_INFINITY, number));
}

const TRUE_WORDS = ["true", "on", "yes", "y", "1"];
const FALSE_WORDS = ["false", "off", "no", "n", "0"];

/** Pacemaker's boolean words; undefined when the text is none of them. */
export function parseBoolean(text: string): boolean | undefined {
  const value = text.trim().toLowerCase();
  if (TRUE_WORDS.includes(value)) return true;
  if (FALSE_WORDS.includes(value)) return false;
  return undefined;
}

/** The sets in the order Pacemaker reads them; sets with a rule are left out (see warnings). */
export function orderedPropertySets(sets: readonly NvSet[]): NvSet[] {
  const weight = (set: NvSet): number => (set.id === BOOTSTRAP_SET_ID ? Number.POSITIVE_INFINITY : parseScore(set.score));
  return sets.filter((set) => !set.rule).map((set, index) => ({ set, index }))
    .sort((left, right) => weight(right.set) - weight(left.set) || left.index - right.index)
    .map((entry) => entry.set);
}

type Kind = "boolean" | "duration" | "integer" | "text";
const OPTIONS: Array<[keyof Omit<ClusterOptions, "raw">, string, Kind, string]> = [
  ["stonithEnabled", "stonith-enabled", "boolean", "true"],
  ["stonithAction", "stonith-action", "text", "reboot"],
  ["stonithTimeoutMs", "stonith-timeout", "duration", "60s"],
  ["noQuorumPolicy", "no-quorum-policy", "text", "stop"],
  ["symmetricCluster", "symmetric-cluster", "boolean", "true"],
  ["maintenanceMode", "maintenance-mode", "boolean", "false"],
  ["stopAllResources", "stop-all-resources", "boolean", "false"],
  ["startFailureIsFatal", "start-failure-is-fatal", "boolean", "true"],
  ["priorityFencingDelayMs", "priority-fencing-delay", "duration", "0"],
  ["clusterRecheckIntervalMs", "cluster-recheck-interval", "duration", "15min"],
  ["clusterDelayMs", "cluster-delay", "duration", "60s"],
  ["stopOrphanResources", "stop-orphan-resources", "boolean", "true"],
  ["stopOrphanActions", "stop-orphan-actions", "boolean", "true"],
  ["removeAfterStop", "remove-after-stop", "boolean", "false"],
  ["startupFencing", "startup-fencing", "boolean", "true"],
  ["enableStartupProbes", "enable-startup-probes", "boolean", "true"],
  ["shutdownLock", "shutdown-lock", "boolean", "false"],
  ["shutdownLockLimitMs", "shutdown-lock-limit", "duration", "0"],
  ["shutdownEscalationMs", "shutdown-escalation", "duration", "20min"],
  ["placementStrategy", "placement-strategy", "text", "default"],
  ["nodeHealthStrategy", "node-health-strategy", "text", "none"],
  ["batchLimit", "batch-limit", "integer", "0"],
  ["migrationLimit", "migration-limit", "integer", "-1"],
];

const ALLOWED_WORDS: Record<string, string[]> = {
  "no-quorum-policy": ["stop", "freeze", "ignore", "demote", "suicide"],
  "stonith-action": ["reboot", "off", "poweroff"],
  "placement-strategy": ["default", "utilization", "minimal", "balanced"],
  "node-health-strategy": ["none", "migrate-on-red", "only-green", "progressive", "custom"],
};

function parseValue(name: string, kind: Kind, text: string): boolean | number | string | undefined {
  switch (kind) {
    case "boolean":
      return parseBoolean(text);
    case "integer":
      return /^-?\d+$/.test(text.trim()) ? Number(text.trim()) : undefined;
    case "duration":
      try {
        return parseDurationMs(text);
      } catch {
        return undefined;
      }
    case "text": {
      const allowed = ALLOWED_WORDS[name];
      return allowed && !allowed.includes(text.trim()) ? undefined : text.trim();
    }
  }
}

/** The typed cluster options of a CIB, with warnings for values that fell back to a default. */
export function clusterOptions(cib: Pick<Cib, "properties">): { options: ClusterOptions; warnings: string[] } {
  const warnings: string[] = [];
  for (const set of cib.properties) {
    if (set.rule) warnings.push(`cluster_property_set ${set.id} has a rule and was read without a time, so it is left out (clusterOptionsAt in src/scheduler evaluates rules)`);
  }
  const raw: Attributes = {};
  for (const set of orderedPropertySets(cib.properties)) {
    for (const [key, value] of Object.entries(set.values)) if (!(key in raw)) raw[key] = value;
  }
  const options = { raw } as Record<string, unknown>;
  for (const [key, name, kind, fallback] of OPTIONS) {
    const written = raw[name];
    let value = written === undefined ? undefined : parseValue(name, kind, written);
    if (written !== undefined && value === undefined) warnings.push(`cluster property ${name}='${written}' is not valid; using the default '${fallback}'`);
    value ??= parseValue(name, kind, fallback);
    options[key] = value;
  }
  return { options: options as unknown as ClusterOptions, warnings };
}

/** Typed attributes of the <cib> element that scheduling and syncing read. */
export interface CibHeader {
  /** Pacemaker treats a missing or false have-quorum as no quorum. */
  haveQuorum: boolean;
  dcUuid?: string;
  validateWith?: string;
  crmFeatureSet?: string;
}

export function cibHeader(cib: Pick<Cib, "attributes">): CibHeader {
  const header: CibHeader = { haveQuorum: parseBoolean(cib.attributes["have-quorum"] ?? "false") === true };
  if (cib.attributes["dc-uuid"] !== undefined) header.dcUuid = cib.attributes["dc-uuid"];
  if (cib.attributes["validate-with"] !== undefined) header.validateWith = cib.attributes["validate-with"];
  if (cib.attributes.crm_feature_set !== undefined) header.crmFeatureSet = cib.attributes.crm_feature_set;
  return header;
}
