// What controllers say to each other over the reliable channel (JSON, one message per
// reliable message). Every message names the ring it belongs to where a stale one could
// do harm; the receiver drops messages from an older ring or from a node that is not its DC.
// Every message is checked by parseControllerMessage before the controller sees it: its
// shape, and bounds on every size, count and string, so that a peer's bug (or a peer that
// holds the key and misbehaves) cannot grow this node's memory or crash its controller.
import { CHAIN_MAX, type CibLineage, type CibMark, type CibVersion, type OperationRecord } from "../cib";
import type { Relocation } from "./relocate";

/** One resource as a node's executor knows it: the last result of each operation. */
export interface ReportedResource {
  class: string;
  provider?: string;
  type: string;
  operations: OperationRecord[];
}

/** A node's own view of its resources, sent to the DC on join and on every change. */
export interface NodeReport {
  /** The node the report is about. The DC files a report under its authenticated sender, whatever this says. */
  node: string;
  /** Every configured resource has been probed on this node since the config it last stored. */
  probed: boolean;
  /** The configuration version the probe covered. */
  cibVersion: string;
  /** Operations asked by a DC are still running here: wait for their results before planning. */
  busy: boolean;
  resources: Record<string, ReportedResource>;
  /** Transient attributes: fail-count-*, last-failure-*, node facts. */
  attributes: Record<string, string>;
  /** The node asked to leave the cluster (graceful stop). */
  shutdown: boolean;
  /** The last failure of each operation, kept for display until cleaned up. */
  failures?: Array<{ resource: string; operation: string; intervalMs: number; rc: number; reason?: string; atSeconds?: number }>;
}

/**
 * The node facts every agent publishes as transient attributes (src/node/facts.ts: CPU, load,
 * memory, free disk per mount, interfaces), which change every minute. The scheduler reads them
 * only through rules that name them.
 */
export function isNodeFact(name: string): boolean {
  return /^(cpu_cores|cpu_load|ram_total_mb|ram_free_mb|disk_free_mb:.+|nic:.+|nic_up:.+)$/.test(name);
}

export type NodeState = "online" | "offline" | "standby" | "unclean" | "maintenance" | "shutting-down" | "pending";
export type ResourceRole = "Started" | "Stopped" | "FAILED" | "Starting" | "Stopping" | "Blocked";

/** Two copies of the configuration with the same version but different contents, met at a join. */
export interface ConfigurationConflict {
  version: string;
  /** The digest of the copy kept (the winner) and of the copy set aside (kept as a backup file). */
  keptDigest: string;
  lostDigest: string;
  /** The node whose copy was set aside. */
  lostFrom: string;
  /** The version of the copy set aside, when it differs from `version` (a diverged branch without the newest acknowledged change). */
  lostVersion?: string;
  atSeconds?: number;
}

/** A short, human-readable summary of the cluster that the DC sends every member. */
export interface ClusterSummary {
  dc: string;
  ringId: number;
  cibVersion: string;
  quorate: boolean;
  /** watchdogTimeoutMs: the node feeds a watchdog with this timeout (so a new DC may fence it by waiting, see src/fencer/watchdog.ts). */
  /** unfencedAt: when a transition unfenced the node (epoch seconds; Pacemaker's #node-unfenced), so that the next DC does not unfence it again. */
  nodes: Array<{ name: string; state: NodeState; watchdogTimeoutMs?: number; unfencedAt?: number }>;
  resources: Array<{ id: string; agent: string; group?: string; role: ResourceRole; nodes: string[]; managed: boolean; targetRole?: string; orphan?: boolean }>;
  failedActions: Array<{ resource: string; node: string; operation: string; intervalMs: number; rc: number; reason?: string; atSeconds?: number }>;
  fencing: Array<{ target: string; action: string; state: "pending" | "done" | "failed"; by?: string; atSeconds?: number; reason?: string }>;
  transition: { id: number; running: number; pending: number } | null;
  /** Nodes that asked to leave and hold nothing any more: they may exit, and are not fenced when they go. */
  leaving: string[];
  /** Configuration conflicts resolved at a join (newest last, bounded). */
  conflicts?: ConfigurationConflict[];
  /**
   * A pair without fencing: the peer left without a clean stop and nobody confirmed it down,
   * so configuration changes wait (E_PEER_UNCONFIRMED) until it rejoins or is confirmed.
   */
  unconfirmed?: string[];
  // What `status --full` shows (crm_mon -A -f -o); optional: a DC of an older build sends none.
  /** Transient node attributes by node, as each node last reported them (fail-count-*, last-failure-*, node facts, agents' attributes). */
  attributes?: Record<string, Record<string, string>>;
  /** Permanent node attributes by node (the configuration's <nodes>: standby, maintenance, utilization-free values, ...). */
  permanentAttributes?: Record<string, Record<string, string>>;
  /** The last result of each operation of each resource on each node (crm_mon -o), by node then call id. */
  history?: OperationHistoryEntry[];
  /** Fail counts above zero per node and resource, with the migration-threshold in force (crm_mon -f). */
  failCounts?: FailCountEntry[];
  /** Recent transitions of the DCs, oldest first, with the reason each was planned. */
  transitions?: TransitionRecord[];
}

