// The simulated executor of one agent process: what src/node/local-resources.ts does with
// real agents (probes, operations one at a time per resource, recurring monitors, the
// operation history, fail counts and the node's report), over simulated resource agents
// that start, stop, fail, hang or time out as the seed says. The rules both keep (which
// definition an operation runs with, what a stop of everything refuses and stops, what may
// still be active, how a result is recorded, the report) are the agent's own, shared in
// src/executor/resource-rules.ts. The world's truth (what really runs where) is kept by the
// world; agents change it, monitors and probes read it.
import { allPrimitives, formatVersion, parseDurationMs, type Cib, type OperationRecord, type Primitive } from "../cib";
import type { NodeReport } from "../controller";
import { DEFAULT_TIMEOUT_MS, KnownStopped, RanWith, definitionFor, definitionOf, digestAttributes, dropRecurringAfter, failCountAfter, failCountKey, isFailureAttribute, lastFailureKey, lastRecord, mayBeActiveHere, operationRecord, operationResult, recordFailed, probedAsRan, recordKey, refusedWhileStoppingAll, reportedFailures, reportedResources, stopAllOrder } from "../executor/resource-rules";
import { localParameterResolver, operationDefaults } from "../scheduler";

export type Operation = "start" | "stop" | "promote" | "demote" | "notify";

/** How this node's resource agents misbehave (probabilities per operation). */
export interface AgentFaults { startFails: number; stopFails: number; hangs: number }

/** What an executor needs from the world it runs in. */
export interface ExecutorHost {
  /** The node's wall clock, seconds (operation records carry it). */
  epochSeconds(): number;
  /** The node's monotonic clock. */
  localMs(): number;
  /** Runs `work` after delayMs of the node's time, if this agent process still lives then (later if it is stalled). */
  later(delayMs: number, work: () => void): void;
  /** A draw in [0, 1) from the seed. */
  random(): number;
  faults(): AgentFaults;
  /** The world's truth: does the resource really run on this node? */
  active(resource: string): boolean;
  /** An agent started (true) or stopped (false) the resource for real; `starting` marks a start that began. */
  setActive(resource: string, active: boolean, why: "start-began" | "start-ended" | "stop-ended"): void;
  /** A probe or monitor read the truth: the node now knows (and will report) whether it runs. */
  observed(resource: string, running: boolean): void;
  /** The report changed (called once per burst, after the change). */
  changed(): void;
  /** The simulated agent really failed or hung a stop (the seed said so): a reason to fence the node. */
  stopFailed(resource: string): void;
  /** For the trace and the counters. */
  note(event: string): void;
  /** An operation's failure was recorded (a fail count and a failed operation the operator sees in the status). */
  operationFailed(resource: string): void;
  /** Stores the record of what this node started (src/executor/started.ts) in the node's state directory, durably. */
  saveStarted(text: string): void;
}

interface Job { run: (finish: () => void) => void }

interface Monitor { primitive: Primitive; intervalMs: number; timeoutMs: number; generation: number }

export class SimExecutor {
  private cib: Cib | undefined;
  /** Forgotten once known stopped: a late stop of one succeeds (KnownStopped). */
  private readonly knownStopped = new KnownStopped();
  private readonly history = new Map<string, Map<string, OperationRecord>>();
  private readonly attributes: Record<string, string> = {};
  private readonly failures = new Map<string, { resource: string; record: OperationRecord }>();
  private readonly queues = new Map<string, Job[]>();
  private readonly busyResources = new Set<string>();
  private readonly monitors = new Map<string, Monitor[]>();
  private readonly probedDefinitions = new Map<string, string>();
  /** The definition each resource here last ran with and its record on the node's disk (RanWith, as LocalResources keeps them). */
  private readonly ranWith: RanWith;
  /** Operations the DC asked for that are queued or running, by resource: such a resource may be active whatever its history says yet. */
  private readonly inFlight = new Map<string, number>();
  private readonly devicesStarted = new Set<string>();
  /** Set by stopAll (the stall's exit): nothing starts here any more. */
  private stoppingAll = false;
  private probedVersion = "";
  private probing = false;
  private configureGeneration = 0;
  private dcOperations = 0;
  private callId = 0;
  private notifyPending = false;
  /** Operations run (start, stop, notify, promote, demote), for the counters. */
  actions = 0;

