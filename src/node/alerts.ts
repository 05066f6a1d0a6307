// Runs alert agents (Pacemaker's <alerts>) on this node: each event becomes one run per
// selected alert and recipient (alert-format.ts); runs for one recipient go one after the
// other, in event order; recipients run side by side. Nothing here blocks the agent: runs are
// child processes in their own process group, ended at the alert's timeout. Bounded: at most
// QUEUED_PER_RECIPIENT_MAX runs wait per recipient (the oldest is dropped, and counted, when
// more come) and at most RUNNING_MAX processes run at once.
import type { Logger } from "../common/log";
import type { Alert } from "../cib";
import { runProcess, type ProcessResult } from "../executor";
import { alertRuns, type AlertEvent, type AlertRun } from "./alert-format";

export const QUEUED_PER_RECIPIENT_MAX = 32;
export const RUNNING_MAX = 8;
const OUTPUT_LOGGED_MAX = 512;

export type AlertProcessRunner = (file: string, env: Record<string, string>, timeoutMs: number) => Promise<ProcessResult>;

export interface AlertCounters { sent: number; failed: number; dropped: number }

export class AlertRunner {
  private alerts: readonly Alert[] = [];
  private sequence = 0;
  private running = 0;
  private closed = false;
  private readonly queues = new Map<string, { runs: AlertRun[]; busy: boolean }>();
  /** Recipients with runs waiting for a free process slot, in the order they asked. */
  private readonly waiting: string[] = [];
  readonly counters: AlertCounters = { sent: 0, failed: 0, dropped: 0 };

  constructor(
    private readonly logger: Logger,
    private readonly run: AlertProcessRunner = (file, env, timeoutMs) => runProcess({ family: "alert-agent", path: file }, [], { env, timeoutMs }),
    private readonly nowMicroseconds: () => number = () => Math.floor((performance.timeOrigin + performance.now()) * 1000),
    private readonly baseEnv: Record<string, string> = pickEnvironment(process.env),
  ) {}

  /** The alerts of the configuration in force (a new CIB replaces them). */
  configure(alerts: readonly Alert[]): void {
    this.alerts = alerts;
  }

  get configured(): number {
    return this.alerts.length;
  }

  /** An event on this node: queues its runs and returns at once. */
  emit(event: AlertEvent): void {
    if (this.closed || this.alerts.length === 0) return;
    const runs = alertRuns(this.alerts, event, ++this.sequence, this.nowMicroseconds());
    for (const run of runs) this.enqueue(run);
  }

  /** Resolves once every queued run has ended (tests, graceful stop). */
  async drain(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((this.running > 0 || [...this.queues.values()].some((queue) => queue.runs.length > 0)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  }

  close(): void {
    this.closed = true;
    this.queues.clear();
    this.waiting.length = 0;
  }

  private enqueue(run: AlertRun): void {
    const key = `${run.alertId}\u0000${run.recipientId}`;
    let queue = this.queues.get(key);
    if (!queue) this.queues.set(key, (queue = { runs: [], busy: false }));
    if (queue.runs.length >= QUEUED_PER_RECIPIENT_MAX) {
      queue.runs.shift();
      this.counters.dropped++;
      this.logger.warn({ alert: run.alertId, recipient: run.recipientId, queued: QUEUED_PER_RECIPIENT_MAX }, "alert agent falls behind; the oldest waiting alert was dropped");
    }
    queue.runs.push(run);
    this.pump(key);
  }

  private pump(key: string): void {
    const queue = this.queues.get(key);
    if (!queue || queue.busy || queue.runs.length === 0 || this.closed) return;
    if (this.running >= RUNNING_MAX) {
      if (!this.waiting.includes(key)) this.waiting.push(key);
      return;
    }
    const run = queue.runs.shift()!;
    queue.busy = true;
    this.running++;
    void this.run(run.path, { ...this.baseEnv, ...run.env }, run.timeoutMs).then(
      (result) => this.finished(run, result),
      (error: unknown) => this.finished(run, { exitCode: 127, signal: undefined, timedOut: false, stdout: "", stderr: String(error), runTimeMs: 0 }),
    ).finally(() => {
      queue.busy = false;
      this.running--;
      this.pump(key);
      const next = this.waiting.shift();
      if (next !== undefined) this.pump(next);
    });
  }

  private finished(run: AlertRun, result: ProcessResult): void {
    const fields = { alert: run.alertId, recipient: run.recipientId, kind: run.env.CRM_alert_kind, sequence: Number(run.env.CRM_alert_node_sequence), durationMs: Math.round(result.runTimeMs) };
    if (result.exitCode === 0 && !result.timedOut) {
      this.counters.sent++;
      this.logger.debug(fields, "alert agent ran");
      return;
    }
    this.counters.failed++;
    const output = `${result.stdout}${result.stderr}`.trim().slice(0, OUTPUT_LOGGED_MAX);
    this.logger.warn({ ...fields, rc: result.exitCode, signal: result.signal, timedOut: result.timedOut, output }, result.timedOut ? `alert agent ${run.path} timed out after ${run.timeoutMs} ms` : `alert agent ${run.path} failed`);
  }
}

/** The agent's environment an alert agent needs (search path, locale, time zone), nothing more. */
function pickEnvironment(env: NodeJS.ProcessEnv): Record<string, string> {
  const picked: Record<string, string> = { PATH: env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin" };
  for (const name of ["LANG", "LC_ALL", "TZ", "HOME"]) if (env[name] !== undefined) picked[name] = env[name]!;
  return picked;
}

export type { AlertEvent } from "./alert-format";
