// `cluster node add` and `cluster node remove` on a running cluster, three real agents in
// network namespaces (one bridge): a two-node pair (two_node, expected votes 2) takes a third
// node live (every member's file gets it, expected votes 3, two_node cleared), the new node
// joins with the token printed and runs the resource only it may run; then beta is removed
// live: its resource moves away first, alpha and gamma store the list without it (expected
// votes 2, two_node again), beta leaves cleanly and exits 0. The journal of every start and
// stop shows that only beta's resource moved (once) and nothing else restarted; nobody is
// fenced. Refusals (a name or address in use, an unknown node, the local node while it runs
// resources) change nothing. Takes about 30 s.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bundleCommand, canUseNamespaces, repositoryRoot } from "../../support/environment";
import { ip, Namespace } from "../../support/netns";

const usable = canUseNamespaces();
const tag = process.pid % 10000;
const subnet = `10.${30 + (process.pid % 200)}.7`;
// Lifecycle tests use ports 34200-34299.
const port = 34290 + (process.pid % 9);
const names = ["alpha", "beta", "gamma"] as const;
type Name = (typeof names)[number];
const address = (name: Name) => `${subnet}.${names.indexOf(name) + 1}`;

let dir = "";
let hub: Namespace | undefined;
const spaces = new Map<Name, Namespace>();
const agents = new Map<Name, ChildProcess>();

interface View {
  members: Array<{ name: string }>;
  quorum: { quorate: boolean; expected: number; flags: string[] };
  cluster_state: { resources: Array<{ id: string; role: string; nodes: string[] }>; fencing: unknown[] } | null;
}