export interface OperationHistoryEntry {
  node: string;
  resource: string;
  operation: string;
  intervalMs: number;
  rc: number;
  callId: number;
  /** 0 done, 2 timed out, ... (Pacemaker's op-status). */
  opStatus?: number;
  lastRcChangeSeconds?: number;
  execMs?: number;
  queueMs?: number;
  reason?: string;
}

export interface FailCountEntry {
  node: string;
  resource: string;
  /** Pacemaker's score: INFINITY is 1000000. */
  count: number;
  migrationThreshold: number;
  lastFailureSeconds?: number;
}

export interface TransitionRecord {
  id: number;
  /** The DC that planned it (ids start again at a new DC). */
  dc?: string;
  atSeconds: number;
  reason: string;
  result: "running" | "complete" | "failed" | "aborted";
  /** The steps as `ID:WHAT [STATE]`, bounded (a last entry says how many more there were). */
  steps: string[];
  durationMs?: number;
}

export type OperationName = "start" | "stop" | "promote" | "demote" | "notify" | "migrate_to" | "migrate_from";
/** A migrate_to or migrate_from: the node the resource leaves and the one it goes to. */
export interface MigrationNodes { source: string; target: string }

/**
 * One entry of the cluster's fence history: a fencing (off, reboot) or a person's
 * confirmation that a node is down. The DC keeps the history, merges the members' at a
 * join and sends it to every member, which stores it; `edgeha stonith history` shows it.
 * Times are the wall clock in ms.
 */
export interface FenceHistoryEntry {
  id: string;
  target: string;
  /** "on": unfencing (a transition let the node in again through the devices that need it). */
  action: "off" | "reboot" | "on" | "confirm";
  state: "pending" | "done" | "failed";
  /** The node that asked: the DC for a transition's fencing, the node where the command ran for a person's request. */
  origin: string;
  /** The person (the user running the command) behind a request from the command line. */
  client?: string;
  requestedAtMs: number;
  completedAtMs?: number;
  device?: string;
  executor?: string;
  reason: string;
}

export type ControllerMessage =
  /** `since`: the age of the sender's claim to the DC role (claimOf in context.ts); the older claim keeps the role when two DCs meet. */
  | { t: "join"; ringId: number; since: number }
  /** fenceHistory: the member's copy of the fence history, merged by the DC (absent from older members). */
  /** lineage: where the member's copy comes from and the newest acknowledged change it knows (src/cib/lineage.ts; absent from older members). */
  | { t: "join-ack"; ringId: number; cib: unknown; report: NodeReport; fenceHistory?: FenceHistoryEntry[]; lineage?: CibLineage }
  /** chain: the copy's chain (src/cib/lineage.ts); absent from older DCs. */
  | { t: "cib"; ringId: number; writeId: number; cib: unknown; chain?: CibMark[] }
  | { t: "cib-ack"; ringId: number; writeId: number }
  | { t: "report"; ringId: number; report: NodeReport }
  // formerHolderFenced: a start whose former holders are all fenced (controller/execution.ts); older nodes ignore it.
  // params: the parameters the agent runs with, resolved for this node by the DC's scheduler; absent from
  // older DCs (the node then takes the primitive's own instance attributes, as before).
  | { t: "op"; ringId: number; transition: number; step: number; resource: string; operation: OperationName; notify?: Record<string, string>; migration?: MigrationNodes; formerHolderFenced?: boolean; params?: Record<string, string> }
  | { t: "op-result"; ringId: number; transition: number; step: number; ok: boolean; reason?: string; report: NodeReport }
  // operation/intervalMs: only that operation's fail count (resource failcount reset ... operation=); older nodes clear every one of the resource.
  | { t: "cleanup"; ringId: number; resource?: string; operation?: string; intervalMs?: number }
  | { t: "request"; requestId: number; request: ClientRequest }
  | { t: "reply"; requestId: number; reply: ClientReply }
  | { t: "summary"; ringId: number; summary: ClusterSummary }
  /** The DC's fence history, sent to every member when it changes; members merge it into theirs. */
  | { t: "fence-history"; ringId: number; records: FenceHistoryEntry[] };

