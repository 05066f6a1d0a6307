// The xvm driver against the real fence_virtd with libvirt's test driver
// (test:///default: one running domain "test"), in a namespace of our own.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import path from "node:path";
import { buildSync } from "esbuild";
import { canUseNamespaces, hasCommand, reasonMissing } from "../../support/environment";
import { Namespace, ip } from "../../support/netns";

const missing = !canUseNamespaces() ? "needs root and network namespaces" : !hasCommand("fence_virtd") ? reasonMissing("fence_virtd") : "";
const port = 33400 + (process.pid % 400);

function configText(keyFile: string): string {
  return `fence_virtd { listener = "multicast"; backend = "libvirt"; module_path = "/usr/lib/${process.arch === "arm64" ? "aarch64" : "x86_64"}-linux-gnu/fence-virt"; }
listeners { multicast { key_file = "${keyFile}"; address = "225.0.0.12"; port = "${port}"; interface = "lo"; family = "ipv4"; hash = "sha256"; auth = "sha256"; } }
backends { libvirt { uri = "test:///default"; } }
`;
}

describe.skipIf(missing !== "")(`xvm driver against fence_virtd ${missing}`, () => { // skipped: without root and namespaces, or fence_virtd; the title names what is missing
  let directory = "";
  let namespace: Namespace | undefined;
  let daemon: ChildProcess | undefined;
  let entry = "";
  let keyFile = "";

  const drive = (action: string, extra: Record<string, string> = {}, timeoutMs = 8000) => {
    const options = { key_file: keyFile, ipport: String(port), retrans: "5", ...extra };
    const result = namespace!.exec(process.execPath, [entry, JSON.stringify({ action, options, timeoutMs })], { timeoutMs: timeoutMs + 5000 });
    if (result.status !== 0) throw new Error(`driver process failed: ${result.stderr}`);
    return JSON.parse(result.stdout) as { exitCode: number; state?: string; message: string; targets?: Array<{ plug: string; alias?: string }> };
  };

  beforeAll(async () => {
    directory = mkdtempSync(path.join(tmpdir(), "eh-xvm-"));
    keyFile = path.join(directory, "fence_xvm.key");
    writeFileSync(keyFile, randomBytes(4096), { mode: 0o600 });
    writeFileSync(path.join(directory, "fence_virt.conf"), configText(keyFile));
    entry = path.join(directory, "entry.cjs");
    buildSync({ entryPoints: [path.join(__dirname, "xvm-entry.ts")], bundle: true, platform: "node", format: "cjs", outfile: entry, logLevel: "silent" });
    namespace = Namespace.create(`ehv${process.pid % 100000}`);
    ip("-n", namespace.name, "link", "set", "lo", "multicast", "on");
    ip("-n", namespace.name, "route", "replace", "224.0.0.0/4", "dev", "lo");
    daemon = spawn("ip", ["netns", "exec", namespace.name, "fence_virtd", "-F", "-f", path.join(directory, "fence_virt.conf"), "-p", path.join(directory, "fence_virtd.pid")], { stdio: "ignore" });
    for (let attempt = 0; attempt < 10; attempt++) {
      if (drive("list", {}, 1500).exitCode === 0) return;
    }
    throw new Error("fence_virtd did not answer");
  }, 60_000);

  afterAll(() => {
    namespace?.delete();
    daemon?.kill("SIGKILL");
    rmSync(directory, { recursive: true, force: true });
  });

  it("lists the test domain", () => {
    const result = drive("list");
    expect(result.exitCode).toBe(0);
    expect(result.targets?.map((target) => target.plug)).toContain("test");
  }, 20_000);

  it("powers the domain off, reports it off, powers it on, reboots it", () => {
    expect(drive("status", { port: "test" })).toMatchObject({ exitCode: 0, state: "on" });
    expect(drive("off", { port: "test" }).exitCode).toBe(0);
    expect(drive("status", { port: "test" })).toMatchObject({ exitCode: 2, state: "off" });
    expect(drive("on", { port: "test" }).exitCode).toBe(0);
    expect(drive("status", { port: "test" })).toMatchObject({ exitCode: 0, state: "on" });
    expect(drive("reboot", { port: "test" }).exitCode).toBe(0);
    expect(drive("status", { port: "test" })).toMatchObject({ exitCode: 0, state: "on" });
    expect(drive("monitor").exitCode).toBe(0);
  }, 60_000);

  it("addresses the domain by its UUID as listed", () => {
    const uuid = drive("list").targets?.find((target) => target.plug === "test")?.alias;
    expect(uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(drive("status", { port: uuid!, use_uuid: "1" })).toMatchObject({ exitCode: 0, state: "on" });
  }, 20_000);

  it("refuses to call an unknown domain fenced", () => {
    const result = drive("status", { port: "nosuch" });
    expect(result.exitCode).toBe(1);
    expect(result.message).toMatch(/not known/);
    expect(drive("off", { port: "nosuch" }).exitCode).toBe(1);
  }, 20_000);

  it("times out with a clear error when the key is wrong", () => {
    const otherKey = path.join(directory, "other.key");
    writeFileSync(otherKey, randomBytes(4096), { mode: 0o600 });
    const result = drive("status", { port: "test", key_file: otherKey }, 3000);
    expect(result.exitCode).toBe(1);
    expect(result.message).toMatch(/no answer from fence_virtd.*key/);
  }, 20_000);
});
