// The built-in Redfish driver (issue 17, point 6). First the test BMC of ours
// (test/support/redfish-bmc.ts) is shown to be a BMC the real clients accept: fence_redfish
// (fence-agents) and redfishtool read its power state and change it. Then our driver runs
// against it: every action, both reboot methods, GracefulShutdown (finishing, and a hung OS
// forced off), sessions, discovery, a wrong password, a silent BMC and a certificate that
// does not verify (refused unless trusted with ssl_ca_file or skipped with ssl_insecure).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { runFenceAgent } from "../../../fence-drivers/common/index";
import { redfishDriver } from "../../../fence-drivers/redfish/index";
import { reasonMissing } from "../../support/environment";
import { RedfishBmc } from "../../support/redfish-bmc";

const missing = reasonMissing("openssl", "fence_redfish", "redfishtool");
const port = 33800 + (process.pid % 90);
const bmc = new RedfishBmc({ port, user: "fenceuser", powerDelayMs: 300 });

beforeAll(async () => { if (!missing) await bmc.start(); });
afterAll(async () => { if (!missing) await bmc.stop(); });

interface Ran { status: number | null; stdout: string; stderr: string }

/** Runs a client without blocking this process, which serves the BMC (spawnSync would deadlock). */
function run(command: string, args: string[], input?: string): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.stdout.on("data", (chunk: Buffer) => { stdout += chunk.toString("utf8"); });
    child.stderr.on("data", (chunk: Buffer) => { stderr += chunk.toString("utf8"); });
    child.on("close", (status) => { clearTimeout(timer); resolve({ status, stdout, stderr }); });
    child.stdin.end(input ?? "");
  });
}

function fenceRedfish(action: string): Promise<Ran> {
  const lines = { ip: "127.0.0.1", ipport: String(port), username: bmc.user, password: bmc.password, ssl_insecure: "1", action };
  return run("fence_redfish", [], Object.entries(lines).map(([key, value]) => `${key}=${value}\n`).join(""));
}

function redfishtool(...args: string[]): Promise<Ran> {
  return run("redfishtool", ["-r", `127.0.0.1:${port}`, "-S", "Always", "-u", bmc.user, "-p", bmc.password, "-T", "5", ...args]);
}

async function ours(action: string, extra: Record<string, string> = {}): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const options = { ip: "127.0.0.1", ipport: String(port), username: bmc.user, password: bmc.password, ssl_ca_file: bmc.certificateFile, action, ...extra };
  const code = await runFenceAgent(redfishDriver, options, { stdout: (line) => out.push(line), stderr: (line) => err.push(line) });
  return { code, out, err };
}

async function settle(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 400));
}

describe.skipIf(missing !== "")(`the test BMC, as the real clients see it ${missing}`, () => { // skipped: without openssl, fence_redfish (fence-agents) or redfishtool; the title names what is missing
  it("fence_redfish reads its status and powers it off and on", async () => {
    bmc.setPower("On");
    expect(await fenceRedfish("status")).toMatchObject({ status: 0, stdout: expect.stringMatching(/Status: ON/) });
    expect((await fenceRedfish("off")).status).toBe(0);
    expect(bmc.powerState()).toBe("Off");
    expect(bmc.events.at(-1)).toMatch(/ ForceOff$/);
    expect(await fenceRedfish("status")).toMatchObject({ status: 2, stdout: expect.stringMatching(/Status: OFF/) });
    expect((await fenceRedfish("on")).status).toBe(0);
    expect(bmc.powerState()).toBe("On");
  }, 120_000);

  it("redfishtool reads the system and resets it, with basic auth and with a session", async () => {
    bmc.setPower("On");
    expect((await redfishtool("Systems", "-1", "get")).stdout).toMatch(/"PowerState": "On"/);
    expect((await redfishtool("Systems", "-1", "reset", "ForceOff")).status).toBe(0);
    await settle();
    expect(bmc.powerState()).toBe("Off");
    const sessionsBefore = bmc.requests.filter((line) => line === "POST /redfish/v1/SessionService/Sessions").length;
    expect((await redfishtool("-A", "Session", "Systems", "-1", "reset", "On")).status).toBe(0);
    expect(bmc.requests.filter((line) => line === "POST /redfish/v1/SessionService/Sessions").length).toBe(sessionsBefore + 1);
    await settle();
    expect((await redfishtool("Systems", "-1", "get")).stdout).toMatch(/"PowerState": "On"/);
  }, 60_000);
});