/** A change a client (the CLI) asks of the cluster; members forward it to the DC. */
export type ClientRequest =
  /** force: store it even while the peer of a pair without fencing is lost and not confirmed down (E_PEER_UNCONFIRMED): the CLI's --this-half-only (and its deprecated --force). */
  | { kind: "cib-replace"; base: string; cib: unknown; force?: boolean }
  | { kind: "cleanup"; resource?: string; node?: string; operation?: string; intervalMs?: number }
  /** Where resources would go if stickiness did not hold them (resource relocate); changes nothing. */
  | { kind: "placement"; resources?: string[] }
  /** Fence a node now (stonith fence); answered when the fencing ended. action: the cluster's stonith-action when absent. */
  | { kind: "fence"; target: string; action?: "off" | "reboot"; client: string }
  /** A person made sure the node is down (stonith confirm): the cluster takes it for fenced. */
  | { kind: "fence-confirm"; target: string; client: string };

export type ClientReply = { ok: true; version?: string; message?: string; relocations?: Relocation[]; fence?: FenceHistoryEntry } | { ok: false; code: string; error: string; fence?: FenceHistoryEntry };

// ---- bounds -------------------------------------------------------------------

/** The largest controller message accepted (a whole configuration travels in one). */
export const MESSAGE_BYTES_MAX = 16 * 1024 * 1024;
/** Ids of resources, operations, nodes; attribute names. */
export const NAME_CHARS_MAX = 512;
/** Reasons, error messages, attribute values, notification values. */
export const TEXT_CHARS_MAX = 64 * 1024;
export const RESOURCES_MAX = 10_000;
export const OPERATIONS_PER_RESOURCE_MAX = 64;
export const ATTRIBUTES_MAX = 4096;
export const FAILURES_MAX = 10_000;
export const NODES_MAX = 256;
const FENCE_RECORDS_MAX = 256;
/** Recent transitions a summary carries, and the steps shown of each. */
export const TRANSITION_RECORDS_MAX = 64;
export const TRANSITION_STEPS_SHOWN_MAX = 64;
const HISTORY_ENTRIES_MAX = NODES_MAX * 1024;
/** Entries of the fence history in one message (the controller keeps FENCE_HISTORY_MAX of them). */
export const FENCE_HISTORY_ENTRIES_MAX = 256;
const CONFLICTS_MAX = 64;
const NOTIFY_VALUES_MAX = 64;

// ---- checks: each throws a ProtocolProblem naming the field -------------------

class ProtocolProblem extends Error {}

type Check<T> = (value: unknown, path: string) => T;

function fail(path: string, what: string): never {
  throw new ProtocolProblem(`${path}: ${what}`);
}

const text = (max: number): Check<string> => (value, path) => {
  if (typeof value !== "string") fail(path, "not a string");
  if (value.length > max) fail(path, `longer than ${max} characters`);
  return value;
};
const name = text(NAME_CHARS_MAX);
const prose = text(TEXT_CHARS_MAX);

const integer = (min = 0, max = Number.MAX_SAFE_INTEGER): Check<number> => (value, path) => {
  if (typeof value !== "number" || !Number.isSafeInteger(value)) fail(path, "not an integer");
  if (value < min || value > max) fail(path, `out of range ${min}..${max}`);
  return value;
};
const count = integer();
/** Return codes and statuses: small integers, negative ones included. */
const code = integer(-1_000_000, 1_000_000);