  /** `startedText`: the record of what this node started that the previous agent process left (src/executor/started.ts), as LocalResources reads it. */
  constructor(private readonly nodeName: string, private readonly host: ExecutorHost, startedText?: string) {
    this.ranWith = new RanWith((text) => {
      host.saveStarted(text);
      return true;
    });
    if (startedText === undefined) return;
    const loaded = this.ranWith.load(startedText);
    if ("problem" in loaded) throw new Error(`the simulated disk holds a damaged record of started resources: ${loaded.problem}`);
  }

  report(): NodeReport {
    const resources = reportedResources(this.history, (id) => this.primitive(id) ?? this.ranWith.get(id));
    return {
      node: this.nodeName, probed: !this.probing && this.probedVersion !== "", cibVersion: this.probedVersion, busy: this.dcOperations > 0,
      resources, attributes: { ...this.attributes }, shutdown: false,
      failures: reportedFailures(this.failures.values()),
    };
  }

  /** A new configuration is in force: probe whatever is new or changed, then report. */
  configure(cib: Cib): void {
    this.cib = cib;
    const version = formatVersion(cib.version);
    for (const id of [...this.history.keys()]) if (this.primitive(id) === undefined && !this.mayBeActive(id)) this.forget(id);
    const generation = ++this.configureGeneration;
    this.probing = true;
    // Orphans cleaned up meanwhile are probed too, with the definition they last ran with.
    const orphans = [...this.ranWith.values()].filter((primitive) => this.primitive(primitive.id) === undefined && !this.history.has(primitive.id));
    const primitives = [...allPrimitives(cib.resources), ...orphans].filter((primitive) => this.probedDefinitions.get(primitive.id) !== definitionOf(primitive));
    // A configured resource's probe runs with its parameters resolved for this node, as the agent's (an orphan's: those it ran with).
    const resolve = localParameterResolver(cib, this.nodeName, this.attributes, Math.floor(this.host.epochSeconds()));
    const resolvedFor = new Map(allPrimitives(cib.resources).map((primitive) => [primitive, resolve(primitive, "monitor")]));
    let pending = primitives.length;
    const finished = () => {
      if (--pending > 0 || generation !== this.configureGeneration) return;
      this.probing = false;
      this.probedVersion = version;
      this.notify();
    };
    if (primitives.length === 0) {
      pending = 1;
      this.host.later(0, finished);
      return;
    }
    for (const primitive of primitives) {
      this.serialize(primitive.id, (finish) => {
        const history = this.history.get(primitive.id);
        // A configured resource this node ran and may still run is probed as it runs (probedAsRan, as the agent's probe).
        const asRan = probedAsRan(this.primitive(primitive.id) !== undefined, this.ranWith.get(primitive.id), history === undefined ? undefined : lastRecord(history));
        this.host.later(this.duration(2, 40), () => {
          const running = this.isRunning(primitive);
          this.probedDefinitions.set(primitive.id, definitionOf(primitive));
          const ranHere = asRan !== undefined && running;
          const parameters = resolvedFor.get(primitive);
          if (running && !ranHere && parameters !== undefined) this.ranWith.define(primitive, parameters);
          this.record(primitive, "monitor", 0, { rc: running ? 0 : 7, timedOut: false, runTimeMs: 0 }, digestAttributes("monitor", 0, ranHere ? this.ranWith.parameters(primitive.id) : parameters));
          if (running) this.startMonitors(primitive);
          if (!running && this.primitive(primitive.id) === undefined) this.forget(primitive.id);
          finish();
          finished();
        });
      });
    }
  }

