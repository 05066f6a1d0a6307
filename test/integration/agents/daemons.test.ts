// The built-in haproxy and memcached agents against the real programs (Debian packages),
// run as plain OCF agents (`edgeha ocf AGENT ACTION`) on loopback: start, monitor (memcached
// by a real `version` request, haproxy by its process and a TCP connection), killed behind
// the agent's back (the next monitor reports it), stop; a configuration haproxy -c rejects
// is OCF_ERR_CONFIGURED with haproxy's words; a missing parameter is named.
import { afterAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bundleArgs, bundleCommand, reasonMissing } from "../../support/environment";

const directory = mkdtempSync(join(tmpdir(), "eh-daemons-"));
const haproxyPort = 31500 + (process.pid % 200);
const memcachedPort = 31700 + (process.pid % 200);

function ocf(agent: string, action: string, params: Record<string, string>): { status: number | null; stderr: string } {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, OCF_RESOURCE_INSTANCE: `${agent}-test` };
  for (const [key, value] of Object.entries(params)) env[`OCF_RESKEY_${key}`] = value;
  const result = spawnSync(process.execPath, [...bundleArgs, "ocf", agent, action], { env, encoding: "utf8", timeout: 20_000 });
  return { status: result.status, stderr: result.stderr };
}

function ocfWithOutput(agent: string, action: string, params: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, OCF_RESOURCE_INSTANCE: `${agent}-${process.pid}` };
  for (const [key, value] of Object.entries(params)) env[`OCF_RESKEY_${key}`] = value;
  const result = spawnSync(process.execPath, [...bundleArgs, "ocf", agent, action], { env, encoding: "utf8", timeout: 20_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

afterAll(() => {
  for (const file of ["haproxy.pid", "memcached.pid"]) {
    try { process.kill(Number(readFileSync(join(directory, file), "utf8")), "SIGKILL"); } catch { /* not running */ }
  }
  rmSync(directory, { recursive: true, force: true });
});

describe.skipIf(reasonMissing("memcached") !== "")(`built-in memcached ${reasonMissing("memcached")}`, () => { // skipped: without memcached; the title names it
  const params = { listen: "127.0.0.1", port: String(memcachedPort), memory: "8", user: "nobody", pid_file: join(directory, "memcached.pid") };
  it("starts, answers version, is found dead after a kill, and stops", async () => {
    expect(ocf("memcached", "monitor", params).status).toBe(7);
    expect(ocf("memcached", "start", params).status).toBe(0);
    expect(ocf("memcached", "monitor", params).status).toBe(0);
    process.kill(Number(readFileSync(params.pid_file, "utf8")), "SIGKILL");
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(ocf("memcached", "monitor", params).status).toBe(7);
    expect(ocf("memcached", "start", params).status).toBe(0);
    expect(ocf("memcached", "stop", params).status).toBe(0);
    expect(ocf("memcached", "monitor", params).status).toBe(7);
  }, 60_000);

  it("a bad port is OCF_ERR_CONFIGURED naming it", () => {
    const result = ocf("memcached", "start", { ...params, port: "99999" });
    expect(result.status).toBe(6);
    expect(result.stderr).toMatch(/port '99999'/);
  });
});

describe.skipIf(reasonMissing("haproxy", "curl") !== "")(`built-in haproxy ${reasonMissing("haproxy", "curl")}`, () => { // skipped: without haproxy or curl; the title names what is missing
  const config = join(directory, "haproxy.cfg");
  const params = { config, check_address: `127.0.0.1:${haproxyPort}`, pid_file: join(directory, "haproxy.pid") };
  it("validates, starts, accepts connections, is found dead after a kill, and stops", async () => {
    writeFileSync(config, ["defaults", "  mode http", "  timeout connect 1s", "  timeout client 5s", "  timeout server 5s", "frontend web", `  bind 127.0.0.1:${haproxyPort}`, "  http-request return status 200 content-type text/plain string ok", ""].join("\n"));
    expect(ocf("haproxy", "monitor", params).status).toBe(7);
    expect(ocf("haproxy", "start", params).status).toBe(0);
    expect(ocf("haproxy", "monitor", params).status).toBe(0);
    const response = spawnSync("curl", ["-s", "-m", "2", `http://127.0.0.1:${haproxyPort}/`], { encoding: "utf8" });
    expect(response.stdout).toBe("ok");
    process.kill(Number(readFileSync(params.pid_file, "utf8")), "SIGKILL");
    await new Promise((resolve) => setTimeout(resolve, 200));
    const dead = ocf("haproxy", "monitor", params);
    expect(dead.status).toBe(1);
    expect(dead.stderr).toMatch(/is gone/);
    expect(ocf("haproxy", "stop", params).status).toBe(0);
    expect(ocf("haproxy", "monitor", params).status).toBe(7);
  }, 60_000);

  it("a configuration haproxy -c rejects is OCF_ERR_CONFIGURED with haproxy's words; a missing config is named", () => {
    writeFileSync(join(directory, "broken.cfg"), "frontend web\n  bind 127.0.0.1:notaport\n");
    const broken = ocf("haproxy", "start", { ...params, config: join(directory, "broken.cfg") });
    expect(broken.status).toBe(6);
    expect(broken.stderr).toMatch(/haproxy -c rejects/);
    const missing = ocf("haproxy", "start", { pid_file: params.pid_file });
    expect(missing.status).toBe(6);
    expect(missing.stderr).toMatch(/missing required parameter config/);
  });
});

describe.skipIf(reasonMissing("ocf-tester", "memcached", "haproxy", "ping") !== "")(`ocf-tester on the built-in agents ${reasonMissing("ocf-tester", "memcached", "haproxy", "ping")}`, () => { // skipped: without ocf-tester, memcached, haproxy or ping; the title names what is missing
  // ocf-tester runs some checks as an unprivileged user: the wrappers' path must be readable.
  function wrapper(agent: string): string {
    const base = mkdtempSync(join(tmpdir(), "eh-ocf-"));
    chmodSync(base, 0o755);
    mkdirSync(join(base, "resource.d", "edgeha"), { recursive: true, mode: 0o755 });
    const file = join(base, "resource.d", "edgeha", agent);
    writeFileSync(file, `#!/bin/sh\nexec ${bundleCommand.join(" ")} ocf ${agent} "$1"\n`);
    chmodSync(file, 0o755);
    return file;
  }

  for (const [agent, options] of [
    ["dummy", [`state=${join(directory, "ocf-tester-dummy.state")}`]],
    ["memcached", ["listen=127.0.0.1", `port=${memcachedPort + 1}`, "memory=8", `pid_file=${join(directory, "ocf-tester-memcached.pid")}`]],
    ["haproxy", [`config=${join(directory, "tester.cfg")}`, `check_address=127.0.0.1:${haproxyPort + 1}`, `pid_file=${join(directory, "ocf-tester-haproxy.pid")}`]],
    ["process", ["command=sleep 300", `pid_file=${join(directory, "ocf-tester-process.pid")}`]],
    ["ping", ["host_list=127.0.0.1"]],
  ] as const) {
    it(`passes for ${agent}`, () => {
      writeFileSync(join(directory, "tester.cfg"), ["defaults", "  mode http", "  timeout connect 1s", "  timeout client 5s", "  timeout server 5s", "frontend web", `  bind 127.0.0.1:${haproxyPort + 1}`, "  http-request return status 200 content-type text/plain string ok", ""].join("\n"));
      const file = wrapper(agent);
      const result = spawnSync("ocf-tester", ["-n", `${agent}-t`, ...options.flatMap((option) => ["-o", option]), file], { encoding: "utf8", timeout: 120_000 });
      expect(result.stdout + result.stderr).toMatch(/passed all tests/);
      expect(result.status).toBe(0);
      rmSync(join(file, "..", "..", ".."), { recursive: true, force: true });
    }, 150_000);
  }
});

describe.skipIf(reasonMissing("ping") !== "")(`built-in ping ${reasonMissing("ping")}`, () => { // skipped: without ping; the title names it
  it("publishes multiplier x hosts that answer as a node attribute, and withdraws it on stop", () => {
    // 192.0.2.0/24 is TEST-NET-1: nothing answers there.
    const params = { host_list: "127.0.0.1 192.0.2.254", multiplier: "100", name: "connected" };
    const env = (action: string) => ocfWithOutput("ping", action, params);
    expect(env("monitor").status).toBe(7);
    const started = env("start");
    expect(started.status).toBe(0);
    expect(started.stdout).toContain("attribute connected=100");
    expect(env("monitor").stdout).toContain("attribute connected=100");
    const stopped = env("stop");
    expect(stopped.stdout).toContain("attribute connected=(withdrawn)");
    expect(env("monitor").status).toBe(7);
    const missing = ocfWithOutput("ping", "start", {});
    expect(missing.status).toBe(6);
    expect(missing.stderr).toMatch(/missing required parameter host_list/);
  }, 30_000);

  it("inside the agent the attribute reaches the node's report, for location rules", async () => {
    const { LocalResources } = await import("../../../src/node/local-resources");
    const { createActionRunner } = await import("../../../src/node/agent");
    const { emptyCib } = await import("../../../src/cib");
    const { createLogger } = await import("../../../src/common/log");
    const { Writable } = await import("node:stream");
    const logger = createLogger({ destination: new Writable({ write: (_chunk, _encoding, done) => done() }) });
    let resources: InstanceType<typeof LocalResources> | undefined;
    resources = new LocalResources("n1", createActionRunner("n1", undefined, (name, value) => resources!.setAttribute(name, value)), logger, () => 1);
    const cib = emptyCib();
    cib.version = { adminEpoch: 0, epoch: 1, numUpdates: 0 };
    cib.resources = [{ kind: "primitive", id: `pinger${process.pid}`, class: "builtin", type: "ping", extra: {}, instance: [{ id: "p-i", values: { host_list: "127.0.0.1", multiplier: "50" } }], meta: [], operations: [] }];
    resources.configure(cib);
    while (!resources.report().probed) await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await resources.operate(`pinger${process.pid}`, "start")).ok).toBe(true);
    expect(resources.report().attributes.pingd).toBe("50");
    await resources.operate(`pinger${process.pid}`, "stop");
    expect(resources.report().attributes.pingd).toBeUndefined();
    resources.close();
  }, 30_000);
});

describe("built-in process", () => {
  it("starts a command with a pid file, finds it dead after a kill, runs the health command, stops it", async () => {
    const params = { command: "sleep 300", pid_file: join(directory, "process.pid"), health: `test -e ${join(directory, "healthy")}` };
    writeFileSync(join(directory, "healthy"), "");
    expect(ocf("process", "monitor", params).status).toBe(7);
    expect(ocf("process", "start", params).status).toBe(0);
    expect(ocf("process", "monitor", params).status).toBe(0);
    rmSync(join(directory, "healthy"));
    const unhealthy = ocf("process", "monitor", params);
    expect(unhealthy.status).toBe(1);
    expect(unhealthy.stderr).toMatch(/health command failed/);
    process.kill(Number(readFileSync(params.pid_file, "utf8")), "SIGKILL");
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(ocf("process", "monitor", params).stderr).toMatch(/is gone/);
    expect(ocf("process", "stop", params).status).toBe(0);
    expect(ocf("process", "monitor", params).status).toBe(7);
    const failing = ocf("process", "start", { command: "false", pid_file: join(directory, "false.pid") });
    expect(failing.status).toBe(1);
    expect(failing.stderr).toMatch(/exited right after start/);
  }, 30_000);
});
