// The running DC obeys the scheduler's graph: two real agents on loopback start resources
// whose order the DC used to ignore — an optional order between two primitives and an
// interleaved mandatory order between two clones — and a journaling test agent shows that
// each "then" start began only after its "first" start had ended (each first start takes
// 2 s, so running them in parallel would show at once). Stonith is off. Every wait is bounded.
import { afterAll, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { bundleArgs, repositoryRoot } from "../../support/environment";
import { requestApi } from "../../../src/api";

const directory = mkdtempSync(join(tmpdir(), "eh-graph-"));
// The build/CIB/config port range (docs/ENGINEERING.md), apart from live-agents' 35100-35399.
const port = 35500 + (process.pid % 300);
const octet = 10 + ((process.pid + 97) % 200);
const stateDirectory = join(directory, "state");
const agents = new Map<string, ChildProcess>();
const socket = (name: string): string => join(directory, `${name}.sock`);

afterAll(() => {
  for (const agent of agents.values()) agent.kill("SIGKILL");
  rmSync(directory, { recursive: true, force: true });
});

const journal = (id: string, delaySeconds = 0) => `<primitive id="${id}" class="ocf" provider="edgeha-test" type="Journal"><instance_attributes id="${id}-i"><nvpair id="${id}-i1" name="dir" value="${stateDirectory}"/><nvpair id="${id}-i2" name="start_delay" value="${delaySeconds}"/></instance_attributes><operations><op id="${id}-m" name="monitor" interval="5s" timeout="10s"/><op id="${id}-s" name="start" interval="0" timeout="20s"/></operations></primitive>`;
const clone = (id: string, delaySeconds = 0) => `<clone id="${id}-clone"><meta_attributes id="${id}-clone-m"><nvpair id="${id}-clone-m1" name="interleave" value="true"/></meta_attributes>${journal(id, delaySeconds)}</clone>`;
const cib = `<cib admin_epoch="0" epoch="1" num_updates="0"><configuration>
  <crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
  <nodes><node id="1" uname="n1"/><node id="2" uname="n2"/></nodes>
  <resources>${journal("early", 2)}${journal("later")}${clone("base", 2)}${clone("upper")}</resources>
  <constraints>
    <rsc_location id="early-n1" rsc="early" node="n1" score="100"/><rsc_location id="later-n1" rsc="later" node="n1" score="100"/>
    <rsc_order id="early-then-later" first="early" then="later" kind="Optional"/>
    <rsc_order id="base-then-upper" first="base-clone" then="upper-clone"/>
  </constraints></configuration><status/></cib>`;

interface Entry { phase: "begin" | "end"; operation: string; instance: string; node: string; atNs: bigint }
function entries(): Entry[] {
  const file = join(stateDirectory, "journal");
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8").trim().split("\n").filter(Boolean).map((line) => {
    const [phase, operation, instance, node, at] = line.split(" ");
    return { phase: phase as Entry["phase"], operation: operation!, instance: instance!, node: node!, atNs: BigInt(at!) };
  });
}
const startOf = (list: Entry[], phase: Entry["phase"], instance: RegExp, node?: string) => list.find((entry) => entry.operation === "start" && entry.phase === phase && instance.test(entry.instance) && (node === undefined || entry.node === node));

async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const status = await requestApi(socket("n1"), { command: "status" }, 2000).catch(() => undefined);
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; journal: ${JSON.stringify(entries().map((entry) => `${entry.phase} ${entry.operation} ${entry.instance} ${entry.node}`))}; n1: ${JSON.stringify(status)}`);
}

describe("the DC runs the scheduler's graph", () => {
  it("obeys an optional order and an interleaved clone-to-clone order", async () => {
    writeFileSync(join(directory, "cib.xml"), cib);
    writeFileSync(join(directory, "authkey"), randomBytes(64), { mode: 0o600 });
    writeFileSync(join(directory, "edgeha.yaml"), `cluster_name: ehgraph\ntransport: { port: ${port} }\npaths: { authkey: ${join(directory, "authkey")} }\nnodes:\n  - { name: n1, id: 1, links: [127.${octet}.9.1] }\n  - { name: n2, id: 2, links: [127.${octet}.9.2] }\n`);
    for (const name of ["n1", "n2"]) {
      const args = [...bundleArgs, "agent", "--config", join(directory, "edgeha.yaml"), "--node", name, "--socket", socket(name), "--state-dir", join(directory, name), "--initial-cib", join(directory, "cib.xml")];
      agents.set(name, spawn(process.execPath, args, { stdio: "ignore", env: { ...process.env, OCF_ROOT: join(repositoryRoot, "test", "fixtures", "ocf") } }));
    }
    // Every start has ended: early and later on n1, an instance of base and of upper on each node.
    const list = await waitFor("all starts ended", () => {
      const current = entries();
      const ended = current.filter((entry) => entry.operation === "start" && entry.phase === "end");
      return ended.length >= 6 ? current : undefined;
    });
    // Optional order: both start in this transition, so later waits for early.
    expect(startOf(list, "begin", /^later$/)!.atNs).toBeGreaterThanOrEqual(startOf(list, "end", /^early$/)!.atNs);
    // Interleaved clones: on each node the upper instance starts once the base instance there has started.
    for (const node of ["n1", "n2"]) {
      // The instance name the agent sees: the clone child, with or without its instance number.
      const baseEnd = startOf(list, "end", /^base(:\d+)?$/, node);
      const upperBegin = startOf(list, "begin", /^upper(:\d+)?$/, node);
      const seen = JSON.stringify(list.map((entry) => `${entry.phase} ${entry.operation} ${entry.instance} ${entry.node}`));
      expect(baseEnd, `base started on ${node}: ${seen}`).toBeDefined();
      expect(upperBegin, `upper started on ${node}: ${seen}`).toBeDefined();
      expect(upperBegin!.atNs).toBeGreaterThanOrEqual(baseEnd!.atNs);
    }
  }, 150_000);
});
