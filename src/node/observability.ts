// What the agent does for observability, in one place: counters for the metrics, the metrics
// and status page listener, alert agents for node, resource, fencing and attribute events on
// this node, this node's operation log lines (repeated errors rate-limited), the flight
// recorder, and this node's part of a support report. The agent calls the on* hooks; none
// of them blocks it (alerts are child processes, recorder writes are deferred).
import path from "node:path";
import type { Logger } from "../common/log";
import { flattenSets, type Cib } from "../cib";
import { Histogram } from "../common/histogram";
import { RepeatLimiter } from "../common/rate-limit";
import type { LogRing } from "../common/log-ring";
import { rememberedSecrets } from "../common/secret-values";
import { DURATION_BOUNDS_SECONDS, EVENT_LOOP_BOUNDS_SECONDS, renderMetrics, renderStatusPage, startMetricsServer, type AgentCounters, type MetricsServer, type MetricsSnapshot, type StatusPageView } from "../api";
import { AlertRunner } from "./alerts";
import { EXEC_STATUS } from "./alert-format";
import { ocfExitName } from "../executor";
import { InputRecorder, type DurableWriter, type RecordedInput } from "./recorder";
import { collectLocalPart, localVersions, type ReportPart } from "./report";
import { RECORDER_DIRECTORY } from "./observability-paths";

/** One operation result on this node, as the executor recorded it. */
export interface OperationEvent {
  resource: string;
  operation: string;
  intervalMs: number;
  rc: number;
  /** The result expected for success (7 for a probe of something that should not run, else 0). */
  targetRc: number;
  timedOut: boolean;
  reason?: string;
  durationMs: number;
  queueMs: number;
  failed: boolean;
}

export interface ObservabilityOptions {
  clusterName: string;
  node: { name: string; id: number };
  nodes: ReadonlyArray<{ name: string; id: number; links: readonly string[] }>;
  stateDir: string;
  version: string;
  logger: Logger;
  ring?: LogRing;
  write: DurableWriter;
  alertRunner?: AlertRunner;
  nowMs?: () => number;
}

const TRANSITIONS_KEPT = 20;

export class Observability {
  readonly counters: AgentCounters;
  readonly alerts: AlertRunner;
  readonly recorder: InputRecorder;
  private readonly repeats = new RepeatLimiter(60_000);
  private members = new Set<number>();
  private metricsServer: MetricsServer | undefined;
  private lastLostAtSeconds: number | undefined;
  /** This node's permanent attributes in the configuration in force (undefined before the first). */
  private permanentAttributes: Record<string, string> | undefined;
  private readonly nowMs: () => number;

  constructor(private readonly options: ObservabilityOptions) {
    this.nowMs = options.nowMs ?? Date.now;
    this.alerts = options.alertRunner ?? new AlertRunner(options.logger);
    this.recorder = new InputRecorder(path.join(options.stateDir, RECORDER_DIRECTORY), options.write);
    this.counters = {
      viewChanges: 0, roundTripSeconds: [],
      transitions: { completed: 0, failed: 0, duration: new Histogram(DURATION_BOUNDS_SECONDS) },
      fences: { succeeded: 0, failed: 0, duration: new Histogram(DURATION_BOUNDS_SECONDS) },
      lastFailover: undefined, eventLoopDelay: new Histogram(EVENT_LOOP_BOUNDS_SECONDS), eventLoopPauses: 0,
      get alerts() { return alertCounters(); }, startedAtSeconds: Math.floor(this.nowMs() / 1000),
    } as AgentCounters;
    const alertCounters = () => this.alerts.counters;
  }

  /**
   * The configuration in force changed: the alerts it names apply from now on, and each
   * permanent attribute of this node that changed (`node standby`, `node attribute`) is an
   * attribute alert here. Pacemaker's attrd alerts on the transient attributes it writes
   * only; edgeha's `node standby` writes the permanent one, so it alerts on those too.
   */
  onConfiguration(cib: Cib): void {
    this.alerts.configure(cib.alerts ?? []);
    const permanent = flattenSets(cib.nodes.find((each) => each.uname === this.options.node.name)?.instance ?? []);
    const before = this.permanentAttributes;
    this.permanentAttributes = permanent;
    if (before === undefined) return;
    for (const name of new Set([...Object.keys(before), ...Object.keys(permanent)])) {
      if (before[name] !== permanent[name]) this.onAttribute(name, permanent[name]);
    }
  }

  /** A new membership view: every node that joined or left is a node alert on this node. */
  onView(members: readonly number[], first: boolean): void {
    this.counters.viewChanges++;
    const next = new Set(members);
    if (!first) {
      for (const node of this.options.nodes) {
        const was = this.members.has(node.id);
        const is = next.has(node.id);
        if (was === is) continue;
        if (!is) this.lastLostAtSeconds = this.nowMs() / 1000;
        this.alerts.emit({ kind: "node", node: node.name, nodeId: node.id, state: is ? "member" : "lost" });
      }
    }
    this.members = next;
  }

