import { describe, expect, it } from "vitest";
import { XMLParser } from "fast-xml-parser";
import type { FenceDriver, FenceOptions } from "../../../../fence-drivers/types";
import { metadataXml, parseArgvOptions, parseStdinOptions, redactSecrets, runFenceAgent } from "../../../../fence-drivers/common/index";
import { findFenceDriver } from "../../../../fence-drivers/index";

// A driver with a power state in memory, for the wrapper's own behaviour.
function fakeDriver(start: "on" | "off" = "on"): FenceDriver & { state: string; seen: FenceOptions[]; failures: number } {
  const driver = {
    state: start as string,
    seen: [] as FenceOptions[],
    failures: 0,
    metadata: {
      name: "fence_fake",
      shortDescription: "Fake <power> & switch",
      longDescription: "Keeps a power state in memory.",
      parameters: [
        { name: "ipaddr", aliases: ["ip"], flags: ["-a", "--ip"], type: "string" as const, required: true, description: "Address." },
        { name: "login", aliases: ["username"], flags: ["-l", "--username"], type: "string" as const, description: "Login." },
        { name: "passwd", aliases: ["password"], flags: ["-p", "--password"], type: "string" as const, secret: true, description: "Password." },
        { name: "lanplus", flags: ["-P", "--lanplus"], type: "boolean" as const, description: "Use lanplus." },
        { name: "cipher", flags: ["-C", "--cipher"], type: "integer" as const, description: "Cipher suite." },
      ],
      actions: ["on", "off", "reboot", "status", "monitor", "list", "metadata", "validate-all"] as const,
    },
    async run(action: string, options: FenceOptions) {
      driver.seen.push(options);
      if (driver.failures > 0) {
        driver.failures--;
        return { exitCode: 1 as const, message: `device said no to ${options.passwd}` };
      }
      if (action === "on" || action === "off") driver.state = action;
      if (action === "reboot") driver.state = "on";
      if (action === "status") return { exitCode: (driver.state === "off" ? 2 : 0) as 0 | 2, message: driver.state };
      if (action === "list") return { exitCode: 0 as const, message: "", targets: [{ plug: "1", alias: "node-a" }, { plug: "2" }] };
      return { exitCode: 0 as const, message: `done with ${options.passwd}` };
    },
  };
  return driver as never;
}

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { stdout: (line: string) => out.push(line), stderr: (line: string) => err.push(line), sleep: async () => {} } };
}

describe("fence-agents stdin and argv options", () => {
  const metadata = fakeDriver().metadata;
  it("reads key=value lines with aliases, comments and unknown keys", () => {
    const parsed = parseStdinOptions("# comment\naction=status\nip=10.1.2.3\nusername=admin\npassword=s3=cr3t\nport=7\nbogus=1\nnot a pair\n", metadata);
    expect(parsed.options).toEqual({ action: "status", ipaddr: "10.1.2.3", login: "admin", passwd: "s3=cr3t", plug: "7" });
    expect(parsed.warnings).toHaveLength(2);
    expect(parsed.warnings[0]).toContain('"bogus"');
  });
  it("reads fence_ipmilan-style flags", () => {
    const parsed = parseArgvOptions(["-o", "off", "-a", "host1", "-l", "root", "-p", "pw", "-P", "-C", "3", "--plug=4"], metadata);
    expect(parsed.options).toEqual({ action: "off", ipaddr: "host1", login: "root", passwd: "pw", lanplus: "1", cipher: "3", plug: "4" });
  });
  it("refuses an unknown flag and a flag without its value", () => {
    expect(() => parseArgvOptions(["-Z"], metadata)).toThrow(/unknown option "-Z"/);
    expect(() => parseArgvOptions(["-a"], metadata)).toThrow(/needs a value/);
  });
});

