// fenceNow, the fencer's driver on real time: it runs the planner on the monotonic clock
// (a wall clock stepped back mid-fencing moves no deadline), gives its records wall-clock
// times and the caller's id, and stops when its signal says so (a node confirmed down).
import { afterEach, describe, expect, it, vi } from "vitest";
import { fenceNow, FencingStopped, WATCHDOG_DEVICE, type FenceDeviceConfig, type FenceRunner, type FencerWorld, type HistoryRecord } from "../../../src/fencer/index";

const device: FenceDeviceConfig = {
  id: "ipmi-beta", driver: "ipmilan", options: {}, secretOptions: [], hostList: ["beta"], hostMap: {}, hostCheck: "static-list",
  delayBaseMs: 0, delayMaxMs: 0, offAction: "off", rebootAction: "reboot", retriesMax: 1, actionTimeoutMs: 2000, bannedNodes: [], needsUnfencing: false,
};

function world(overrides: Partial<FencerWorld> = {}): FencerWorld {
  return {
    devices: [device], levels: [{ target: "beta", index: 1, devices: ["ipmi-beta"] }, { target: "beta", index: 2, devices: [WATCHDOG_DEVICE] }],
    members: ["alpha"], listedTargets: {}, priorities: {}, priorityFencingDelayMs: 0, stonithTimeoutMs: 60_000,
    watchdog: { settings: { stonithWatchdogTimeoutMs: 300, nodeCount: 3, hasArbiter: false }, timeoutsMs: { beta: 100 } }, ...overrides,
  };
}

/** A BMC that lost power with its node: every attempt fails after a moment. */
const deadBmc: FenceRunner = { run: () => new Promise((resolve) => setTimeout(() => resolve({ ok: false, message: "no answer" }), 20)) };

afterEach(() => {
  vi.restoreAllMocks();
});

describe("fenceNow", () => {
  it("waits stonith-watchdog-timeout on the monotonic clock, whatever the wall clock does meanwhile", async () => {
    const realNow = Date.now.bind(Date);
    const startedMs = realNow();
    // 50 ms after the start (while IPMI fails), the wall clock steps back by an hour.
    vi.spyOn(Date, "now").mockImplementation(() => (realNow() - startedMs > 50 ? realNow() - 3_600_000 : realNow()));
    const records: HistoryRecord[] = [];
    const record = await fenceNow(world(), "beta", "off", "alpha", deadBmc, (each) => records.push(each), "fence-alpha-1-1");
    const tookMs = realNow() - startedMs;
    expect(record).toMatchObject({ id: "fence-alpha-1-1", state: "done", device: WATCHDOG_DEVICE });
    expect(tookMs).toBeGreaterThanOrEqual(280);
    expect(tookMs).toBeLessThan(5000);
    // Records carry the wall clock as it was when fencing began.
    expect(Math.abs(records[0]!.requestedAtMs - startedMs)).toBeLessThan(100);
  });

  it("stops when its signal is raised, and ends the attempt that runs", async () => {
    const stop = new AbortController();
    let aborted = false;
    const hanging: FenceRunner = {
      run: (_attempt, _device, signal) => new Promise((resolve) => signal?.addEventListener("abort", () => { aborted = true; resolve({ ok: false, message: "stopped" }); })),
    };
    const running = fenceNow(world({ levels: [] }), "beta", "off", "alpha", hanging, () => {}, "fence-alpha-1-2", stop.signal);
    setTimeout(() => stop.abort(), 20);
    await expect(running).rejects.toBeInstanceOf(FencingStopped);
    expect(aborted).toBe(true);
  });
});
