// The simulator's executor keeps the agent's executor rules (src/executor/resource-rules.ts,
// shared with src/node/local-resources.ts): here the stop of everything after a stall, which
// starts nothing more and also stops what is being started (the agent's rule since 9b33c2c),
// and also stops what the previous agent process started and no probe has answered yet, with
// the definition it ran with (aab3585).
import { describe, expect, it } from "vitest";
import { emptyCib, type Cib } from "../../../src/cib";
import { simPrimitive } from "../../../src/sim/changes";
import { SimExecutor, type ExecutorHost } from "../../../src/sim/executor";
import { decodeStarted, encodeStarted } from "../../../src/executor/started";
import { parameterDigest } from "../../../src/scheduler/digest";

/** One node's executor on a tiny agenda: time moves only in run(). */
function simExecutor(options: { startedText?: string; hangs?: number; running?: string[] } = {}) {
  let nowMs = 0;
  const agenda: Array<{ atMs: number; order: number; work: () => void }> = [];
  let order = 0;
  const active = new Set<string>(options.running ?? []);
  const saved: string[] = [];
  const host: ExecutorHost = {
    epochSeconds: () => 1_800_000_000 + Math.floor(nowMs / 1000),
    localMs: () => nowMs,
    later: (delayMs, work) => void agenda.push({ atMs: nowMs + delayMs, order: order++, work }),
    random: () => 0.5,
    faults: () => ({ startFails: 0, stopFails: 0, hangs: options.hangs ?? 0 }),
    active: (resource) => active.has(resource),
    setActive: (resource, running) => void (running ? active.add(resource) : active.delete(resource)),
    observed: () => {},
    changed: () => {},
    stopFailed: () => {},
    note: () => {},
    operationFailed: () => {},
    saveStarted: (text) => void saved.push(text),
  };
  const run = (untilMs: number) => {
    for (;;) {
      agenda.sort((left, right) => left.atMs - right.atMs || left.order - right.order);
      const next = agenda[0];
      if (next === undefined || next.atMs > untilMs) break;
      agenda.shift();
      nowMs = next.atMs;
      next.work();
    }
    nowMs = untilMs;
  };
  return { executor: new SimExecutor("node1", host, options.startedText), active, run, saved };
}

const cib: Cib = { ...emptyCib(), resources: [simPrimitive("vip"), simPrimitive("db")] };

describe("the simulated executor's stop of everything (a stall's exit)", () => {
  it("stops a resource whose first start is still running, and refuses a start asked after it", () => {
    const { executor, active, run } = simExecutor();
    executor.configure(cib);
    run(1000);
    expect(active.size).toBe(0);
    const results: Array<{ what: string; ok: boolean; reason?: string }> = [];
    // The DC asked for a start of vip; it runs (a simulated start takes 5 to 200 ms).
    executor.operate("vip", "start", (result) => results.push({ what: "start vip", ...result }));
    run(1001);
    expect(active.has("vip")).toBe(true);
    let failures: string[] | undefined;
    executor.stopAll((each) => (failures = each));
    // A transition still running asks for another start meanwhile.
    executor.operate("db", "start", (result) => results.push({ what: "start db", ...result }));
    run(5000);
    expect(failures).toEqual([]);
    expect(results).toEqual([
      { what: "start db", ok: false, reason: "this node is stopping every resource to leave the cluster: db is not started here" },
      { what: "start vip", ok: true, reason: undefined },
    ]);
    // vip's stop was queued behind its start: nothing runs when the agent exits.
    expect([...active]).toEqual([]);
    expect(executor.report().resources.vip?.operations.at(-1)).toMatchObject({ operation: "stop", rcCode: 0 });
  });
});

