// The agent under systemd (edgeha.service, Type=notify): it says READY=1 once the node has
// joined, keeps a one-line STATUS= ("DC node1, 2/2 online, 3 started"), says STOPPING=1 while
// it leaves, and sends WATCHDOG=1 while its event loop is healthy, so that systemd kills
// and restarts an agent that stalls (WatchdogSec= in the unit). The messages go to the
// datagram socket NOTIFY_SOCKET names, through our small addon (src/node/native/notify.c):
// Node has no unix datagram socket, and a systemd-notify process per watchdog ping would cost
// a fork every few seconds. Without NOTIFY_SOCKET (not under systemd) nothing is sent.
import type { Logger } from "../common/log";
import { loadNotifyNative } from "./native";
import { monotonicMs } from "../common/clock";

export interface NotifySocket {
  /** Sends one notification; returns 0 or an errno. */
  send(message: string): number;
}

/** The watchdog settings systemd passes (systemd.service(5), sd_watchdog_enabled(3)). */
export function watchdogIntervalUs(env: NodeJS.ProcessEnv, pid = process.pid): number | undefined {
  const microseconds = Number(env.WATCHDOG_USEC);
  if (!Number.isInteger(microseconds) || microseconds <= 0) return undefined;
  // WATCHDOG_PID names the process systemd expects the pings from; another one's are not ours.
  if (env.WATCHDOG_PID !== undefined && env.WATCHDOG_PID !== "" && Number(env.WATCHDOG_PID) !== pid) return undefined;
  return microseconds;
}

/**
 * How often to check health and ping: a quarter of systemd's timeout, so that one late timer
 * or one unhealthy check costs no restart, but a loop blocked for the whole timeout does.
 */
export function pingIntervalMs(watchdogUs: number): number {
  return Math.max(50, Math.floor(watchdogUs / 1000 / 4));
}

/**
 * Whether to ping now: the ping timer fired within one interval of when it was due (the event
 * loop is not stalled) and the agent reports no problem. Returns the reason for not pinging.
 */
export function watchdogProblem(lateMs: number, intervalMs: number, agentProblem: string | undefined): string | undefined {
  if (lateMs > intervalMs) return `the event loop was blocked for ${Math.round(lateMs)} ms`;
  return agentProblem;
}

/** A one-line STATUS=: "DC node1, 2/2 online, 3 started" (also shown by `systemctl status`). */
export function statusLine(state: { dc: string | null; online: number; nodes: number; started: number; leaving?: boolean; quorate?: boolean }): string {
  const parts = [state.dc ? `DC ${state.dc}` : "no DC", `${state.online}/${state.nodes} online`, `${state.started} started`];
  if (state.quorate === false) parts.push("no quorum");
  if (state.leaving) parts.unshift("leaving");
  return parts.join(", ");
}

export class SystemdNotifier {
  private watchdogTimer: NodeJS.Timeout | undefined;
  private lastStatus: string | undefined;
  private failures = 0;
  private readyAnnounced = false;

  /** The notifier for this process: undefined when systemd did not ask for notifications. */
  static fromEnvironment(logger: Logger, env: NodeJS.ProcessEnv = process.env): SystemdNotifier | undefined {
    const socketPath = env.NOTIFY_SOCKET;
    if (socketPath === undefined || socketPath === "") return undefined;
    const addon = loadNotifyNative(env);
    return new SystemdNotifier({ send: (message) => addon.send(socketPath, message) }, logger, watchdogIntervalUs(env));
  }

  constructor(private readonly socket: NotifySocket, private readonly logger: Logger, readonly watchdogUs: number | undefined) {}

  get ready(): boolean {
    return this.readyAnnounced;
  }

  /** READY=1 with the first status line; later calls only update the status. */
  announceReady(status: string): void {
    if (this.readyAnnounced) return this.status(status);
    this.readyAnnounced = true;
    this.lastStatus = status;
    this.send(`READY=1\nSTATUS=${status}`);
  }

  /** STATUS=, sent only when the line changed. */
  status(status: string): void {
    if (status === this.lastStatus) return;
    this.lastStatus = status;
    this.send(`STATUS=${status}`);
  }

  stopping(status: string): void {
    this.lastStatus = status;
    this.send(`STOPPING=1\nSTATUS=${status}`);
  }

  /**
   * Pings the watchdog every quarter of its timeout while `problem()` says nothing is wrong and
   * the timer itself ran on time. A stalled loop sends nothing, and systemd ends the agent.
   */
  startWatchdog(problem: () => string | undefined, nowMs: () => number = () => monotonicMs()): void {
    if (this.watchdogUs === undefined || this.watchdogTimer !== undefined) return;
    const intervalMs = pingIntervalMs(this.watchdogUs);
    let dueMs = nowMs() + intervalMs;
    let reported: string | undefined;
    const check = () => {
      const now = nowMs();
      const reason = watchdogProblem(now - dueMs, intervalMs, problem());
      if (reason === undefined) this.send("WATCHDOG=1");
      // A problem is logged once when it appears, not at every check.
      if (reason !== undefined && reason !== reported) this.logger.warn({ reason }, "not pinging the systemd watchdog");
      reported = reason;
      dueMs = now + intervalMs;
      this.watchdogTimer = setTimeout(check, intervalMs);
      this.watchdogTimer.unref();
    };
    this.watchdogTimer = setTimeout(check, intervalMs);
    this.watchdogTimer.unref();
  }

  close(): void {
    if (this.watchdogTimer !== undefined) clearTimeout(this.watchdogTimer);
    this.watchdogTimer = undefined;
  }

  private send(message: string): void {
    const errno = this.socket.send(message);
    if (errno === 0) {
      this.failures = 0;
      return;
    }
    // Logged at the first failure and then every hundredth: a gone socket must not flood the log.
    if (this.failures++ % 100 === 0) this.logger.warn({ errno, message: message.split("\n")[0] }, "cannot notify systemd");
  }
}
