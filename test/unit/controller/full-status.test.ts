// `status --full` (crm_mon -1 -A -f -o): the DC's summary carries node attributes (permanent and
// transient), fail counts with the migration-threshold in force, every node's operation
// history and the recent transitions with their reasons to every member, over the wire (the
// harness checks each message as the agent does); `edgeha status --full` prints them, and a
// new DC keeps the old DC's transitions.
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import os from "node:os";
import path from "node:path";
import { emptyCib, type Cib, type Primitive } from "../../../src/cib";
import { ControllerWorld } from "./harness";
import type { ClusterSummary } from "../../../src/controller";
import { runInProcess } from "../../support/cli";

function primitive(id: string, meta: Record<string, string> = {}): Primitive {
  return { kind: "primitive", id, class: "ocf", provider: "heartbeat", type: "Dummy", extra: {}, instance: [], meta: Object.keys(meta).length ? [{ id: `${id}-meta`, values: meta }] : [], operations: [] };
}

function pairCib(): Cib {
  const cib = emptyCib();
  cib.properties = [{ id: "cib-bootstrap-options", values: { "stonith-enabled": "true" } }];
  cib.rscDefaults = [{ id: "rsc-options", values: { "migration-threshold": "5" } }];
  cib.nodes = [{ id: "2", uname: "n2", extra: {}, instance: [{ id: "n2-attrs", values: { site: "east" } }], utilization: [] }];
  cib.resources = [primitive("vip", { "migration-threshold": "3" }), primitive("db")];
  return cib;
}

/** A pair where vip's start fails on n1 and n1 reports fail counts of its own. */
function failingPair(): { world: ControllerWorld; dc: string; follower: string } {
  const world = new ControllerWorld(["n1", "n2"], pairCib());
  world.node("n1").attributes = { cpu_cores: "2", "fail-count-db#monitor_10000": "2", "last-failure-db#monitor_10000": "1004", "fail-count-vip#start_0": "1" };
  world.failStart.add("vip@n1");
  world.view(1, ["n1", "n2"]);
  world.run(3000);
  const dc = world.node("n1").controller.dcName!;
  return { world, dc, follower: dc === "n1" ? "n2" : "n1" };
}