const finite: Check<number> = (value, path) => {
  if (typeof value !== "number" || !Number.isFinite(value)) fail(path, "not a number");
  return value;
};

const boolean: Check<boolean> = (value, path) => {
  if (typeof value !== "boolean") fail(path, "not true or false");
  return value;
};

const oneOf = <T extends string>(...allowed: T[]): Check<T> => (value, path) => {
  if (typeof value !== "string" || !(allowed as string[]).includes(value)) fail(path, `not one of ${allowed.join(", ")}`);
  return value as T;
};

const optional = <T>(check: Check<T>): Check<T | undefined> => (value, path) => (value === undefined ? undefined : check(value, path));

const list = <T>(check: Check<T>, max: number): Check<T[]> => (value, path) => {
  if (!Array.isArray(value)) fail(path, "not a list");
  if (value.length > max) fail(path, `more than ${max} entries`);
  return value.map((item, index) => check(item, `${path}[${index}]`));
};

function plainObject(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) fail(path, "not an object");
  return value as Record<string, unknown>;
}

const dictionary = <T>(check: Check<T>, max: number): Check<Record<string, T>> => (value, path) => {
  const entries = Object.entries(plainObject(value, path));
  if (entries.length > max) fail(path, `more than ${max} entries`);
  const out: Record<string, T> = {};
  for (const [key, item] of entries) {
    name(key, `${path} key`);
    out[key] = check(item, `${path}.${key}`);
  }
  return out;
};

/** An object with the given fields checked (others are ignored: a newer peer may send more). */
const shape = <T>(fields: { [K in keyof T]-?: Check<T[K]> }): Check<T> => (value, path) => {
  const object = plainObject(value, path);
  const out: Record<string, unknown> = {};
  for (const [key, check] of Object.entries(fields) as Array<[string, Check<unknown>]>) {
    const checked = check(object[key], `${path}.${key}`);
    if (checked !== undefined) out[key] = checked;
  }
  return out as T;
};

/** A whole configuration: checked as an object here, against the CIB schema where it is used. */
const configuration: Check<unknown> = (value, path) => plainObject(value, path);

const operationRecord = shape<OperationRecord>({
  id: name, operation: name, callId: count, rcCode: code, opStatus: code, intervalMs: count, attributes: dictionary(prose, 64),
});

const reportedResource = shape<ReportedResource>({
  class: name, provider: optional(name), type: name, operations: list(operationRecord, OPERATIONS_PER_RESOURCE_MAX),
});

type Failure = NonNullable<NodeReport["failures"]>[number];
const failure = shape<Failure>({ resource: name, operation: name, intervalMs: count, rc: code, reason: optional(prose), atSeconds: optional(finite) });

const nodeReport = shape<NodeReport>({
  node: name, probed: boolean, cibVersion: name, busy: boolean,
  resources: dictionary(reportedResource, RESOURCES_MAX), attributes: dictionary(prose, ATTRIBUTES_MAX),
  shutdown: boolean, failures: optional(list(failure, FAILURES_MAX)),
});

