// This node's resources as its controller sees them: runs the operations the DC asks for
// (one at a time per resource), probes every configured resource, keeps the recurring
// monitors of what runs here, and keeps the operation history and fail counts that go into
// the node's report. I/O lives here; what to do with the results is the controller's.
import { flattenSets, formatVersion, parseDurationMs, type Cib, type OperationRecord, type Primitive } from "../cib";
import type { MigrationNodes, NodeReport, OperationName } from "../controller";
import { localParameterResolver, operationDefaults } from "../scheduler";
import type { Logger } from "../common/log";
import { wakeTimer, type WakeTimer } from "./wake-timer";
import { readStartedFile, writeStartedFile } from "../executor/started-file";
import { DEFAULT_TIMEOUT_MS, KnownStopped, RanWith, definitionFor, definitionOf, dropRecurringAfter, failCountAfter, failCountKey, isFailureAttribute, lastFailureKey, lastRecord, mayBeActiveHere, digestAttributes, operationRecord, operationResult, recordFailed, recordKey, refusedWhileStoppingAll, probedAsRan, reportedFailures, reportedResources, stopAllOrder, stopDefinition } from "../executor/resource-rules";
import { monotonicMs } from "../common/clock";

// The rules themselves, shared with the simulator's executor, are in src/executor/resource-rules.ts.
export { lastRecord, mayBeActive, unmanagedPrimitives } from "../executor/resource-rules";

/** One recorded operation result, as the operation log and resource alerts see it. */
export interface RecordedOperation { resource: string; operation: string; intervalMs: number; rc: number; targetRc: number; timedOut: boolean; reason?: string; durationMs: number; queueMs: number; failed: boolean }

export interface ActionOutcome { rc: number; reason?: string; timedOut: boolean; runTimeMs: number }

/** Runs one action of one primitive on this node. */
/** What the DC knows about an operation that the agent may use: the start's former holders are all fenced (controller/execution.ts). */
export interface ActionHints { formerHolderFenced?: boolean }
export type ActionRunner = (primitive: Primitive, action: string, intervalMs: number, timeoutMs: number, hints?: ActionHints) => Promise<ActionOutcome>;

/** Operations running at once on a node, across resources. */
export const PARALLEL_LIMIT = 8;

/**
 * A recurring monitor. All of them share one clock: each is due at a multiple of its interval
 * (at least half an interval after its last run ended), so monitors with the same interval run in
 * the same wake-up of the process instead of drifting apart, each in its own.
 */
interface Recurring { primitive: Primitive; intervalMs: number; timeoutMs: number; dueMs: number | undefined; generation: number }

/** Monitors due within this much of the earliest one run in the same wake-up. */
const MONITOR_BATCH_MS = 20;

/** The next multiple of intervalMs that is at least half an interval after nowMs. */
export function nextMonitorDueMs(nowMs: number, intervalMs: number): number {
  return Math.ceil((nowMs + intervalMs / 2) / intervalMs) * intervalMs;
}

export class LocalResources {
  private operationListener: ((event: RecordedOperation) => void) | undefined;
  private attributeListener: ((name: string, value: string | undefined) => void) | undefined;
  private cib: Cib | undefined;
  /** Forgotten once known stopped: a late stop of one succeeds (KnownStopped). */
  private readonly knownStopped = new KnownStopped();
  private readonly history = new Map<string, Map<string, OperationRecord>>();
  private readonly attributes: Record<string, string> = {};
  private factKeys = new Set<string>();
  /** The last failure of each operation, shown until cleaned up (not part of the history the scheduler reads). */
  private readonly failures = new Map<string, { resource: string; record: OperationRecord }>();
  private readonly chains = new Map<string, Promise<unknown>>();
  private readonly recurring = new Map<string, Recurring[]>();
  /**
   * The one monitor timer (src/node/wake-timer.ts): the agent gives the liveness addon's, which
   * moves later in place. Node's timer, moved later whenever wake() runs the monitors before it
   * fires (on an idle holder: every monitor interval), still wakes the loop at its old deadline.
   */
  private readonly monitorTimer: WakeTimer;
  private monitorTimerArmed = false;
  /** When the earliest monitor is due (its timer fires monitorSlackMs later unless wake() runs it first). */
  private monitorTimerAtMs = Infinity;
  /**
   * How late a due monitor may run so that it shares a wake-up the agent has anyway (see wake()).
   * 0: each batch of monitors has a timer of its own, at the moment it is due.
   */
  private monitorSlackMs = 0;
  private readonly probedDefinitions = new Map<string, string>();
  /**
   * The definition each resource here last ran with, kept across restarts of the agent in
   * `startedFile` (src/executor/resource-rules.ts RanWith): it lets this node stop and monitor
   * an orphan with the agent and parameters it was started with.
   */
  private readonly ranWith: RanWith;
  /** Operations the DC asked for that are queued or running, by resource: such a resource may be active whatever its history says yet. */
  private readonly inFlight = new Map<string, number>();
  /** Set by stopAll (a leave or a stall without the DC): nothing starts here any more. */
  private stoppingAll = false;
  private probedVersion = "";
  private probing = false;
  private dcOperations = 0;
  private callId = 0;
  private shutdownRequested = false;
  private closed = false;
  private changed: (() => void) | undefined;
  /** Devices that have unfenced this node since the agent started. */
  readonly unfencedDevices = new Set<string>();
  /** Asked before monitors run: false after the agent found itself stalled (set by the agent). */
  mayRun: (() => boolean) | undefined;
  /** Runs the unfencing that is due; returns what failed. Set by the agent. */
  unfence: ((cib: Cib, done: Set<string>) => Promise<string[]>) | undefined;