describe("the simulated executor and what the previous agent process started (its record on the node's disk)", () => {
  it("a stop of everything before the first probe stops a resource the record holds, and the record ends empty", () => {
    const { executor, active, run, saved } = simExecutor({ startedText: encodeStarted([simPrimitive("vip")]), running: ["vip"] });
    let failures: string[] | undefined;
    executor.stopAll((each) => (failures = each));
    run(5000);
    expect(failures).toEqual([]);
    expect([...active]).toEqual([]);
    expect(decodeStarted(saved.at(-1) ?? "")).toEqual({ definitions: [] });
  });

  it("a stop of a recorded resource not probed yet runs with the definition it ran with, not the new configuration's", () => {
    // Every agent action hangs until its timeout: the stop's timeout tells which definition it ran with.
    const ranWith = simPrimitive("vip");
    const changed: Cib = { ...emptyCib(), resources: [{ ...ranWith, operations: ranWith.operations.map((op) => (op.name === "stop" ? { ...op, timeout: "7s" } : op)) }] };
    const { executor, run } = simExecutor({ startedText: encodeStarted([ranWith]), running: ["vip"], hangs: 1 });
    executor.configure(changed);
    let failures: string[] | undefined;
    executor.stopAll((each) => (failures = each));
    run(20_000);
    expect(failures).toHaveLength(1);
    expect(executor.report().failures).toEqual([expect.objectContaining({ resource: "vip", operation: "stop", reason: "stop timed out after 2000 ms" })]);
  });
});

describe("the simulated executor and a resource deleted from the configuration", () => {
  it("a stop of a resource forgotten once known stopped succeeds, one never known here is refused (the agent's rule, node/orphans)", () => {
    const { executor, active, run } = simExecutor();
    executor.configure(cib);
    run(1000);
    const results: Array<{ what: string; ok: boolean; reason?: string }> = [];
    executor.operate("vip", "start", (result) => results.push({ what: "start vip", ...result }));
    run(2000);
    executor.configure({ ...emptyCib(), resources: [simPrimitive("db")] });
    run(3000);
    executor.operate("vip", "stop", (result) => results.push({ what: "stop vip", ...result }));
    run(4000);
    // Forgotten now; the same stop again (late) finds nothing to stop.
    executor.operate("vip", "stop", (result) => results.push({ what: "late stop vip", ...result }));
    executor.operate("ghost", "stop", (result) => results.push({ what: "stop ghost", ...result }));
    run(5000);
    expect(results).toEqual([
      { what: "start vip", ok: true, reason: undefined },
      { what: "stop vip", ok: true, reason: undefined },
      { what: "late stop vip", ok: true },
      { what: "stop ghost", ok: false, reason: "resource ghost is not in the configuration this node has, and it has not run here" },
    ]);
    expect(executor.report().resources.vip).toBeUndefined();
    expect([...active]).toEqual([]);
  });
});

describe("the simulated executor records op-digest as the agent's executor does (node/resolved-parameters, node/stop-parameters)", () => {
  const digestOf = (executor: SimExecutor, resource: string, operation: string) => executor.report().resources[resource]?.operations.find((record) => record.operation === operation && record.intervalMs === 0)?.attributes["op-digest"];

  it("a start records the digest of the parameters the DC sent, and none when it sent none", () => {
    const { executor, run } = simExecutor();
    executor.configure(cib);
    run(1000);
    expect(digestOf(executor, "vip", "monitor")).toBe(parameterDigest({}));
    executor.operate("vip", "start", () => {}, { state: "/run/vip-1" });
    executor.operate("db", "start", () => {});
    run(2000);
    expect(digestOf(executor, "vip", "start")).toBe(parameterDigest({ state: "/run/vip-1" }));
    expect(executor.report().resources.db?.operations.find((record) => record.operation === "start")?.attributes).not.toHaveProperty("op-digest");
  });

  it("a probe that finds running what the previous agent process started keeps the digest of the parameters it was started with", () => {
    const { executor, run } = simExecutor({ startedText: encodeStarted([simPrimitive("vip")], { vip: { state: "/run/vip-1" } }), running: ["vip"] });
    executor.configure(cib);
    run(1000);
    expect(digestOf(executor, "vip", "monitor")).toBe(parameterDigest({ state: "/run/vip-1" }));
    expect(digestOf(executor, "db", "monitor")).toBe(parameterDigest({}));
  });
});