const summary = shape<ClusterSummary>({
  dc: name, ringId: count, cibVersion: name, quorate: boolean,
  nodes: list(shape<ClusterSummary["nodes"][number]>({ name, state: oneOf("online", "offline", "standby", "unclean", "maintenance", "shutting-down", "pending"), watchdogTimeoutMs: optional(count), unfencedAt: optional(count) }), NODES_MAX),
  resources: list(shape<ClusterSummary["resources"][number]>({
    id: name, agent: name, group: optional(name), role: oneOf("Started", "Stopped", "FAILED", "Starting", "Stopping", "Blocked"), nodes: list(name, NODES_MAX),
    managed: boolean, targetRole: optional(name), orphan: optional(boolean),
  }), RESOURCES_MAX),
  failedActions: list(shape<ClusterSummary["failedActions"][number]>({ resource: name, node: name, operation: name, intervalMs: count, rc: code, reason: optional(prose), atSeconds: optional(finite) }), FAILURES_MAX),
  fencing: list(shape<ClusterSummary["fencing"][number]>({ target: name, action: name, state: oneOf("pending", "done", "failed"), by: optional(name), atSeconds: optional(finite), reason: optional(prose) }), FENCE_RECORDS_MAX),
  transition: (value, path) => (value === null ? null : shape<{ id: number; running: number; pending: number }>({ id: count, running: count, pending: count })(value, path)),
  leaving: list(name, NODES_MAX),
  unconfirmed: optional(list(name, NODES_MAX)),
  conflicts: optional(list(shape<ConfigurationConflict>({ version: name, keptDigest: name, lostDigest: name, lostFrom: name, lostVersion: optional(name), atSeconds: optional(finite) }), CONFLICTS_MAX)),
  attributes: optional(dictionary(dictionary(prose, ATTRIBUTES_MAX), NODES_MAX)),
  permanentAttributes: optional(dictionary(dictionary(prose, ATTRIBUTES_MAX), NODES_MAX)),
  history: optional(list(shape<OperationHistoryEntry>({
    node: name, resource: name, operation: name, intervalMs: count, rc: code, callId: count, opStatus: optional(code),
    lastRcChangeSeconds: optional(finite), execMs: optional(finite), queueMs: optional(finite), reason: optional(prose),
  }), HISTORY_ENTRIES_MAX)),
  failCounts: optional(list(shape<FailCountEntry>({ node: name, resource: name, count: code, migrationThreshold: code, lastFailureSeconds: optional(finite) }), HISTORY_ENTRIES_MAX)),
  transitions: optional(list(shape<TransitionRecord>({
    id: count, dc: optional(name), atSeconds: finite, reason: prose, result: oneOf("running", "complete", "failed", "aborted"),
    steps: list(prose, TRANSITION_STEPS_SHOWN_MAX + 1), durationMs: optional(finite),
  }), TRANSITION_RECORDS_MAX)),
});

const fenceHistoryEntry = shape<FenceHistoryEntry>({
  id: name, target: name, action: oneOf("off", "reboot", "on", "confirm"), state: oneOf("pending", "done", "failed"), origin: name, client: optional(name),
  requestedAtMs: finite, completedAtMs: optional(finite), device: optional(name), executor: optional(name), reason: prose,
});
const fenceHistory = list(fenceHistoryEntry, FENCE_HISTORY_ENTRIES_MAX);

const cibMark = shape<CibMark>({ version: shape<CibVersion>({ adminEpoch: count, epoch: count, numUpdates: count }), digest: name, ringId: optional(count) });
const cibChain = list(cibMark, CHAIN_MAX);
const cibLineage = shape<CibLineage>({ chain: cibChain, mark: optional(cibMark) });

const clientRequest: Check<ClientRequest> = (value, path) => {
  const kind = oneOf("cib-replace", "cleanup", "placement", "fence", "fence-confirm")(plainObject(value, path).kind, `${path}.kind`);
  switch (kind) {
    case "cib-replace":
      return { kind, ...shape<{ base: string; cib: unknown; force?: boolean }>({ base: name, cib: configuration, force: optional(boolean) })(value, path) };
    case "cleanup":
      return { kind, ...shape<{ resource?: string; node?: string; operation?: string; intervalMs?: number }>({ resource: optional(name), node: optional(name), operation: optional(name), intervalMs: optional(count) })(value, path) };
    case "placement":
      return { kind, ...shape<{ resources?: string[] }>({ resources: optional(list(name, RESOURCES_MAX)) })(value, path) };
    case "fence":
      return { kind, ...shape<{ target: string; action?: "off" | "reboot"; client: string }>({ target: name, action: optional(oneOf("off", "reboot")), client: name })(value, path) };
    case "fence-confirm":
      return { kind, ...shape<{ target: string; client: string }>({ target: name, client: name })(value, path) };
  }
};

const relocation = shape<Relocation>({ resource: name, from: list(name, NODES_MAX), to: name });

const clientReply: Check<ClientReply> = (value, path) => {
  const ok = boolean(plainObject(value, path).ok, `${path}.ok`);
  if (ok) return { ok, ...shape<{ version?: string; message?: string; relocations?: Relocation[]; fence?: FenceHistoryEntry }>({ version: optional(name), message: optional(prose), relocations: optional(list(relocation, RESOURCES_MAX)), fence: optional(fenceHistoryEntry) })(value, path) };
  return { ok, ...shape<{ code: string; error: string; fence?: FenceHistoryEntry }>({ code: name, error: prose, fence: optional(fenceHistoryEntry) })(value, path) };
};

