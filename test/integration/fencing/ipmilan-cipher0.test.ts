// Cipher suite 0 (no authentication: the BMC takes any password) is refused by our driver
// unless allow_cipher0=1. ipmi_sim has no suite 0 enabled, so the test BMC of
// test/support/rmcp-bmc.ts offers it; ipmitool -C 0 must get answers from it first.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { reasonMissing } from "../../support/environment";
import { captureLines } from "../../support/ipmi/sim";
import { RmcpBmc } from "../../support/rmcp-bmc";
import { ipmilanDriver } from "../../../fence-drivers/ipmilan/index";
import { runFenceAgent } from "../../../fence-drivers/common/index";

// The responder is validated with ipmitool; without it nothing here would prove anything.
const missing = reasonMissing("ipmitool");

// Asynchronous: the test BMC answers from this same process.
function ipmitool(port: number, password: string, cipher: string, args: string[]): Promise<{ ok: boolean; out: string }> {
  return new Promise((resolve) => {
    execFile("ipmitool", ["-I", "lanplus", "-H", "127.0.0.1", "-p", String(port), "-U", "fencer", "-P", password, "-C", cipher, "-N", "1", "-R", "2", ...args], { encoding: "utf8", timeout: 20_000 }, (error, stdout, stderr) => {
      resolve({ ok: error === null, out: `${stdout}${stderr}` });
    });
  });
}

describe.skipIf(missing !== "")(`ipmilan and cipher suite 0 ${missing}`, () => { // skipped: without ipmitool, which validates the test BMC first (the reason is in the title).
  const open = new RmcpBmc({ user: "fencer", password: "c0-secret", suites: [0, 3] });
  const strict = new RmcpBmc({ user: "fencer", password: "c0-secret" });
  let openPort = 0;
  let strictPort = 0;
  beforeAll(async () => { openPort = await open.listen(); strictPort = await strict.listen(); });
  afterAll(async () => { await open.close(); await strict.close(); });

  const run = async (port: number, input: Record<string, string>) => {
    const captured = captureLines();
    const code = await runFenceAgent(ipmilanDriver, { ip: "127.0.0.1", ipport: String(port), username: "fencer", password: "c0-secret", cipher: "0", shell_timeout: "1", retry: "1", ...input }, captured.io);
    return { code, text: [...captured.out, ...captured.err].join("\n") };
  };

  it("ipmitool -C 0 gets answers from the test BMC, with any password (what suite 0 means)", async () => {
    expect((await ipmitool(openPort, "anything-at-all", "0", ["chassis", "power", "status"])).out).toMatch(/Chassis Power is on/);
    expect((await ipmitool(openPort, "c0-secret", "3", ["chassis", "power", "status"])).out).toMatch(/Chassis Power is on/);
    // The strict BMC does not offer suite 0.
    expect((await ipmitool(strictPort, "c0-secret", "0", ["chassis", "power", "status"])).ok).toBe(false);
  }, 60_000);

  it("without allow_cipher0 our driver refuses suite 0 before sending anything: exit 1, says why", async () => {
    const before = open.events.length;
    const result = await run(openPort, { action: "off" });
    expect(result.code).toBe(1);
    expect(result.text).toMatch(/cipher suite 0 has no authentication.*allow_cipher0=1/);
    expect(open.events.length).toBe(before);
    expect(open.power).toBe("on");
  });

  it("with allow_cipher0=1 our driver powers off and on over suite 0, confirmed by ipmitool", async () => {
    expect((await run(openPort, { action: "off", allow_cipher0: "1" })).code).toBe(0);
    expect(open.power).toBe("off");
    expect((await ipmitool(openPort, "c0-secret", "3", ["chassis", "power", "status"])).out).toMatch(/Chassis Power is off/);
    expect((await run(openPort, { action: "on", allow_cipher0: "1", password: "not-checked" })).code).toBe(0);
    expect(open.power).toBe("on");
  }, 30_000);

  it("with allow_cipher0=1 against a BMC without suite 0: a clear error that the suite is not enabled", async () => {
    const result = await run(strictPort, { action: "status", allow_cipher0: "1" });
    expect(result.code).toBe(1);
    expect(result.text).toMatch(/cipher suite 0 is probably not enabled/);
  });
});