  /**
   * Runs an operation the DC asked for; `done` gets its result. `parameters`: those the DC
   * resolved for this node; the record's op-digest is theirs (none without them), as the agent's.
   */
  operate(instance: string, operation: Operation, done: (result: { ok: boolean; reason?: string }) => void, parameters?: Record<string, string>): void {
    const resource = instance.replace(/:\d+$/, "");
    // An orphan is stopped (or demoted, or told) with the definition it last ran with; never started from it.
    // A stop of one this node forgot once it knew it stopped finds nothing to stop.
    const chosen = definitionFor(resource, operation, { configured: this.primitive(resource), lastDefinition: this.ranWith.get(resource), hasHistory: this.history.has(resource), forgottenStopped: this.knownStopped.has(resource) });
    // While everything stops (the stall's exit), nothing starts here any more.
    const refused = "answer" in chosen || !this.stoppingAll ? undefined : refusedWhileStoppingAll(resource, operation, false);
    if ("answer" in chosen || refused !== undefined) {
      const answer = "answer" in chosen ? chosen.answer : { ok: false, reason: refused };
      // Even an answer given at once takes the agent a moment (a millisecond here): time moves on.
      this.host.later(1, () => done(answer));
      return;
    }
    const primitive = chosen.primitive;
    this.dcOperations++;
    this.actions++;
    // Until it ends, the resource is not forgotten (a deletion that arrives while its start runs).
    this.inFlight.set(resource, (this.inFlight.get(resource) ?? 0) + 1);
    this.serialize(resource, (finish) => {
      if (operation === "stop") this.stopMonitors(resource);
      const timeoutMs = this.timeoutOf(primitive, operation, 0);
      const outcome = this.outcome(primitive, operation, timeoutMs);
      if (operation === "start") {
        // Kept (on disk too) before the agent runs: a start cut short by a crash is probed by the next agent process.
        this.ranWith.define(primitive, parameters);
        this.setActive(primitive, true, "start-began");
      }
      this.host.note(`${operation} ${resource}${outcome.timedOut ? " (hangs)" : outcome.rc === 0 ? "" : " (fails)"}`);
      this.host.later(outcome.runTimeMs, () => {
        if (operation === "start") this.setActive(primitive, outcome.runsAfter, "start-ended");
        if (operation === "stop" && !outcome.runsAfter) this.setActive(primitive, false, "stop-ended");
        this.record(primitive, operation, 0, outcome, digestAttributes(operation, 0, parameters));
        const result = operationResult(operation, outcome);
        const ok = result.ok;
        if (ok && operation === "start") this.startMonitors(primitive);
        // An orphan that stopped is gone from this node: its history goes with it.
        if (ok && operation === "stop" && this.primitive(resource) === undefined) this.forget(resource);
        finish();
        this.dcOperations--;
        const left = (this.inFlight.get(resource) ?? 1) - 1;
        if (left > 0) this.inFlight.set(resource, left);
        else this.inFlight.delete(resource);
        this.notify();
        done(result);
      });
    });
  }

  /**
   * Stops everything that may run here, the configuration's last resource first (what the agent
   * does after a stall as long as the token, LocalResources.stopAll); `done` gets the failures.
   */
  stopAll(done: (failures: string[]) => void): void {
    // From now on nothing starts here; what is being started is stopped after its start.
    this.stoppingAll = true;
    const active = stopAllOrder(this.cib, this.history, this.inFlight, this.ranWith, { now: this.host.epochSeconds() });
    const failures: string[] = [];
    const next = (index: number): void => {
      if (index === active.length) return done(failures);
      this.operate(active[index]!, "stop", (result) => {
        if (!result.ok) failures.push(`${active[index]}: ${result.reason ?? "stop failed"}`);
        next(index + 1);
      });
    };
    next(0);
  }

