// The executor's rules without I/O, shared by the agent's executor (src/node/local-resources.ts, real
// agents) and the simulator's (src/sim/executor.ts, simulated agents), so that the simulator
// checks the rules the agent keeps: which definition an operation runs with (an orphan is
// stopped with the one it last ran with, never started), what a stop of everything refuses,
// what may still be active here, how an operation result is recorded (history keys, failures,
// fail counts) and what the node's report says. Pure: no clock, no I/O (times are inputs).
import { allPrimitives as configuredPrimitives, flattenSets, parseBoolean, type Cib, type OperationRecord, type Primitive, type RuleClock } from "../cib";
import type { NodeReport } from "../controller";
import { clusterOptionsAt, evaluateConfigurationRules, parameterDigest } from "../scheduler";
import { decodeStarted, encodeStarted } from "./started";

export const DEFAULT_TIMEOUT_MS = 20_000;
export const INFINITY_TEXT = "INFINITY";
const MIGRATIONS = new Set(["migrate_to", "migrate_from"]);

/** What makes two definitions of a resource the same agent with the same parameters (a changed one is probed again). */
export function definitionOf(primitive: Primitive): string {
  return JSON.stringify([primitive.class, primitive.provider, primitive.type, flattenSets(primitive.instance)]);
}

/** What an executor knows of a resource when the DC asks for an operation on it. */
export interface KnownOfResource {
  configured: Primitive | undefined;
  /** The definition it last ran with here (RanWith). */
  lastDefinition: Primitive | undefined;
  hasHistory: boolean;
  /** Whether this node forgot it once it knew it stopped and no longer configured (KnownStopped). */
  forgottenStopped: boolean;
}

/**
 * The definition an operation of the DC runs with: the configured one; for a resource the
 * configuration no longer holds (an orphan), the one it last ran with, but only to stop,
 * demote or tell it (never to start or promote it again); else the answer the DC gets without
 * running anything. A stop of a resource with no history here yet (the previous agent process
 * left it running, per its record, and no probe has answered) uses the definition it ran with
 * first: nothing newer is known of it here. A stop of one this node forgot once it knew it
 * stopped succeeds (nothing to stop: the DC planned it from a report older than the
 * forgetting, as after a cleanup); one never known here is refused.
 */
export function definitionFor(resource: string, operation: string, known: KnownOfResource): { primitive: Primitive } | { answer: { ok: boolean; reason?: string } } {
  const { configured, lastDefinition } = known;
  const ranWith = operation === "stop" && !known.hasHistory ? lastDefinition : undefined;
  const primitive = ranWith ?? configured ?? (operation === "start" || operation === "promote" ? undefined : lastDefinition);
  if (primitive !== undefined) return { primitive };
  if (operation === "stop" && known.forgottenStopped) return { answer: { ok: true } };
  return { answer: { ok: false, reason: configured === undefined && lastDefinition !== undefined ? `resource ${resource} is no longer configured: it is only stopped here, never started` : `resource ${resource} is not in the configuration this node has, and it has not run here` } };
}

/**
 * Resources this node forgot once it knew them stopped and no longer configured (a stop that
 * succeeded, a probe that found nothing): a stop the DC sends for one later succeeds
 * (definitionFor). Bounded: the oldest names go first.
 */
export class KnownStopped {
  private readonly ids = new Set<string>();
  constructor(private readonly max = 1024) {}

  add(id: string): void {
    this.ids.delete(id);
    this.ids.add(id);
    if (this.ids.size > this.max) this.ids.delete(this.ids.values().next().value!);
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }
}

/**
 * While this node stops everything to leave without the DC (escalation, no quorum, a stall),
 * nothing starts here any more: a transition its DC (this node, perhaps) still runs must not
 * start again what is being stopped, or leave it running once the agent has exited.
 */
export function refusedWhileStoppingAll(resource: string, operation: string, migrating: boolean): string | undefined {
  if (operation === "start" || operation === "promote" || migrating) return `this node is stopping every resource to leave the cluster: ${resource} is not started here`;
  return undefined;
}

/**
 * Whether the last start, stop or probe of a resource leaves it possibly active here: a
 * successful start or promotion, a probe that found it running, or anything failed (its state
 * is unknown, so it is stopped to be sure). A successful stop or a probe that found nothing is not.
 */
export function mayBeActive(last: OperationRecord | undefined): boolean {
  if (last === undefined) return false;
  // A migrate_to that succeeded sent the resource away; one that failed leaves its state unknown.
  if (last.operation === "migrate_to") return last.rcCode !== 0;
  if (last.operation === "stop") return !(last.rcCode === 0 || last.rcCode === 7);
  if (last.operation === "monitor") return last.rcCode !== 7;
  return true;
}