describe("runFenceAgent", () => {
  it("status exits 0 for ON and 2 for OFF, printing Status lines", async () => {
    const driver = fakeDriver("on");
    let c = capture();
    expect(await runFenceAgent(driver, { action: "status", ipaddr: "h" }, c.io)).toBe(0);
    expect(c.out).toEqual(["Status: ON"]);
    expect(await runFenceAgent(driver, { action: "off", ipaddr: "h" }, capture().io)).toBe(0);
    c = capture();
    expect(await runFenceAgent(driver, { action: "status", ipaddr: "h" }, c.io)).toBe(2);
    expect(c.out).toEqual(["Status: OFF"]);
  });
  it("a missing required parameter, a bad select value or an unknown action is exit 1", async () => {
    const c = capture();
    expect(await runFenceAgent(fakeDriver(), { action: "status" }, c.io)).toBe(1);
    expect(c.err.join("\n")).toContain('"ipaddr"');
    expect(await runFenceAgent(fakeDriver(), { action: "explode", ipaddr: "h" }, capture().io)).toBe(1);
    expect(await runFenceAgent(fakeDriver(), { action: "status", ipaddr: "h", cipher: "x" }, capture().io)).toBe(1);
  });
  it("list prints plug,alias lines", async () => {
    const c = capture();
    expect(await runFenceAgent(fakeDriver(), { action: "list", ipaddr: "h" }, c.io)).toBe(0);
    expect(c.out).toEqual(["1,node-a", "2,"]);
  });
  it("retries up to retry_on and never prints the password or the passwd_script output", async () => {
    const driver = fakeDriver();
    driver.failures = 2;
    const c = capture();
    const secret = "Pw-" + Math.random().toString(36).slice(2);
    expect(await runFenceAgent(driver, { action: "off", ipaddr: "h", passwd: secret, retry_on: "3", verbose: "1" }, c.io)).toBe(0);
    expect(driver.seen).toHaveLength(3);
    expect([...c.out, ...c.err].join("\n")).not.toContain(secret);
    expect(c.err.join("\n")).toContain("******");
    const scripted = capture();
    const fromScript = "Sc-" + Math.random().toString(36).slice(2);
    const d2 = fakeDriver();
    d2.failures = 1;
    expect(await runFenceAgent(d2, { action: "off", ipaddr: "h", passwd_script: `printf '%s\\n' ${fromScript}` }, scripted.io)).toBe(1);
    expect(d2.seen[0]!.passwd).toBe(fromScript);
    expect([...scripted.out, ...scripted.err].join("\n")).not.toContain(fromScript);
  });
  it("a failing passwd_script is exit 1 with E_FENCE_SECRET wording", async () => {
    const c = capture();
    expect(await runFenceAgent(fakeDriver(), { action: "status", ipaddr: "h", passwd_script: "exit 3" }, c.io)).toBe(1);
    expect(c.err.join("\n")).toContain("passwd_script failed");
  });
  it("metadata is fence-agents XML with parameters, aliases and actions", async () => {
    const c = capture();
    expect(await runFenceAgent(fakeDriver(), { action: "metadata" }, c.io)).toBe(0);
    const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "" }).parse(c.out.join("\n"));
    const agent = xml["resource-agent"];
    expect(agent.name).toBe("fence_fake");
    expect(agent.shortdesc).toBe("Fake <power> & switch");
    const names = agent.parameters.parameter.map((p: { name: string }) => p.name);
    expect(names).toEqual(expect.arrayContaining(["ipaddr", "ip", "passwd", "action", "plug", "port", "power_timeout"]));
    expect(agent.parameters.parameter.find((p: { name: string }) => p.name === "ipaddr").required).toBe("1");
    expect(agent.actions.action.map((a: { name: string }) => a.name)).toContain("validate-all");
    expect(metadataXml(fakeDriver().metadata)).toContain('<getopt mixed="-a, --ip" />');
  });
  it("redactSecrets replaces the longest secrets first", () => {
    expect(redactSecrets("ab abc x", ["ab", "abc"])).toBe("****** ****** x");
  });
});

describe("a driver's own parameter names win", () => {
  it("xvm's port (alias plug) is not taken over by the common plug", () => {
    const parsed = parseStdinOptions("plug=vm1\n", findFenceDriver("xvm").metadata);
    expect(parsed.options).toEqual({ port: "vm1" });
  });
});

describe("registry", () => {
  it("finds drivers with or without fence_ and names the known ones otherwise", () => {
    expect(findFenceDriver("fence_scsi").metadata.name).toBe(findFenceDriver("scsi").metadata.name);
    expect(() => findFenceDriver("nope")).toThrow(/known: .*scsi/);
  });
});
