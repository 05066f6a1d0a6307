// Cipher suite 17 (HMAC-SHA256, AES-CBC-128) and the BMC key K_G. ipmi_sim has neither, so
// they are proven against the test BMC in test/support/rmcp-bmc.ts, which ipmitool itself must
// accept first (`-I lanplus -C 17`, `-y KG`); then our driver runs against it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { reasonMissing } from "../../support/environment";
import { captureLines } from "../../support/ipmi/sim";
import { RmcpBmc } from "../../support/rmcp-bmc";
import { ipmilanDriver } from "../../../fence-drivers/ipmilan/index";
import { runFenceAgent } from "../../../fence-drivers/common/index";

// The responder is validated with ipmitool; without it nothing here would prove anything.
const missing = reasonMissing("ipmitool");
const KG = "5eed0c0ffee15bad5eed0c0ffee15bad5eed0c0f";
// A key typed as text (ipmitool -k); hexadecimal_kg carries its bytes.
const KG_TEXT = "edgeha-kg-text";

// Asynchronous: the test BMC answers from this same process.
function ipmitool(port: number, args: string[], extra: string[] = []): Promise<{ ok: boolean; out: string }> {
  return new Promise((resolve) => {
    execFile("ipmitool", ["-I", "lanplus", "-H", "127.0.0.1", "-p", String(port), "-U", "fencer", "-N", "1", "-R", "2", ...extra, ...args], { encoding: "utf8", timeout: 20_000 }, (error, stdout, stderr) => {
      resolve({ ok: error === null, out: `${stdout}${stderr}` });
    });
  });
}

describe.skipIf(missing !== "")("ipmilan cipher suite 17 and K_G against a test BMC that ipmitool accepts", () => { // skipped: without ipmitool, which validates the test BMC first
  const plain = new RmcpBmc({ user: "fencer", password: "s3cret-17" });
  const keyed = new RmcpBmc({ user: "fencer", password: "s3cret-17", kgHex: KG });
  const textKeyed = new RmcpBmc({ user: "fencer", password: "s3cret-17", kgHex: Buffer.from(KG_TEXT).toString("hex") });
  let textKeyedPort = 0;
  let plainPort = 0;
  let keyedPort = 0;
  beforeAll(async () => { plainPort = await plain.listen(); keyedPort = await keyed.listen(); textKeyedPort = await textKeyed.listen(); });
  afterAll(async () => { await plain.close(); await keyed.close(); await textKeyed.close(); });

  const run = async (port: number, input: Record<string, string>) => {
    const captured = captureLines();
    const code = await runFenceAgent(ipmilanDriver, { ip: "127.0.0.1", ipport: String(port), username: "fencer", password: "s3cret-17", lanplus: "1", cipher: "17", shell_timeout: "1", retry: "1", ...input }, captured.io);
    return { code, text: [...captured.out, ...captured.err].join("\n") };
  };

  it("ipmitool -C 17 and -C 3 read and change the test BMC's power (the responder is right)", async () => {
    expect((await ipmitool(plainPort, ["chassis", "power", "status"], ["-P", "s3cret-17", "-C", "17"])).out).toMatch(/Chassis Power is on/);
    expect((await ipmitool(plainPort, ["chassis", "power", "off"], ["-P", "s3cret-17", "-C", "17"])).ok).toBe(true);
    expect(plain.power).toBe("off");
    expect((await ipmitool(plainPort, ["chassis", "power", "status"], ["-P", "s3cret-17", "-C", "3"])).out).toMatch(/Chassis Power is off/);
    expect((await ipmitool(plainPort, ["chassis", "power", "on"], ["-P", "s3cret-17", "-C", "17"])).ok).toBe(true);
    expect(plain.power).toBe("on");
    // With a wrong password ipmitool finds RAKP 2's key exchange code wrong and gives up.
    expect((await ipmitool(plainPort, ["chassis", "power", "status"], ["-P", "wrong", "-C", "17"])).ok).toBe(false);
  }, 60_000);

  it("ipmitool needs the right K_G (-y) for the keyed BMC", async () => {
    expect((await ipmitool(keyedPort, ["chassis", "power", "status"], ["-P", "s3cret-17", "-C", "17", "-y", KG])).out).toMatch(/Chassis Power is on/);
    expect((await ipmitool(keyedPort, ["chassis", "power", "status"], ["-P", "s3cret-17", "-C", "17"])).ok).toBe(false);
  }, 60_000);

  it("ipmitool -k (the key as text) and our driver with that key in hexadecimal agree", async () => {
    expect((await ipmitool(textKeyedPort, ["chassis", "power", "status"], ["-P", "s3cret-17", "-C", "17", "-k", KG_TEXT])).out).toMatch(/Chassis Power is on/);
    expect((await ipmitool(textKeyedPort, ["chassis", "power", "status"], ["-P", "s3cret-17", "-C", "17", "-k", "not-the-key"])).ok).toBe(false);
    expect((await run(textKeyedPort, { action: "off", hexadecimal_kg: Buffer.from(KG_TEXT).toString("hex") })).code).toBe(0);
    expect(textKeyed.power).toBe("off");
  }, 60_000);

  it("our driver with cipher 17: status, off, on, reboot, each seen by the BMC and confirmed by ipmitool", async () => {
    expect((await run(plainPort, { action: "status" })).code).toBe(0);
    expect((await run(plainPort, { action: "off" })).code).toBe(0);
    expect(plain.power).toBe("off");
    expect((await ipmitool(plainPort, ["chassis", "power", "status"], ["-P", "s3cret-17", "-C", "17"])).out).toMatch(/Chassis Power is off/);
    expect((await run(plainPort, { action: "status" })).code).toBe(2);
    expect((await run(plainPort, { action: "on" })).code).toBe(0);
    expect(plain.power).toBe("on");
    const before = plain.events.length;
    expect((await run(plainPort, { action: "reboot" })).code).toBe(0);
    expect(plain.events.slice(before)).toEqual(["off", "on"]);
    expect((await run(plainPort, { action: "status", privlvl: "operator" })).code).toBe(0);
  }, 60_000);

  it("our driver with a wrong password: an authentication error, exit 1, the password never printed", async () => {
    const result = await run(plainPort, { action: "status", password: "not-the-one" });
    expect(result.code).toBe(1);
    expect(result.text).toMatch(/password is most likely wrong/);
    expect(result.text).not.toContain("not-the-one");
  });

  it("our driver with K_G: the right key works, none or a wrong one is a clear error naming the key", async () => {
    expect((await run(keyedPort, { action: "off", hexadecimal_kg: KG })).code).toBe(0);
    expect(keyed.power).toBe("off");
    expect((await run(keyedPort, { action: "on", cipher: "3", hexadecimal_kg: KG })).code).toBe(0);
    expect(keyed.power).toBe("on");
    const none = await run(keyedPort, { action: "status" });
    expect(none.code).toBe(1);
    expect(none.text).toMatch(/give it as hexadecimal_kg/);
    const wrong = await run(keyedPort, { action: "status", hexadecimal_kg: "00".repeat(20) });
    expect(wrong.code).toBe(1);
    expect(wrong.text).toMatch(/hexadecimal_kg\) is most likely wrong/);
    expect(wrong.text).not.toContain(KG);
    const bad = await run(keyedPort, { action: "status", hexadecimal_kg: "xyz" });
    expect(bad.code).toBe(1);
    expect(bad.text).toMatch(/hexadecimal_kg must be/);
  });
});