type Fields<K extends ControllerMessage["t"]> = Omit<Extract<ControllerMessage, { t: K }>, "t">;

const checks: { [K in ControllerMessage["t"]]: Check<Fields<K>> } = {
  join: shape<Fields<"join">>({ ringId: count, since: integer(0, 2 ** 50) }),
  "join-ack": shape<Fields<"join-ack">>({ ringId: count, cib: configuration, report: nodeReport, fenceHistory: optional(fenceHistory), lineage: optional(cibLineage) }),
  cib: shape<Fields<"cib">>({ ringId: count, writeId: count, cib: configuration, chain: optional(cibChain) }),
  "cib-ack": shape<Fields<"cib-ack">>({ ringId: count, writeId: count }),
  report: shape<Fields<"report">>({ ringId: count, report: nodeReport }),
  op: shape<Fields<"op">>({
    ringId: count, transition: count, step: count, resource: name, operation: oneOf("start", "stop", "promote", "demote", "notify", "migrate_to", "migrate_from"),
    notify: optional(dictionary(prose, NOTIFY_VALUES_MAX)), migration: optional(shape<MigrationNodes>({ source: name, target: name })), formerHolderFenced: optional(boolean),
    params: optional(dictionary(prose, ATTRIBUTES_MAX)),
  }),
  "op-result": shape<Fields<"op-result">>({ ringId: count, transition: count, step: count, ok: boolean, reason: optional(prose), report: nodeReport }),
  cleanup: shape<Fields<"cleanup">>({ ringId: count, resource: optional(name), operation: optional(name), intervalMs: optional(count) }),
  request: shape<Fields<"request">>({ requestId: count, request: clientRequest }),
  reply: shape<Fields<"reply">>({ requestId: count, reply: clientReply }),
  summary: shape<Fields<"summary">>({ ringId: count, summary }),
  "fence-history": shape<Fields<"fence-history">>({ ringId: count, records: fenceHistory }),
};

/** A fence history read from a file: the checks a received one passes; a problem names the entry. */
export function checkFenceHistory(value: unknown): FenceHistoryEntry[] | string {
  try {
    return fenceHistory(value, "history");
  } catch (error) {
    if (error instanceof ProtocolProblem) return error.message;
    throw error;
  }
}

export type ParsedMessage = { ok: true; message: ControllerMessage } | { ok: false; problem: string };

/**
 * Reads one controller message from the bytes a peer sent: JSON, a known kind, every field
 * of the right type and within its bounds. Never throws; a problem names the field.
 */
export function parseControllerMessage(payload: Uint8Array): ParsedMessage {
  if (payload.length > MESSAGE_BYTES_MAX) return { ok: false, problem: `message of ${payload.length} bytes exceeds ${MESSAGE_BYTES_MAX}` };
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(payload.buffer, payload.byteOffset, payload.length).toString("utf8"));
  } catch {
    return { ok: false, problem: "not JSON" };
  }
  return checkControllerMessage(value);
}

/** The checks of parseControllerMessage on a value already parsed (the simulator's messages). */
export function checkControllerMessage(value: unknown): ParsedMessage {
  try {
    const object = plainObject(value, "message");
    const kind = object.t;
    if (typeof kind !== "string" || !Object.hasOwn(checks, kind)) return { ok: false, problem: `message.t: unknown kind ${JSON.stringify(String(kind).slice(0, 40))}` };
    const fields = checks[kind as ControllerMessage["t"]](value, kind) as object;
    return { ok: true, message: { t: kind, ...fields } as ControllerMessage };
  } catch (error) {
    if (error instanceof ProtocolProblem) return { ok: false, problem: error.message };
    throw error;
  }
}

/** The operation a cleanup is limited to, when it is (an absent interval means 0, as crm_resource reads it). */
export function failureFilter(request: { operation?: string; intervalMs?: number }): { operation?: string; intervalMs?: number } {
  return request.operation === undefined ? {} : { operation: request.operation, intervalMs: request.intervalMs ?? 0 };
}