  private readonly run: ActionRunner;
  /** Fence devices "run" here once started: the fencer may use them from this node. */
  private readonly devicesStarted = new Set<string>();

  /** The file that keeps ranWith across restarts of the agent (src/executor/started.ts). */
  private readonly startedFile: string | undefined;

  /**
   * `startedFile`: where the definitions of what this node started are kept, so that the next
   * agent process still probes (and the DC stops) a resource this one started and the
   * configuration dropped meanwhile. Without it they live only as long as this process.
   */
  constructor(private readonly nodeName: string, runner: ActionRunner, private readonly logger: Logger, private readonly epochSeconds: () => number, options: { startedFile?: string; timer?: (onWake: () => void) => WakeTimer } = {}) {
    this.startedFile = options.startedFile;
    this.monitorTimer = (options.timer ?? ((onWake) => wakeTimer(onWake, null, { unref: true })))(() => this.runDueMonitors());
    this.ranWith = new RanWith((text) => this.saveStarted(text));
    if (this.startedFile !== undefined) this.loadStarted(this.startedFile);
    this.run = async (primitive, action, intervalMs, timeoutMs, hints) => {
      if (primitive.class !== "stonith") return runner(primitive, action, intervalMs, timeoutMs, hints);
      // A probe tells whether the device was started here; a recurring monitor checks the device
      // itself, and a start checks that its driver exists (src/fencer/device-resource.ts).
      if (action === "monitor" && (intervalMs === 0 || !this.devicesStarted.has(primitive.id))) return { rc: this.devicesStarted.has(primitive.id) ? 0 : 7, timedOut: false, runTimeMs: 0 };
      if (action === "stop") this.devicesStarted.delete(primitive.id);
      const outcome = await runner(primitive, action, intervalMs, timeoutMs);
      if (action === "start" && outcome.rc === 0) this.devicesStarted.add(primitive.id);
      return outcome;
    };
  }

  /**
   * Lets due monitors wait up to slackMs for a wake-up the agent has anyway: the agent calls
   * wake() whenever it wakes for its heartbeats. An idle node then wakes for its monitors only
   * when no heartbeat comes along, not once more per monitor interval.
   */
  coalesceMonitors(slackMs: number): void {
    this.monitorSlackMs = Math.max(0, slackMs);
    this.monitorTimerAtMs = Infinity;
    this.armMonitorTimer();
  }

  /**
   * True while a resource here other than a fence device has recurring monitors (it was
   * started and not stopped): this node runs the services. Fence devices do not count; every
   * node of a fenced cluster usually runs one.
   */
  runsServices(): boolean {
    for (const list of this.recurring.values()) if (list.some((monitor) => monitor.primitive.class !== "stonith")) return true;
    return false;
  }

  /** The agent is awake anyway: runs the monitors that are due. Cheap when none is. */
  wake(): void {
    if (this.monitorTimerAtMs <= monotonicMs()) this.runDueMonitors();
  }

  /**
   * Called for every operation result this node records (a recurring monitor only when its
   * result changes), for the node's own operation log and resource alerts.
   */
  onOperation(listener: (event: RecordedOperation) => void): void {
    this.operationListener = listener;
  }

  /** Called whenever an attribute an agent publishes, a fail count or a last failure changes (node facts aside), for attribute alerts. */
  onAttribute(listener: (name: string, value: string | undefined) => void): void {
    this.attributeListener = listener;
  }

  /** Called (soon, once per burst) whenever the report changes. */
  onChange(callback: () => void): void {
    this.changed = callback;
  }

