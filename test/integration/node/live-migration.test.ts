// The running DC migrates a resource live: two real agents on loopback run a journaling OCF
// test agent with allow-migrate; `edgeha resource move` sends it to the other node, and the
// journal shows migrate_to on the source, then migrate_from on the target (each told both
// nodes through OCF_RESKEY_CRM_meta_migrate_source/_target), then the stop on the source, and
// no start on the target. Stonith is off. Every wait is bounded.
import { afterAll, describe, expect, it } from "vitest";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { bundleArgs, repositoryRoot } from "../../support/environment";
import { requestApi } from "../../../src/api";

const directory = mkdtempSync(join(tmpdir(), "eh-migrate-"));
// The build/CIB/config port range (docs/ENGINEERING.md), apart from live-agents' and graph-order's.
const port = 35800 + (process.pid % 150);
const octet = 10 + ((process.pid + 131) % 200);
const stateDirectory = join(directory, "state");
const agents = new Map<string, ChildProcess>();
const socket = (name: string): string => join(directory, `${name}.sock`);

afterAll(() => {
  for (const agent of agents.values()) agent.kill("SIGKILL");
  rmSync(directory, { recursive: true, force: true });
});

const cib = `<cib admin_epoch="0" epoch="1" num_updates="0"><configuration>
  <crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
  <nodes><node id="1" uname="n1"/><node id="2" uname="n2"/></nodes>
  <resources><primitive id="vm" class="ocf" provider="edgeha-test" type="Journal">
    <instance_attributes id="vm-i"><nvpair id="vm-i1" name="dir" value="${stateDirectory}"/></instance_attributes>
    <meta_attributes id="vm-m"><nvpair id="vm-m1" name="allow-migrate" value="true"/></meta_attributes>
    <operations><op id="vm-mon" name="monitor" interval="5s" timeout="10s"/></operations></primitive></resources>
  <constraints><rsc_location id="vm-n1" rsc="vm" node="n1" score="100"/></constraints></configuration><status/></cib>`;

function journal(): string[] {
  const file = join(stateDirectory, "journal");
  return existsSync(file) ? readFileSync(file, "utf8").trim().split("\n").filter(Boolean).map((line) => line.split(" ").slice(0, 4).join(" ")) : [];
}

async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const status = await requestApi(socket("n1"), { command: "status" }, 2000).catch(() => undefined);
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; journal: ${JSON.stringify(journal())}; n1: ${JSON.stringify(status)}`);
}

describe("the DC runs a live migration", () => {
  it("moves a resource with allow-migrate by migrate_to, migrate_from and the stop on the source", async () => {
    writeFileSync(join(directory, "cib.xml"), cib);
    writeFileSync(join(directory, "authkey"), randomBytes(64), { mode: 0o600 });
    writeFileSync(join(directory, "edgeha.yaml"), `cluster_name: ehmigrate\ntransport: { port: ${port} }\npaths: { authkey: ${join(directory, "authkey")} }\nnodes:\n  - { name: n1, id: 1, links: [127.${octet}.9.1] }\n  - { name: n2, id: 2, links: [127.${octet}.9.2] }\n`);
    for (const name of ["n1", "n2"]) {
      const args = [...bundleArgs, "agent", "--config", join(directory, "edgeha.yaml"), "--node", name, "--socket", socket(name), "--state-dir", join(directory, name), "--initial-cib", join(directory, "cib.xml")];
      agents.set(name, spawn(process.execPath, args, { stdio: "ignore", env: { ...process.env, OCF_ROOT: join(repositoryRoot, "test", "fixtures", "ocf") } }));
    }
    await waitFor("vm started on n1", () => journal().includes("end start vm n1"));
    const moved = spawnSync(process.execPath, [...bundleArgs, "resource", "move", "vm", "n2", "--socket", socket("n1")], { encoding: "utf8", timeout: 15_000 });
    expect(moved.status, moved.stderr).toBe(0);
    const lines = await waitFor("the migration to end with the stop on n1", () => { const current = journal(); return current.includes("end stop vm n1") ? current : undefined; });
    const at = (line: string) => { const index = lines.indexOf(line); expect(index, `${line} in ${JSON.stringify(lines)}`).toBeGreaterThanOrEqual(0); return index; };
    expect(at("begin migrate_from vm n2")).toBeGreaterThan(at("end migrate_to vm n1"));
    expect(at("begin stop vm n1")).toBeGreaterThan(at("end migrate_from vm n2"));
    expect(lines.filter((line) => line.includes(" start vm n2"))).toEqual([]);
    const migrations = readFileSync(join(stateDirectory, "migrations"), "utf8").trim().split("\n");
    expect(migrations).toEqual(["migrate_to vm n1 n1 n2", "migrate_from vm n2 n1 n2"]);
    // The next plans read the migration from the history: vm runs on n2, and nothing more happens to it.
    const status = await waitFor("vm shown on n2", () => {
      const result = spawnSync(process.execPath, [...bundleArgs, "status", "--json", "--socket", socket("n1")], { encoding: "utf8", timeout: 5000 });
      if (result.status !== 0) return undefined;
      const parsed = JSON.parse(result.stdout) as { cluster_state: { resources: Array<{ id: string; nodes: string[]; role: string }> } | null };
      const vm = parsed.cluster_state?.resources.find((resource) => resource.id === "vm");
      return vm && vm.role === "Started" && vm.nodes.join() === "n2" ? parsed : undefined;
    });
    expect(status).toBeDefined();
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(journal().slice(lines.length)).toEqual([]);
  }, 150_000);
});
