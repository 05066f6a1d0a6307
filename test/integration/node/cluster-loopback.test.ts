// Two real agents on loopback addresses running a group of test resources (state files,
// one per node): they elect a DC and start the group once; a resource killed behind their
// back is recovered in place; a configuration change made on the non-DC is stored on both
// before it is reported, survives a kill -9 of the DC right after, changes then wait for the
// lost peer (E_PEER_UNCONFIRMED: no fencing, no arbiter) and a stale forced change is
// refused; a graceful `node stop` moves the group away; kill -9 of the active agent moves it
// too (stonith is off here: the namespace tests cover fencing). Every wait is bounded.
import { afterAll, describe, expect, it } from "vitest";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { bundleArgs, repositoryRoot } from "../../support/environment";
import { requestApi } from "../../../src/api";
import { CibStore, formatVersion } from "../../../src/cib";

const directory = mkdtempSync(join(tmpdir(), "ehc-"));
const port = 34100 + (process.pid % 300);
const octet = 10 + (process.pid % 200);
const stateFiles = join(directory, "state");
const agents = new Map<string, ChildProcess>();
const ocfRoot = join(repositoryRoot, "test", "fixtures", "ocf");

interface Summary { dc: string; resources: Array<{ id: string; role: string; nodes: string[] }>; failedActions: Array<{ resource: string; operation: string }>; nodes: Array<{ name: string; state: string }> }
interface Status { dc: string | null; cibVersion: string; cluster_state: Summary | null }

function socket(name: string): string {
  return join(directory, `${name}.sock`);
}

function start(name: string): void {
  const agent = spawn(process.execPath, [...bundleArgs, "agent", "--config", join(directory, "edgeha.yaml"), "--node", name, "--socket", socket(name), "--state-dir", join(directory, name), "--initial-cib", join(directory, "cib.json")], { stdio: "ignore", env: { ...process.env, OCF_ROOT: ocfRoot } });
  agents.set(name, agent);
}

function status(name: string): Status | undefined {
  const result = spawnSync(process.execPath, [...bundleArgs, "status", "--json", "--socket", socket(name)], { encoding: "utf8", timeout: 5000 });
  return result.status === 0 ? (JSON.parse(result.stdout) as Status) : undefined;
}

