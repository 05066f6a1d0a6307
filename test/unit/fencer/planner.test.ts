import { describe, expect, it } from "vitest";
import { emptyCib, type Primitive } from "../../../src/cib/index";
import {
  chooseExecutor, delayMs, devicesFromCib, devicesToUnfence, emptyFencerState, mayStartResources, planFor, step,
  type FenceDeviceConfig, type FencerEffect, type FencerState, type FencerWorld,
} from "../../../src/fencer/index";

function device(id: string, overrides: Partial<FenceDeviceConfig> = {}): FenceDeviceConfig {
  return {
    id, driver: "xvm", options: {}, secretOptions: [], hostList: ["alpha", "beta"], hostMap: {}, hostCheck: "static-list",
    delayBaseMs: 0, delayMaxMs: 0, offAction: "off", rebootAction: "reboot", retriesMax: 2, actionTimeoutMs: 20_000,
    bannedNodes: [], needsUnfencing: false, ...overrides,
  };
}

function world(overrides: Partial<FencerWorld> = {}): FencerWorld {
  return { devices: [device("vm-fence")], levels: [], members: ["alpha", "beta"], listedTargets: {}, priorities: {}, priorityFencingDelayMs: 0, stonithTimeoutMs: 60_000, ...overrides };
}

function runs(effects: FencerEffect[]) {
  return effects.flatMap((effect) => (effect.kind === "run" ? [`${effect.attempt.device}@${effect.attempt.executor}:${effect.attempt.driverAction} ${effect.attempt.plug}`] : []));
}

function finished(effects: FencerEffect[]) {
  return effects.flatMap((effect) => (effect.kind === "history" && effect.record.state !== "pending" ? [effect.record] : []));
}

describe("fencer routing", () => {
  it("runs the device from a node other than the target, preferring the origin", () => {
    expect(chooseExecutor(device("d"), "beta", "alpha", ["alpha", "beta", "gamma"])).toBe("alpha");
    expect(chooseExecutor(device("d"), "beta", "beta", ["alpha", "beta", "gamma"])).toBe("alpha");
  });
  it("runs a device only where it is allowed, and on the target only when nobody else may", () => {
    expect(chooseExecutor(device("d", { bannedNodes: ["alpha"] }), "beta", "alpha", ["alpha", "beta", "gamma"])).toBe("gamma");
    expect(chooseExecutor(device("d", { bannedNodes: ["alpha"] }), "beta", "alpha", ["alpha", "beta"])).toBe("beta");
    expect(chooseExecutor(device("d", { bannedNodes: ["alpha", "beta"] }), "beta", "alpha", ["alpha", "beta"])).toBeUndefined();
  });
  it("uses topology levels in index order, else every device that can fence the target", () => {
    const devices = [device("ipmi-b", { hostList: ["beta"] }), device("disk", { hostList: ["alpha", "beta"] }), device("ipmi-a", { hostList: ["alpha"] })];
    expect(planFor(world({ devices }), "beta")).toEqual([["ipmi-b"], ["disk"]]);
    const levels = [{ target: "beta", index: 2, devices: ["disk"] }, { target: "beta", index: 1, devices: ["ipmi-b", "ipmi-a"] }];
    expect(planFor(world({ devices, levels }), "beta")).toEqual([["ipmi-b", "ipmi-a"], ["disk"]]);
  });
  it("honours pcmk_host_map plugs and dynamic lists", () => {
    const mapped = device("vm", { hostList: [], hostMap: { beta: "vm-beta" } });
    const w = world({ devices: [mapped] });
    const { effects } = step(emptyFencerState, w, { kind: "request", id: "r1", target: "beta", action: "off", origin: "alpha", nowMs: 0, random: 0 });
    expect(runs(effects)).toEqual(["vm@alpha:off vm-beta"]);
    const dynamic = device("dyn", { hostList: [], hostCheck: "dynamic-list" });
    expect(planFor(world({ devices: [dynamic] }), "beta")).toEqual([]);
    expect(planFor(world({ devices: [dynamic], listedTargets: { dyn: ["beta"] } }), "beta")).toEqual([["dyn"]]);
  });
});