/**
 * Whether a resource may be active here, so that this node must keep what it knows of it (not
 * forget it) and a stop of everything stops it: an operation on it is queued or running, or its
 * last operation leaves it possibly active (mayBeActive), or, with no history yet, it has a
 * definition it ran with (kept by this process, or loaded from the previous one's record and
 * not probed yet).
 */
export function mayBeActiveHere(inFlight: boolean, last: OperationRecord | undefined, hasLastDefinition: boolean): boolean {
  if (inFlight) return true;
  if (last === undefined) return hasLastDefinition;
  return mayBeActive(last);
}

/** The newest of a resource's non-recurring records: its last operation or a migration kept beside it. */
export function lastRecord(records: ReadonlyMap<string, OperationRecord>): OperationRecord | undefined {
  let newest: OperationRecord | undefined;
  for (const key of ["last_0", "migrate_to_0", "migrate_from_0"]) {
    const record = records.get(key);
    if (record !== undefined && (newest === undefined || record.callId > newest.callId)) newest = record;
  }
  return newest;
}

/**
 * What a stop of everything stops, in order: every managed resource that may be active here
 * (mayBeActiveHere): by its history, because an operation on it (a start) is under way (its stop
 * is queued behind it), or because the previous agent process started it and no probe has
 * answered yet (its record, src/executor/started.ts: a restart of the agent followed by a stop
 * before the first probe must not leave it running for a peer to start it too). The
 * configuration's last resource first (a group's last member first).
 */
export function stopAllOrder(cib: Cib | undefined, history: ReadonlyMap<string, ReadonlyMap<string, OperationRecord>>, inFlight: ReadonlySet<string> | ReadonlyMap<string, unknown>, ranWith: { has(id: string): boolean; ids(): Iterable<string> }, clock: RuleClock): string[] {
  const order = cib === undefined ? [] : configuredPrimitives(cib.resources).map((primitive) => primitive.id);
  const unmanaged = cib === undefined ? new Set<string>() : unmanagedPrimitives(cib, clock);
  const candidates = new Set([...history.keys(), ...inFlight.keys(), ...ranWith.ids()]);
  const active = [...candidates].filter((id) => {
    const records = history.get(id);
    return !unmanaged.has(id) && mayBeActiveHere(inFlight.has(id), records === undefined ? undefined : lastRecord(records), ranWith.has(id));
  });
  return active.sort((left, right) => order.indexOf(right) - order.indexOf(left));
}

/**
 * The definition each resource here last ran with and the parameters it ran with, and their
 * record across restarts of the agent (src/executor/started.ts): set by a start (tried), a
 * migration in, or a probe or monitor that finds it active; dropped once the resource is known
 * stopped and no longer configured. Like Pacemaker's operation history, it lets the node stop
 * and monitor a resource after the configuration no longer holds it (an orphan), with the agent
 * and parameters it was started with, and a probe that finds it running record the digest of
 * those parameters. Every change is handed to `store` as the record's new text (the agent writes
 * it durably to its state directory, the simulator to the node's simulated disk); `store` says
 * whether it was kept (a failed write is tried again at the next change).
 */
export class RanWith {
  private readonly definitions = new Map<string, Primitive>();
  /** The parameters each resource ran with, where known (not for a start an older DC sent without them). */
  private readonly ranParameters = new Map<string, Record<string, string>>();
  private storedText = "";

  constructor(private readonly store: (text: string) => boolean) {}

  /** The previous agent process's record: its definitions are kept (without a write), or what is wrong with it. */
  load(text: string): { loaded: string[] } | { problem: string } {
    const decoded = decodeStarted(text);
    if ("problem" in decoded) return decoded;
    for (const primitive of decoded.definitions) this.definitions.set(primitive.id, primitive);
    for (const [id, parameters] of Object.entries(decoded.parameters ?? {})) this.ranParameters.set(id, parameters);
    this.storedText = text;
    return { loaded: decoded.definitions.map((primitive) => primitive.id) };
  }

  get(id: string): Primitive | undefined {
    return this.definitions.get(id);
  }

  /** The parameters the resource ran with (what its start's or probe's record is digested with); undefined when not known. */
  parameters(id: string): Record<string, string> | undefined {
    return this.ranParameters.get(id);
  }

  has(id: string): boolean {
    return this.definitions.has(id);
  }

  ids(): IterableIterator<string> {
    return this.definitions.keys();
  }

  values(): IterableIterator<Primitive> {
    return this.definitions.values();
  }

  /** This node ran (or found running) the resource with this definition and these parameters (undefined: not known). */
  define(primitive: Primitive, parameters: Record<string, string> | undefined): void {
    this.definitions.set(primitive.id, primitive);
    if (parameters === undefined) this.ranParameters.delete(primitive.id);
    else this.ranParameters.set(primitive.id, { ...parameters });
    this.save();
  }

