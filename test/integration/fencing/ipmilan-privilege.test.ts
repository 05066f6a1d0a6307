// privlvl= is the privilege of the session our driver opens: ipmi_sim lets a user-level
// session read the power state but not change it (ipmitool -L USER agrees), over RMCP+ and
// over IPMI 1.5 alike; operator and administrator sessions may power the node off.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { reasonMissing } from "../../support/environment";
import { ipmitoolPower, startSimBmc, type SimBmc, captureLines } from "../../support/ipmi/sim";
import { ipmilanDriver } from "../../../fence-drivers/ipmilan/index";
import { runFenceAgent } from "../../../fence-drivers/common/index";

// Skips without ipmi_sim (openipmi) or ipmitool.
const missing = reasonMissing("ipmi_sim", "ipmitool");
const port = 32601 + (process.pid % 150) * 2;

describe.skipIf(missing !== "")(`ipmilan privlvl against ipmi_sim ${missing}`, () => { // skipped: without ipmi_sim (the BMC) or ipmitool (the independent client); the reason is in the title.
  let bmc: SimBmc;
  beforeAll(async () => { bmc = await startSimBmc(port, "on"); });
  afterAll(() => bmc?.stop());
  const run = async (input: Record<string, string>) => {
    const captured = captureLines();
    const code = await runFenceAgent(ipmilanDriver, { ip: "127.0.0.1", ipport: String(port), username: bmc.user, password: bmc.password, cipher: "3", shell_timeout: "1", retry: "1", ...input }, captured.io);
    return { code, text: [...captured.out, ...captured.err].join("\n") };
  };

  it("ipmitool -L USER may read but not change the power (the BMC enforces privileges)", () => {
    const ipmitool = (action: string) => spawnSync("ipmitool", ["-I", "lanplus", "-C", "3", "-L", "USER", "-H", "127.0.0.1", "-p", String(port), "-U", bmc.user, "-E", "-N", "1", "-R", "2", "chassis", "power", action], { env: { ...process.env, IPMI_PASSWORD: bmc.password }, timeout: 10_000, encoding: "utf8" });
    expect(ipmitool("status").stdout).toMatch(/Chassis Power is on/);
    expect(ipmitool("off").status).not.toBe(0);
    expect(ipmitoolPower(bmc)).toBe("on");
  }, 30_000);

  for (const lanplus of ["1", "0"]) {
    it(`lanplus=${lanplus}: privlvl=user reads the status, and off fails naming the privilege, power untouched`, async () => {
      expect((await run({ action: "status", lanplus, privlvl: "user" })).code).toBe(0);
      const off = await run({ action: "off", lanplus, privlvl: "user" });
      expect(off.code).toBe(1);
      expect(off.text).toMatch(/insufficient privilege.*privlvl=operator or administrator/);
      expect(ipmitoolPower(bmc)).toBe("on");
    }, 30_000);

    it(`lanplus=${lanplus}: privlvl=operator powers off and on`, async () => {
      expect((await run({ action: "off", lanplus, privlvl: "operator" })).code).toBe(0);
      expect(ipmitoolPower(bmc)).toBe("off");
      expect((await run({ action: "on", lanplus, privlvl: "operator" })).code).toBe(0);
      expect(ipmitoolPower(bmc)).toBe("on");
    }, 30_000);
  }
});