describe("fencer delays", () => {
  it("adds a random part up to pcmk_delay_max to pcmk_delay_base", () => {
    const delayed = device("d", { delayBaseMs: 1000, delayMaxMs: 5000 });
    expect(delayMs(delayed, world(), "beta", 0)).toBe(1000);
    expect(delayMs(delayed, world(), "beta", 0.999999)).toBe(5000);
    expect(delayMs(device("d", { delayMaxMs: 4000 }), world(), "beta", 0.5)).toBe(2000);
  });
  it("delays fencing the lost node that ran more important resources by priority-fencing-delay", () => {
    // Each side of a split sees only itself; priority-fencing-delay.test.ts holds the rest of the rule.
    const seenBy = (member: string, priorities: Record<string, number>) => world({ members: [member], priorities, priorityFencingDelayMs: 15_000 });
    expect(delayMs(device("d"), seenBy("beta", { alpha: 10, beta: 1 }), "alpha", 0)).toBe(15_000);
    expect(delayMs(device("d"), seenBy("alpha", { alpha: 10, beta: 1 }), "beta", 0)).toBe(0);
    expect(delayMs(device("d"), seenBy("beta", { alpha: 5, beta: 5 }), "alpha", 0)).toBe(0);
  });
  it("waits out the delay before running the device", () => {
    const w = world({ devices: [device("d", { delayBaseMs: 3000 })] });
    let result = step(emptyFencerState, w, { kind: "request", id: "r1", target: "beta", action: "reboot", origin: "alpha", nowMs: 100, random: 0 });
    expect(runs(result.effects)).toEqual([]);
    expect(result.effects).toContainEqual({ kind: "wake", atMs: 3100 });
    result = step(result.state, w, { kind: "tick", nowMs: 2000 });
    expect(runs(result.effects)).toEqual([]);
    result = step(result.state, w, { kind: "tick", nowMs: 3100 });
    expect(runs(result.effects)).toEqual(["d@alpha:reboot beta"]);
  });
});

describe("fencer levels and retries", () => {
  const devices = [device("ipmi", { hostList: ["beta"], retriesMax: 2 }), device("disk-1", { hostList: ["beta"], offAction: "off" }), device("disk-2", { hostList: ["beta"] })];
  const levels = [{ target: "beta", index: 1, devices: ["ipmi"] }, { target: "beta", index: 2, devices: ["disk-1", "disk-2"] }];
  const w = world({ devices, levels });

  it("retries a failing device, then moves to the next level where every device must succeed", () => {
    let state: FencerState = emptyFencerState;
    let result = step(state, w, { kind: "request", id: "r1", target: "beta", action: "off", origin: "alpha", nowMs: 0, random: 0 });
    expect(runs(result.effects)).toEqual(["ipmi@alpha:off beta"]);
    result = step(result.state, w, { kind: "result", id: "r1", ok: false, message: "BMC silent", nowMs: 1000 });
    expect(runs(result.effects)).toEqual(["ipmi@alpha:off beta"]);
    result = step(result.state, w, { kind: "result", id: "r1", ok: false, message: "BMC silent", nowMs: 2000 });
    expect(runs(result.effects)).toEqual(["disk-1@alpha:off beta"]);
    result = step(result.state, w, { kind: "result", id: "r1", ok: true, message: "", nowMs: 3000 });
    expect(runs(result.effects)).toEqual(["disk-2@alpha:off beta"]);
    expect(finished(result.effects)).toEqual([]);
    result = step(result.state, w, { kind: "result", id: "r1", ok: true, message: "", nowMs: 4000 });
    expect(finished(result.effects)).toMatchObject([{ id: "r1", state: "done", device: "disk-2", executor: "alpha", completedAtMs: 4000 }]);
    state = result.state;
    expect(state.requests).toEqual({});
  });
  it("fails the request when every level failed, naming the last failure", () => {
    let result = step(emptyFencerState, w, { kind: "request", id: "r1", target: "beta", action: "off", origin: "alpha", nowMs: 0, random: 0 });
    for (const message of ["a", "b", "disk-1 refused", "disk-1 refused"]) result = step(result.state, w, { kind: "result", id: "r1", ok: false, message, nowMs: 10 });
    expect(finished(result.effects)).toMatchObject([{ state: "failed" }]);
    expect(finished(result.effects)[0]!.reason).toMatch(/every fencing level for beta failed; last: disk-1 failed: disk-1 refused/);
  });
  it("stops at stonith-timeout and gives drivers no more than the time left", () => {
    const short = world({ devices, levels, stonithTimeoutMs: 25_000 });
    let result = step(emptyFencerState, short, { kind: "request", id: "r1", target: "beta", action: "off", origin: "alpha", nowMs: 0, random: 0 });
    result = step(result.state, short, { kind: "result", id: "r1", ok: false, message: "slow", nowMs: 20_000 });
    const attempt = result.effects.find((effect) => effect.kind === "run");
    expect(attempt?.kind === "run" && attempt.attempt.timeoutMs).toBe(5000);
    result = step(result.state, short, { kind: "result", id: "r1", ok: false, message: "slow", nowMs: 25_000 });
    expect(finished(result.effects)[0]!.reason).toMatch(/stonith-timeout/);
  });
  it("merges a second request for the same target into the pending one and fails with no device", () => {
    let result = step(emptyFencerState, w, { kind: "request", id: "r1", target: "beta", action: "off", origin: "alpha", nowMs: 0, random: 0 });
    result = step(result.state, w, { kind: "request", id: "r2", target: "beta", action: "off", origin: "gamma", nowMs: 1, random: 0 });
    expect(finished(result.effects)[0]!.reason).toMatch(/merged into request r1/);
    result = step(result.state, w, { kind: "request", id: "r3", target: "nobody", action: "off", origin: "alpha", nowMs: 1, random: 0 });
    expect(finished(result.effects)[0]!.reason).toBe("no fence device can fence nobody");
  });
});

