// Issue 15, defect 1, on real agents: `resource delete` of a resource that runs stops it —
// with the parameters it was started with (its state directory), since the configuration no
// longer has them — and neither fences its node (stonith is on here, with no device: a
// failed stop would show as a fencing attempt) nor sends the DC into a re-planning loop.
//
// Scenario: two agents on loopback, stonith-enabled=true; "cache" (a state-file resource in
// its own directory) runs on one node; a configuration without "cache" is sent to the non-DC.
import { afterAll, describe, expect, it } from "vitest";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createWriteStream, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { bundleArgs, repositoryRoot } from "../../support/environment";
import { requestApi } from "../../../src/api";

const directory = mkdtempSync(join(tmpdir(), "ehd-"));
const port = 34200 + (process.pid % 300);
const octet = 10 + (process.pid % 200);
const stateFiles = join(directory, "state");
const agents = new Map<string, ChildProcess>();
const ocfRoot = join(repositoryRoot, "test", "fixtures", "ocf");

interface Status { dc: string | null; cluster_state: { resources: Array<{ id: string; role: string; nodes: string[] }>; fencing: unknown[] } | null }

const socket = (name: string) => join(directory, `${name}.sock`);
const logOf = (name: string) => join(directory, `${name}.log`);

function start(name: string): void {
  const agent = spawn(process.execPath, [...bundleArgs, "agent", "--config", join(directory, "edgeha.yaml"), "--node", name, "--socket", socket(name), "--state-dir", join(directory, name), "--initial-cib", join(directory, "cib.json")], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, OCF_ROOT: ocfRoot } });
  const log = createWriteStream(logOf(name), { flags: "a" });
  agent.stdout!.pipe(log);
  agent.stderr!.pipe(log);
  agents.set(name, agent);
}

function status(name: string): Status | undefined {
  const result = spawnSync(process.execPath, [...bundleArgs, "status", "--json", "--socket", socket(name)], { encoding: "utf8", timeout: 5000 });
  return result.status === 0 ? (JSON.parse(result.stdout) as Status) : undefined;
}

function running(): string[] {
  return existsSync(stateFiles) ? readdirSync(stateFiles).sort() : [];
}

async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; running ${running().join(" ")}`);
}

function stateResource(id: string): object {
  return {
    kind: "primitive", id, class: "ocf", provider: "edgeha-test", type: "State", extra: {},
    instance: [{ id: `${id}-params`, values: { dir: stateFiles } }], meta: [],
    operations: [{ id: `${id}-monitor`, name: "monitor", interval: "1s", intervalMs: 1000, timeout: "5s", extra: {}, meta: [], instance: [] }],
  };
}

function lines(name: string, message: string): number {
  return readFileSync(logOf(name), "utf8").split("\n").filter((line) => line.includes(message)).length;
}

afterAll(() => {
  for (const agent of agents.values()) agent.kill("SIGKILL");
  if (!process.env.EDGEHA_KEEP) rmSync(directory, { recursive: true, force: true });
});

describe("deleting a running resource on real agents", () => {
  it("stops it with the definition it ran with: no failed stop, no fencing, no re-planning loop", async () => {
    writeFileSync(join(directory, "authkey"), randomBytes(64), { mode: 0o600 });
    writeFileSync(join(directory, "edgeha.yaml"), `cluster_name: ehdel\ntransport: { port: ${port} }\npaths: { authkey: ${join(directory, "authkey")} }\nnodes:\n  - { name: n1, id: 1, links: [127.${octet}.7.1] }\n  - { name: n2, id: 2, links: [127.${octet}.7.2] }\n`);
    const cib = {
      version: { adminEpoch: 0, epoch: 1, numUpdates: 0 }, attributes: {},
      properties: [{ id: "cib-bootstrap-options", values: { "stonith-enabled": "true" } }], nodes: [],
      resources: [stateResource("vip"), stateResource("cache")],
      constraints: [], rscDefaults: [{ id: "defaults", values: { "resource-stickiness": "100" } }], opDefaults: [], fencingTopology: [], status: [],
    };
    writeFileSync(join(directory, "cib.json"), JSON.stringify(cib));
    start("n1");
    start("n2");
    const holder = await waitFor("cache started", () => running().find((file) => file.startsWith("cache@"))?.split("@")[1]);
    const dc = await waitFor("a DC", () => status("n1")?.dc ?? undefined);
    const other = dc === "n1" ? "n2" : "n1";
    const planned = lines(dc, "transition planned");

    const current = (await requestApi(socket(other), { command: "cib-get" })) as { cib: typeof cib; version: string };
    const without = { ...current.cib, resources: current.cib.resources.filter((resource) => (resource as { id: string }).id !== "cache") };
    const reply = (await requestApi(socket(other), { command: "cib-replace", base: current.version, cib: without }, 10_000)) as { ok?: boolean };
    expect(reply.ok).toBe(true);

    await waitFor("cache stopped", () => !running().includes(`cache@${holder}`));
    // Settle: a few seconds in which a loop would have planned thousands of transitions.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(running().filter((file) => file.startsWith("cache@"))).toEqual([]);
    expect(running().filter((file) => file.startsWith("vip@"))).toHaveLength(1);
    for (const name of ["n1", "n2"]) {
      expect(lines(name, "a stop failed")).toBe(0);
      expect(lines(name, "fencing")).toBe(0);
    }
    expect(status(dc)?.cluster_state?.fencing).toEqual([]);
    expect(status(dc)?.cluster_state?.resources.map((resource) => resource.id)).toEqual(["vip"]);
    expect(lines(dc, "transition planned") - planned).toBeLessThanOrEqual(2);
  }, 90_000);
});