  /**
   * An operation ended on this node: one log line on this node, as Pacemaker's controller logs
   * "Result of start operation for vip on node1: ok" (with rc, exit reason and duration; a
   * failure at level warn, repeats of the same failure held back for a minute and counted),
   * and a resource alert.
   */
  onOperation(event: OperationEvent): void {
    const durationMs = Math.round(event.durationMs);
    const fields = { resource: event.resource, operation: event.operation, intervalMs: event.intervalMs, rc: event.rc, reason: event.reason, durationMs, queueMs: Math.round(event.queueMs), node: this.options.node.name };
    const task = event.operation === "monitor" && event.intervalMs === 0 ? "probe" : event.operation;
    const result = `${event.timedOut ? "timed out" : ocfExitName(event.rc)} (rc ${event.rc}, ${durationMs} ms${event.reason ? `, exit reason '${event.reason}'` : ""})`;
    const line = `Result of ${task}${event.intervalMs ? ` (interval ${event.intervalMs} ms)` : ""} operation for ${event.resource} on ${this.options.node.name}: ${result}`;
    if (!event.failed) this.options.logger.info(fields, line);
    else {
      const admitted = this.repeats.admit(`${event.resource}\u0000${event.operation}\u0000${event.intervalMs}\u0000${event.rc}\u0000${event.reason ?? ""}`, this.nowMs());
      if (admitted.log) this.options.logger.warn({ ...fields, repeatedSinceLastLog: admitted.suppressed }, `${line}${admitted.suppressed ? `; the same failure happened ${admitted.suppressed} more times since it was last logged` : ""}`);
    }
    this.alerts.emit({
      kind: "resource", node: this.options.node.name, resource: event.resource, task: event.operation, intervalMs: event.intervalMs, rc: event.rc, targetRc: event.targetRc,
      status: event.timedOut ? EXEC_STATUS.timeout : EXEC_STATUS.done, execTimeMs: event.durationMs,
    });
  }

  /** This node fenced another (or failed to): a fencing alert here, and the fence counters. */
  onFence(result: { target: string; action: string; ok: boolean; reason: string; durationMs: number; by: string }): void {
    if (result.ok) this.counters.fences.succeeded++;
    else this.counters.fences.failed++;
    this.counters.fences.duration.observe(result.durationMs / 1000);
    const rc = result.ok ? 0 : 1;
    this.alerts.emit({ kind: "fencing", target: result.target, task: result.action, rc, desc: `Operation ${result.action} of ${result.target} by ${result.by} for edgeha@${this.options.node.name}: ${result.ok ? "OK" : `Error (${result.reason})`}` });
  }

  /** A node attribute of this node changed (node facts aside: they change all the time). */
  onAttribute(name: string, value: string | undefined): void {
    this.alerts.emit({ kind: "attribute", node: this.options.node.name, nodeId: this.options.node.id, name, value: value ?? "" });
  }

  /** A transition of this DC ended: its duration; a transition after a node loss that started something is a failover. */
  onTransitionEnd(transition: { ok: boolean; durationMs: number; started: number }): void {
    if (transition.ok) this.counters.transitions.completed++;
    else this.counters.transitions.failed++;
    this.counters.transitions.duration.observe(transition.durationMs / 1000);
    const lost = this.lastLostAtSeconds;
    if (lost !== undefined && transition.started > 0) {
      const now = this.nowMs() / 1000;
      this.counters.lastFailover = { atSeconds: Math.floor(lost), durationSeconds: Math.round((now - lost) * 1000) / 1000 };
      this.lastLostAtSeconds = undefined;
    }
  }

  /** The scheduler input of a transition this DC planned; written after the current wake-up. */
  recordInput(record: RecordedInput, done?: (file: string | undefined) => void): void {
    setImmediate(() => {
      try {
        done?.(this.recorder.save(record));
      } catch (error) {
        this.options.logger.warn({ error: String(error) }, "cannot record the scheduler input");
        done?.(undefined);
      }
    });
  }

  /** How late a timer fired: the event loop's delay. */
  onTimerLateness(lateMs: number): void {
    this.counters.eventLoopDelay.observe(Math.max(0, lateMs) / 1000);
  }

  /** Starts (or moves, or stops) the metrics and status page listener. */
  async reconfigure(listen: { host: string; port: number } | undefined, snapshot: () => MetricsSnapshot, page: () => StatusPageView): Promise<void> {
    if (this.metricsServer) {
      await this.metricsServer.close();
      this.metricsServer = undefined;
    }
    if (!listen) return;
    this.metricsServer = await startMetricsServer(listen, { metrics: () => renderMetrics(snapshot()), page: () => renderStatusPage(page()) });
    this.options.logger.info({ listen: `${listen.host}:${this.metricsServer.address.port}` }, "serving /metrics and the status page");
  }

  get metricsAddress(): { host: string; port: number } | undefined {
    return this.metricsServer?.address;
  }

  /** This node's part of a support report. */
  reportPart(fromSeconds: number, cib: Cib, status: unknown): ReportPart {
    return collectLocalPart({
      node: this.options.node.name, stateDir: this.options.stateDir, fromSeconds, cib, status,
      logLines: this.options.ring?.snapshot() ?? [], versions: localVersions(this.options.version), runtimeSecrets: rememberedSecrets(),
    });
  }

  async close(): Promise<void> {
    this.alerts.close();
    await this.metricsServer?.close();
  }
}

export { TRANSITIONS_KEPT };