describe("unfencing", () => {
  it("holds resources back on a node until every scsi device that covers it unfenced it", () => {
    const w = world({ devices: [device("disk", { driver: "scsi", needsUnfencing: true }), device("vm", {})] });
    expect(devicesToUnfence(w, "alpha", [])).toEqual(["disk"]);
    expect(mayStartResources(w, "alpha", [])).toBe(false);
    expect(mayStartResources(w, "alpha", ["disk"])).toBe(true);
    expect(mayStartResources(w, "gamma", [])).toBe(true);
  });
});

describe("devices from the CIB", () => {
  it("reads pcmk_* parameters, secrets, bans and the unfencing need", () => {
    const cib = emptyCib();
    const primitive: Primitive = {
      kind: "primitive", id: "fence-beta", class: "stonith", type: "scsi", extra: {}, meta: [], operations: [],
      instance: [{ id: "fence-beta-attributes", values: { devices: "iscsi://h:1/t/1", passwd: "s3cret-word", pcmk_host_map: "alpha:node-a;beta:node-b", pcmk_delay_max: "10s", pcmk_delay_base: "2s", pcmk_reboot_action: "off", pcmk_off_timeout: "45s" } }],
    };
    cib.resources.push(primitive);
    cib.constraints.push({ kind: "location", id: "ban", rsc: "fence-beta", node: "beta", score: "-INFINITY", rules: [], extra: {} });
    const [config] = devicesFromCib(cib, { node: "alpha", now: 0 });
    expect(config).toMatchObject({
      id: "fence-beta", driver: "scsi", hostCheck: "static-list", hostMap: { alpha: "node-a", beta: "node-b" }, delayBaseMs: 2000, delayMaxMs: 10_000,
      rebootAction: "off", actionTimeoutMs: 45_000, bannedNodes: ["beta"], needsUnfencing: true, secretOptions: ["passwd"],
    });
    expect(Object.keys(config!.options).sort()).toEqual(["devices", "passwd"]);
  });
  it("refuses an unknown pcmk_host_check with the resource named", () => {
    const cib = emptyCib();
    cib.resources.push({ kind: "primitive", id: "f1", class: "stonith", type: "xvm", extra: {}, meta: [], operations: [], instance: [{ id: "i", values: { pcmk_host_check: "sometimes" } }] });
    expect(() => devicesFromCib(cib, { node: "alpha", now: 0 })).toThrow(/stonith resource f1: pcmk_host_check "sometimes"/);
  });
});

describe("fencer unfencing (action on)", () => {
  it("runs 'on' through every device that needs unfencing and can reach the target, on the target itself, without delays", () => {
    const devices = [
      device("scsi", { needsUnfencing: true, delayBaseMs: 5000, hostList: ["alpha", "beta"] }),
      device("mpath", { needsUnfencing: true, hostList: ["beta"] }),
      device("ipmi", { hostList: ["beta"] }),
      device("scsi-alpha", { needsUnfencing: true, hostList: ["alpha"] }),
    ];
    const w = world({ devices, priorityFencingDelayMs: 10_000, priorities: { beta: 10 } });
    const first = step(emptyFencerState, w, { kind: "request", id: "u1", target: "beta", action: "on", origin: "alpha", nowMs: 0, random: 0.5 });
    expect(runs(first.effects)).toEqual(["scsi@beta:on beta"]);
    const second = step(first.state, w, { kind: "result", id: "u1", ok: true, message: "ok", nowMs: 10 });
    expect(runs(second.effects)).toEqual(["mpath@beta:on beta"]);
    const third = step(second.state, w, { kind: "result", id: "u1", ok: true, message: "ok", nowMs: 20 });
    expect(finished(third.effects)).toMatchObject([{ target: "beta", action: "on", state: "done" }]);
  });

  it("fails when no device that needs unfencing can reach the target", () => {
    const { effects } = step(emptyFencerState, world({ devices: [device("ipmi")] }), { kind: "request", id: "u2", target: "beta", action: "on", origin: "alpha", nowMs: 0, random: 0 });
    expect(finished(effects)).toMatchObject([{ state: "failed", reason: "no fence device that needs unfencing can fence beta" }]);
  });
});
