import { describe, expect, it } from "vitest";
import { HostWatch, applySystemSettings, echoLinks, type EchoEvent } from "../../../src/node/liveness";
import { constants } from "node:os";
import type { LivenessNative } from "../../../src/node/native";

/** An addon stand-in that records what the watch asked for and lets the test send events. */
function fakeAddon() {
  const started: Array<{ links: Array<[string, string]>; everyMs: number; silentAfter: number; emit: (link: number, state: string, monotonicMs: number, detail: string) => void }> = [];
  const stopped: object[] = [];
  const addon: LivenessNative = {
    start: (links, everyMs, silentAfter, callback) => { const handle = {}; started.push({ links, everyMs, silentAfter, emit: callback }); return handle; },
    stop: (handle) => { stopped.push(handle); },
    realtime: () => 0,
    lockMemory: () => 0,
    monotonicMs: () => 1000,
  };
  return { addon, started, stopped };
}

describe("the runner's echo (liveness addon wrapper)", () => {
  it("pairs link i of this node with link i of every peer that has one", () => {
    const links = echoLinks({ id: 1, links: ["10.0.0.1", "10.1.0.1"] }, [{ id: 1, links: ["10.0.0.1", "10.1.0.1"] }, { id: 2, links: ["10.0.0.2", "10.1.0.2"] }, { id: 3, links: ["10.0.0.3"] }]);
    expect(links).toEqual([
      { peerId: 2, link: 0, localAddress: "10.0.0.1", peerAddress: "10.0.0.2" },
      { peerId: 2, link: 1, localAddress: "10.1.0.1", peerAddress: "10.1.0.2" },
      { peerId: 3, link: 0, localAddress: "10.0.0.1", peerAddress: "10.0.0.3" },
    ]);
  });

  it("names the peer and link of each event, and drops events after stop and states it does not know", () => {
    const { addon, started, stopped } = fakeAddon();
    const events: EchoEvent[] = [];
    const links = echoLinks({ id: 1, links: ["10.0.0.1"] }, [{ id: 2, links: ["10.0.0.2"] }, { id: 3, links: ["10.0.0.3"] }]);
    const watch = HostWatch.start(addon, links, 20, 3, (event) => events.push(event));
    expect(started[0]).toMatchObject({ links: [["10.0.0.1", "10.0.0.2"], ["10.0.0.1", "10.0.0.3"]], everyMs: 20, silentAfter: 3 });
    started[0]!.emit(1, "silent", 990, "3 probes unanswered on eth0");
    started[0]!.emit(0, "bogus", 990, "");
    started[0]!.emit(7, "answering", 990, "");
    expect(events).toEqual([{ peerId: 3, link: 0, localAddress: "10.0.0.1", peerAddress: "10.0.0.3", state: "silent", detail: "3 probes unanswered on eth0", ageMs: 10 }]);
    watch.stop();
    watch.stop();
    expect(stopped.length).toBe(1);
    started[0]!.emit(0, "answering", 995, "");
    expect(events.length).toBe(1);
  });
});

describe("the agent's scheduler and memory (system.* in edgeha.yaml)", () => {
  const logger = () => {
    const lines: Array<{ level: string; message: string }> = [];
    const log = (level: string) => (_fields: unknown, message: string) => lines.push({ level, message });
    return { lines, logger: { info: log("info"), warn: log("warn"), error: log("error"), debug: log("debug") } as never };
  };

  it("asks for SCHED_RR at the configured priority, and locks memory only when asked", () => {
    const calls: string[] = [];
    const { addon } = fakeAddon();
    addon.realtime = (priority) => { calls.push(`realtime ${priority}`); return 0; };
    addon.lockMemory = () => { calls.push("lock"); return 0; };
    const { lines, logger: log } = logger();
    applySystemSettings({ realtimePriority: 10, lockMemory: false }, log, () => addon);
    expect(calls).toEqual(["realtime 10"]);
    expect(lines[0]).toMatchObject({ level: "info", message: expect.stringMatching(/realtime scheduler/) });
  });

  it("says why when the kernel refuses, and goes on", () => {
    const { addon } = fakeAddon();
    addon.realtime = () => constants.errno.EPERM;
    const { lines, logger: log } = logger();
    applySystemSettings({ realtimePriority: 10, lockMemory: false }, log, () => addon);
    expect(lines).toEqual([{ level: "warn", message: expect.stringMatching(/cannot use the realtime scheduler/) }]);
  });
});