  /** The resource is known stopped and no longer configured (or cleaned up while configured). */
  undefine(id: string): void {
    this.ranParameters.delete(id);
    if (this.definitions.delete(id)) this.save();
  }

  private save(): void {
    const text = encodeStarted(this.definitions.values(), Object.fromEntries(this.ranParameters));
    if (text === this.storedText) return;
    if (this.store(text)) this.storedText = text;
  }
}

/**
 * The primitives the cluster does not manage: maintenance-mode, or is-managed=false /
 * maintenance=true on them, their group or clone, or the resource defaults; sets with rules
 * (a time-based maintenance-mode, ruled rsc_defaults or meta sets) as the scheduler reads them at that time.
 */
export function unmanagedPrimitives(configured: Cib, clock: RuleClock): Set<string> {
  const cib = evaluateConfigurationRules(configured, clock);
  const all = clusterOptionsAt(cib, clock).options.maintenanceMode;
  const defaults = flattenSets(cib.rscDefaults);
  const unmanaged = new Set<string>();
  const visit = (primitive: Primitive, ...parents: Array<{ meta: Primitive["meta"] }>) => {
    const meta = { ...defaults, ...Object.assign({}, ...parents.map((parent) => flattenSets(parent.meta))), ...flattenSets(primitive.meta) } as Record<string, string>;
    if (all || parseBoolean(meta["is-managed"] ?? "true") === false || parseBoolean(meta.maintenance ?? "false") === true) unmanaged.add(primitive.id);
  };
  for (const resource of cib.resources) {
    if (resource.kind === "primitive") visit(resource);
    else if (resource.kind === "group") for (const member of resource.members) visit(member, resource);
    else if (resource.child.kind === "group") for (const member of resource.child.members) visit(member, resource, resource.child);
    else visit(resource.child, resource);
  }
  return unmanaged;
}

/** The result the DC gets for an operation: a stop that finds nothing running succeeded too. */
export function operationResult(operation: string, outcome: { rc: number; timedOut: boolean; reason?: string }): { ok: boolean; reason?: string } {
  const ok = outcome.rc === 0 || (operation === "stop" && outcome.rc === 7);
  return { ok, reason: outcome.reason ?? (ok ? undefined : `${operation} returned ${outcome.timedOut ? "a timeout" : `rc ${outcome.rc}`}`) };
}

/** Where a result goes in a resource's history: recurring monitors by interval, migrations under their own names, the rest as the last operation. */
export function recordKey(operation: string, intervalMs: number): string {
  return intervalMs > 0 ? `${operation}_${intervalMs}` : MIGRATIONS.has(operation) ? `${operation}_0` : "last_0";
}

/** One operation's history record (rc 1 and op-status 2 for a timeout). */
export function operationRecord(resource: string, key: string, operation: string, intervalMs: number, callId: number, outcome: { rc: number; timedOut: boolean; runTimeMs: number; reason?: string }, nowSeconds: number, queueMs: number, extra: Record<string, string> = {}): OperationRecord {
  return {
    id: `${resource}_${key}`, operation, callId, rcCode: outcome.timedOut ? 1 : outcome.rc, opStatus: outcome.timedOut ? 2 : 0, intervalMs,
    attributes: { "last-rc-change": String(nowSeconds), "exec-time": String(Math.round(outcome.runTimeMs)), "queue-time": String(Math.round(queueMs)), ...(outcome.reason ? { "exit-reason": outcome.reason } : {}), ...extra },
  };
}

/** The non-recurring operations whose records carry the parameters' digest (Pacemaker: start, probe, promote, migrate_from). */
const DIGESTED = new Set(["start", "monitor", "promote", "migrate_from"]);

/**
 * The op-digest an executor records with a non-recurring start, probe, promote or migrate_from:
 * the digest (the scheduler's own function, src/scheduler/digest.ts) of the parameters the
 * operation actually ran with (the DC's resolved ones when it sent them, else those this node
 * resolved). The DC compares it with what the configuration resolves to now, and restarts (or
 * reloads) a running resource whose parameters changed, as Pacemaker does with op-digest.
 * Nothing for other operations, or when the parameters are not known (an orphan).
 */
export function digestAttributes(operation: string, intervalMs: number, parameters: Record<string, string> | undefined): Record<string, string> {
  if (intervalMs !== 0 || !DIGESTED.has(operation) || parameters === undefined) return {};
  return { "op-digest": parameterDigest(parameters) };
}