  /** Forgets failures of one resource (or all) and probes it again. */
  cleanup(resource?: string): void {
    for (const key of Object.keys(this.attributes)) {
      if (isFailureAttribute(key, resource)) delete this.attributes[key];
    }
    for (const [key, failure] of this.failures) if (resource === undefined || failure.resource === resource) this.failures.delete(key);
    for (const id of resource === undefined ? [...this.history.keys()] : [resource]) {
      this.history.delete(id);
      this.probedDefinitions.delete(id);
      // A resource still configured is probed again; an orphan's definition is kept while it may still run.
      if (this.primitive(id) !== undefined) this.ranWith.undefine(id);
      this.stopMonitors(id);
    }
    if (this.cib) this.configure(this.cib);
  }

  /** The simulated agent's outcome, as the seed says: success, failure, or a hang until the timeout. */
  private outcome(primitive: Primitive, operation: Operation, timeoutMs: number): { rc: number; timedOut: boolean; runTimeMs: number; reason?: string; runsAfter: boolean } {
    const running = this.isRunning(primitive);
    if (primitive.class === "stonith") {
      if (operation === "start") this.devicesStarted.add(primitive.id);
      if (operation === "stop") this.devicesStarted.delete(primitive.id);
      return { rc: 0, timedOut: false, runTimeMs: this.duration(1, 20), runsAfter: operation === "start" || (operation !== "stop" && running) };
    }
    const faults = this.host.faults();
    const random = this.host.random();
    if (operation === "start" || operation === "stop") {
      if (random < faults.hangs + (operation === "stop" ? faults.stopFails : 0) && operation === "stop") this.host.stopFailed(primitive.id);
      if (random < faults.hangs) {
        // A hung agent is killed at its timeout; what it left behind is a coin toss.
        return { rc: 1, timedOut: true, runTimeMs: timeoutMs, reason: `${operation} timed out after ${timeoutMs} ms`, runsAfter: operation === "start" ? this.host.random() < 0.5 : true };
      }
      const fails = operation === "start" ? faults.startFails : faults.stopFails;
      if (random < faults.hangs + fails) {
        return { rc: 1, timedOut: false, runTimeMs: this.duration(5, 150), reason: `${operation} failed (simulated agent error)`, runsAfter: operation === "start" ? this.host.random() < 0.3 : true };
      }
      return { rc: 0, timedOut: false, runTimeMs: this.duration(5, 200), runsAfter: operation === "start" };
    }
    return { rc: 0, timedOut: false, runTimeMs: this.duration(1, 30), runsAfter: running };
  }

  private isRunning(primitive: Primitive): boolean {
    return primitive.class === "stonith" ? this.devicesStarted.has(primitive.id) : this.host.active(primitive.id);
  }

  private setActive(primitive: Primitive, active: boolean, why: "start-began" | "start-ended" | "stop-ended"): void {
    if (primitive.class !== "stonith") this.host.setActive(primitive.id, active, why);
  }

  private duration(lowMs: number, highMs: number): number {
    return lowMs + Math.floor(this.host.random() * (highMs - lowMs + 1));
  }