  report(): NodeReport {
    const resources = reportedResources(this.history, (id) => this.primitive(id) ?? this.ranWith.get(id));
    return {
      node: this.nodeName, probed: !this.probing && this.probedVersion !== "", cibVersion: this.probedVersion, busy: this.dcOperations > 0,
      resources, attributes: { ...this.attributes }, shutdown: this.shutdownRequested,
      failures: reportedFailures(this.failures.values()),
    };
  }

  /** Node facts (and other attributes this node publishes): replaced as a whole set each time. */
  setFacts(facts: Record<string, string>): void {
    let changed = false;
    for (const key of this.factKeys) if (!(key in facts)) { delete this.attributes[key]; changed = true; }
    for (const [key, value] of Object.entries(facts)) if (this.attributes[key] !== value) { this.attributes[key] = value; changed = true; }
    this.factKeys = new Set(Object.keys(facts));
    if (changed) this.notify();
  }

  /** One attribute published by an agent (ping's score); undefined withdraws it. */
  /** A fail count or last failure changes (the caller reports the change): an attribute alert, as Pacemaker's attrd sends one for each value it writes. */
  private changeFailureAttribute(name: string, value: string | undefined): void {
    if (this.attributes[name] === value) return;
    if (value === undefined) delete this.attributes[name];
    else this.attributes[name] = value;
    this.attributeListener?.(name, value);
  }

  setAttribute(name: string, value: string | undefined): void {
    if (this.attributes[name] === value) return;
    if (value === undefined) delete this.attributes[name];
    else this.attributes[name] = value;
    this.attributeListener?.(name, value);
    this.notify();
  }

  requestShutdown(): void {
    this.shutdownRequested = true;
    this.notify();
  }

  /** A new configuration is in force: unfence this node where needed, probe whatever is new or changed, then report. */
  configure(cib: Cib): void {
    this.cib = cib;
    const version = formatVersion(cib.version);
    for (const id of [...this.history.keys()]) if (this.primitive(id) === undefined && !this.mayBeActive(id)) this.forget(id);
    this.probing = true;
    void this.unfenceThenProbe(cib, version);
  }

  /**
   * Unfencing: a device that needs it (scsi, provides=unfencing) must have let this node
   * in again ("on" for this node, run here) since the agent started, before anything
   * starts here. Until it has, this node stands by (a transient standby the DC sees).
   */
  private async unfenceThenProbe(cib: Cib, version: string): Promise<void> {
    if (this.unfence) {
      const failures = await this.unfence(cib, this.unfencedDevices);
      if (this.cib !== cib) return;
      if (failures.length > 0) {
        this.attributes.standby = "on";
        this.attributes["#unfence-failed"] = failures.join("; ");
        this.logger.error({ failures }, "unfencing failed: this node stands by until it succeeds (retried with the next configuration or cleanup)");
      } else if (this.attributes["#unfence-failed"] !== undefined) {
        delete this.attributes.standby;
        delete this.attributes["#unfence-failed"];
      }
    }
    this.probe(cib, version);
  }

  private probe(cib: Cib, version: string): void {
    // Orphans cleaned up meanwhile are probed too, with the definition they last ran with: a
    // cleanup must not make this node forget something that still runs.
    const orphans = [...this.ranWith.values()].filter((primitive) => this.primitive(primitive.id) === undefined && !this.history.has(primitive.id));
    // A configured resource is probed with its parameters resolved for this node (its rules, a
    // group's or clone's sets), as the DC resolves them for the operations it sends.
    const resolve = localParameterResolver(cib, this.nodeName, this.attributes, Math.floor(this.epochSeconds()));
    // The parameters each configured resource's probe runs with (an orphan's are those it ran with).
    const resolvedFor = new Map<Primitive, Record<string, string>>();
    const primitives = [...allPrimitives(cib).map((primitive) => {
      const parameters = resolve(primitive, "monitor");
      const resolved = withParameters(primitive, parameters);
      resolvedFor.set(resolved, parameters);
      return resolved;
    }), ...orphans];
    const probes = primitives.filter((primitive) => this.probedDefinitions.get(primitive.id) !== definitionOf(primitive)).map((primitive) => this.serialize(primitive.id, async (queueMs) => {
      const before = this.history.has(primitive.id) ? lastRecord(this.history.get(primitive.id)!) : undefined;
      // A configured resource this node ran and may still run is probed as it runs (probedAsRan).
      const asRan = probedAsRan(this.primitive(primitive.id) !== undefined, this.ranWith.get(primitive.id), before);
      const probed = asRan !== undefined ? stopDefinition(primitive, asRan, before) : primitive;
      const outcome = await this.run(probed, "monitor", 0, this.timeoutOf(primitive, "monitor", 0));
      this.probedDefinitions.set(primitive.id, definitionOf(primitive));
      // Found running as it ran here: what it ran with stays what it is stopped with, and the
      // record carries the digest of the parameters it ran with. Else what was probed is kept
      // (an orphan is kept as it ran already) and the record carries its parameters' digest.
      const ranHere = asRan !== undefined && (outcome.rc === 0 || outcome.rc === 8);
      const parameters = resolvedFor.get(primitive);
      if (outcome.rc !== 7 && !ranHere && parameters !== undefined) this.ranWith.define(primitive, parameters);
      this.record(probed, "monitor", 0, outcome, queueMs, digestAttributes("monitor", 0, ranHere ? this.ranWith.parameters(primitive.id) : parameters));
      if (outcome.rc === 0) this.startMonitors(probed);
      if (outcome.rc === 7 && this.primitive(primitive.id) === undefined) this.forget(primitive.id);
    }));
    void Promise.allSettled(probes).then(() => {
      if (this.cib !== cib) return;
      this.probing = false;
      this.probedVersion = version;
      this.notify();
    });
  }

