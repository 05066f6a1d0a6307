// The test serial BMC (test/support/serial-bmc.ts) is checked against an
// independent client: ipmitool's serial-terminal and serial-basic interfaces,
// through a socat pseudo-terminal pair. What ipmitool prints must follow the
// power state the responder keeps, and ipmitool's power commands must change it;
// the replies it corrupts for the driver's tests must be rejected by ipmitool too.
import { execFile } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reasonMissing } from "../../support/environment";
import { startPtyPair, startSerialBmc, type PtyPair, type SerialBmc } from "../../support/serial-bmc";

// Skips without ipmitool (package ipmitool) or socat (package socat).
const missing = reasonMissing("ipmitool", "socat");

function ipmitool(mode: "terminal" | "basic", device: string, ...command: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    // Async on purpose: the responder answers from this process's event loop.
    execFile("ipmitool", ["-I", `serial-${mode}`, "-D", `${device}:115200`, ...command], { timeout: 40_000, encoding: "utf8" }, (error, out, err) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, out, err });
    });
  });
}

describe.skipIf(missing !== "").each(["terminal", "basic"] as const)(`the serial test BMC answers ipmitool -I serial-%s ${missing}`, (mode) => { // skipped: without ipmitool (the independent client) or socat (the pty pair); the reason is in the title.
  let pair: PtyPair;
  let bmc: SerialBmc;
  beforeAll(async () => {
    pair = await startPtyPair();
    bmc = startSerialBmc(pair.bmc, mode, "on");
  });
  afterAll(async () => {
    bmc?.close();
    await pair?.stop();
  });

  it("chassis status reports the power state the responder keeps", async () => {
    const on = await ipmitool(mode, pair.client, "chassis", "status");
    expect(on.code).toBe(0);
    expect(on.out).toMatch(/^System Power\s+: on$/m);
    bmc.power = "off";
    const off = await ipmitool(mode, pair.client, "chassis", "status");
    expect(off.out).toMatch(/^System Power\s+: off$/m);
    expect(bmc.requests).toContain("00/01");
  });

  it("chassis power on, off and status go through the responder's power state", async () => {
    bmc.power = "off";
    const before = bmc.events.length;
    expect((await ipmitool(mode, pair.client, "chassis", "power", "on")).out).toMatch(/Chassis Power Control: Up\/On/);
    expect(bmc.power).toBe("on");
    expect((await ipmitool(mode, pair.client, "chassis", "power", "status")).out).toMatch(/Chassis Power is on/);
    expect((await ipmitool(mode, pair.client, "chassis", "power", "off")).out).toMatch(/Chassis Power Control: Down\/Off/);
    expect(bmc.power).toBe("off");
    expect((await ipmitool(mode, pair.client, "chassis", "power", "status")).out).toMatch(/Chassis Power is off/);
    expect(bmc.events.slice(before)).toEqual(["power on", "power off"]);
  });

  it("a reply the responder corrupts is rejected by ipmitool, which gets the answer on its next try", async () => {
    bmc.power = "on";
    bmc.corrupt = "once";
    const before = bmc.requests.length;
    const result = await ipmitool(mode, pair.client, "chassis", "power", "status");
    expect(bmc.corrupt).toBe("none");
    expect(result.err).toMatch(mode === "basic" ? /bad checksum/ : /Serial response is invalid/);
    expect(result.out).toMatch(/Chassis Power is on/);
    expect(bmc.requests.slice(before).filter((request) => request === "00/01")).toHaveLength(2);
  });

  it("mc info reads the responder's Get Device ID", async () => {
    const info = await ipmitool(mode, pair.client, "mc", "info");
    expect(info.code).toBe(0);
    expect(info.out).toMatch(/IPMI Version\s+: 2\.0/);
    expect(info.out).toMatch(/Device ID\s+: 32/);
  });
});
