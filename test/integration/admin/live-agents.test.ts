// The admin commands against two real agents on loopback: the initial CIB is
// written offline with `-f`, then resources are moved, created, colocated and
// cleared live through one agent's socket, one is restarted, and one's parameters are updated while it runs (its state directory too); each change reaches both members and
// the cluster acts on it. Stonith is off here (the namespace tests cover fencing).
// Every wait is bounded.
import { afterAll, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { bundleArgs, repositoryRoot } from "../../support/environment";
import { runInProcess } from "../../support/cli";
import { requestApi } from "../../../src/api";

const directory = mkdtempSync(join(tmpdir(), "eha-"));
// The build/CIB/config port range (docs/ENGINEERING.md); pid-derived so parallel runs differ.
const port = 35100 + (process.pid % 300);
const octet = 10 + (process.pid % 200);
const stateFiles = join(directory, "state");
const ocfRoot = join(repositoryRoot, "test", "fixtures", "ocf");
const agents = new Map<string, ChildProcess>();
const socket = (name: string): string => join(directory, `${name}.sock`);

interface Summary { resources: Array<{ id: string; role: string; nodes: string[] }> }
interface Status { dc: string | null; cibVersion: string; cluster_state: Summary | null }

afterAll(() => {
  for (const agent of agents.values()) agent.kill("SIGKILL");
  rmSync(directory, { recursive: true, force: true });
});

async function status(name: string): Promise<Status | undefined> {
  try {
    return (await requestApi(socket(name), { command: "status" }, 2000)) as Status;
  } catch {
    return undefined;
  }
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; n1 says ${JSON.stringify(await status("n1"))}; state files ${existsSync(stateFiles) ? readdirSync(stateFiles).join(" ") : "none"}`);
}

async function nodeOf(resource: string, via = "n1"): Promise<string | undefined> {
  const found = (await status(via))?.cluster_state?.resources.find((item) => item.id === resource);
  return found?.role === "Started" && found.nodes.length === 1 ? found.nodes[0] : undefined;
}

// The CLI reads the test agents meta-data (as pcs would) from the test OCF root.
const cli = (...argv: string[]) => runInProcess(argv, undefined, "", { OCF_ROOT: ocfRoot });
const stateResource = (id: string): string[] => ["resource", "create", id, "ocf:edgeha-test:State", `dir=${stateFiles}`, "op", "monitor", "interval=1s", "timeout=5s"];

describe("admin commands on a running two-node cluster", () => {
  it("writes the initial CIB offline, then moves, creates, colocates and clears live", async () => {
    const cibFile = join(directory, "cib.json");
    writeFileSync(cibFile, JSON.stringify({ version: { adminEpoch: 0, epoch: 1, numUpdates: 0 } }));
    for (const argv of [["property", "set", "stonith-enabled=false"], stateResource("vip"), ["resource", "update", "vip", "meta", "resource-stickiness=100"]]) {
      expect((await cli(...argv, "-f", cibFile)).status).toBe(0);
    }
    writeFileSync(join(directory, "authkey"), randomBytes(64), { mode: 0o600 });
    writeFileSync(join(directory, "edgeha.yaml"), `cluster_name: ehadmin\ntransport: { port: ${port} }\npaths: { authkey: ${join(directory, "authkey")} }\nnodes:\n  - { name: n1, id: 1, links: [127.${octet}.7.1] }\n  - { name: n2, id: 2, links: [127.${octet}.7.2] }\n`);
    for (const name of ["n1", "n2"]) {
      const args = [...bundleArgs, "agent", "--config", join(directory, "edgeha.yaml"), "--node", name, "--socket", socket(name), "--state-dir", join(directory, name), "--initial-cib", cibFile];
      agents.set(name, spawn(process.execPath, args, { stdio: "ignore", env: { ...process.env, OCF_ROOT: ocfRoot } }));
    }
    const first = await waitFor("vip started on one node", () => nodeOf("vip"));
    const other = first === "n1" ? "n2" : "n1";

    // move: a versioned change made through the node vip runs on; the cluster moves vip.
    const moved = await cli("resource", "move", "vip", other, "--socket", socket(first), "--json");
    expect(moved.status).toBe(0);
    const movedVersion = (JSON.parse(moved.out) as { version: string }).version;
    await waitFor(`vip on ${other}`, async () => (await nodeOf("vip", other)) === other);
    // Both members hold the change (or a newer CIB): compare admin_epoch, epoch, num_updates as numbers.
    const numbers = (version: string): number[] => version.split(".").map(Number);
    const atLeast = (left: number[], right: number[]): boolean => (left[0]! - right[0]! || left[1]! - right[1]! || left[2]! - right[2]!) >= 0;
    for (const name of ["n1", "n2"]) {
      const held = ((await requestApi(socket(name), { command: "cib-get" })) as { version: string }).version;
      expect(atLeast(numbers(held), numbers(movedVersion))).toBe(true);
    }

    // create + colocate through the other node: cache joins vip.
    expect((await cli(...stateResource("cache"), "--socket", socket(other))).status).toBe(0);
    expect((await cli("constraint", "colocation", "add", "cache", "with", "vip", "--socket", socket(other))).status).toBe(0);
    await waitFor("cache with vip", async () => (await nodeOf("cache", first)) === other);

    // A mistake names the near resource and changes nothing.
    const typo = await cli("resource", "move", "vipp", first, "--socket", socket(first));
    expect(typo.status).toBe(1);
    expect(typo.err).toContain("did you mean 'vip'?");

    // clear removes cli-prefer-vip everywhere; the colocation stays; stickiness keeps vip where it is.
    expect((await cli("resource", "clear", "vip", "--socket", socket(first))).status).toBe(0);
    const constraints = JSON.parse((await cli("constraint", "list", "--json", "--socket", socket(other))).out) as Array<{ id: string }>;
    expect(constraints.map((constraint) => constraint.id)).toEqual(["colocation-cache-vip-INFINITY"]);
    expect((await cli("config", "show", "--socket", socket(first))).out).toMatch(/vip \(ocf:edgeha-test:State\)[\s\S]*cache \(ocf:edgeha-test:State\)/);

    // restart: stop then start; the agent's stop removes the state file and start makes a new, empty one.
    const cacheState = join(stateFiles, `cache@${other}`);
    appendFileSync(cacheState, "before restart\n");
    const restarted = await cli("resource", "restart", "cache", "--timeout", "30", "--socket", socket(first));
    expect(restarted).toMatchObject({ status: 0, out: `restarted cache (on ${other})\n` });
    expect(readFileSync(cacheState, "utf8")).toBe("");
    const meta = JSON.parse((await cli("config", "show", "--json", "--socket", socket(other))).out) as { resources: Array<{ id: string; meta: Array<{ values: Record<string, string> }> }> };
    expect(meta.resources.find((resource) => resource.id === "cache")!.meta.every((set) => set.values["target-role"] === undefined)).toBe(true);

    // relocate: vip prefers `first` by 50, but its stickiness (100) keeps it on `other`; relocate
    // moves it (cache follows through the colocation), then drops its temporary constraint.
    expect((await cli("constraint", "location", "vip", "prefers", `${first}=50`, "--socket", socket(first))).status).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await nodeOf("vip", first)).toBe(other);
    const dryRun = await cli("resource", "relocate", "--dry-run", "--socket", socket(first));
    // cache would follow vip (colocation), so it is listed too.
    expect(dryRun).toMatchObject({ status: 0, out: `would move vip: ${other} -> ${first}\nwould move cache: ${other} -> ${first}\n` });
    expect(await nodeOf("vip", first)).toBe(other);
    const relocated = await cli("resource", "relocate", "vip", "--timeout", "30", "--socket", socket(other), "--json");
    expect(relocated.status).toBe(0);
    expect(JSON.parse(relocated.out)).toEqual({ ok: true, relocations: [{ resource: "vip", from: [other], to: first }] });
    expect(await nodeOf("vip", other)).toBe(first);
    await waitFor(`cache follows vip to ${first}`, async () => (await nodeOf("cache", first)) === first);
    const left = JSON.parse((await cli("constraint", "list", "--json", "--socket", socket(first))).out) as Array<{ id: string }>;
    expect(left.map((constraint) => constraint.id).sort()).toEqual(["colocation-cache-vip-INFINITY", `location-vip-${first}-50`]);
    expect((await cli("resource", "relocate", "--socket", socket(first))).out).toBe("every resource already runs on its preferred node\n");
    const unknown = await cli("resource", "relocate", "vpi", "--socket", socket(first));
    expect(unknown.status).toBe(1);
    expect(unknown.err).toContain("did you mean 'vip'?");

    // update of a running resource's parameter that its probe does not notice (the state file is
    // still there): the DC sees the recorded op-digest differ and restarts cache where it runs
    // (stop empties nothing but removes the file, start makes a new, empty one).
    const runningState = join(stateFiles, `cache@${first}`);
    appendFileSync(runningState, "before update\n");
    expect((await cli("resource", "update", "cache", "probe_delay=0", "--socket", socket(other))).status).toBe(0);
    await waitFor("cache restarted with its new parameter", async () => existsSync(runningState) && readFileSync(runningState, "utf8") === "" && (await nodeOf("cache", first)) === first);

    // update of the parameter that says where its state lives: the restart's stop runs with the
    // directory cache was started with (the old state file goes), its start with the new one.
    const newDir = join(stateFiles, "moved");
    expect((await cli("resource", "update", "cache", `dir=${newDir}`, "--socket", socket(other))).status).toBe(0);
    await waitFor("cache restarted in its new state directory, its old state file gone", async () => !existsSync(runningState) && existsSync(join(newDir, `cache@${first}`)) && (await nodeOf("cache", first)) === first);
  }, 120_000);
});