  /**
   * Runs an operation for the DC; the outcome is also recorded in the history (notifications
   * excepted). `parameters`: what the DC's scheduler resolved for this node (rules, a group's or
   * clone's sets); the agent runs with them, and a start keeps them as the definition the
   * resource ran with. Without them (an older DC) the definition chosen here runs as it is.
   */
  async operate(instance: string, operation: OperationName, notify?: Record<string, string>, migration?: MigrationNodes, hints?: ActionHints, parameters?: Record<string, string>): Promise<{ ok: boolean; reason?: string }> {
    // An anonymous clone's instance ("web:1") is its primitive on this node: one history, one id.
    const resource = instance.replace(/:\d+$/, "");
    const configured = this.primitive(resource);
    // A resource the configuration no longer holds is stopped (or demoted, or told) with the
    // definition it last ran with; it is never started again from that.
    // A stop of one this node forgot once it knew it stopped finds nothing to stop.
    const chosen = definitionFor(resource, operation, { configured, lastDefinition: this.ranWith.get(resource), hasHistory: this.history.has(resource), forgottenStopped: this.knownStopped.has(resource) });
    if ("answer" in chosen) return chosen.answer;
    const sent = parameters === undefined ? chosen.primitive : withParameters(chosen.primitive, parameters);
    // A stop runs with what the resource was started with here, not the DC's new parameters
    // (a restart after a parameter change must stop the instance that runs), as Pacemaker does.
    const base = operation === "stop" ? stopDefinition(sent, this.ranWith.get(resource), this.history.has(resource) ? lastRecord(this.history.get(resource)!) : undefined) : sent;
    // What it runs with, for the record's op-digest: the DC's parameters. Sent without them (an
    // older DC during a rolling upgrade) the agent runs the definition flattened without its
    // rules, which no DC resolves that way: a digest of it could make a DC restart the resource
    // again after every start. No digest then, which the scheduler reads as "unknown".
    const ran = parameters;
    const primitive = instance !== resource || operation === "notify" ? this.withCloneMeta(base, instance) : base;
    const refused = this.stoppingAll ? refusedWhileStoppingAll(resource, operation, migration !== undefined) : undefined;
    if (refused !== undefined) return { ok: false, reason: refused };
    this.dcOperations++;
    // Until it ends, the resource is not forgotten (a deletion that arrives while its start runs).
    this.inFlight.set(resource, (this.inFlight.get(resource) ?? 0) + 1);
    const landed = () => {
      const left = (this.inFlight.get(resource) ?? 1) - 1;
      if (left > 0) this.inFlight.set(resource, left);
      else this.inFlight.delete(resource);
    };
    if (operation === "notify") {
      // A clone notification: the agent's notify action with OCF_RESKEY_CRM_meta_notify_*; like
      // Pacemaker, it is not kept in the operation history and leaves the monitors alone.
      try {
        return await this.serialize(resource, async () => {
          const told = { ...primitive, meta: [{ id: `${primitive.id}-notify`, values: notify ?? {} }, ...primitive.meta] };
          const outcome = await this.run(told, "notify", 0, this.timeoutOf(primitive, "notify", 0));
          return operationResult("notify", outcome);
        });
      } finally {
        this.dcOperations--;
        landed();
        this.notify();
      }
    }
    if (operation === "migrate_to" || operation === "migrate_from") {
      try {
        return await this.migrate(primitive, operation, migration, ran);
      } finally {
        this.dcOperations--;
        landed();
        this.notify();
      }
    }
    try {
      return await this.serialize(resource, async (queueMs) => {
        if (operation === "stop") this.stopMonitors(resource);
        // Kept (on disk too) before the agent runs: a start cut short by a crash is probed by the next agent process.
        if (operation === "start") this.ranWith.define(primitive, ran);
        const outcome = await this.run(primitive, operation, 0, this.timeoutOf(primitive, operation, 0), operation === "start" ? hints : undefined);
        this.record(primitive, operation, 0, outcome, queueMs, digestAttributes(operation, 0, ran));
        const result = operationResult(operation, outcome);
        if (result.ok && operation === "start") this.startMonitors(primitive);
        // An orphan that stopped is gone from this node: its history goes with it.
        if (result.ok && operation === "stop" && this.primitive(resource) === undefined) this.forget(resource);
        return result;
      });
    } finally {
      this.dcOperations--;
      landed();
      this.notify();
    }
  }