const socket = (name: Name) => join(dir, `${name}.sock`);
const cli = (args: string[], namespace?: Name) => {
  const command = namespace === undefined ? [...bundleCommand, ...args] : ["ip", "netns", "exec", spaces.get(namespace)!.name, ...bundleCommand, ...args];
  const result = spawnSync(command[0]!, command.slice(1), { encoding: "utf8", timeout: 90_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
};
const view = (name: Name): View | undefined => {
  const result = cli(["status", "--json", "--socket", socket(name)]);
  if (result.status !== 0) return undefined;
  try { return JSON.parse(result.stdout) as View; } catch { return undefined; }
};
const where = (current: View | undefined, id: string) => current?.cluster_state?.resources.find((resource) => resource.id === id && resource.role === "Started")?.nodes[0];
const journal = () => (existsSync(join(dir, "res", "journal")) ? readFileSync(join(dir, "res", "journal"), "utf8").trim().split("\n").map((line) => line.split(" ").slice(0, 4).join(" ")) : []);

async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const logs = names.map((name) => `--- ${name} ---\n${existsSync(join(dir, `${name}.log`)) ? readFileSync(join(dir, `${name}.log`), "utf8").trimEnd().split("\n").slice(-12).join("\n") : ""}`).join("\n");
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${logs}`);
}

function start(name: Name): void {
  const log = openSync(join(dir, `${name}.log`), "a");
  const args = ["agent", "--config", join(dir, `${name}.yaml`), "--node", name, "--socket", socket(name), "--state-dir", join(dir, `state-${name}`), "--initial-cib", join(dir, "cib.json")];
  agents.set(name, spawn("ip", ["netns", "exec", spaces.get(name)!.name, "env", `OCF_ROOT=${join(repositoryRoot, "test", "fixtures", "ocf")}`, ...bundleCommand, ...args], { stdio: ["ignore", log, log] }));
  closeSync(log);
}

function resource(id: string, extra: Record<string, unknown> = {}) {
  return { kind: "primitive", id, class: "ocf", provider: "edgeha-test", type: "Journal", extra: {}, instance: [{ id: `${id}-i`, values: { dir: join(dir, "res") } }], meta: [], operations: [{ id: `${id}-m`, name: "monitor", interval: "2s", intervalMs: 2000, timeout: "10s", extra: {}, meta: [], instance: [] }], ...extra };
}
const location = (id: string, rsc: string, node: string, score: string) => ({ kind: "location", id, rsc, node, score, rules: [], extra: {} });

beforeAll(() => {
  if (!usable) return;
  dir = mkdtempSync(join(tmpdir(), "ehnodes-"));
  mkdirSync(join(dir, "res"));
  hub = Namespace.create(`ehnah${tag}`);
  ip("-n", hub.name, "link", "add", "br0", "type", "bridge");
  ip("-n", hub.name, "link", "set", "br0", "up");
  for (const name of names) {
    const space = Namespace.create(`ehna${name[0]}${tag}`);
    spaces.set(name, space);
    const inside = `e${tag}n${name[0]}`;
    const outside = `h${tag}n${name[0]}`;
    ip("link", "add", inside, "netns", space.name, "type", "veth", "peer", "name", outside, "netns", hub.name);
    ip("-n", space.name, "addr", "add", `${address(name)}/24`, "dev", inside);
    ip("-n", space.name, "link", "set", inside, "up");
    ip("-n", hub.name, "link", "set", outside, "master", "br0");
    ip("-n", hub.name, "link", "set", outside, "up");
  }
  writeFileSync(join(dir, "authkey"), randomBytes(64), { mode: 0o600 });
  const pair = [
    "# the pair's file; gamma gets alpha's through cluster join", "cluster_name: ehnodes", `transport: { port: ${port} }`, `paths: { authkey: ${join(dir, "authkey")} }`,
    "timing: { heartbeat_ms: 300, token_ms: 1500, consensus_ms: 1800 }",
    "nodes:", `  - { name: alpha, id: 1, links: [${address("alpha")}] }`, `  - { name: beta, id: 2, links: [${address("beta")}] }`, "",
  ].join("\n");
  for (const name of ["alpha", "beta"] as const) writeFileSync(join(dir, `${name}.yaml`), pair);
  // r1 prefers alpha, r2 beta; r3 may run on gamma only, which is not in the cluster yet.
  const cib = {
    version: { adminEpoch: 0, epoch: 1, numUpdates: 0 }, attributes: {}, properties: [{ id: "o", values: { "stonith-enabled": "false" } }], nodes: [], rscDefaults: [], opDefaults: [], fencingTopology: [], status: [],
    resources: [resource("r1"), resource("r2"), resource("r3")],
    constraints: [location("l1", "r1", "alpha", "100"), location("l2", "r2", "beta", "100"), location("l3a", "r3", "alpha", "-INFINITY"), location("l3b", "r3", "beta", "-INFINITY")],
  };
  writeFileSync(join(dir, "cib.json"), JSON.stringify(cib));
});

afterAll(() => {
  if (!usable) return;
  for (const agent of agents.values()) agent.kill("SIGKILL");
  for (const space of [...spaces.values(), hub]) space?.delete();
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!usable)("cluster node add and remove, live, in network namespaces", () => { // skipped: without root and network namespaces
  it("adds a third node to a running pair and removes one again, moving only what must move", async () => {
    start("alpha");
    start("beta");
    await waitFor("the pair with r1 on alpha and r2 on beta", () => {
      const current = view("alpha");
      return where(current, "r1") === "alpha" && where(current, "r2") === "beta" && current!.members.length === 2;
    });
    expect(view("beta")!.quorum).toMatchObject({ quorate: true, expected: 2, flags: expect.arrayContaining(["2Node"]) });

    // Refusals change nothing.
    const taken = cli(["cluster", "node", "add", "beta", "--id", "3", "--link", address("gamma"), "--socket", socket("alpha")]);
    expect([taken.status, taken.stderr]).toEqual([1, expect.stringMatching(/a node named 'beta' is in the cluster already.*E_NODE_EXISTS/)]);
    const sameAddress = JSON.parse(cli(["cluster", "node", "add", "gamma", "--id", "3", "--link", address("beta"), "--socket", socket("alpha"), "--json"]).stdout) as { ok: boolean; code: string };
    expect(sameAddress).toMatchObject({ ok: false, code: "E_NODE_EXISTS" });
    expect(cli(["cluster", "node", "remove", "delta", "--socket", socket("alpha")]).stderr).toMatch(/E_NODE_UNKNOWN/);
    expect(cli(["cluster", "node", "remove", "alpha", "--socket", socket("alpha")]).stderr).toMatch(/E_NODE_REMOVE_LOCAL/);
    expect(readFileSync(join(dir, "alpha.yaml"), "utf8")).not.toMatch(/name: gamma|config_version/);

    // Add gamma: every member stores it and counts it at once.
    const added = cli(["cluster", "node", "add", "gamma", "--id", "3", "--link", address("gamma"), "--socket", socket("alpha"), "--json"]);
    expect(added.stderr).toBe("");
    const outcome = JSON.parse(added.stdout) as { ok: boolean; version: number; acknowledged: string[]; join: { token: string } };
    expect(outcome).toMatchObject({ ok: true, version: 1, acknowledged: ["alpha", "beta"] });
    for (const name of ["alpha", "beta"] as const) {
      expect(readFileSync(join(dir, `${name}.yaml`), "utf8")).toMatch(/config_version: 1[\s\S]*name: gamma, id: 3/);
      expect(readFileSync(join(dir, `${name}.yaml`), "utf8")).toMatch(/^# the pair's file/);
      const quorum = view(name)!.quorum;
      expect(quorum).toMatchObject({ quorate: true, expected: 3 });
      expect(quorum.flags).not.toContain("2Node");
    }
    const joined = cli(["cluster", "join", outcome.join.token, "--config", join(dir, "gamma.yaml"), "--node", "gamma"], "gamma");
    expect(joined.stderr).toBe("");
    expect(readFileSync(join(dir, "gamma.yaml"), "utf8")).toBe(readFileSync(join(dir, "alpha.yaml"), "utf8"));
    start("gamma");
    await waitFor("three members and r3 on gamma", () => {
      const current = view("gamma");
      return current?.members.length === 3 && where(current, "r3") === "gamma";
    });
    expect(where(view("alpha"), "r1")).toBe("alpha");
    expect(where(view("alpha"), "r2")).toBe("beta");

    // Remove beta: r2 moves away first, then the list shrinks and beta leaves cleanly.
    const betaExit = new Promise<number | null>((resolve) => agents.get("beta")!.once("exit", (code) => resolve(code)));
    const removed = cli(["cluster", "node", "remove", "beta", "--socket", socket("alpha"), "--json"]);
    expect(removed.stderr).toBe("");
    expect(JSON.parse(removed.stdout)).toMatchObject({ ok: true, version: 2, acknowledged: ["alpha", "gamma"] });
    expect(await Promise.race([betaExit, new Promise((resolve) => setTimeout(() => resolve("still running"), 15_000))])).toBe(0);
    for (const name of ["alpha", "gamma"] as const) {
      expect(readFileSync(join(dir, `${name}.yaml`), "utf8")).toMatch(/config_version: 2/);
      expect(readFileSync(join(dir, `${name}.yaml`), "utf8")).not.toMatch(/name: beta/);
    }
    const after = await waitFor("alpha and gamma alone, r2 moved", () => {
      const current = view("alpha");
      return current?.members.length === 2 && ["alpha", "gamma"].includes(where(current, "r2") ?? "") ? current : undefined;
    });
    expect(after.quorum).toMatchObject({ quorate: true, expected: 2, flags: expect.arrayContaining(["2Node"]) });
    expect(view("gamma")!.quorum).toMatchObject({ quorate: true, expected: 2, flags: expect.arrayContaining(["2Node"]) });
    expect(where(after, "r1")).toBe("alpha");
    expect(where(after, "r3")).toBe("gamma");
    expect(after.cluster_state!.fencing).toEqual([]);
    expect(JSON.parse(cli(["stonith", "history", "--json", "--socket", socket("alpha")]).stdout)).toEqual([]);

    // Every start and stop: r1 and r3 started once and never stopped; r2 moved once.
    const r2Target = where(after, "r2")!;
    const ended = journal().filter((line) => line.startsWith("end "));
    expect(ended.filter((line) => / r1 | r3 /.test(line))).toEqual(expect.arrayContaining(["end start r1 alpha", "end start r3 gamma"]));
    expect(ended.filter((line) => / r1 | r3 /.test(line))).toHaveLength(2);
    expect(ended.filter((line) => / r2 /.test(line))).toEqual(["end start r2 beta", "end stop r2 beta", `end start r2 ${r2Target}`]);
  }, 180_000);
});
