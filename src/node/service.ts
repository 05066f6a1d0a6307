// The agent as a service: what `edgeha agent` does around the agent itself. Under systemd it
// says READY=1 once the node has joined (or knows it is alone), keeps STATUS= current, pings
// the watchdog while heartbeats go out, and says STOPPING=1 when it leaves. SIGTERM and SIGINT
// start a clean leave (as `edgeha node stop`); a second one is logged and changes nothing.
// Status and health are read on the watchdog's timer (every quarter of WatchdogSec), which
// the agent wakes for anyway; only until READY are they read more often.
import type { Logger } from "../common/log";
import type { AgentStatus } from "./agent";
import { statusLine, SystemdNotifier } from "./systemd";
import { monotonicMs } from "../common/clock";

/** How often the status is read until the node is ready (then: with the watchdog's pings). */
const READY_POLL_MS = 200;
/** Without a watchdog, how often STATUS= is refreshed. */
const STATUS_REFRESH_MS = 10_000;

/** Whether the node has joined, and the status line systemd shows. */
export function serviceState(status: AgentStatus, nodesConfigured: number, leaving: boolean): { ready: boolean; line: string } {
  const summary = status.cluster_state;
  const online = summary?.nodes.filter((node) => node.state === "online" || node.state === "standby" || node.state === "maintenance" || node.state === "shutting-down").length ?? status.members.length;
  const started = summary?.resources.filter((resource) => resource.role === "Started").reduce((count, resource) => count + Math.max(1, resource.nodes.length), 0) ?? 0;
  const line = statusLine({ dc: status.dc, online, nodes: nodesConfigured, started, quorate: status.quorum.quorate, leaving });
  // Joined: a view exists and, with peers in it, a DC leads it. Alone (a peer down, or
  // wait_for_all still waiting for the first sight of every node), the view is all there is.
  const inView = status.ringId > 0 && status.members.some((member) => member.id === status.node.id);
  const ready = inView && (status.members.length === 1 || status.dc !== null);
  return { ready, line };
}

export interface ServiceAgent {
  status(): AgentStatus;
  /** Starts a clean leave; false when one is already under way. */
  leave(reason: string): boolean;
}

/**
 * The service side of `edgeha agent`: the signals from the moment it is made (a SIGTERM while
 * the agent still starts is kept and acted on once it runs), and, under systemd, the
 * notifications once the agent is attached.
 */
export class AgentService {
  private readonly notifier: SystemdNotifier | undefined;
  private agent: ServiceAgent | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private leaveReason: string | undefined;
  private heartbeatsSent = -1;
  private heartbeatsChangedMs = 0;
  private readonly onSignal = (signal: NodeJS.Signals) => this.signal(signal);

  constructor(private readonly logger: Logger, private readonly nodesConfigured: number, private readonly heartbeatMs: number, env: NodeJS.ProcessEnv = process.env, private readonly nowMs: () => number = () => monotonicMs()) {
    this.notifier = SystemdNotifier.fromEnvironment(logger, env);
    process.on("SIGTERM", this.onSignal);
    process.on("SIGINT", this.onSignal);
  }

  /** The agent runs: a leave asked for meanwhile starts now; notifications begin. */
  attach(agent: ServiceAgent): void {
    this.agent = agent;
    this.heartbeatsChangedMs = this.nowMs();
    if (this.leaveReason !== undefined) this.startLeave();
    if (this.notifier === undefined) return;
    this.notifier.startWatchdog(() => this.problem());
    this.poll();
  }

  private signal(signal: NodeJS.Signals): void {
    if (this.leaveReason !== undefined) {
      this.logger.warn({ signal }, "already leaving the cluster: the signal changes nothing (SIGKILL ends the agent at once, like a crash)");
      return;
    }
    this.leaveReason = `${signal} received`;
    if (this.agent !== undefined) this.startLeave();
    else this.logger.info({ signal }, "the agent leaves the cluster as soon as it has started");
  }

  private startLeave(): void {
    const agent = this.agent!;
    agent.leave(this.leaveReason!);
    this.notifier?.stopping(serviceState(agent.status(), this.nodesConfigured, true).line);
  }

  /**
   * The agent's own health, checked before each watchdog ping: its heartbeats must be going out
   * (a follower sends at least every 1.125 intervals; three intervals of silence is a stall).
   * A cluster of one node has nobody to send heartbeats to: there the event loop is the check.
   */
  private problem(): string | undefined {
    const agent = this.agent!;
    if (this.nodesConfigured < 2) {
      this.refresh();
      return undefined;
    }
    const sent = agent.status().frames["sent-heartbeat"] ?? 0;
    const now = this.nowMs();
    if (sent !== this.heartbeatsSent) {
      this.heartbeatsSent = sent;
      this.heartbeatsChangedMs = now;
    }
    this.refresh();
    const silentMs = now - this.heartbeatsChangedMs;
    return silentMs > 3 * this.heartbeatMs ? `no heartbeat went out for ${Math.round(silentMs)} ms` : undefined;
  }

  private refresh(): void {
    if (this.notifier === undefined || this.agent === undefined) return;
    const { ready, line } = serviceState(this.agent.status(), this.nodesConfigured, this.leaveReason !== undefined);
    if (ready || this.notifier.ready) this.notifier.announceReady(line);
  }

  /** Reads the status often until READY; then the watchdog's checks refresh it (or a slow timer without one). */
  private poll(): void {
    const notifier = this.notifier!;
    this.refresh();
    const delayMs = !notifier.ready ? READY_POLL_MS : notifier.watchdogUs === undefined ? STATUS_REFRESH_MS : undefined;
    if (delayMs === undefined) return;
    this.pollTimer = setTimeout(() => this.poll(), delayMs);
    this.pollTimer.unref();
  }

  close(): void {
    process.off("SIGTERM", this.onSignal);
    process.off("SIGINT", this.onSignal);
    if (this.pollTimer !== undefined) clearTimeout(this.pollTimer);
    this.notifier?.close();
  }
}