  /**
   * Stops every resource that may be active here, one at a time, in the reverse
   * of the configuration's order (a group's last member first): for a leave that cannot wait for
   * the DC (shutdown-escalation passed, or no quorum). Unmanaged resources (maintenance-mode,
   * is-managed=false, maintenance=true) are left as they are, as the scheduler leaves them.
   * Returns the stops that failed.
   */
  async stopAll(): Promise<string[]> {
    // From now on nothing starts here: a transition the DC (this node, perhaps) still runs must
    // not start again what is being stopped, or leave it running once the agent has exited.
    this.stoppingAll = true;
    // What may run: by its history, because an operation on it (a start) is under way (its stop
    // is queued behind that operation), or because the previous agent process started it and
    // no probe has answered yet (started-resources.json).
    const active = stopAllOrder(this.cib, this.history, this.inFlight, this.ranWith, { now: this.epochSeconds() });
    const failures: string[] = [];
    for (const id of active) {
      const result = await this.operate(id, "stop", undefined, undefined, undefined, this.localParameters(id, "stop"));
      if (!result.ok) failures.push(`${id}: ${result.reason ?? "stop failed"}`);
    }
    return failures;
  }

  /**
   * One half of a live migration: migrate_to on the node the resource leaves, migrate_from on
   * the one it goes to, each told both nodes (OCF_RESKEY_CRM_meta_migrate_source/_target).
   * The monitors stop before a migrate_to (the resource is leaving) and start after a
   * successful migrate_from. Both are kept in the history under their own names with the two
   * nodes, beside the last operation, as Pacemaker keeps them: the DC reads from them a
   * migration left half-way.
   */
  private migrate(primitive: Primitive, operation: "migrate_to" | "migrate_from", migration: MigrationNodes | undefined, ran: Record<string, string> | undefined): Promise<{ ok: boolean; reason?: string }> {
    if (migration === undefined) return Promise.resolve({ ok: false, reason: `${operation} of ${primitive.id} names no source and target node` });
    const nodes = { migrate_source: migration.source, migrate_target: migration.target };
    const told = { ...primitive, meta: [{ id: `${primitive.id}-migration`, values: nodes }, ...primitive.meta] };
    return this.serialize(primitive.id, async (queueMs) => {
      if (operation === "migrate_to") this.stopMonitors(primitive.id);
      const outcome = await this.run(told, operation, 0, this.timeoutOf(primitive, operation, 0));
      this.record(primitive, operation, 0, outcome, queueMs, { ...nodes, ...digestAttributes(operation, 0, ran) });
      const result = operationResult(operation, outcome);
      if (result.ok && operation === "migrate_from") {
        this.ranWith.define(primitive, ran);
        this.startMonitors(primitive);
      }
      return result;
    });
  }

  /**
   * Forgets failures of one resource (or all) and probes it again. With `only`, just that
   * operation's failures, as crm_resource --cleanup --operation does: its fail counts go, the
   * last failure with the resource's last fail count, and the history of a resource that had
   * such a failure (so it is probed again); other resources and operations keep theirs.
   */
  cleanup(resource?: string, only?: { operation: string; intervalMs: number }): void {
    if (only !== undefined) {
      this.cleanupOperation(resource, only);
      return;
    }
    for (const key of Object.keys(this.attributes)) {
      if (isFailureAttribute(key, resource)) this.changeFailureAttribute(key, undefined);
    }
    for (const [key, failure] of this.failures) if (resource === undefined || failure.resource === resource) this.failures.delete(key);
    for (const id of resource === undefined ? [...this.history.keys()] : [resource]) this.forgetHistory(id);
    if (this.cib) this.configure(this.cib);
  }

