// A reboot counts as done once its off is confirmed (issue 21, perf): the target is powered
// off from then on, so recovery need not wait for the on and its status polls. The planner
// ends the request at "off-confirmed" (a level of one device only: a level of several is safe
// only when all are off); fenceNow reports it before the driver returns, and the on's result
// comes later; the IPMI chassis and Redfish drivers report the off between off and on.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emptyFencerState, fenceNow, step, type FenceDeviceConfig, type FenceRunner, type FencerWorld } from "../../../src/fencer/index";
import { chassisAction } from "../../../fence-drivers/common/ipmi-chassis";
import { redfishDriver } from "../../../fence-drivers/redfish/index";
import { reasonMissing } from "../../support/environment";
import { RedfishBmc } from "../../support/redfish-bmc";

function device(id: string): FenceDeviceConfig {
  return {
    id, driver: "ipmilan", options: {}, secretOptions: [], hostList: ["beta"], hostMap: {}, hostCheck: "static-list",
    delayBaseMs: 0, delayMaxMs: 0, offAction: "off", rebootAction: "reboot", retriesMax: 1, actionTimeoutMs: 5000, bannedNodes: [], needsUnfencing: false,
  };
}

function world(overrides: Partial<FencerWorld> = {}): FencerWorld {
  return { devices: [device("psu-a"), device("psu-b")], levels: [], members: ["alpha", "beta"], listedTargets: {}, priorities: {}, priorityFencingDelayMs: 0, stonithTimeoutMs: 60_000, ...overrides };
}

const request = (action: "off" | "reboot") => ({ kind: "request" as const, id: "r1", target: "beta", action, origin: "alpha", nowMs: 0, random: 0 });

describe("the planner: a reboot's confirmed off", () => {
  it("ends a reboot on a level of one device, with the device and executor", () => {
    const started = step(emptyFencerState, world({ levels: [{ target: "beta", index: 1, devices: ["psu-a"] }] }), request("reboot"));
    const confirmed = step(started.state, world(), { kind: "off-confirmed", id: "r1", nowMs: 40 });
    expect(confirmed.state.requests.r1).toBeUndefined();
    expect(confirmed.effects).toEqual([{ kind: "history", record: expect.objectContaining({ id: "r1", state: "done", completedAtMs: 40, device: "psu-a", executor: "alpha", reason: expect.stringMatching(/off confirmed; the on continues/) }) }]);
    // The attempt's later result changes nothing.
    expect(step(confirmed.state, world(), { kind: "result", id: "r1", ok: false, message: "on failed", nowMs: 90 }).effects).toEqual([]);
  });

  it("does not end a reboot whose level has several devices, nor an off", () => {
    const both = world({ levels: [{ target: "beta", index: 1, devices: ["psu-a", "psu-b"] }] });
    const started = step(emptyFencerState, both, request("reboot"));
    const confirmed = step(started.state, both, { kind: "off-confirmed", id: "r1", nowMs: 40 });
    expect(confirmed.effects).toEqual([]);
    expect(confirmed.state.requests.r1).toBeDefined();
    const off = step(emptyFencerState, world(), request("off"));
    expect(step(off.state, world(), { kind: "off-confirmed", id: "r1", nowMs: 40 }).state.requests.r1).toBeDefined();
  });
});

describe("fenceNow: a reboot reported at its off", () => {
  it("returns done when the driver confirms the off, before the on ends; the on's result comes after", async () => {
    let finishOn: (ok: boolean) => void = () => {};
    const runner: FenceRunner = {
      run: (_attempt, _device, _signal, onOff) => new Promise((resolve) => {
        setTimeout(() => onOff?.(), 10);
        finishOn = (ok) => resolve({ ok, message: ok ? "Powered ON" : "power did not become on within power_timeout" });
      }),
    };
    const onResults: Array<[boolean, string]> = [];
    const record = await fenceNow(world({ devices: [device("psu-a")] }), "beta", "reboot", "alpha", runner, () => {}, "r2", undefined, { onRebootOn: (ok, message) => onResults.push([ok, message]) });
    expect(record).toMatchObject({ id: "r2", state: "done", device: "psu-a", reason: expect.stringMatching(/off confirmed/) });
    expect(onResults).toEqual([]);
    finishOn(false);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(onResults).toEqual([[false, "power did not become on within power_timeout"]]);
  });
});

describe("drivers report the off of a reboot", () => {
  it("IPMI chassis: off confirmed, then onOff, then on", async () => {
    let power: "on" | "off" = "on";
    const seen: string[] = [];
    const ipmi = async (_netFn: number, command: number, data: Buffer) => {
      if (command === 0x02) { power = data[0] === 0x01 ? "on" : "off"; seen.push(`control ${power}`); return Buffer.alloc(0); }
      seen.push(`status ${power}`);
      return Buffer.from([power === "on" ? 1 : 0, 0, 0]);
    };
    const result = await chassisAction(ipmi, "reboot", {}, AbortSignal.timeout(5000), "test", () => seen.push("onOff"));
    expect(result.exitCode).toBe(0);
    expect(seen.slice(seen.indexOf("onOff") - 1, seen.indexOf("onOff") + 2)).toEqual(["status off", "onOff", "status off"]);
    expect(seen.indexOf("control on")).toBeGreaterThan(seen.indexOf("onOff"));
    expect(seen.indexOf("control off")).toBeLessThan(seen.indexOf("onOff"));
  });

  describe.skipIf(reasonMissing("openssl") !== "")(`Redfish (our test BMC) ${reasonMissing("openssl")}`, () => { // skipped: the test BMC's certificate is made with openssl
    const bmc = new RedfishBmc({ port: 30500 + (process.pid % 500), powerDelayMs: 30 });
    beforeAll(async () => { await bmc.start(); });
    afterAll(async () => { await bmc.stop(); });

    it("ForceOff confirmed, then onOff, then On", async () => {
      let resetsAtOff: string[] = [];
      let lastRequestAtOff = "";
      const result = await redfishDriver.run("reboot", { ip: `127.0.0.1:${30500 + (process.pid % 500)}`, username: bmc.user, password: bmc.password, ssl_ca_file: bmc.certificateFile }, { signal: AbortSignal.timeout(10_000), debug: () => {}, onOff: () => { resetsAtOff = bmc.events.map((event) => event.split(" ")[1]!); lastRequestAtOff = bmc.requests.at(-1)!; } });
      expect(result.exitCode, result.message).toBe(0);
      expect(resetsAtOff).toEqual(["ForceOff"]);
      // The off was confirmed by reading the system after the ForceOff.
      expect(lastRequestAtOff).toMatch(/^GET \/redfish\/v1\/Systems\/1$/);
      expect(bmc.events.map((event) => event.split(" ")[1])).toEqual(["ForceOff", "On"]);
    });
  });
});
