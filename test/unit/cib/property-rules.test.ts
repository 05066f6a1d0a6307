// Cluster properties mean the same everywhere: a cluster_property_set with a rule (a
// time-based stonith-enabled or maintenance-mode) counts while its rule holds, for the
// scheduler and for every reader outside it (the DC's own decisions, its status, the executor,
// the fencer, `cluster verify`), because they all read the options through clusterOptionsAt.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { emptyCib, type Cib, type NvSet, type Primitive } from "../../../src/cib";
import { verifyCib } from "../../../src/admin/verify";
import { createLogger } from "../../../src/common/log";
import { worldFromCib } from "../../../src/fencer";
import { LocalResources, unmanagedPrimitives, type ActionRunner } from "../../../src/node/local-resources";
import { clusterOptionsAt } from "../../../src/scheduler";
import { ControllerWorld } from "../controller/harness";

const quiet = createLogger({ destination: new Writable({ write: (_chunk, _encoding, done) => done() }) });

/** Sets holding "values" before 2000 (true at the test clocks, which read 1970) and "later" after. */
function timed(values: Record<string, string>, later: Record<string, string> = {}): NvSet[] {
  const date = (id: string, operation: "lt" | "gt") => ({ id: `${id}-rule`, booleanOp: "and" as const, expressions: [], rules: [], dateExpressions: [{ id: `${id}-date`, operation, ...(operation === "lt" ? { end: "2000-01-01" } : { start: "2000-01-01" }) }] });
  return [
    { id: "cib-bootstrap-options", values: { "no-quorum-policy": "stop" } },
    { id: "until-2000", score: "10", rule: date("until-2000", "lt"), values },
    { id: "from-2000", score: "20", rule: date("from-2000", "gt"), values: later },
  ];
}

function primitive(id: string): Primitive {
  return { kind: "primitive", id, class: "ocf", provider: "heartbeat", type: "Dummy", extra: {}, instance: [], meta: [], operations: [] };
}

function pair(properties: NvSet[], resources: Primitive[] = [primitive("vip")]): Cib {
  const cib = emptyCib();
  cib.version = { adminEpoch: 0, epoch: 3, numUpdates: 0 };
  cib.properties = properties;
  cib.nodes = [{ id: "1", uname: "n1", extra: {}, instance: [], utilization: [] }, { id: "2", uname: "n2", extra: {}, instance: [], utilization: [] }];
  cib.resources = resources;
  return cib;
}

function sourceFiles(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith(".ts") ? [path] : [];
  });
}

