// fence_ipmilan (fence-agents) run through edgeha's external driver against
// OpenIPMI's ipmi_sim; the power state is checked independently with ipmitool.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reasonMissing } from "../../support/environment";
import { ipmitoolPower, startSimBmc, type SimBmc, captureLines } from "../../support/ipmi/sim";
import { loadExternalDriver } from "../../../fence-drivers/external/index";
import { runFenceAgent } from "../../../fence-drivers/common/index";

// Skips without ipmi_sim (openipmi), ipmitool or fence_ipmilan (fence-agents).
const missing = reasonMissing("ipmi_sim", "ipmitool", "fence_ipmilan");
const port = 32000 + (process.pid % 400) * 2;

describe.skipIf(missing !== "")("external driver: fence_ipmilan against ipmi_sim", () => { // skipped: without ipmi_sim, ipmitool or fence-agents' fence_ipmilan
  let bmc: SimBmc;
  beforeAll(async () => { bmc = await startSimBmc(port, "on"); });
  afterAll(() => bmc?.stop());

  const options = () => ({ ipaddr: "127.0.0.1", ipport: String(port), login: bmc.user, passwd: bmc.password, lanplus: "1", cipher: "3", power_wait: "0" });

  it("reads fence_ipmilan's metadata", async () => {
    const driver = await loadExternalDriver("fence_ipmilan");
    expect(driver.metadata.name).toMatch(/^fence_ipmi/);
    expect(driver.metadata.parameters.map((p) => p.name)).toEqual(expect.arrayContaining(["ip", "username", "password", "lanplus", "cipher"]));
    // Deprecated spellings become aliases of the current ones.
    expect(driver.metadata.parameters.find((p) => p.name === "ip")!.aliases).toEqual(["ipaddr"]);
    expect(driver.metadata.parameters.find((p) => p.name === "password")!.secret).toBe(true);
    expect(driver.metadata.actions).toEqual(expect.arrayContaining(["on", "off", "reboot", "status"]));
  });

  it("status, off, on, reboot; ipmitool sees the same state; the password is never printed", async () => {
    const driver = await loadExternalDriver("fence_ipmilan");
    const printed: string[] = [];
    const run = async (action: string) => {
      const c = captureLines();
      const code = await runFenceAgent(driver, { ...options(), action }, c.io);
      printed.push(...c.out, ...c.err);
      return { code, ...c };
    };
    expect((await run("status")).code).toBe(0);
    expect((await run("off")).code).toBe(0);
    expect(ipmitoolPower(bmc)).toBe("off");
    expect(bmc.power()).toBe("off");
    expect((await run("status")).code).toBe(2);
    expect((await run("on")).code).toBe(0);
    expect(ipmitoolPower(bmc)).toBe("on");
    const before = bmc.events().length;
    expect((await run("reboot")).code).toBe(0);
    expect(bmc.events().slice(before).map((line) => line.split(" ")[0])).toContain("power");
    expect(ipmitoolPower(bmc)).toBe("on");
    expect(printed.join("\n")).not.toContain(bmc.password);
  });

  it("a wrong password is exit 1 and is not printed", async () => {
    const driver = await loadExternalDriver("fence_ipmilan");
    const c = captureLines();
    const wrong = `wrong-${process.pid}`;
    expect(await runFenceAgent(driver, { ...options(), passwd: wrong, action: "status" }, c.io)).toBe(1);
    expect([...c.out, ...c.err].join("\n")).not.toContain(wrong);
  });
});
