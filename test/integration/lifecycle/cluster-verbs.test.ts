// The whole-cluster verbs on real agents on loopback: a three-node config with two agents
// running (gamma is configured but never started) and an ordered group of two resources.
// `cluster status --all` shows each member's own view and names gamma as not reached;
// `cluster enable --all` makes each running node run systemctl (a stand-in that writes down
// who ran what: the agents do not run under systemd here) and names gamma with what to run
// there; `cluster start --all` says gamma must be started on gamma; `cluster stop --all` stops
// both agents cleanly: the group stops in reverse order, nothing moves, nobody is fenced, both
// exit 0. Takes about 20 s.
import { afterAll, describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { repositoryRoot } from "../../support/environment";
import { Loopback, address } from "./loopback";

const port = 34280 + (process.pid % 10);
const cluster = new Loopback();
const dir = cluster.directory;
const journalDir = join(dir, "resources");
const systemctl = join(dir, "systemctl");
const systemctlLog = join(dir, "systemctl.log");
afterAll(() => cluster.close());

function write(name: string): void {
  writeFileSync(join(dir, `${name}.yaml`), [
    "cluster_name: ehverbs", `transport: { port: ${port} }`, `paths: { authkey: ${join(dir, "authkey")} }`,
    "timing: { heartbeat_ms: 300, token_ms: 1500, consensus_ms: 1800 }",
    "nodes:", ...["alpha", "beta", "gamma"].map((node, index) => `  - { name: ${node}, id: ${index + 1}, links: [${address(index + 1)}] }`), "",
  ].join("\n"));
}

const journal = () => (existsSync(join(journalDir, "journal")) ? readFileSync(join(journalDir, "journal"), "utf8").trim().split("\n").filter(Boolean) : []);

describe("cluster start|stop|enable|disable|status --all on real agents", () => {
  it("carries each verb to every member, names the node that is down, and stops the cluster cleanly", async () => {
    writeFileSync(join(dir, "authkey"), randomBytes(64), { mode: 0o600 });
    mkdirSync(journalDir, { recursive: true });
    // systemctl's stand-in: records which node ran which action.
    writeFileSync(systemctl, `#!/bin/sh\necho "$EH_NODE $*" >> ${systemctlLog}\n`);
    chmodSync(systemctl, 0o755);
    const primitive = (id: string) => ({
      kind: "primitive", id, class: "ocf", provider: "edgeha-test", type: "Journal", extra: {}, instance: [{ id: `${id}-i`, values: { dir: journalDir } }], meta: [],
      operations: [{ id: `${id}-m`, name: "monitor", interval: "2s", intervalMs: 2000, timeout: "5s", extra: {}, meta: [], instance: [] }],
    });
    const cib = {
      version: { adminEpoch: 0, epoch: 1, numUpdates: 0 }, attributes: {}, properties: [{ id: "o", values: { "stonith-enabled": "false" } }], nodes: [], constraints: [], rscDefaults: [], opDefaults: [], fencingTopology: [], status: [],
      resources: [{ kind: "group", id: "web", meta: [], instance: [], extra: {}, members: [primitive("first"), primitive("second")] }],
    };
    writeFileSync(join(dir, "cib.json"), JSON.stringify(cib));
    for (const name of ["alpha", "beta"]) {
      write(name);
      cluster.start(name, { initialCib: join(dir, "cib.json"), env: { OCF_ROOT: join(repositoryRoot, "test", "fixtures", "ocf"), EDGEHA_SYSTEMCTL: systemctl, EH_NODE: name } });
    }
    const started = await cluster.waitFor("the group started", () => {
      const resources = cluster.status("alpha")?.cluster_state?.resources ?? [];
      const both = ["first", "second"].map((id) => resources.find((resource) => resource.id === id && resource.role === "Started"));
      return both.every(Boolean) && cluster.status("beta")?.dc ? both[0]!.nodes[0] : undefined;
    }, 30_000);

    // Each member's own view: the same DC, members and CIB; gamma is named, not waited for.
    const status = cluster.cli(["cluster", "status", "--all", "--socket", cluster.socket("beta")]);
    expect(status.stdout).toMatch(/\* alpha: DC \w+, quorate, ring \d+, members \[ alpha beta \]/);
    expect(status.stdout).toMatch(/\* beta: DC \w+, quorate, ring \d+, members \[ alpha beta \]/);
    expect(status.stdout).toMatch(new RegExp(`${started}: .*\\n\\s+runs: first second`));
    expect(status.stdout).toMatch(/\* gamma: NOT REACHED: not a member of this node's partition/);
    expect(status.stdout).toMatch(/Every node reached sees the same cluster\./);
    expect(status.status).toBe(1);
    const json = JSON.parse(cluster.cli(["cluster", "status", "--all", "--json", "--socket", cluster.socket("alpha")]).stdout) as { views: Array<{ node: string; dc: string }>; disagreements: string[] };
    expect(json.views.map((view) => view.node)).toEqual(["alpha", "beta"]);
    expect(json.disagreements).toEqual([]);

    // enable --all: each running node runs systemctl on its own machine; gamma is named with its command.
    const enable = cluster.cli(["cluster", "enable", "--all", "--socket", cluster.socket("alpha")]);
    expect(readFileSync(systemctlLog, "utf8").trim().split("\n").sort()).toEqual(["alpha enable edgeha.service", "beta enable edgeha.service"]);
    expect(enable.stdout).toMatch(/^alpha: systemctl enable edgeha\.service: done$/m);
    expect(enable.stdout).toMatch(/^beta: systemctl enable edgeha\.service: done$/m);
    expect(enable.stdout).toMatch(/^gamma: NOT REACHED: .*run 'edgeha cluster enable' on gamma$/m);
    expect(enable.status).toBe(1);
    expect(enable.stderr).toMatch(/E_CLUSTER_PARTIAL/);

    // start --all: this node is started (the stand-in), gamma cannot be from here.
    const start = cluster.cli(["cluster", "start", "--all", "--socket", cluster.socket("alpha")], { env: { EDGEHA_SYSTEMCTL: systemctl, EH_NODE: "cli" } });
    expect(readFileSync(systemctlLog, "utf8")).toMatch(/^cli start edgeha\.service$/m);
    expect(start.stdout).toMatch(/^beta: running \(a member\)$/m);
    expect(start.stdout).toMatch(/^gamma: NOT RUNNING .*run 'edgeha cluster start' on gamma$/m);
    expect(start.status).toBe(1);

    // stop --all: both agents leave together; the group stops in reverse order where it ran, and only there.
    const before = journal().length;
    const exits = ["alpha", "beta"].map((name) => new Promise<number | null>((resolve) => cluster.agents.get(name)!.once("exit", (code) => resolve(code))));
    const stop = cluster.cli(["cluster", "stop", "--all", "--socket", cluster.socket("alpha"), "--wait", "60"], { timeoutMs: 90_000 });
    expect(stop.stdout).toMatch(/^alpha: leaving/m);
    expect(stop.stdout).toMatch(/^beta: leaving/m);
    expect(stop.stdout).toMatch(/^gamma: NOT REACHED/m);
    expect(await Promise.race([Promise.all(exits), new Promise((resolve) => setTimeout(() => resolve("timeout"), 60_000))])).toEqual([0, 0]);
    const after = journal().slice(before).map((line) => line.split(" ").slice(0, 4).join(" "));
    expect(after).toEqual([`begin stop second ${started}`, `end stop second ${started}`, `begin stop first ${started}`, `end stop first ${started}`]);
    // Nobody was fenced (the agent logs "fencing" with the target before any fence action).
    for (const name of ["alpha", "beta"]) expect(cluster.logOf(name)).not.toMatch(/"msg":"fencing"/);
  }, 150_000);
});