async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; n1 says ${JSON.stringify(status("n1")?.cluster_state)}; n2 says ${JSON.stringify(status("n2")?.cluster_state)}; running ${running().join(" ")}`);
}

function holderOf(view: Status | undefined, resources: string[]): string | undefined {
  const summary = view?.cluster_state;
  if (!summary) return undefined;
  const nodes = resources.map((id) => summary.resources.find((resource) => resource.id === id));
  if (nodes.some((resource) => resource?.role !== "Started" || resource.nodes.length !== 1)) return undefined;
  const names = new Set(nodes.map((resource) => resource!.nodes[0]));
  return names.size === 1 ? [...names][0] : undefined;
}

function running(): string[] {
  return existsSync(stateFiles) ? readdirSync(stateFiles).sort() : [];
}

function stateResource(id: string): object {
  return {
    kind: "primitive", id, class: "ocf", provider: "edgeha-test", type: "State", extra: {},
    instance: [{ id: `${id}-params`, values: { dir: stateFiles } }], meta: [],
    operations: [{ id: `${id}-monitor`, name: "monitor", interval: "1s", intervalMs: 1000, timeout: "5s", extra: {}, meta: [], instance: [] }],
  };
}

afterAll(() => {
  for (const agent of agents.values()) agent.kill("SIGKILL");
  rmSync(directory, { recursive: true, force: true });
});

describe("a two-node cluster of real agents on loopback", () => {
  it("runs the group once, recovers, replicates changes durably, moves on stop and on crash", async () => {
    writeFileSync(join(directory, "authkey"), randomBytes(64), { mode: 0o600 });
    writeFileSync(join(directory, "edgeha.yaml"), `cluster_name: ehcloop\ntransport: { port: ${port} }\npaths: { authkey: ${join(directory, "authkey")} }\nnodes:\n  - { name: n1, id: 1, links: [127.${octet}.5.1] }\n  - { name: n2, id: 2, links: [127.${octet}.5.2] }\n`);
    const cib = {
      version: { adminEpoch: 0, epoch: 1, numUpdates: 0 }, attributes: {},
      properties: [{ id: "cib-bootstrap-options", values: { "stonith-enabled": "false" } }], nodes: [],
      resources: [{ kind: "group", id: "web", extra: {}, instance: [], meta: [], members: [stateResource("vip"), stateResource("proxy")] }],
      constraints: [], rscDefaults: [{ id: "defaults", values: { "resource-stickiness": "100" } }], opDefaults: [], fencingTopology: [], status: [],
    };
    writeFileSync(join(directory, "cib.json"), JSON.stringify(cib));
    start("n1");
    start("n2");

    // One DC, the group started exactly once, members agree.
    const active = await waitFor("the group started on one node", () => holderOf(status("n1"), ["vip", "proxy"]));
    const other = active === "n1" ? "n2" : "n1";
    expect(status(other)?.dc).toBe(status(active)?.dc);
    expect(running()).toEqual([`proxy@${active}`, `vip@${active}`]);

    // Killed behind the back: the monitor sees it and the DC recovers it in place.
    rmSync(join(stateFiles, `proxy@${active}`));
    await waitFor("the failure to show", () => status(other)?.cluster_state?.failedActions.some((failure) => failure.resource === "proxy" && failure.operation === "monitor"));
    await waitFor("proxy recovered in place", () => running().includes(`proxy@${active}`) && holderOf(status(other), ["vip", "proxy"]) === active);

    // A change made on the non-DC is answered only when both nodes stored it.
    const dc = status(other)!.dc!;
    const nonDc = dc === "n1" ? "n2" : "n1";
    const current = (await requestApi(socket(nonDc), { command: "cib-get" })) as { cib: typeof cib; version: string };
    const changed = { ...current.cib, resources: [...current.cib.resources, stateResource("cache")] };
    const reply = (await requestApi(socket(nonDc), { command: "cib-replace", base: current.version, cib: changed }, 10_000)) as { ok?: boolean; version?: string };
    expect(reply.ok).toBe(true);
    agents.get(dc)!.kill("SIGKILL");
    for (const name of ["n1", "n2"]) expect(formatVersion(new CibStore(join(directory, name, "cib")).load().cib!.version)).toBe(reply.version);
    await waitFor("the survivor to be DC", () => status(nonDc)?.dc === nonDc);
    // A pair without fencing whose peer was lost (kill -9 is no clean stop): changes wait for it (issue 15).
    const waiting = (await requestApi(socket(nonDc), { command: "cib-replace", base: reply.version, cib: changed }, 10_000)) as { code?: string };
    expect(waiting.code).toBe("E_PEER_UNCONFIRMED");
    // --this-half-only (the request's force field) goes past that, never past a stale base.
    const stale = (await requestApi(socket(nonDc), { command: "cib-replace", base: current.version, cib: changed, force: true }, 10_000)) as { code?: string };
    expect(stale.code).toBe("E_CIB_CONFLICT");
    await waitFor("the survivor to run the new resource", () => status(nonDc)?.cluster_state?.resources.find((resource) => resource.id === "cache")?.nodes.includes(nonDc));

    // The killed DC comes back with the change and joins without taking the DC role.
    start(dc);
    await waitFor("both nodes online again", () => status(dc)?.cluster_state?.nodes.every((node) => node.state === "online"));
    expect(status(dc)?.dc).toBe(nonDc);
    expect(status(dc)?.cibVersion).toBe(reply.version);

    // Graceful stop of the node that runs the group: it moves, and that agent exits by itself.
    const holder = await waitFor("a holder", () => holderOf(status(nonDc), ["vip", "proxy"]));
    const remaining = holder === "n1" ? "n2" : "n1";
    const stopping = agents.get(holder)!;
    const exited = new Promise<number | null>((resolve) => stopping.once("exit", resolve));
    const stopped = spawnSync(process.execPath, [...bundleArgs, "node", "stop", "--socket", socket(holder)], { encoding: "utf8", timeout: 5000 });
    expect(stopped.status).toBe(0);
    await waitFor("the group on the remaining node", () => holderOf(status(remaining), ["vip", "proxy"]) === remaining);
    expect(await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve("still running"), 10_000))])).toBe(0);
    expect(running().filter((file) => file.endsWith(`@${holder}`))).toEqual([]);
  }, 90_000);
});
