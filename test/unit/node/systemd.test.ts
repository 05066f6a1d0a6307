// The agent's systemd notifications (src/node/systemd.ts): READY once, STATUS only when it
// changes, STOPPING during the leave, WATCHDOG only while the loop runs on time and the agent
// reports no problem; and the log lines' syslog priorities for journald (src/common/log.ts).
import { afterEach, describe, expect, it, vi } from "vitest";
import { Writable } from "node:stream";
import { SystemdNotifier, pingIntervalMs, statusLine, watchdogIntervalUs, watchdogProblem } from "../../../src/node/systemd";
import { createLogger, silentLogger, stdoutIsJournal, syslogPriority, withSyslogPriority } from "../../../src/common/log";

function recorder() {
  const sent: string[] = [];
  return { sent, socket: { send: (message: string) => { sent.push(message); return 0; } } };
}

afterEach(() => vi.useRealTimers());

describe("systemd notifications", () => {
  it("READY=1 goes out once, with the status; later calls only change STATUS", () => {
    const { sent, socket } = recorder();
    const notifier = new SystemdNotifier(socket, silentLogger(), undefined);
    notifier.announceReady("DC node1, 2/2 online, 0 started");
    notifier.announceReady("DC node1, 2/2 online, 0 started");
    notifier.announceReady("DC node1, 2/2 online, 3 started");
    notifier.status("DC node1, 2/2 online, 3 started");
    notifier.stopping("leaving, DC node2, 2/2 online, 3 started");
    expect(sent).toEqual([
      "READY=1\nSTATUS=DC node1, 2/2 online, 0 started",
      "STATUS=DC node1, 2/2 online, 3 started",
      "STOPPING=1\nSTATUS=leaving, DC node2, 2/2 online, 3 started",
    ]);
  });

  it("the status line says who is DC, how many nodes are online and how many resources run", () => {
    expect(statusLine({ dc: "node1", online: 2, nodes: 2, started: 3 })).toBe("DC node1, 2/2 online, 3 started");
    expect(statusLine({ dc: null, online: 1, nodes: 2, started: 0, quorate: false })).toBe("no DC, 1/2 online, 0 started, no quorum");
    expect(statusLine({ dc: "node2", online: 2, nodes: 2, started: 1, leaving: true })).toBe("leaving, DC node2, 2/2 online, 1 started");
  });

  it("reads the watchdog timeout systemd gives, and ignores one meant for another process", () => {
    expect(watchdogIntervalUs({ WATCHDOG_USEC: "10000000" }, 42)).toBe(10_000_000);
    expect(watchdogIntervalUs({ WATCHDOG_USEC: "10000000", WATCHDOG_PID: "42" }, 42)).toBe(10_000_000);
    expect(watchdogIntervalUs({ WATCHDOG_USEC: "10000000", WATCHDOG_PID: "43" }, 42)).toBeUndefined();
    expect(watchdogIntervalUs({}, 42)).toBeUndefined();
    expect(watchdogIntervalUs({ WATCHDOG_USEC: "soon" }, 42)).toBeUndefined();
    expect(pingIntervalMs(10_000_000)).toBe(2500);
  });

  it("does not ping when the loop was blocked for a whole interval or the agent reports a problem", () => {
    expect(watchdogProblem(10, 2500, undefined)).toBeUndefined();
    expect(watchdogProblem(2600, 2500, undefined)).toMatch(/event loop was blocked for 2600 ms/);
    expect(watchdogProblem(0, 2500, "no heartbeat sent for 5000 ms")).toBe("no heartbeat sent for 5000 ms");
  });

  it("pings every quarter of the timeout while healthy, and stops while the agent reports a problem", () => {
    vi.useFakeTimers();
    const { sent, socket } = recorder();
    const notifier = new SystemdNotifier(socket, silentLogger(), 4_000_000);
    let problem: string | undefined;
    let now = 0;
    notifier.startWatchdog(() => problem, () => now);
    for (let step = 0; step < 4; step++) { now += 1000; vi.advanceTimersByTime(1000); }
    expect(sent.filter((message) => message === "WATCHDOG=1")).toHaveLength(4);
    problem = "the membership timer stopped";
    for (let step = 0; step < 4; step++) { now += 1000; vi.advanceTimersByTime(1000); }
    expect(sent.filter((message) => message === "WATCHDOG=1")).toHaveLength(4);
    problem = undefined;
    now += 1000; vi.advanceTimersByTime(1000);
    expect(sent.filter((message) => message === "WATCHDOG=1")).toHaveLength(5);
    notifier.close();
  });

  it("does not ping after the timer fired late (the loop was stalled)", () => {
    vi.useFakeTimers();
    const { sent, socket } = recorder();
    const notifier = new SystemdNotifier(socket, silentLogger(), 4_000_000);
    let now = 0;
    notifier.startWatchdog(() => undefined, () => now);
    // The clock jumps 5 s while the timer was due after 1 s: the loop did not run meanwhile.
    now += 5000; vi.advanceTimersByTime(1000);
    expect(sent).toEqual([]);
    now += 1000; vi.advanceTimersByTime(1000);
    expect(sent).toEqual(["WATCHDOG=1"]);
    notifier.close();
  });

  it("without a watchdog timeout nothing is scheduled", () => {
    vi.useFakeTimers();
    const { sent, socket } = recorder();
    new SystemdNotifier(socket, silentLogger(), undefined).startWatchdog(() => undefined);
    vi.advanceTimersByTime(60_000);
    expect(sent).toEqual([]);
  });

  it("without NOTIFY_SOCKET the agent is not under systemd: no notifier", () => {
    expect(SystemdNotifier.fromEnvironment(silentLogger(), {})).toBeUndefined();
  });
});

describe("log priorities for journald", () => {
  it("maps pino's levels to syslog priorities", () => {
    expect([10, 20, 30, 40, 50, 60].map(syslogPriority)).toEqual([7, 7, 6, 4, 3, 2]);
  });

  it("prefixes each JSON line with its priority when stdout is the journal", () => {
    const lines: string[] = [];
    const destination = new Writable({ write(chunk, _encoding, done) { lines.push(String(chunk)); done(); } });
    const logger = createLogger({ destination, journal: true });
    logger.info("agent started");
    logger.warn("not pinging the systemd watchdog");
    logger.error("cannot write the fence history");
    expect(lines.map((line) => line.slice(0, 3))).toEqual(["<6>", "<4>", "<3>"]);
    expect(JSON.parse(lines[1]!.slice(3)).msg).toBe("not pinging the systemd watchdog");
  });

  it("writes plain JSON lines elsewhere", () => {
    const lines: string[] = [];
    const destination = new Writable({ write(chunk, _encoding, done) { lines.push(String(chunk)); done(); } });
    createLogger({ destination }).warn("plain");
    expect(lines[0]!.startsWith("{")).toBe(true);
    expect(withSyslogPriority({ write: (line: string) => lines.push(line) })).toBeDefined();
  });

  it("knows stdout is the journal only when JOURNAL_STREAM names stdout's own socket", () => {
    expect(stdoutIsJournal({ JOURNAL_STREAM: "8:12345" }, () => ({ dev: 8, ino: 12345 }))).toBe(true);
    expect(stdoutIsJournal({ JOURNAL_STREAM: "8:12345" }, () => ({ dev: 8, ino: 999 }))).toBe(false);
    expect(stdoutIsJournal({}, () => ({ dev: 8, ino: 12345 }))).toBe(false);
  });
});