describe.skipIf(missing !== "")(`the built-in Redfish driver against the test BMC ${missing}`, () => { // skipped: the BMC is first proven with fence_redfish and redfishtool (see the describe above)
  it("status, off (confirmed by polling), status OFF, on, list, monitor", async () => {
    bmc.setPower("On");
    expect(await ours("status")).toMatchObject({ code: 0, out: ["Status: ON"] });
    const before = bmc.events.length;
    const off = await ours("off");
    expect(off).toMatchObject({ code: 0 });
    // The BMC applies the change 300 ms after the request: success means the driver saw it.
    expect(bmc.powerState()).toBe("Off");
    expect(bmc.events.slice(before).map((event) => event.split(" ")[1])).toEqual(["ForceOff"]);
    expect(await ours("status")).toMatchObject({ code: 2, out: ["Status: OFF"] });
    expect(await ours("off")).toMatchObject({ code: 0, out: ["Success: already off"] });
    expect(await ours("on")).toMatchObject({ code: 0 });
    expect(bmc.powerState()).toBe("On");
    expect(await ours("list")).toMatchObject({ code: 0, out: ["1,/redfish/v1/Systems/1"] });
    expect(await ours("monitor")).toMatchObject({ code: 0 });
  });

  it("reboot is ForceOff then On (onoff), or one ForceRestart with method=cycle", async () => {
    bmc.setPower("On");
    let before = bmc.events.length;
    expect((await ours("reboot")).code).toBe(0);
    expect(bmc.events.slice(before).map((event) => event.split(" ")[1])).toEqual(["ForceOff", "On"]);
    expect(bmc.powerState()).toBe("On");
    before = bmc.events.length;
    expect((await ours("reboot", { method: "cycle" })).code).toBe(0);
    expect(bmc.events.slice(before).map((event) => event.split(" ")[1])).toEqual(["ForceRestart"]);
    expect(bmc.powerState()).toBe("On");
  });

  it("off_type=GracefulShutdown shuts down; a hung OS is forced off after graceful_timeout", async () => {
    bmc.setPower("On");
    let before = bmc.events.length;
    expect(await ours("off", { off_type: "GracefulShutdown" })).toMatchObject({ code: 0, out: ["Success: shut down (GracefulShutdown)"] });
    expect(bmc.events.slice(before).map((event) => event.split(" ")[1])).toEqual(["GracefulShutdown"]);
    bmc.setPower("On");
    bmc.gracefulWorks = false;
    try {
      before = bmc.events.length;
      expect(await ours("off", { off_type: "GracefulShutdown", graceful_timeout: "1" })).toMatchObject({ code: 0, out: ["Success: powered off (ForceOff after GracefulShutdown did not finish)"] });
      expect(bmc.events.slice(before).map((event) => event.split(" ")[1])).toEqual(["GracefulShutdown", "ForceOff"]);
      expect(bmc.powerState()).toBe("Off");
    } finally {
      bmc.gracefulWorks = true;
    }
  });

  it("auth=session logs in once per action and ends the session", async () => {
    bmc.setPower("On");
    const before = bmc.requests.length;
    expect((await ours("off", { auth: "session" })).code).toBe(0);
    const asked = bmc.requests.slice(before);
    expect(asked.filter((line) => line === "POST /redfish/v1/SessionService/Sessions")).toHaveLength(1);
    expect(asked.at(-1)).toMatch(/^DELETE \/redfish\/v1\/SessionService\/Sessions\/\d+$/);
    expect(bmc.powerState()).toBe("Off");
  });

  it("a wrong password is a clear error, exit 1, and neither password is printed", async () => {
    const wrong = `wrong-${process.pid}`;
    for (const auth of ["basic", "session"]) {
      const result = await ours("status", { password: wrong, auth });
      expect(result.code).toBe(1);
      expect(result.err.join("\n")).toMatch(/refused (user|a session for user) fenceuser .*HTTP 401.*check username and password/);
      expect([...result.out, ...result.err].join("\n")).not.toContain(wrong);
      expect([...result.out, ...result.err].join("\n")).not.toContain(bmc.password);
    }
  });

  it("a BMC that accepts connections and never answers fails within login_timeout", async () => {
    bmc.silent = true;
    try {
      const started = Date.now();
      const result = await ours("status", { login_timeout: "1" });
      expect(result.code).toBe(1);
      expect(result.err.join("\n")).toMatch(/did not answer GET \/redfish\/v1 within 1000 ms/);
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      bmc.silent = false;
    }
  });

  it("a certificate that does not verify is refused by default, naming both ways out", async () => {
    bmc.setPower("On");
    const refused = await ours("status", { ssl_ca_file: "" });
    expect(refused.code).toBe(1);
    expect(refused.err.join("\n")).toMatch(/certificate of the BMC at https:\/\/127\.0\.0\.1:\d+ does not verify .*ssl_ca_file=FILE.*ssl_insecure=1/);
    expect((await ours("status", { ssl_ca_file: "", ssl_insecure: "1" })).code).toBe(0);
  });

  it("with several systems, the plug picks one; without a plug the error names them", async () => {
    const many = new RedfishBmc({ port: port + 100, user: "fenceuser", password: bmc.password, systems: ["node1", "node2"] });
    await many.start();
    try {
      const common = { ipport: String(port + 100), ssl_ca_file: many.certificateFile };
      const ambiguous = await ours("status", common);
      expect(ambiguous.code).toBe(1);
      expect(ambiguous.err.join("\n")).toMatch(/the BMC has 2 systems \(node1, node2\); set systems_uri, or a plug/);
      expect((await ours("off", { ...common, plug: "node2" })).code).toBe(0);
      expect([many.powerState("node1"), many.powerState("node2")]).toEqual(["On", "Off"]);
      expect((await ours("status", { ...common, systems_uri: "/redfish/v1/Systems/node2" })).code).toBe(2);
    } finally {
      await many.stop();
    }
  });
});
