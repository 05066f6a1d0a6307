// An agent whose controller cannot carry on ends itself, loudly: here the configuration
// store under its state directory is replaced by a plain file, so the next configuration
// change cannot be stored. The agent must not answer the change as done, nor carry on with
// a half-updated controller: it logs the error at level fatal and exits with status 70.
import { afterAll, describe, expect, it } from "vitest";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { bundleArgs } from "../../support/environment";
import { requestApi } from "../../../src/api";

const directory = mkdtempSync(join(tmpdir(), "ehf-"));
const port = 34600 + (process.pid % 300);
const octet = 10 + (process.pid % 200);
const socket = join(directory, "solo.sock");
let agent: ChildProcess | undefined;

afterAll(() => {
  agent?.kill("SIGKILL");
  rmSync(directory, { recursive: true, force: true });
});

async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

describe("an agent that cannot keep its promises", () => {
  it("exits with status 70 after logging a fatal line, and does not acknowledge the change", async () => {
    writeFileSync(join(directory, "authkey"), randomBytes(64), { mode: 0o600 });
    writeFileSync(join(directory, "edgeha.yaml"), `cluster_name: ehfatal\ntransport: { port: ${port} }\npaths: { authkey: ${join(directory, "authkey")} }\nnodes:\n  - { name: solo, id: 1, links: [127.${octet}.6.1] }\n`);
    const stateDir = join(directory, "state");
    let output = "";
    agent = spawn(process.execPath, [...bundleArgs, "agent", "--config", join(directory, "edgeha.yaml"), "--node", "solo", "--socket", socket, "--state-dir", stateDir], { stdio: ["ignore", "pipe", "pipe"] });
    agent.stdout!.on("data", (chunk: Buffer) => { output += chunk.toString(); });
    const exited = new Promise<number | null>((resolve) => agent!.once("exit", (code) => resolve(code)));
    await waitFor("the node to be its own DC", () => {
      const result = spawnSync(process.execPath, [...bundleArgs, "status", "--json", "--socket", socket], { encoding: "utf8", timeout: 5000 });
      return result.status === 0 && (JSON.parse(result.stdout) as { dc: string | null }).dc === "solo";
    });
    const current = (await requestApi(socket, { command: "cib-get" })) as { cib: Record<string, unknown>; version: string };
    rmSync(join(stateDir, "cib"), { recursive: true, force: true });
    writeFileSync(join(stateDir, "cib"), "not a directory");
    const changed = { ...current.cib, properties: [{ id: "cib-bootstrap-options", values: { "stonith-enabled": "false" } }] };
    const reply = await requestApi(socket, { command: "cib-replace", base: current.version, cib: changed }, 10_000).catch((error: unknown) => ({ failed: String(error) }));
    expect(reply).not.toMatchObject({ ok: true });
    const status = await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve("still running"), 10_000))]);
    expect(status).toBe(70);
    const fatal = output.split("\n").filter((line) => line.includes("\"level\":60"));
    expect(fatal).toHaveLength(1);
    expect(fatal[0]).toContain("the controller failed");
  }, 60_000);
});
