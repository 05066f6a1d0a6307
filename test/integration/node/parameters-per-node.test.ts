// Issue 18: the live cluster runs the parameters the scheduler computed for each node. Two real
// agents on loopback run a clone of the State test agent whose `dir` differs per node: a set
// with a #uname rule gives n2 its own directory, the clone's own instance attributes give every
// other node (n1) a shared one. Each node must start, probe and monitor its instance with its
// own value: the state file lands in that node's directory, and the recurring monitors (1 s)
// find it there (a monitor run with the other node's value would fail and show a failed
// action). Stonith is off. Every wait is bounded.
import { afterAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { bundleArgs } from "../../support/environment";
import { LoopbackAgents } from "../../support/loopback-agents";

const directory = mkdtempSync(join(tmpdir(), "eh-params-"));
const port = 37000 + (process.pid % 200);
const octet = 10 + ((process.pid + 31) % 200);
const cluster = new LoopbackAgents(directory, 60_000);
const shared = join(directory, "shared");
const own = join(directory, "n2-own");

const cib = `<cib admin_epoch="0" epoch="1" num_updates="0"><configuration>
  <crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
  <nodes><node id="1" uname="n1"/><node id="2" uname="n2"/></nodes>
  <resources><clone id="p-clone">
    <instance_attributes id="p-clone-i"><nvpair id="p-clone-dir" name="dir" value="${shared}"/></instance_attributes>
    <primitive id="p" class="ocf" provider="edgeha-test" type="State">
      <instance_attributes id="p-n2"><rule id="p-n2-r" score="0"><expression id="p-n2-e" attribute="#uname" operation="eq" value="n2"/></rule>
        <nvpair id="p-n2-dir" name="dir" value="${own}"/></instance_attributes>
      <operations><op id="p-m" name="monitor" interval="1s" timeout="5s"/></operations>
    </primitive></clone></resources>
  <constraints/></configuration><status/></cib>`;

const files = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).filter((name) => name.includes("@")).sort() : []);

interface Status { cluster_state: { resources: Array<{ id: string; role: string; nodes: string[] }>; failedActions: unknown[] } | null }
function status(name: string): Status | undefined {
  const result = spawnSync(process.execPath, [...bundleArgs, "status", "--json", "--socket", join(directory, `${name}.sock`)], { encoding: "utf8", timeout: 5000 });
  return result.status === 0 ? (JSON.parse(result.stdout) as Status) : undefined;
}

afterAll(() => {
  cluster.killAll();
  if (!process.env.EDGEHA_KEEP) rmSync(directory, { recursive: true, force: true });
});

describe("parameters resolved per node, live", () => {
  it("each node runs the clone instance with its own rule's value", async () => {
    writeFileSync(join(directory, "cib.xml"), cib);
    writeFileSync(join(directory, "authkey"), randomBytes(64), { mode: 0o600 });
    writeFileSync(join(directory, "edgeha.yaml"), `cluster_name: ehparams\ntransport: { port: ${port} }\npaths: { authkey: ${join(directory, "authkey")} }\nnodes:\n  - { name: n1, id: 1, links: [127.${octet}.11.1] }\n  - { name: n2, id: 2, links: [127.${octet}.11.2] }\n`);
    cluster.start("n1");
    cluster.start("n2");
    const where = () => `shared: ${files(shared).join(" ")}; n2-own: ${files(own).join(" ")}`;
    await cluster.waitFor("an instance started on each node", () => {
      const all = [...files(shared), ...files(own)];
      return all.some((name) => name.endsWith("@n1")) && all.some((name) => name.endsWith("@n2"));
    });
    // Monitors run every second: a few rounds with the parameters each node was started with.
    await new Promise((resolve) => setTimeout(resolve, 4000));
    expect(files(shared).map((name) => name.replace(/^p(:\d+)?@/, "")), where()).toEqual(["n1"]);
    expect(files(own).map((name) => name.replace(/^p(:\d+)?@/, "")), where()).toEqual(["n2"]);
    const state = await cluster.waitFor("the DC's status", () => status("n1")?.cluster_state ?? undefined);
    expect(state.failedActions, JSON.stringify(state)).toEqual([]);
    expect(state.resources.filter((resource) => resource.role === "Started").flatMap((resource) => resource.nodes).sort()).toEqual(["n1", "n2"]);
  }, 120_000);
});
