// A reboot asked of a topology level with several devices (two power supplies, two outlets)
// runs as Pacemaker's fencer runs it (fenced_remote.c, "remapping" a topology reboot): off on
// every device of the level, then on on every device. The fencing is done once every off is
// confirmed; a failed on afterwards is reported, never a fencing failure. Rebooting the devices
// in turn (A off/on, then B off/on) leaves a node with two power supplies powered all along.
import { describe, expect, it } from "vitest";
import { emptyFencerState, fenceNow, step, type FenceDeviceConfig, type FenceRunner, type FencerEffect, type FencerWorld, type HistoryRecord } from "../../../src/fencer/index";

function device(id: string, overrides: Partial<FenceDeviceConfig> = {}): FenceDeviceConfig {
  return {
    id, driver: "ipmilan", options: {}, secretOptions: [], hostList: ["beta"], hostMap: {}, hostCheck: "static-list",
    delayBaseMs: 0, delayMaxMs: 0, offAction: "off", rebootAction: "reboot", retriesMax: 1, actionTimeoutMs: 5000, bannedNodes: [], needsUnfencing: false, ...overrides,
  };
}

const twoSupplies = [{ target: "beta", index: 1, devices: ["psu-a", "psu-b"] }];

function world(overrides: Partial<FencerWorld> = {}): FencerWorld {
  return { devices: [device("psu-a"), device("psu-b"), device("disk")], levels: twoSupplies, members: ["alpha", "beta"], listedTargets: {}, priorities: {}, priorityFencingDelayMs: 0, stonithTimeoutMs: 60_000, ...overrides };
}

const reboot = { kind: "request" as const, id: "r1", target: "beta", action: "reboot" as const, origin: "alpha", nowMs: 0, random: 0 };
const ok = (nowMs: number, message = "done") => ({ kind: "result" as const, id: "r1", ok: true, message, nowMs });
const failed = (nowMs: number, message: string) => ({ kind: "result" as const, id: "r1", ok: false, message, nowMs });

/** The effects in order, as short words: "run psu-a:off", "pending", "done", "on psu-a ok". */
function trace(effects: FencerEffect[]): string[] {
  return effects.flatMap((effect) => {
    if (effect.kind === "run") return [`run ${effect.attempt.device}@${effect.attempt.executor}:${effect.attempt.driverAction}`];
    if (effect.kind === "history") return [effect.record.state];
    if (effect.kind === "on-result") return [`on ${effect.device} ${effect.ok ? "ok" : "failed"}`];
    return [];
  });
}

function records(effects: FencerEffect[]): HistoryRecord[] {
  return effects.flatMap((effect) => (effect.kind === "history" ? [effect.record] : []));
}

