// LocalResources with a fake action runner: probes report what runs, a failed start bans
// the resource from the node (fail count INFINITY), a recurring monitor's failure is
// recorded once, and unfencing comes before probes: a node that cannot be unfenced stands by.
import { describe, expect, it } from "vitest";
import { Writable } from "node:stream";
import { emptyCib, type Cib, type Primitive } from "../../../src/cib";
import { createLogger } from "../../../src/common/log";
import { LocalResources, PARALLEL_LIMIT, nextMonitorDueMs, type ActionRunner } from "../../../src/node/local-resources";

const quiet = createLogger({ destination: new Writable({ write: (_chunk, _encoding, done) => done() }) });

function cibWith(...ids: string[]): Cib {
  const cib = emptyCib();
  cib.version = { adminEpoch: 0, epoch: 2, numUpdates: 0 };
  cib.resources = ids.map((id): Primitive => ({ kind: "primitive", id, class: "ocf", provider: "test", type: "T", extra: {}, instance: [], meta: [], operations: [{ id: `${id}-m`, name: "monitor", interval: "50ms", intervalMs: 50, extra: {}, meta: [], instance: [] }] }));
  return cib;
}

async function settle(resources: LocalResources, predicate: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`not settled: ${JSON.stringify(resources.report())}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("local resources", () => {
  it("probes every configured resource and reports it probed for that version", async () => {
    const running = new Set(["a"]);
    const runner: ActionRunner = async (primitive, action) => ({ rc: action === "monitor" ? (running.has(primitive.id) ? 0 : 7) : 0, timedOut: false, runTimeMs: 1 });
    const resources = new LocalResources("n1", runner, quiet, () => 1000);
    resources.configure(cibWith("a", "b"));
    await settle(resources, () => resources.report().probed);
    const report = resources.report();
    expect(report.cibVersion).toBe("0.2.0");
    expect(report.resources.a!.operations.map((op) => [op.operation, op.rcCode])).toEqual([["monitor", 0]]);
    expect(report.resources.b!.operations.map((op) => [op.operation, op.rcCode])).toEqual([["monitor", 7]]);
    resources.close();
  });

  it("a failed start sets the fail count to INFINITY and keeps the failure for display", async () => {
    const runner: ActionRunner = async (_primitive, action) => ({ rc: action === "start" ? 1 : 7, reason: action === "start" ? "boom" : undefined, timedOut: false, runTimeMs: 1 });
    const resources = new LocalResources("n1", runner, quiet, () => 1000);
    resources.configure(cibWith("a"));
    await settle(resources, () => resources.report().probed);
    const result = await resources.operate("a", "start");
    expect(result).toEqual({ ok: false, reason: "boom" });
    const report = resources.report();
    expect(report.attributes["fail-count-a#start_0"]).toBe("INFINITY");
    expect(report.failures).toEqual([expect.objectContaining({ resource: "a", operation: "start", rc: 1, reason: "boom" })]);
    resources.cleanup("a");
    await settle(resources, () => resources.report().probed && resources.report().failures!.length === 0);
    expect(resources.report().attributes["fail-count-a#start_0"]).toBeUndefined();
    resources.close();
  });

  it("a cleanup of one operation clears only that operation's fail count, failure and history, of that resource", async () => {
    const runner: ActionRunner = async (_primitive, action) => ({ rc: action === "start" ? 1 : 7, reason: action === "start" ? "boom" : undefined, timedOut: false, runTimeMs: 1 });
    const resources = new LocalResources("n1", runner, quiet, () => 1000);
    const cib = cibWith("a", "b");
    cib.properties = [{ id: "cib-bootstrap-options", values: { "start-failure-is-fatal": "false" } }];
    resources.configure(cib);
    await settle(resources, () => resources.report().probed);
    await resources.operate("a", "start");
    await resources.operate("b", "start");
    const counts = () => Object.keys(resources.report().attributes).filter((key) => /^(fail-count|last-failure)-/.test(key)).sort();
    expect(counts()).toEqual(["fail-count-a#start_0", "fail-count-b#start_0", "last-failure-a", "last-failure-b"]);
    // Another operation's counts: nothing to clear, and no history forgotten.
    resources.cleanup("a", { operation: "monitor", intervalMs: 50 });
    expect(counts()).toEqual(["fail-count-a#start_0", "fail-count-b#start_0", "last-failure-a", "last-failure-b"]);
    expect(resources.report().resources.a!.operations.map((op) => op.operation)).toContain("start");
    resources.cleanup("a", { operation: "start", intervalMs: 0 });
    await settle(resources, () => resources.report().probed);
    expect(counts()).toEqual(["fail-count-b#start_0", "last-failure-b"]);
    expect(resources.report().failures).toEqual([expect.objectContaining({ resource: "b", operation: "start" })]);
    expect(resources.report().resources.b!.operations.map((op) => op.operation)).toContain("start");
    resources.close();
  });

  it("with start-failure-is-fatal=false a failed start counts once toward migration-threshold, no ban", async () => {
    const runner: ActionRunner = async (_primitive, action) => ({ rc: action === "start" ? 1 : 7, reason: action === "start" ? "boom" : undefined, timedOut: false, runTimeMs: 1 });
    const resources = new LocalResources("n1", runner, quiet, () => 1000);
    const cib = cibWith("a");
    cib.properties = [{ id: "cib-bootstrap-options", values: { "start-failure-is-fatal": "false" } }];
    resources.configure(cib);
    await settle(resources, () => resources.report().probed);
    await resources.operate("a", "start");
    expect(resources.report().attributes["fail-count-a#start_0"]).toBe("1");
    await resources.operate("a", "start");
    expect(resources.report().attributes["fail-count-a#start_0"]).toBe("2");
    resources.close();
  });

  it("a recurring monitor that fails is recorded, with a fail count, and stops until the next start", async () => {
    let alive = true;
    let monitors = 0;
    const runner: ActionRunner = async (_primitive, action, intervalMs) => {
      if (action === "monitor" && intervalMs > 0) monitors++;
      return { rc: action === "monitor" ? (alive ? 0 : 7) : 0, timedOut: false, runTimeMs: 1 };
    };
    const resources = new LocalResources("n1", runner, quiet, () => 1000);
    resources.configure(cibWith("a"));
    await settle(resources, () => resources.report().probed);
    await resources.operate("a", "start");
    await settle(resources, () => monitors >= 2);
    alive = false;
    await settle(resources, () => resources.report().attributes["fail-count-a#monitor_50"] === "1");
    const count = monitors;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(monitors).toBe(count);
    resources.close();
  });

  it("unfences before probing; a node that cannot be unfenced stands by", async () => {
    const order: string[] = [];
    const runner: ActionRunner = async (primitive, action) => { order.push(`${action} ${primitive.id}`); return { rc: 7, timedOut: false, runTimeMs: 1 }; };
    const resources = new LocalResources("n1", runner, quiet, () => 1000);
    let succeed = false;
    resources.unfence = async (_cib, done) => { order.push("unfence"); if (succeed) { done.add("disk"); return []; } return ["disk: reservation refused"]; };
    resources.configure(cibWith("a"));
    await settle(resources, () => resources.report().probed);
    expect(order).toEqual(["unfence", "monitor a"]);
    expect(resources.report().attributes.standby).toBe("on");
    succeed = true;
    resources.cleanup();
    await settle(resources, () => resources.report().probed && resources.report().attributes.standby === undefined);
    expect(resources.unfencedDevices.has("disk")).toBe(true);
    resources.close();
  });

  it("runs an anonymous clone's instance (a:1) as its primitive, under the primitive's history", async () => {
    const calls: string[] = [];
    const seenMeta: Array<Record<string, string>> = [];
    const runner: ActionRunner = async (primitive, action) => { calls.push(`${action} ${primitive.id}`); seenMeta.push(primitive.meta[0]?.values ?? {}); return { rc: action === "monitor" ? 7 : 0, timedOut: false, runTimeMs: 1 }; };
    const resources = new LocalResources("n1", runner, quiet, () => 1000);
    resources.configure(cibWith("a"));
    await settle(resources, () => resources.report().probed);
    expect(await resources.operate("a:1", "start")).toEqual({ ok: true, reason: undefined });
    expect(calls).toContain("start a");
    expect(seenMeta.at(-1)).toMatchObject({ clone: "1", clone_node_max: "1", globally_unique: "false" });
    expect(resources.report().resources.a!.operations.at(-1)).toMatchObject({ operation: "start", rcCode: 0 });
    resources.close();
  });

  it("runs at most PARALLEL_LIMIT operations at once across resources and records each one's queue time", async () => {
    let running = 0;
    let most = 0;
    const runner: ActionRunner = async (_primitive, action) => {
      if (action !== "start") return { rc: 7, timedOut: false, runTimeMs: 1 };
      running++;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, 30));
      running--;
      return { rc: 0, timedOut: false, runTimeMs: 30 };
    };
    const ids = Array.from({ length: PARALLEL_LIMIT * 2 }, (_, index) => `r${index}`);
    const resources = new LocalResources("n1", runner, quiet, () => 1000);
    resources.configure(cibWith(...ids));
    await settle(resources, () => resources.report().probed);
    await Promise.all(ids.map((id) => resources.operate(id, "start")));
    expect(most).toBe(PARALLEL_LIMIT);
    const queueTimes = ids.map((id) => Number(resources.report().resources[id]!.operations.find((op) => op.operation === "start")!.attributes["queue-time"]));
    expect(Math.max(...queueTimes)).toBeGreaterThanOrEqual(25);
    expect(Math.min(...queueTimes)).toBeLessThan(Math.max(...queueTimes));
    resources.close();
  });

  it("recurring monitors share one clock: due at a multiple of their interval, at least half an interval ahead", () => {
    expect(nextMonitorDueMs(0, 1000)).toBe(1000);
    expect(nextMonitorDueMs(499, 1000)).toBe(1000);
    expect(nextMonitorDueMs(501, 1000)).toBe(2000);
    expect(nextMonitorDueMs(1000, 1000)).toBe(2000);
    expect(nextMonitorDueMs(12_345, 10_000)).toBe(20_000);
    for (let nowMs = 0; nowMs < 5000; nowMs += 37) {
      const due = nextMonitorDueMs(nowMs, 400);
      expect(due % 400).toBe(0);
      expect(due - nowMs).toBeGreaterThanOrEqual(200);
      expect(due - nowMs).toBeLessThan(600);
    }
  });

  it("monitors of resources started at different moments run together, in the same wake-up", async () => {
    const runsAt = new Map<string, number[]>();
    const runner: ActionRunner = async (primitive, action, intervalMs) => {
      if (action === "monitor" && intervalMs > 0) runsAt.set(primitive.id, [...(runsAt.get(primitive.id) ?? []), performance.now()]);
      return { rc: action === "monitor" && intervalMs === 0 ? 7 : 0, timedOut: false, runTimeMs: 1 };
    };
    const resources = new LocalResources("n1", runner, quiet, () => 1000);
    resources.configure(cibWith("a", "b", "c"));
    await settle(resources, () => resources.report().probed);
    for (const id of ["a", "b", "c"]) {
      await resources.operate(id, "start");
      await new Promise((resolve) => setTimeout(resolve, 17));
    }
    await settle(resources, () => ["a", "b", "c"].every((id) => (runsAt.get(id)?.length ?? 0) >= 5));
    resources.close();
    // Started 17 ms apart (a third of the 50 ms interval), every run of b and c falls on a run of a:
    // one timer fires for all of them.
    const ofA = runsAt.get("a")!;
    for (const id of ["b", "c"]) {
      const runs = runsAt.get(id)!.slice(0, 4);
      for (const atMs of runs) expect(Math.min(...ofA.map((each) => Math.abs(each - atMs)))).toBeLessThan(8);
    }
  });

  it("coalesced monitors wait for a wake-up the agent has anyway, and run on their own timer only after the slack", async () => {
    let runs = 0;
    const runner: ActionRunner = async (_primitive, action, intervalMs) => {
      if (action === "monitor" && intervalMs > 0) runs++;
      return { rc: action === "monitor" && intervalMs === 0 ? 7 : 0, timedOut: false, runTimeMs: 1 };
    };
    const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    const lazy = new LocalResources("n1", runner, quiet, () => 1000);
    lazy.coalesceMonitors(10_000);
    lazy.configure(cibWith("a"));
    await settle(lazy, () => lazy.report().probed);
    await lazy.operate("a", "start");
    // Due within 75 ms, but with 10 s of slack nothing runs until the agent wakes anyway.
    await pause(200);
    expect(runs).toBe(0);
    lazy.wake();
    await settle(lazy, () => runs === 1);
    await pause(200);
    expect(runs).toBe(1);
    lazy.wake();
    await settle(lazy, () => runs === 2);
    // A wake-up before the next monitor is due runs nothing.
    lazy.wake();
    await pause(5);
    expect(runs).toBe(2);
    lazy.close();

    // With a short slack and no wake-ups at all, the monitor's own timer still runs it.
    runs = 0;
    const alone = new LocalResources("n1", runner, quiet, () => 1000);
    alone.coalesceMonitors(30);
    alone.configure(cibWith("a"));
    await settle(alone, () => alone.report().probed);
    await alone.operate("a", "start");
    await settle(alone, () => runs >= 3);
    alone.close();
  });

  it("runs services while a resource other than a fence device is started with monitors", async () => {
    const runner: ActionRunner = async (_primitive, action, intervalMs) => ({ rc: action === "monitor" && intervalMs === 0 ? 7 : 0, timedOut: false, runTimeMs: 1 });
    const resources = new LocalResources("n1", runner, quiet, () => 1000);
    const cib = cibWith("a", "fence");
    const fence = cib.resources[1] as Primitive;
    cib.resources[1] = { ...fence, class: "stonith", type: "fence_ipmilan" };
    resources.configure(cib);
    await settle(resources, () => resources.report().probed);
    expect(resources.runsServices()).toBe(false);
    await resources.operate("fence", "start");
    expect(resources.runsServices()).toBe(false);
    await resources.operate("a", "start");
    expect(resources.runsServices()).toBe(true);
    await resources.operate("a", "stop");
    expect(resources.runsServices()).toBe(false);
    resources.close();
  });

  it("a fence device's probe says whether it was started here; its recurring monitor runs the device's check", async () => {
    const seen: string[] = [];
    let deviceHealthy = true;
    const runner: ActionRunner = async (primitive, action, intervalMs) => {
      seen.push(`${primitive.id} ${action} ${intervalMs}`);
      if (primitive.class === "stonith" && action === "monitor") return deviceHealthy ? { rc: 0, timedOut: false, runTimeMs: 1 } : { rc: 1, reason: "BMC does not answer", timedOut: false, runTimeMs: 1 };
      return { rc: action === "monitor" ? 7 : 0, timedOut: false, runTimeMs: 1 };
    };
    const resources = new LocalResources("n1", runner, quiet, () => 1000);
    const cib = cibWith("fence");
    cib.resources[0] = { ...(cib.resources[0] as Primitive), class: "stonith", type: "fence_dummy" };
    resources.configure(cib);
    await settle(resources, () => resources.report().probed);
    expect(resources.report().resources.fence!.operations.map((op) => [op.operation, op.rcCode])).toEqual([["monitor", 7]]);
    expect(seen.filter((line) => line.startsWith("fence"))).toEqual([]);
    await resources.operate("fence", "start");
    expect(seen).toContain("fence start 0");
    await settle(resources, () => seen.includes("fence monitor 50"));
    deviceHealthy = false;
    await settle(resources, () => (resources.report().failures ?? []).length > 0);
    expect(resources.report().failures ?? []).toEqual([expect.objectContaining({ resource: "fence", operation: "monitor", rc: 1, reason: "BMC does not answer" })]);
    resources.close();
  });

  it("a fence device whose start failed is not started (its probe finds it stopped)", async () => {
    const runner: ActionRunner = async (primitive, action) => (primitive.class === "stonith" && action === "start" ? { rc: 5, reason: "fence agent fence_x is not installed", timedOut: false, runTimeMs: 1 } : { rc: 7, timedOut: false, runTimeMs: 1 });
    const resources = new LocalResources("n1", runner, quiet, () => 1000);
    const cib = cibWith("fence");
    cib.resources[0] = { ...(cib.resources[0] as Primitive), class: "stonith", type: "fence_x" };
    resources.configure(cib);
    await settle(resources, () => resources.report().probed);
    expect(await resources.operate("fence", "start")).toEqual({ ok: false, reason: "fence agent fence_x is not installed" });
    resources.cleanup("fence");
    await settle(resources, () => resources.report().resources.fence?.operations.some((op) => op.operation === "monitor" && op.rcCode === 7) === true);
    resources.close();
  });

  it("a migration's two halves tell the agent both nodes, keep their records beside the last operation, and move the monitors", async () => {
    const calls: Array<{ action: string; meta: Record<string, string> }> = [];
    let running = false;
    const runner: ActionRunner = async (primitive, action, intervalMs) => {
      if (intervalMs === 0) calls.push({ action, meta: Object.assign({}, ...primitive.meta.map((set) => set.values)) as Record<string, string> });
      if (action === "migrate_from") running = true;
      if (action === "stop") running = false;
      return { rc: action === "monitor" ? (running ? 0 : 7) : 0, timedOut: false, runTimeMs: 1 };
    };
    const resources = new LocalResources("n2", runner, quiet, () => 1000);
    resources.configure(cibWith("vm"));
    await settle(resources, () => resources.report().probed);
    expect(await resources.operate("vm", "migrate_from", undefined, { source: "n1", target: "n2" })).toEqual({ ok: true });
    expect(calls.at(-1)).toEqual({ action: "migrate_from", meta: { migrate_source: "n1", migrate_target: "n2" } });
    expect(resources.runsServices()).toBe(true);
    expect(await resources.operate("vm", "migrate_to", undefined, { source: "n2", target: "n1" })).toEqual({ ok: true });
    expect(resources.runsServices()).toBe(false);
    await resources.operate("vm", "stop");
    const records = resources.report().resources.vm!.operations;
    expect(records.map((record) => [record.id, record.operation, record.attributes.migrate_source, record.attributes.migrate_target])).toEqual([
      ["vm_migrate_from_0", "migrate_from", "n1", "n2"], ["vm_migrate_to_0", "migrate_to", "n2", "n1"], ["vm_last_0", "stop", undefined, undefined],
    ]);
    expect(await resources.operate("vm", "migrate_to")).toEqual({ ok: false, reason: "migrate_to of vm names no source and target node" });
    resources.close();
  });

  it("a resource that migrated here is active here: a leave that cannot wait for the DC stops it", async () => {
    const actions: string[] = [];
    const runner: ActionRunner = async (_primitive, action, intervalMs) => { if (intervalMs === 0) actions.push(action); return { rc: action === "monitor" ? 7 : 0, timedOut: false, runTimeMs: 1 }; };
    const resources = new LocalResources("n2", runner, quiet, () => 1000);
    resources.configure(cibWith("vm"));
    await settle(resources, () => resources.report().probed);
    await resources.operate("vm", "migrate_from", undefined, { source: "n1", target: "n2" });
    expect(await resources.stopAll()).toEqual([]);
    expect(actions).toEqual(["monitor", "migrate_from", "stop"]);
    resources.close();
  });
});

describe("stopping everything here (a leave without the DC)", () => {
  it("stops what runs or may run, last configured first, and leaves alone what is stopped", async () => {
    const calls: string[] = [];
    const running = new Set(["a", "c"]);
    const runner: ActionRunner = async (primitive, action, intervalMs) => {
      if (action === "monitor" && intervalMs === 0) return { rc: running.has(primitive.id) ? 0 : 7, timedOut: false, runTimeMs: 1 };
      if (action !== "monitor") calls.push(`${action} ${primitive.id}`);
      if (action === "start" && primitive.id === "d") return { rc: 1, reason: "half started", timedOut: false, runTimeMs: 1 };
      return { rc: 0, timedOut: false, runTimeMs: 1 };
    };
    const resources = new LocalResources("n1", runner, quiet, () => 1000);
    resources.configure(cibWith("a", "b", "c", "d"));
    await settle(resources, () => resources.report().probed);
    // d's start failed: it may be half up, so it is stopped too; b never ran.
    await resources.operate("d", "start");
    calls.length = 0;
    expect(await resources.stopAll()).toEqual([]);
    expect(calls).toEqual(["stop d", "stop c", "stop a"]);
    calls.length = 0;
    expect(await resources.stopAll()).toEqual([]);
    expect(calls).toEqual([]);
    resources.close();
  });

  it("stops a resource whose start is under way, and starts nothing once it has begun", async () => {
    const calls: string[] = [];
    let finishStart: () => void = () => undefined;
    const runner: ActionRunner = async (primitive, action, intervalMs) => {
      if (action === "monitor" && intervalMs === 0) return { rc: 7, timedOut: false, runTimeMs: 1 };
      if (action !== "monitor") calls.push(`${action} ${primitive.id}`);
      if (action === "start" && primitive.id === "a") await new Promise<void>((resolve) => { finishStart = resolve; });
      return { rc: 0, timedOut: false, runTimeMs: 1 };
    };
    const resources = new LocalResources("n1", runner, quiet, () => 1000);
    resources.configure(cibWith("a", "b"));
    await settle(resources, () => resources.report().probed);
    // a's start runs (the DC's transition) when the leave begins to stop everything.
    const starting = resources.operate("a", "start");
    await new Promise((resolve) => setTimeout(resolve, 10));
    const stopping = resources.stopAll();
    // The transition goes on: b's start comes after the leave began and is refused.
    expect(await resources.operate("b", "start")).toMatchObject({ ok: false, reason: expect.stringMatching(/stopping every resource to leave/) });
    finishStart();
    expect(await starting).toMatchObject({ ok: true });
    expect(await stopping).toEqual([]);
    expect(calls).toEqual(["start a", "stop a"]);
    resources.close();
  });

  it("reports the stops that failed", async () => {
    const runner: ActionRunner = async (_primitive, action, intervalMs) => ({ rc: action === "monitor" && intervalMs === 0 ? 0 : action === "stop" ? 1 : 0, reason: action === "stop" ? "stuck" : undefined, timedOut: false, runTimeMs: 1 });
    const resources = new LocalResources("n1", runner, quiet, () => 1000);
    resources.configure(cibWith("a"));
    await settle(resources, () => resources.report().probed);
    expect(await resources.stopAll()).toEqual(["a: stuck"]);
    resources.close();
  });
});

describe("unmanaged resources", () => {
  it("are left running by a leave without the DC: maintenance-mode, is-managed=false, maintenance=true", async () => {
    const calls: string[] = [];
    const runner: ActionRunner = async (primitive, action, intervalMs) => {
      if (action === "monitor" && intervalMs === 0) return { rc: 0, timedOut: false, runTimeMs: 1 };
      if (action !== "monitor") calls.push(`${action} ${primitive.id}`);
      return { rc: 0, timedOut: false, runTimeMs: 1 };
    };
    const resources = new LocalResources("n1", runner, quiet, () => 1000);
    const cib = cibWith("a", "b", "c");
    cib.resources[1]!.meta = [{ id: "b-meta", values: { "is-managed": "false" } }];
    cib.resources[2]!.meta = [{ id: "c-meta", values: { maintenance: "true" } }];
    resources.configure(cib);
    await settle(resources, () => resources.report().probed);
    await resources.stopAll();
    expect(calls).toEqual(["stop a"]);
    calls.length = 0;
    cib.properties = [{ id: "cib-bootstrap-options", values: { "maintenance-mode": "true" } }];
    cib.version = { ...cib.version, epoch: 3 };
    resources.configure(cib);
    await settle(resources, () => resources.report().probed && resources.report().cibVersion === "0.3.0");
    await resources.operate("a", "start");
    calls.length = 0;
    await resources.stopAll();
    expect(calls).toEqual([]);
    resources.close();
  });
});

describe("operation timeouts", () => {
  it("take the op_defaults that apply to the operation: op_expression, rsc_expression, date rules, sets by score", async () => {
    const timeouts: string[] = [];
    const runner: ActionRunner = async (primitive, action, intervalMs, timeoutMs) => {
      timeouts.push(`${action}/${intervalMs} ${timeoutMs}`);
      return { rc: action === "monitor" && intervalMs === 0 ? 7 : 0, timedOut: false, runTimeMs: 1 };
    };
    // The clock reads 1970 (1,000 s after the epoch): "lt 2000" holds, "gt 2000" does not.
    const resources = new LocalResources("n1", runner, quiet, () => 1000);
    const cib = cibWith("a");
    const rule = (id: string, parts: Partial<NonNullable<Cib["opDefaults"][number]["rule"]>>) => ({ id, booleanOp: "and" as const, expressions: [], rules: [], ...parts });
    cib.opDefaults = [
      { id: "plain", values: { timeout: "7s" } },
      { id: "starts", score: "10", rule: rule("r1", { operationExpressions: [{ id: "o1", name: "start" }] }), values: { timeout: "90s" } },
      { id: "later-starts", score: "200", rule: rule("r2", { operationExpressions: [{ id: "o2", name: "start" }], dateExpressions: [{ id: "d2", operation: "gt", start: "2000-01-01" }] }), values: { timeout: "1s" } },
      { id: "early-stops", score: "100", rule: rule("r3", { operationExpressions: [{ id: "o3", name: "stop" }], dateExpressions: [{ id: "d3", operation: "lt", end: "2000-01-01" }] }), values: { timeout: "11s" } },
      { id: "test-monitors", score: "5", rule: rule("r4", { operationExpressions: [{ id: "o4", name: "monitor", interval: "50ms" }], resourceExpressions: [{ id: "x4", class: "ocf", provider: "test", type: "T" }] }), values: { timeout: "33s" } },
      { id: "other-monitors", score: "50", rule: rule("r5", { operationExpressions: [{ id: "o5", name: "monitor", interval: "50ms" }], resourceExpressions: [{ id: "x5", class: "ocf", provider: "heartbeat", type: "T" }] }), values: { timeout: "2s" } },
    ];
    resources.configure(cib);
    await settle(resources, () => resources.report().probed);
    await resources.operate("a", "start");
    await settle(resources, () => timeouts.some((line) => line.startsWith("monitor/50 ")));
    await resources.operate("a", "stop");
    resources.close();
    expect([...new Set(timeouts)]).toEqual(["monitor/0 7000", "start/0 90000", "monitor/50 33000", "stop/0 11000"]);
  });
});