  private cleanupOperation(resource: string | undefined, only: { operation: string; intervalMs: number }): void {
    const cleared = new Set<string>();
    for (const [key, failure] of this.failures) {
      if ((resource !== undefined && failure.resource !== resource) || failure.record.operation !== only.operation || failure.record.intervalMs !== only.intervalMs) continue;
      this.failures.delete(key);
      cleared.add(failure.resource);
    }
    for (const key of Object.keys(this.attributes)) {
      const match = /^fail-count-(.+)#(.+)_(\d+)$/.exec(key);
      if (!match || (resource !== undefined && match[1] !== resource) || match[2] !== only.operation || Number(match[3]) !== only.intervalMs) continue;
      this.changeFailureAttribute(key, undefined);
      cleared.add(match[1]!);
    }
    for (const id of cleared) {
      if (!Object.keys(this.attributes).some((key) => key.startsWith(`fail-count-${id}#`))) this.changeFailureAttribute(lastFailureKey(id), undefined);
      this.forgetHistory(id);
    }
    if (this.cib) this.configure(this.cib);
  }

  /** Forgets a resource's history here, so that it is probed again. */
  private forgetHistory(id: string): void {
    this.history.delete(id);
    this.probedDefinitions.delete(id);
    // A resource still configured is probed again; an orphan's definition is kept while it
    // may still run, so that it can still be stopped.
    if (this.primitive(id) !== undefined) this.ranWith.undefine(id);
    this.stopMonitors(id);
  }

  close(): void {
    this.closed = true;
    for (const id of this.recurring.keys()) this.stopMonitors(id);
    this.monitorTimer.close();
  }

  /** A clone instance's agent learns which instance it is and the clone's limits (OCF_RESKEY_CRM_meta_clone*). */
  private withCloneMeta(primitive: Primitive, instance: string): Primitive {
    const clone = this.cib?.resources.find((resource) => resource.kind === "clone" && (resource.child.id === primitive.id || (resource.child.kind === "group" && resource.child.members.some((member) => member.id === primitive.id))));
    const meta = clone && clone.kind === "clone" ? flattenSets(clone.meta) : {};
    const values: Record<string, string> = {
      // A notification names the clone, not always one instance of it.
      ...(instance.includes(":") ? { clone: instance.slice(instance.lastIndexOf(":") + 1) } : {}),
      clone_max: meta["clone-max"] ?? String(Math.max(1, this.cib?.nodes.length ?? 1)),
      clone_node_max: meta["clone-node-max"] ?? "1",
      globally_unique: meta["globally-unique"] ?? "false",
      notify: meta.notify ?? "false",
    };
    return { ...primitive, meta: [{ id: `${primitive.id}-clone-instance`, values }, ...primitive.meta] };
  }

  /**
   * True unless the last thing known of the resource here is that it is stopped (or it was never
   * found): an operation on it under way, a history that leaves it possibly active, or, with no
   * history yet, a definition it ran with (kept by this process or loaded from the previous one's
   * record and not probed yet).
   */
  private mayBeActive(id: string): boolean {
    const records = this.history.get(id);
    return mayBeActiveHere(this.inFlight.has(id), records === undefined ? undefined : lastRecord(records), this.ranWith.has(id));
  }

  /** Drops everything this node knows of a resource that is neither configured nor running here. */
  private forget(id: string): void {
    this.knownStopped.add(id);
    this.history.delete(id);
    this.ranWith.undefine(id);
    this.probedDefinitions.delete(id);
    this.stopMonitors(id);
    for (const key of [...this.failures.keys()]) if (this.failures.get(key)!.resource === id) this.failures.delete(key);
    for (const key of Object.keys(this.attributes)) if (isFailureAttribute(key, id)) this.changeFailureAttribute(key, undefined);
    this.notify();
  }

  /** Writes the record of what this node started to the state directory (durably: the next agent process reads it); false when it could not. */
  private saveStarted(text: string): boolean {
    if (this.startedFile === undefined) return true;
    try {
      writeStartedFile(this.startedFile, text);
      return true;
    } catch (error) {
      this.logger.error({ file: this.startedFile, error: (error as Error).message }, "cannot keep the record of the resources this node started: after a restart of the agent, one the configuration dropped meanwhile may run on unnoticed");
      return false;
    }
  }