describe("the planner: a reboot on a level of several devices", () => {
  it("turns every device off, is done at the last confirmed off, then turns each on", () => {
    let result = step(emptyFencerState, world(), reboot);
    expect(trace(result.effects)).toEqual(["pending", "pending", "run psu-a@alpha:off"]);
    expect(records(result.effects)[1]!.reason).toMatch(/level 1 has 2 devices \(psu-a, psu-b\): the reboot runs as off on every one, then on/);
    result = step(result.state, world(), ok(100));
    // psu-a stays off: no on before psu-b is off too.
    expect(trace(result.effects)).toEqual(["run psu-b@alpha:off"]);
    result = step(result.state, world(), ok(200));
    // Done at the last off, and only then the first on (the record comes first).
    expect(trace(result.effects)).toEqual(["done", "run psu-a@alpha:on"]);
    expect(records(result.effects)[0]).toMatchObject({ id: "r1", action: "reboot", state: "done", completedAtMs: 200, device: "psu-a,psu-b", executor: "alpha", reason: expect.stringMatching(/beta is off on every device of level 1 \(psu-a, psu-b\)/) });
    result = step(result.state, world(), ok(300, "Powered ON"));
    expect(trace(result.effects)).toEqual(["on psu-a ok", "run psu-b@alpha:on"]);
    result = step(result.state, world(), ok(400, "Powered ON"));
    expect(trace(result.effects)).toEqual(["on psu-b ok"]);
    expect(result.state.requests).toEqual({});
  });

  it("a failed on after every off is reported, never a fencing failure, and the next on still runs", () => {
    let result = step(emptyFencerState, world(), reboot);
    result = step(result.state, world(), ok(100));
    result = step(result.state, world(), ok(200));
    result = step(result.state, world(), failed(300, "power did not become on within power_timeout"));
    expect(trace(result.effects)).toEqual(["on psu-a failed", "run psu-b@alpha:on"]);
    expect(result.effects.find((effect) => effect.kind === "on-result")).toMatchObject({ target: "beta", device: "psu-a", executor: "alpha", message: "power did not become on within power_timeout" });
    // The on phase outlives stonith-timeout: it is not a fencing any more.
    result = step(result.state, world(), { kind: "tick", nowMs: 120_000 });
    expect(trace(result.effects)).toEqual([]);
    result = step(result.state, world(), failed(120_100, "BMC silent"));
    expect(trace(result.effects)).toEqual(["on psu-b failed"]);
    expect(result.state.requests).toEqual({});
  });

  it("a failed off is not a fencing: the next level runs, with the remap undone for a single device", () => {
    const levels = [...twoSupplies, { target: "beta", index: 2, devices: ["disk"] }];
    let result = step(emptyFencerState, world({ levels }), reboot);
    result = step(result.state, world({ levels }), ok(100));
    result = step(result.state, world({ levels }), failed(200, "BMC silent"));
    expect(trace(result.effects)).toEqual(["run disk@alpha:reboot"]);
    expect(result.state.requests.r1).toBeDefined();
    result = step(result.state, world({ levels }), failed(300, "refused"));
    expect(records(result.effects)).toMatchObject([{ state: "failed", reason: expect.stringMatching(/every fencing level for beta failed; last: disk failed: refused/) }]);
  });

  it("an off request is unchanged; a single-device level keeps its reboot action (and its done-at-off)", () => {
    let result = step(emptyFencerState, world(), { ...reboot, action: "off" });
    expect(trace(result.effects)).toEqual(["pending", "run psu-a@alpha:off"]);
    result = step(result.state, world(), ok(100));
    result = step(result.state, world(), ok(200));
    expect(trace(result.effects)).toEqual(["done"]);
    const single = world({ levels: [{ target: "beta", index: 1, devices: ["psu-a"] }] });
    result = step(emptyFencerState, single, reboot);
    expect(trace(result.effects)).toEqual(["pending", "run psu-a@alpha:reboot"]);
    expect(trace(step(result.state, single, { kind: "off-confirmed", id: "r1", nowMs: 50 }).effects)).toEqual(["done"]);
  });

  it("uses pcmk_off_action for the offs and leaves off a device with pcmk_reboot_action=off or one that unfences", () => {
    const devices = [device("psu-a", { offAction: "shutdown" }), device("psu-b", { rebootAction: "off" }), device("disk", { needsUnfencing: true })];
    const levels = [{ target: "beta", index: 1, devices: ["psu-a", "psu-b", "disk"] }];
    let result = step(emptyFencerState, world({ devices, levels }), reboot);
    expect(trace(result.effects)).toContain("run psu-a@alpha:shutdown");
    result = step(result.state, world({ devices, levels }), ok(100));
    expect(trace(result.effects)).toEqual(["run psu-b@alpha:off"]);
    result = step(result.state, world({ devices, levels }), ok(200));
    expect(trace(result.effects)).toEqual(["run disk@alpha:off"]);
    result = step(result.state, world({ devices, levels }), ok(300));
    expect(trace(result.effects)).toEqual(["done", "run psu-a@alpha:on"]);
    result = step(result.state, world({ devices, levels }), ok(400));
    expect(trace(result.effects)).toEqual(["on psu-a ok"]);
    expect(result.state.requests).toEqual({});
  });

  it("a reboot's off-confirmed from a driver does not end a level of several devices early", () => {
    let result = step(emptyFencerState, world(), reboot);
    result = step(result.state, world(), { kind: "off-confirmed", id: "r1", nowMs: 50 });
    expect(trace(result.effects)).toEqual([]);
    expect(result.state.requests.r1?.running).toMatchObject({ device: "psu-a", driverAction: "off" });
  });

  it("a new fencing of the target drops the ons left of its earlier reboot (never merged into a finished one)", () => {
    let result = step(emptyFencerState, world(), reboot);
    result = step(result.state, world(), ok(100));
    result = step(result.state, world(), ok(200));
    expect(trace(result.effects)).toEqual(["done", "run psu-a@alpha:on"]);
    result = step(result.state, world(), { ...reboot, id: "r2", nowMs: 250 });
    expect(trace(result.effects)).toEqual(["pending", "pending", "run psu-a@alpha:off"]);
    expect(Object.keys(result.state.requests)).toEqual(["r2"]);
    // The dropped request's late on result changes nothing.
    expect(trace(step(result.state, world(), ok(300)).effects)).toEqual([]);
  });
});

describe("fenceNow: a remapped reboot", () => {
  it("returns done once both devices are off, with neither on yet; the ons follow and are reported", async () => {
    const power: Record<string, "on" | "off"> = { "psu-a": "on", "psu-b": "on" };
    const actions: string[] = [];
    const runner: FenceRunner = {
      run: async (attempt) => {
        actions.push(`${attempt.device}:${attempt.driverAction}`);
        power[attempt.device] = attempt.driverAction === "on" ? "on" : "off";
        await new Promise((resolve) => setTimeout(resolve, 5));
        return { ok: attempt.device !== "psu-b" || attempt.driverAction !== "on", message: "done" };
      },
    };
    const seenAtDone: Array<Record<string, string>> = [];
    const ons: Array<[boolean, string | undefined]> = [];
    let finished: () => void = () => {};
    const allOn = new Promise<void>((resolve) => { finished = resolve; });
    const record = await fenceNow(world(), "beta", "reboot", "alpha", runner, (entry) => { if (entry.state === "done") seenAtDone.push({ ...power }); }, "r3", undefined, {
      onRebootOn: (success, _message, which) => { ons.push([success, which]); if (ons.length === 2) finished(); },
    });
    expect(record).toMatchObject({ id: "r3", state: "done", device: "psu-a,psu-b" });
    expect(seenAtDone).toEqual([{ "psu-a": "off", "psu-b": "off" }]);
    await allOn;
    expect(actions).toEqual(["psu-a:off", "psu-b:off", "psu-a:on", "psu-b:on"]);
    expect(ons).toEqual([[true, "psu-a"], [false, "psu-b"]]);
  });
});