/**
 * The definition a stop runs with: the agent and instance parameters the resource last ran with
 * here (its start's, a probe's that found it running, a migrate_from's), not the configuration's
 * new ones, as Pacemaker's controller stops with the parameters it kept from the last start or
 * probe (controld_execd.c: update_history_cache keeps stop_params, construct_op uses them for a
 * stop). A restart after a changed `ip` or state-file path so stops the instance that runs.
 * Meta attributes and operations (timeouts) stay `current`'s. Nothing known here, or nothing
 * left active by the last record: `current` as it is.
 */
export function stopDefinition(current: Primitive, ranWith: Primitive | undefined, last: OperationRecord | undefined): Primitive {
  if (ranWith === undefined || (last !== undefined && !mayBeActive(last))) return current;
  return { ...current, class: ranWith.class, type: ranWith.type, ...(ranWith.provider !== undefined ? { provider: ranWith.provider } : {}), instance: ranWith.instance };
}

/**
 * The definition a probe of a resource runs with when it is not the configuration's: a
 * configured resource this node ran and may still run (its definition changed under it, or the
 * previous agent process ran it) is probed as it runs, with the definition it was started with,
 * as its stop will be (probed with a changed state-file path or address it would be found
 * stopped, and the DC would start a second instance beside it). Undefined: probed as it is (an
 * orphan with the definition it last ran with). A probe as it ran that finds it running keeps
 * that definition and its parameters (RanWith), and its record carries their digest (none for a
 * start an older DC sent without parameters), so the DC sees a changed definition and restarts
 * (or reloads) the resource, as Pacemaker does.
 */
export function probedAsRan(configured: boolean, ranWith: Primitive | undefined, last: OperationRecord | undefined): Primitive | undefined {
  if (!configured || ranWith === undefined || (last !== undefined && !mayBeActive(last))) return undefined;
  return ranWith;
}

/** Whether a recorded result is a failure: 8 is "running promoted" for a monitor, and a probe expects either answer. */
export function recordFailed(record: OperationRecord): boolean {
  const { operation, intervalMs, rcCode } = record;
  return !(rcCode === 0 || (operation === "monitor" && rcCode === 8) || (operation === "monitor" && intervalMs === 0 && rcCode === 7) || (operation === "stop" && rcCode === 7));
}

/**
 * A start or stop begins a new run: the recurring results of the previous one no longer apply
 * (migrations and the last operation stay).
 */
export function dropRecurringAfter(records: Map<string, OperationRecord>, operation: string, intervalMs: number): void {
  if (intervalMs !== 0 || (operation !== "start" && operation !== "stop")) return;
  for (const [name, kept] of [...records]) if (kept.intervalMs > 0) records.delete(name);
}

/** The fail count after one more failure: a failed start bans the resource from this node when start-failure-is-fatal holds (the default; read at `clock`). */
export function failCountAfter(cib: Cib | undefined, operation: string, count: string | undefined, clock: RuleClock): string {
  const fatal = operation === "start" && (cib === undefined || clusterOptionsAt(cib, clock).options.startFailureIsFatal);
  return fatal ? INFINITY_TEXT : count === INFINITY_TEXT ? count : String(Number(count ?? 0) + 1);
}

export const failCountKey = (resource: string, operation: string, intervalMs: number): string => `fail-count-${resource}#${operation}_${intervalMs}`;
export const lastFailureKey = (resource: string): string => `last-failure-${resource}`;

/** Whether an attribute is a fail count or last failure of `resource` (of any resource when undefined): what a cleanup clears. */
export function isFailureAttribute(key: string, resource?: string): boolean {
  if (resource === undefined) return /^(fail-count|last-failure)-/.test(key);
  return key.startsWith(`fail-count-${resource}#`) || key === `fail-count-${resource}` || key === lastFailureKey(resource);
}

/** The resources part of the node's report: each resource's history, under the definition it has or last ran with. */
export function reportedResources(history: ReadonlyMap<string, ReadonlyMap<string, OperationRecord>>, definition: (id: string) => Primitive | undefined): NodeReport["resources"] {
  const resources: NodeReport["resources"] = {};
  for (const [id, records] of history) {
    const primitive = definition(id);
    resources[id] = { class: primitive?.class ?? "ocf", provider: primitive?.provider, type: primitive?.type ?? "unknown", operations: [...records.values()].sort((left, right) => left.callId - right.callId) };
  }
  return resources;
}

/** The failures part of the node's report: the last failure of each operation, until cleaned up. */
export function reportedFailures(failures: Iterable<{ resource: string; record: OperationRecord }>): NonNullable<NodeReport["failures"]> {
  return [...failures].map(({ resource, record }) => ({ resource, operation: record.operation, intervalMs: record.intervalMs, rc: record.rcCode, reason: record.attributes["exit-reason"], atSeconds: Number(record.attributes["last-rc-change"]) }));
}
