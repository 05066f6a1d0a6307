// IPMI 1.5 sessions (lanplus=0): our driver against OpenIPMI's ipmi_sim with MD5 and with
// straight-password authentication; ipmitool -I lan (IPMI 1.5 too) confirms the power state.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { reasonMissing } from "../../support/environment";
import { startSimBmc, type SimBmc, captureLines } from "../../support/ipmi/sim";
import { ipmilanDriver } from "../../../fence-drivers/ipmilan/index";
import { runFenceAgent } from "../../../fence-drivers/common/index";

// Skips without ipmi_sim (openipmi) or ipmitool.
const missing = reasonMissing("ipmi_sim", "ipmitool");
const port = 32201 + (process.pid % 300) * 2;

/** The chassis power as ipmitool reads it over an IPMI 1.5 session with MD5. */
function ipmitoolLanPower(bmc: SimBmc): string {
  const result = spawnSync("ipmitool", ["-I", "lan", "-A", "MD5", "-H", "127.0.0.1", "-p", String(bmc.port), "-U", bmc.user, "-E", "-N", "1", "-R", "2", "chassis", "power", "status"], { env: { ...process.env, IPMI_PASSWORD: bmc.password }, timeout: 10_000, encoding: "utf8" });
  return /is on/.test(result.stdout) ? "on" : /is off/.test(result.stdout) ? "off" : `unknown: ${result.stdout}${result.stderr}`;
}

describe.skipIf(missing !== "")(`ipmilan over IPMI 1.5 sessions (lanplus=0) against ipmi_sim ${missing}`, () => { // skipped: without ipmi_sim (the BMC) or ipmitool (the independent client); the reason is in the title.
  let bmc: SimBmc;
  beforeAll(async () => { bmc = await startSimBmc(port, "on"); });
  afterAll(() => bmc?.stop());
  const run = async (input: Record<string, string>) => {
    const captured = captureLines();
    const code = await runFenceAgent(ipmilanDriver, { ip: "127.0.0.1", ipport: String(port), username: bmc.user, password: bmc.password, lanplus: "0", shell_timeout: "1", retry: "1", ...input }, captured.io);
    return { code, text: [...captured.out, ...captured.err].join("\n") };
  };

  it("MD5: status, off, on and reboot, each confirmed by ipmitool -I lan", async () => {
    expect((await run({ action: "status" })).code).toBe(0);
    expect((await run({ action: "off" })).code).toBe(0);
    expect(ipmitoolLanPower(bmc)).toBe("off");
    expect((await run({ action: "status" })).code).toBe(2);
    expect((await run({ action: "on" })).code).toBe(0);
    expect(ipmitoolLanPower(bmc)).toBe("on");
    const before = bmc.events().length;
    expect((await run({ action: "reboot" })).code).toBe(0);
    expect(bmc.events().slice(before)).toEqual(["power 0", "power 1"]);
    expect(ipmitoolLanPower(bmc)).toBe("on");
  }, 60_000);

  it("straight password (auth=password) and the operator privilege work too", async () => {
    expect((await run({ action: "off", auth: "password", privlvl: "operator" })).code).toBe(0);
    expect(ipmitoolLanPower(bmc)).toBe("off");
    expect((await run({ action: "on", auth: "password" })).code).toBe(0);
    expect(ipmitoolLanPower(bmc)).toBe("on");
  }, 60_000);

  it("a wrong password is an authentication error, exit 1, the password not printed", async () => {
    const wrong = `nope-${process.pid}`;
    const result = await run({ action: "status", password: wrong });
    expect(result.code).toBe(1);
    expect(result.text).toMatch(/password is most likely wrong/);
    expect(result.text).not.toContain(wrong);
    expect(result.text).not.toContain(bmc.password);
  }, 30_000);

  it("an unknown user is named in an authentication error", async () => {
    const result = await run({ action: "status", username: "nobody" });
    expect(result.code).toBe(1);
    expect(result.text).toMatch(/does not know the user "nobody"/);
  }, 30_000);
});
