// `edgeha config reload` and SIGHUP on real agents on loopback, with a resource running: a file
// with an error and a file that changes what cannot change live are refused whole (the agent
// keeps running as it was); timing, the log level, metrics.listen and a node's link address
// change live (one node by the CLI, the other by SIGHUP), the peers follow, and the resource is
// never stopped. Takes about 30 s.
import { afterAll, describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { repositoryRoot } from "../../support/environment";
import { Loopback, address } from "./loopback";

const port = 34260 + (process.pid % 10);
const metricsPort = 34270 + (process.pid % 10);
const cluster = new Loopback();
const dir = cluster.directory;
const stateFiles = join(dir, "resources");
afterAll(() => cluster.close());

function write(name: string, options: { heartbeatMs?: number; alphaHost?: number; level?: string; metrics?: boolean; port?: number; broken?: boolean } = {}): void {
  writeFileSync(join(dir, `${name}.yaml`), [
    "cluster_name: ehreload", `transport: { port: ${options.port ?? port} }`, `paths: { authkey: ${join(dir, "authkey")} }`,
    // A generous token whatever the heartbeat: this test proves what a reload changes, not speed (a loaded machine pauses agents).
    `timing: { heartbeat_ms: ${options.heartbeatMs ?? 300}, token_ms: 1500, consensus_ms: 1800 }`, `logging: { level: ${options.level ?? "info"} }`,
    ...(options.metrics ? [`metrics: { listen: "${address(1)}:${metricsPort}" }`] : []),
    ...(options.broken ? ["quorum: { two_node: maybe }"] : []),
    "nodes:", `  - { name: alpha, id: 1, links: [${address(options.alphaHost ?? 1)}] }`, `  - { name: beta, id: 2, links: [${address(2)}] }`, "",
  ].join("\n"));
}

const heartbeatsSent = (name: string) => (cluster.status(name) as unknown as { frames: Record<string, number> } | undefined)?.frames["sent-heartbeat"] ?? 0;
const resourceFile = () => join(stateFiles, "svc@" + (cluster.status("alpha")?.cluster_state?.resources.find((resource) => resource.id === "svc")?.nodes[0] ?? "?"));

describe("config reload on real agents", () => {
  it("refuses bad and non-live changes whole, applies live ones by CLI and SIGHUP, and stops nothing", async () => {
    writeFileSync(join(dir, "authkey"), randomBytes(64), { mode: 0o600 });
    mkdirSync(stateFiles, { recursive: true });
    const cib = {
      version: { adminEpoch: 0, epoch: 1, numUpdates: 0 }, attributes: {}, properties: [{ id: "o", values: { "stonith-enabled": "false" } }], nodes: [], constraints: [], rscDefaults: [], opDefaults: [], fencingTopology: [], status: [],
      resources: [{ kind: "primitive", id: "svc", class: "ocf", provider: "edgeha-test", type: "State", extra: {}, instance: [{ id: "svc-i", values: { dir: stateFiles } }], meta: [], operations: [{ id: "svc-m", name: "monitor", interval: "1s", intervalMs: 1000, timeout: "5s", extra: {}, meta: [], instance: [] }] }],
    };
    writeFileSync(join(dir, "cib.json"), JSON.stringify(cib));
    for (const name of ["alpha", "beta"]) {
      write(name);
      cluster.start(name, { initialCib: join(dir, "cib.json"), env: { OCF_ROOT: join(repositoryRoot, "test", "fixtures", "ocf") } });
    }
    await cluster.waitFor("svc started", () => cluster.status("beta")?.cluster_state?.resources.find((resource) => resource.id === "svc" && resource.role === "Started"), 30_000);
    const file = resourceFile();
    const inode = statSync(file).ino;
    const ring = cluster.status("alpha")!.ringId;

    // An error in the file: refused with its line, nothing applied.
    write("alpha", { heartbeatMs: 100, broken: true });
    const broken = cluster.cli(["config", "reload", "--socket", cluster.socket("alpha")]);
    expect(broken.status).toBe(1);
    expect(broken.stderr).toMatch(/has 1 error; nothing was applied, the running configuration stays/);
    expect(broken.stderr).toMatch(/alpha\.yaml:\d+:\d+: .*two_node/);

    // A change that cannot be made live: refused, saying why and what to do instead.
    write("alpha", { heartbeatMs: 100, port: port + 1 });
    const refused = cluster.cli(["config", "reload", "--socket", cluster.socket("alpha")]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/transport\.port: \d+ -> \d+ \(cannot change live: .*restart the agents one at a time/);
    expect(refused.stderr).not.toMatch(/timing/);
    // Nothing of it was applied: the peers still agree on every setting.
    expect(cluster.status("beta")?.versions?.warnings).toEqual([]);

    // Live: a faster heartbeat, the warn log level and metrics on alpha, by the CLI.
    const before = heartbeatsSent("alpha");
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const slowRate = heartbeatsSent("alpha") - before;
    write("alpha", { heartbeatMs: 100, level: "warn", metrics: true });
    const applied = cluster.cli(["config", "reload", "--socket", cluster.socket("alpha")]);
    expect(applied.stderr).toBe("");
    expect(applied.stdout).toMatch(/reloaded .*alpha\.yaml: \d changes applied live/);
    expect(applied.stdout).not.toMatch(/token_ms/);
    expect(applied.stdout).toMatch(/timing\.heartbeat_ms: 300 -> 100/);
    expect(applied.stdout).toMatch(/logging\.level: info -> warn/);
    // At warn, the reload's own (info) line is not logged.
    expect(cluster.logOf("alpha")).not.toMatch(/applied live/);
    // beta still runs the old timing: it names the difference until it reloads too.
    await cluster.waitFor("beta to see the difference", () => cluster.status("beta")?.versions?.warnings.some((warning) => warning.includes("timing.heartbeat_ms")));
    const metrics = spawnSync("curl", ["-s", "-m", "3", `http://${address(1)}:${metricsPort}/metrics`], { encoding: "utf8" });
    expect(metrics.stdout).toMatch(/edgeha_|ha_cluster_/);
    const start = heartbeatsSent("alpha");
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(heartbeatsSent("alpha") - start).toBeGreaterThan(slowRate * 2);

    // beta by SIGHUP; then alpha's link moves to another address on both nodes.
    write("beta", { heartbeatMs: 100 });
    cluster.agents.get("beta")!.kill("SIGHUP");
    await cluster.waitFor("beta to reload on SIGHUP", () => /applied live/.test(cluster.logOf("beta")));
    await cluster.waitFor("the difference gone", () => cluster.status("beta")?.versions?.warnings.length === 0);
    write("alpha", { heartbeatMs: 100, level: "info", metrics: true, alphaHost: 3 });
    write("beta", { heartbeatMs: 100, alphaHost: 3 });
    expect(cluster.cli(["config", "reload", "--socket", cluster.socket("alpha")]).stdout).toMatch(/nodes\[alpha\]\.links: \["127\.\d+\.1\.1"\] -> \["127\.\d+\.3\.1"\]/);
    expect(cluster.cli(["config", "reload", "--socket", cluster.socket("beta")]).status).toBe(0);
    await cluster.waitFor("the pair on alpha's new address", () => cluster.status("beta")?.members.length === 2 && (cluster.status("beta") as unknown as { members: Array<{ name: string; links: Array<{ address: string; state: string }> }> }).members.find((member) => member.name === "alpha")?.links[0]?.state === "up" && (cluster.status("beta") as unknown as { members: Array<{ name: string; links: Array<{ address: string }> }> }).members.find((member) => member.name === "alpha")!.links[0]!.address === address(3));
    // Back at info, alpha logs its reload again.
    expect(cluster.logOf("alpha")).toMatch(/applied live/);
    // Each difference was logged once, not again when the other node reloaded.
    expect(cluster.logOf("beta").split("\n").filter((line) => line.includes("bootstrap config differs from this node's in timing.heartbeat_ms"))).toHaveLength(1);

    // Through all of it the resource was never stopped and the view never changed.
    const operations = ["alpha", "beta"].flatMap((name) => cluster.logOf(name).split("\n").filter((line) => /svc|membership view|DC|elected/.test(line)).map((line) => `${name}: ${line.slice(0, 300)}`));
    expect(cluster.status("alpha")!.ringId, operations.join("\n")).toBe(ring);
    expect(statSync(file).ino, operations.join("\n")).toBe(inode);
    expect(readFileSync(file, "utf8")).toBe("");
  }, 120_000);
});
