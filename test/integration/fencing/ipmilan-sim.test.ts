// edgeha's own ipmilan driver (RMCP+ cipher suite 3) against OpenIPMI's ipmi_sim;
// every power change is confirmed independently with ipmitool -I lanplus -C 3.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSocket } from "node:dgram";
import { spawnSync } from "node:child_process";
import { reasonMissing } from "../../support/environment";
import { ipmitoolPower, startSimBmc, type SimBmc, captureLines } from "../../support/ipmi/sim";
import { ipmilanDriver } from "../../../fence-drivers/ipmilan/index";
import { runFenceAgent } from "../../../fence-drivers/common/index";

// Skips without ipmi_sim (openipmi) or ipmitool.
const missing = reasonMissing("ipmi_sim", "ipmitool");
const port = 32001 + (process.pid % 400) * 2;

describe.skipIf(missing !== "")("ipmilan driver against ipmi_sim", () => { // skipped: without ipmi_sim (the BMC) or ipmitool
  let bmc: SimBmc;
  beforeAll(async () => { bmc = await startSimBmc(port, "on"); });
  afterAll(() => bmc?.stop());
  const options = (extra: Record<string, string> = {}) => ({ ip: "127.0.0.1", ipport: String(port), username: bmc.user, password: bmc.password, lanplus: "1", cipher: "3", ...extra });

  it("status, off, on, reboot (onoff and cycle), each confirmed by ipmitool", async () => {
    const printed: string[] = [];
    const run = async (action: string, extra: Record<string, string> = {}) => {
      const c = captureLines();
      const code = await runFenceAgent(ipmilanDriver, options({ action, ...extra }), c.io);
      printed.push(...c.out, ...c.err);
      return code;
    };
    expect(await run("status")).toBe(0);
    expect(await run("off")).toBe(0);
    expect(ipmitoolPower(bmc)).toBe("off");
    expect(await run("status")).toBe(2);
    expect(await run("on")).toBe(0);
    expect(ipmitoolPower(bmc)).toBe("on");
    let before = bmc.events().length;
    expect(await run("reboot")).toBe(0);
    expect(bmc.events().slice(before)).toEqual(["power 0", "power 1"]);
    expect(ipmitoolPower(bmc)).toBe("on");
    before = bmc.events().length;
    expect(await run("reboot", { method: "cycle" })).toBe(0);
    expect(bmc.events().slice(before).length).toBeGreaterThan(0);
    expect(await run("monitor")).toBe(0);
    expect(printed.join("\n")).not.toContain(bmc.password);
  });

  it("a wrong password is an authentication error naming the password, exit 1, not printed", async () => {
    const c = captureLines();
    const wrong = `nope-${process.pid}`;
    expect(await runFenceAgent(ipmilanDriver, options({ action: "status", password: wrong }), c.io)).toBe(1);
    const all = [...c.out, ...c.err].join("\n");
    expect(all).toMatch(/password is most likely wrong/);
    expect(all).not.toContain(wrong);
  });

  // fence_ipmilan is a single-port device: -o list prints a NOTICE (no plug) and exits 0.
  it.skipIf(reasonMissing("fence_ipmilan") !== "")("list: exit 0 and no plug, as fence_ipmilan -o list against the same BMC", async () => { // skipped: without fence-agents' fence_ipmilan (the reference output)
    const theirs = spawnSync("fence_ipmilan", ["-o", "list", "-a", "127.0.0.1", "-u", String(port), "-l", bmc.user, "-P", "-C", "3"], { env: { ...process.env }, input: "", encoding: "utf8", timeout: 30_000 });
    expect(theirs.status).toBe(0);
    const theirLines = theirs.stdout.split("\n").filter(Boolean);
    expect(theirLines.every((line) => line.startsWith("NOTICE:"))).toBe(true);
    const c = captureLines();
    expect(await runFenceAgent(ipmilanDriver, options({ action: "list" }), c.io)).toBe(0);
    expect(c.out).toEqual([]);
  });

  it("cipher suite 0 is refused", async () => {
    const c = captureLines();
    expect(await runFenceAgent(ipmilanDriver, options({ action: "status", cipher: "0" }), c.io)).toBe(1);
    expect(c.err.join("\n")).toMatch(/cipher suite 0/);
  });

  it("a silent BMC is a timeout error", async () => {
    const silent = createSocket("udp4");
    await new Promise<void>((resolve) => silent.bind(0, "127.0.0.1", resolve));
    const silentPort = (silent.address() as { port: number }).port;
    const c = captureLines();
    try {
      expect(await runFenceAgent(ipmilanDriver, { ...options({ action: "status" }), ipport: String(silentPort), shell_timeout: "0.2", retry: "1" }, c.io)).toBe(1);
    } finally {
      silent.close();
    }
    expect(c.err.join("\n")).toMatch(/did not answer Open Session/);
  });
});