const directory = mkdtempSync(path.join(os.tmpdir(), "edgeha-full-status-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** An agent socket answering `status` with this summary. */
async function agentAnswering(summary: ClusterSummary): Promise<string> {
  const socket = path.join(directory, `agent-${Math.random().toString(16).slice(2)}.sock`);
  const status = {
    cluster: "pair", node: { name: "n2", id: 2 }, ringId: 1, members: [{ name: "n2", id: 2, links: [{ address: "127.0.0.1", state: "local" }] }],
    quorum: { quorate: true, votes: 2, expected: 2, quorum: 1, flags: [] }, arbiter: { configured: false, state: "none" }, frames: {},
    dc: summary.dc, cluster_state: summary, cibVersion: summary.cibVersion, agent: { pid: 1, rss: 1, heapUsed: 1, heapTotal: 1, external: 1 },
  };
  server = createServer((connection) => {
    connection.setEncoding("utf8");
    connection.once("data", () => connection.end(`${JSON.stringify(status)}\n`));
    connection.on("error", () => {});
  });
  await new Promise<void>((resolve) => server!.listen(socket, resolve));
  return socket;
}

describe("status --full", () => {
  it("the DC sends every member the node attributes, fail counts, operation history and transitions", () => {
    const { world, dc, follower } = failingPair();
    const summary = world.node(follower).controller.summary!;
    expect(summary.dc).toBe(dc);
    expect(summary.attributes?.n1).toMatchObject({ cpu_cores: "2", "fail-count-db#monitor_10000": "2" });
    expect(summary.permanentAttributes).toEqual({ n2: { site: "east" } });
    // migration-threshold: vip's own meta attribute, db's from rsc_defaults.
    expect(summary.failCounts).toEqual([
      { node: "n1", resource: "db", count: 2, migrationThreshold: 5, lastFailureSeconds: 1004 },
      { node: "n1", resource: "vip", count: 1, migrationThreshold: 3 },
    ]);
    expect(summary.history).toEqual(expect.arrayContaining([
      expect.objectContaining({ node: "n1", resource: "vip", operation: "start", rc: 1 }),
      expect.objectContaining({ node: "n2", resource: "db", operation: "start", rc: 0 }),
    ]));
    const first = summary.transitions?.[0];
    expect(first).toMatchObject({ id: 1, dc, result: "failed" });
    expect(first?.reason).toMatch(/a new DC took over/);
    expect(first?.steps).toContain("0:start vip on n1 [failed]");
    expect(summary.transitions?.slice(1).every((record) => /transition \d+ was aborted/.test(record.reason))).toBe(true);
  });

  it("a transition with nothing to do replaces the one before it that had nothing to do", () => {
    const world = new ControllerWorld(["n1", "n2"], pairCib());
    world.view(1, ["n1", "n2"]);
    world.run(2000);
    const dc = world.node(world.node("n1").controller.dcName!);
    const busy = dc.controller.summary!.transitions!.filter((record) => record.steps.length > 0).length;
    expect(busy).toBeGreaterThan(0);
    for (let load = 1; load <= 6; load++) {
      const node = world.node("n2");
      node.attributes = { pingd: String(load * 100) };
      world.feed(node, { kind: "local-report", nowMs: world.nowMs, report: world.report(node) });
      world.run(500);
    }
    const transitions = dc.controller.summary!.transitions!;
    expect(transitions.filter((record) => record.steps.length > 0)).toHaveLength(busy);
    expect(transitions.filter((record) => record.steps.length === 0)).toHaveLength(1);
    expect(transitions.at(-1)).toMatchObject({ result: "complete", reason: "node facts of n2 changed", steps: [] });
  });

  it("a new DC keeps showing the old DC's transitions", () => {
    const { world, dc, follower } = failingPair();
    world.powerLoss(dc);
    world.view(2, [follower]);
    world.run(3000);
    const transitions = world.node(follower).controller.summary!.transitions!;
    expect(transitions.some((record) => record.dc === dc && record.id === 1)).toBe(true);
    expect(transitions.some((record) => record.dc === follower && /membership changed/.test(record.reason))).toBe(true);
    expect(transitions.filter((record) => record.dc === dc).every((record) => record.result !== "running")).toBe(true);
  });

  it("a DC elected again numbers its transitions from 1 anew: each finish lands on its own record", () => {
    // Alone and without quorum n1 is DC and runs transition 1 (nothing to start); the view grows,
    // n1 is elected again and its new transition 1 starts the resources. That finish belongs to
    // the newest record, not to the first transition 1 (shown as a failed start before the pair).
    const world = new ControllerWorld(["n1", "n2"], pairCib());
    world.view(1, ["n1"], false);
    world.run(3000);
    world.view(2, ["n1", "n2"]);
    world.run(3000);
    const transitions = world.node("n1").controller.summary!.transitions!.filter((record) => record.dc === "n1" && record.id === 1);
    expect(transitions).toHaveLength(2);
    expect(transitions[0]).toMatchObject({ result: "complete", steps: [] });
    expect(transitions[0]!.reason).toMatch(/ring 1: n1\)/);
    expect(transitions[1]!.reason).toMatch(/ring 2: n1, n2\)/);
    expect(transitions[1]!.result).not.toBe("running");
    expect(transitions[1]!.steps.some((step) => /start \w+ on n\d \[done\]/.test(step))).toBe(true);
  });

  it("`status --full` prints them as crm_mon -A -f -o does; plain `status` does not; --json carries them", async () => {
    const { world, follower } = failingPair();
    const socket = await agentAnswering(world.node(follower).controller.summary!);
    const full = await runInProcess(["status", "--full", "--socket", socket]);
    expect(full.status).toBe(0);
    const text = full.out;
    expect(text).toMatch(/Node Attributes:\n {2}\* Node: n1:\n {4}\* cpu_cores : 2\n {2}\* Node: n2:\n {4}\* site : east\t\(permanent\)\n/);
    expect(text).not.toMatch(/\* fail-count-/);
    expect(text).toContain("Migration Summary:\n  * Node: n1:\n    * db: migration-threshold=5, fail-count=2, last-failure='1970-01-01T00:16:44Z'\n    * vip: migration-threshold=3, fail-count=1\n");
    expect(text).toMatch(/Operations:\n {2}\* Node: n1:\n[^]*\* vip: migration-threshold=3:\n {6}\* \(\d+\) start: rc=1 \(error\)\n/);
    expect(text).toMatch(/\* \(\d+\) probe: rc=7 \(not running\)/);
    expect(text).toMatch(/Recent Transitions:\n {2}\* Transition 1 \(DC n1\) at 1970-01-01T00:16:4\dZ: failed in \d+\.\d s, 2 steps: a new DC took over/);
    const plain = await runInProcess(["status", "--socket", socket]);
    expect(plain.out).toContain("Full List of Resources:");
    expect(plain.out).not.toContain("Operations:");
    const json = JSON.parse((await runInProcess(["status", "--full", "--json", "--socket", socket])).out) as { cluster_state: ClusterSummary };
    expect(json.cluster_state.failCounts?.length).toBe(2);
    expect(json.cluster_state.transitions?.[0]?.reason).toMatch(/a new DC took over/);
  });
});