  /** What the previous agent process started here: probed with the first configuration, stopped by the DC if orphaned. */
  private loadStarted(file: string): void {
    const read = readStartedFile(file);
    if ("problem" in read) {
      this.logger.error({ file, error: read.problem }, "cannot read the record of the resources this node started: one the configuration dropped while the agent was down may run on unnoticed");
      return;
    }
    // None yet: this node has started nothing since it was set up (or since the record began).
    if (read.text === undefined) return;
    const text = read.text;
    const loaded = this.ranWith.load(text);
    if ("problem" in loaded) {
      this.logger.error({ file, problem: loaded.problem }, "the record of the resources this node started is damaged: one the configuration dropped while the agent was down may run on unnoticed");
      return;
    }
    if (loaded.loaded.length > 0) this.logger.info({ resources: loaded.loaded }, "resources the previous agent process started here are probed again");
  }

  /**
   * The parameters this node resolves itself for an operation it runs without the DC (a stop of
   * everything): those of the configured resource, as the DC would send them. None for an
   * orphan, or a resource with no history here yet (definitionFor: it stops with what it ran with).
   */
  private localParameters(id: string, operation: string): Record<string, string> | undefined {
    const configured = this.primitive(id);
    if (configured === undefined || this.cib === undefined || !this.history.has(id)) return undefined;
    return localParameterResolver(this.cib, this.nodeName, this.attributes, Math.floor(this.epochSeconds()))(configured, operation);
  }

  private primitive(id: string): Primitive | undefined {
    return this.cib ? allPrimitives(this.cib).find((primitive) => primitive.id === id) : undefined;
  }

  private timeoutOf(primitive: Primitive, action: string, intervalMs: number): number {
    const op = primitive.operations.find((each) => each.name === action && each.intervalMs === intervalMs);
    const text = op?.timeout ?? (this.cib ? operationDefaults(this.cib, primitive, { name: action, intervalMs }, { now: Math.floor(this.epochSeconds()) }).timeout : undefined);
    if (text === undefined) return DEFAULT_TIMEOUT_MS;
    try {
      return parseDurationMs(text, "timeout");
    } catch {
      return DEFAULT_TIMEOUT_MS;
    }
  }

  /**
   * One operation at a time per resource, and at most PARALLEL_LIMIT at a time on the node;
   * the time an operation waited is kept as its queue time.
   */
  private serialize<T>(resource: string, work: (queueMs: number) => Promise<T>): Promise<T> {
    const queuedAt = monotonicMs();
    const limited = async (): Promise<T> => {
      await this.slot();
      try {
        return await work(monotonicMs() - queuedAt);
      } finally {
        this.release();
      }
    };
    const previous = this.chains.get(resource) ?? Promise.resolve();
    const next = previous.then(limited, limited);
    this.chains.set(resource, next.catch(() => undefined));
    return next;
  }

  private running = 0;
  private readonly waiting: Array<() => void> = [];