  /** True unless the last thing known of the resource here is that it is stopped (or was never found). */
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
    for (const [key, failure] of [...this.failures]) if (failure.resource === id) this.failures.delete(key);
    for (const key of Object.keys(this.attributes)) if (isFailureAttribute(key, id)) delete this.attributes[key];
    this.notify();
  }

  private primitive(id: string): Primitive | undefined {
    return this.cib ? allPrimitives(this.cib.resources).find((primitive) => primitive.id === id) : undefined;
  }

  private timeoutOf(primitive: Primitive, action: string, intervalMs: number): number {
    const op = primitive.operations.find((each) => each.name === action && each.intervalMs === intervalMs);
    const text = op?.timeout ?? (this.cib ? operationDefaults(this.cib, primitive, { name: action, intervalMs }, { now: Math.floor(this.host.epochSeconds()) }).timeout : undefined);
    if (text === undefined) return DEFAULT_TIMEOUT_MS;
    try {
      return parseDurationMs(text, "timeout");
    } catch {
      return DEFAULT_TIMEOUT_MS;
    }
  }

  /** One operation at a time per resource, in the order asked. */
  private serialize(resource: string, run: Job["run"]): void {
    const queue = this.queues.get(resource) ?? [];
    this.queues.set(resource, queue);
    queue.push({ run });
    if (!this.busyResources.has(resource)) this.next(resource);
  }

  private next(resource: string): void {
    const job = this.queues.get(resource)?.shift();
    if (job === undefined) {
      this.busyResources.delete(resource);
      return;
    }
    this.busyResources.add(resource);
    job.run(() => this.next(resource));
  }

  private record(primitive: Primitive, operation: string, intervalMs: number, outcome: { rc: number; timedOut: boolean; runTimeMs: number; reason?: string }, extra: Record<string, string> = {}): void {
    if (operation === "monitor") this.host.observed(primitive.id, outcome.rc === 0);
    if (operation === "stop" && (outcome.rc === 0 || outcome.rc === 7)) this.host.observed(primitive.id, false);
    const records = this.history.get(primitive.id) ?? new Map<string, OperationRecord>();
    this.history.set(primitive.id, records);
    const key = recordKey(operation, intervalMs);
    const previous = records.get(key);
    // Recurring results are recorded only when they change, so the report stays quiet.
    if (intervalMs > 0 && previous?.rcCode === outcome.rc) return;
    const now = this.host.epochSeconds();
    const record = operationRecord(primitive.id, key, operation, intervalMs, ++this.callId, outcome, now, 0, extra);
    records.set(key, record);
    const failed = recordFailed(record);
    dropRecurringAfter(records, operation, intervalMs);
    if (failed) {
      this.failures.set(`${primitive.id}/${operation}_${intervalMs}`, { resource: primitive.id, record: { ...record, id: `${primitive.id}_last_failure_0` } });
      const countKey = failCountKey(primitive.id, operation, intervalMs);
      this.attributes[countKey] = failCountAfter(this.cib, operation, this.attributes[countKey], { now });
      this.attributes[lastFailureKey(primitive.id)] = String(now);
      this.host.note(`${intervalMs > 0 ? "recurring monitor" : operation} of ${primitive.id} failed (rc ${record.rcCode})`);
      this.host.operationFailed(primitive.id);
    }
    this.notify();
  }

  private startMonitors(primitive: Primitive): void {
    this.stopMonitors(primitive.id);
    const list: Monitor[] = primitive.operations
      .filter((op) => op.name === "monitor" && op.intervalMs > 0 && (op.role === undefined || /^(started|unpromoted|slave)$/i.test(op.role)) && op.enabled !== "false")
      .map((op) => ({ primitive, intervalMs: op.intervalMs, timeoutMs: this.timeoutOf(primitive, "monitor", op.intervalMs), generation: 0 }));
    this.monitors.set(primitive.id, list);
    for (const monitor of list) this.scheduleMonitor(monitor);
  }

  private scheduleMonitor(monitor: Monitor): void {
    const nowMs = this.host.localMs();
    const dueMs = Math.ceil((nowMs + monitor.intervalMs / 2) / monitor.intervalMs) * monitor.intervalMs;
    const generation = monitor.generation;
    this.host.later(dueMs - nowMs, () => {
      if (monitor.generation !== generation) return;
      this.serialize(monitor.primitive.id, (finish) => {
        if (monitor.generation !== generation) return finish();
        this.host.later(this.duration(1, 20), () => {
          finish();
          if (monitor.generation !== generation) return;
          const running = this.isRunning(monitor.primitive);
          this.record(monitor.primitive, "monitor", monitor.intervalMs, { rc: running ? 0 : 7, timedOut: false, runTimeMs: 1 });
          // After a failure the DC decides (recover, move); monitoring resumes with the next start.
          if (running) this.scheduleMonitor(monitor);
        });
      });
    });
  }

  private stopMonitors(id: string): void {
    for (const monitor of this.monitors.get(id) ?? []) monitor.generation++;
    this.monitors.delete(id);
  }

  private notify(): void {
    if (this.notifyPending) return;
    this.notifyPending = true;
    this.host.later(0, () => {
      this.notifyPending = false;
      this.host.changed();
    });
  }
}