describe("cluster property sets with rules outside the scheduler", () => {
  it("are read through clusterOptionsAt everywhere: nothing outside src/scheduler and src/cib calls clusterOptions itself", () => {
    // admin/analysis.ts gives advice on edits (no clock on that pure path); the sets it sees
    // from `cluster verify` are already evaluated (verifyCib), on edits a ruled set is left out.
    const allowed = new Set(["src/admin/analysis.ts"]);
    const root = join(__dirname, "../../..");
    const callers = sourceFiles(join(root, "src"))
      .map((path) => relative(root, path))
      .filter((path) => !path.startsWith("src/scheduler/") && !path.startsWith("src/cib/") && !allowed.has(path))
      .filter((path) => /\bclusterOptions\s*\(/.test(readFileSync(join(root, path), "utf8")));
    expect(callers).toEqual([]);
  });

  it("clusterOptionsAt takes a set while its rule holds, by score, the bootstrap set first", () => {
    const properties = timed({ "stonith-enabled": "false", "maintenance-mode": "true" }, { "stonith-enabled": "true" });
    expect(clusterOptionsAt({ properties }, { now: 1000 }).options).toMatchObject({ stonithEnabled: false, maintenanceMode: true });
    expect(clusterOptionsAt({ properties }, { now: Date.UTC(2001, 0, 1) / 1000 }).options).toMatchObject({ stonithEnabled: true, maintenanceMode: false });
    const bootstrapWins = [{ id: "cib-bootstrap-options", values: { "stonith-enabled": "true" } }, ...timed({ "stonith-enabled": "false" }).slice(1)];
    expect(clusterOptionsAt({ properties: bootstrapWins }, { now: 1000 }).options.stonithEnabled).toBe(true);
  });

  it("the DC: a stop that fails while a rule turns fencing off blocks the resource instead of fencing, as the scheduler plans", () => {
    const world = new ControllerWorld(["n1", "n2"], pair(timed({ "stonith-enabled": "false" }), [primitive("vip"), primitive("db")]));
    world.view(1, ["n1", "n2"]);
    world.run(2000);
    const holder = world.activeNodes("db")[0]!;
    world.failStop.add(`db@${holder}`);
    world.feed(world.node("n1"), { kind: "client", nowMs: world.nowMs, clientId: 1, request: { kind: "cib-replace", base: "0.3.0", cib: JSON.parse(JSON.stringify(pair(timed({ "stonith-enabled": "false" }), [primitive("vip")]))) } });
    world.run(20_000);
    expect(world.fences).toEqual([]);
    expect(world.log.some((line) => line.includes("a stop failed and fencing is off"))).toBe(true);
    expect(world.log.some((line) => line.includes("the node will be fenced"))).toBe(false);
  });

  it("the DC's status: a rule's maintenance-mode shows every resource unmanaged", () => {
    const world = new ControllerWorld(["n1", "n2"], pair([...timed({ "maintenance-mode": "true" }), { id: "fencing", values: { "stonith-enabled": "false" } }]));
    world.view(1, ["n1", "n2"]);
    world.run(2000);
    const summary = world.node("n1").controller.summary;
    expect(summary?.resources.find((resource) => resource.id === "vip")).toMatchObject({ managed: false });
  });

  it("the executor: a rule's maintenance-mode keeps resources running through a leave; once the rule ends they stop", async () => {
    const cib = pair([...timed({ "maintenance-mode": "true" })]);
    expect([...unmanagedPrimitives(cib, { now: 1000 })]).toEqual(["vip"]);
    expect([...unmanagedPrimitives(cib, { now: Date.UTC(2001, 0, 1) / 1000 })]).toEqual([]);
    const calls: string[] = [];
    const runner: ActionRunner = async (item, action, intervalMs) => {
      if (action !== "monitor") calls.push(`${action} ${item.id}`);
      return { rc: action === "monitor" && intervalMs === 0 ? 7 : 0, timedOut: false, runTimeMs: 1 };
    };
    for (const [now, stops] of [[1000, []], [Date.UTC(2001, 0, 1) / 1000, ["stop vip"]]] as const) {
      calls.length = 0;
      const resources = new LocalResources("n1", runner, quiet, () => now);
      resources.configure(cib);
      for (let guard = 0; guard < 200 && !resources.report().probed; guard++) await new Promise((resolve) => setTimeout(resolve, 10));
      await resources.operate("vip", "start");
      calls.length = 0;
      await resources.stopAll();
      resources.close();
      expect(calls).toEqual(stops);
    }
  });

  it("the executor: a rule's start-failure-is-fatal=false counts a failed start once instead of banning", async () => {
    const runner: ActionRunner = async (_item, action) => ({ rc: action === "start" ? 1 : 7, timedOut: false, runTimeMs: 1 });
    const resources = new LocalResources("n1", runner, quiet, () => 1000);
    resources.configure(pair(timed({ "start-failure-is-fatal": "false" })));
    for (let guard = 0; guard < 200 && !resources.report().probed; guard++) await new Promise((resolve) => setTimeout(resolve, 10));
    await resources.operate("vip", "start");
    resources.close();
    expect(resources.report().attributes["fail-count-vip#start_0"]).toBe("1");
  });

  it("the fencer: stonith-timeout and priority-fencing-delay from a set whose rule holds", () => {
    const cib = pair(timed({ "stonith-timeout": "150s", "priority-fencing-delay": "7s" }));
    expect(worldFromCib(cib, undefined, {}, undefined, {}, { now: 1000 })).toMatchObject({ stonithTimeoutMs: 150_000, priorityFencingDelayMs: 7000, priorityFencingDelayConfigured: true });
    expect(worldFromCib(cib, undefined, {}, undefined, {}, { now: Date.UTC(2001, 0, 1) / 1000 })).toMatchObject({ stonithTimeoutMs: 60_000, priorityFencingDelayMs: 0, priorityFencingDelayConfigured: false });
  });

  it("cluster verify: fencing turned off by a rule needs no fence device while the rule holds, as the scheduler agrees", () => {
    const cib = pair(timed({ "stonith-enabled": "false" }));
    const noDevices = "Resource start-up disabled since no STONITH resources have been defined";
    expect(verifyCib(cib, { now: 1000 }).errors).not.toContain(noDevices);
    expect(verifyCib(cib, { now: Date.UTC(2001, 0, 1) / 1000 }).errors).toContain(noDevices);
  });
});