  private slot(): Promise<void> {
    if (this.running < PARALLEL_LIMIT) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(() => { this.running++; resolve(); }));
  }

  private release(): void {
    this.running--;
    this.waiting.shift()?.();
  }

  private record(primitive: Primitive, operation: string, intervalMs: number, outcome: ActionOutcome, queueMs = 0, extra: Record<string, string> = {}): void {
    const records = this.history.get(primitive.id) ?? new Map<string, OperationRecord>();
    this.history.set(primitive.id, records);
    // Migrations are kept under their own names (they matter on two nodes), the rest as the last operation.
    const key = recordKey(operation, intervalMs);
    const previous = records.get(key);
    // Recurring results are recorded only when they change, so the report stays quiet.
    if (intervalMs > 0 && previous?.rcCode === outcome.rc) return;
    const now = this.epochSeconds();
    const record = operationRecord(primitive.id, key, operation, intervalMs, ++this.callId, outcome, now, queueMs, extra);
    records.set(key, record);
    const failed = recordFailed(record);
    dropRecurringAfter(records, operation, intervalMs);
    // A probe expects either answer (running or not); anything else is a failure worth an alert.
    const targetRc = operation === "monitor" && intervalMs === 0 && (record.rcCode === 7 || record.rcCode === 0) ? record.rcCode : operation === "monitor" && record.rcCode === 8 ? 8 : 0;
    this.operationListener?.({ resource: primitive.id, operation, intervalMs, rc: record.rcCode, targetRc, timedOut: outcome.timedOut, reason: outcome.reason, durationMs: outcome.runTimeMs, queueMs, failed });
    if (failed) {
      this.failures.set(`${primitive.id}/${operation}_${intervalMs}`, { resource: primitive.id, record: { ...record, id: `${primitive.id}_last_failure_0` } });
      const countKey = failCountKey(primitive.id, operation, intervalMs);
      // A failed start bans the resource from this node when start-failure-is-fatal holds (the
      // default); otherwise it counts as one failure, like any other, toward migration-threshold.
      this.changeFailureAttribute(countKey, failCountAfter(this.cib, operation, this.attributes[countKey], { now }));
      this.changeFailureAttribute(lastFailureKey(primitive.id), String(now));
      // With a listener (the agent's operation log) the failure is logged there, rate-limited.
      if (!this.operationListener) this.logger.warn({ resource: primitive.id, operation, intervalMs, rc: record.rcCode, reason: outcome.reason }, "resource operation failed");
    }
    this.notify();
  }

  private startMonitors(primitive: Primitive): void {
    this.stopMonitors(primitive.id);
    const monitors = primitive.operations.filter((op) => op.name === "monitor" && op.intervalMs > 0 && (op.role === undefined || /^(started|unpromoted|slave)$/i.test(op.role)) && op.enabled !== "false");
    const list: Recurring[] = monitors.map((op) => ({ primitive, intervalMs: op.intervalMs, timeoutMs: this.timeoutOf(primitive, "monitor", op.intervalMs), dueMs: undefined, generation: 0 }));
    this.recurring.set(primitive.id, list);
    for (const monitor of list) this.schedule(monitor);
  }

  private schedule(monitor: Recurring): void {
    if (this.closed) return;
    monitor.dueMs = nextMonitorDueMs(monotonicMs(), monitor.intervalMs);
    this.armMonitorTimer();
  }

  /** Sets the one monitor timer to the earliest due monitor (kept when it is already that early). */
  private armMonitorTimer(): void {
    let earliest = Infinity;
    for (const list of this.recurring.values()) for (const monitor of list) if (monitor.dueMs !== undefined && monitor.dueMs < earliest) earliest = monitor.dueMs;
    if (earliest === this.monitorTimerAtMs && this.monitorTimerArmed) return;
    this.monitorTimerAtMs = earliest;
    this.monitorTimerArmed = earliest !== Infinity && !this.closed;
    if (this.monitorTimerArmed) this.monitorTimer.arm(Math.max(0, Math.ceil(earliest + this.monitorSlackMs - monotonicMs())));
    else this.monitorTimer.disarm();
  }

  private runDueMonitors(): void {
    // Not disarmed here: armMonitorTimer below moves it to the next monitor (in place, with the addon's).
    this.monitorTimerArmed = false;
    this.monitorTimerAtMs = Infinity;
    // The agent's stall check comes first (it may stop everything instead).
    if (this.mayRun !== undefined && !this.mayRun()) {
      this.monitorTimer.disarm();
      return;
    }
    const limitMs = monotonicMs() + MONITOR_BATCH_MS;
    for (const list of this.recurring.values()) for (const monitor of list) {
      if (monitor.dueMs === undefined || monitor.dueMs > limitMs) continue;
      monitor.dueMs = undefined;
      const { primitive, generation } = monitor;
      void this.serialize(primitive.id, async (queueMs) => {
        if (monitor.generation !== generation) return;
        const outcome = await this.run(primitive, "monitor", monitor.intervalMs, monitor.timeoutMs);
        if (monitor.generation !== generation) return;
        this.record(primitive, "monitor", monitor.intervalMs, outcome, queueMs);
        // After a failure the DC decides (recover, move); monitoring resumes with the next start.
        if (outcome.rc === 0 || outcome.rc === 8) this.schedule(monitor);
      });
    }
    this.armMonitorTimer();
  }

  private stopMonitors(id: string): void {
    for (const monitor of this.recurring.get(id) ?? []) {
      monitor.generation++;
      monitor.dueMs = undefined;
    }
    this.recurring.delete(id);
    this.armMonitorTimer();
  }

  private pending = false;
  private notify(): void {
    if (this.pending) return;
    this.pending = true;
    queueMicrotask(() => {
      this.pending = false;
      this.changed?.();
    });
  }
}

/** A definition whose parameters are exactly these (resolved elsewhere): one instance set, no rules. */
export function withParameters(primitive: Primitive, parameters: Record<string, string>): Primitive {
  return { ...primitive, instance: [{ id: `${primitive.id}-resolved-parameters`, values: { ...parameters } }] };
}

export function allPrimitives(cib: Cib): Primitive[] {
  return cib.resources.flatMap((resource) => {
    if (resource.kind === "primitive") return [resource];
    if (resource.kind === "group") return resource.members;
    return resource.child.kind === "group" ? resource.child.members : [resource.child];
  });
}
