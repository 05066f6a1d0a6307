// `edgeha config explain` with what a node measured: the median of its fencing (fence
// history) and of its starts along the longest group (exec-time in the recorded inputs).
import { afterAll, describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { emptyCib, type Cib, type Primitive } from "../../../src/cib";
import { InputRecorder, RECORD_FORMAT, RECORD_VERSION } from "../../../src/node/recorder";
import { ELECT_AND_PLAN_TESTBED_MS, fenceDurations, longestStartChain, measureFailoverSteps, median, startChains, startDurations } from "../../../src/node/failover-measure";
import { runInProcess } from "../../support/cli";

const root = mkdtempSync(path.join(os.tmpdir(), "edgeha-measure-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function primitive(id: string): Primitive {
  return { kind: "primitive", id, class: "ocf", provider: "heartbeat", type: "Dummy", extra: {}, instance: [], meta: [], operations: [] };
}

/** A pair running group edge (vip, proxy) and a lone resource; starts recorded with the given exec-times on node `on`. */
function cibWithStarts(on: string, callId: number, exec: Record<string, number>): Cib {
  const cib = emptyCib();
  cib.nodes = [{ id: "1", uname: "node1", extra: {}, instance: [], utilization: [] }, { id: "2", uname: "node2", extra: {}, instance: [], utilization: [] }];
  cib.resources = [{ kind: "group", id: "edge", extra: {}, instance: [], meta: [], members: [primitive("vip"), primitive("proxy")] }, primitive("lone")];
  const started = (id: string, ms: number) => ({ id, class: "ocf", provider: "heartbeat", type: "Dummy", extra: {}, operations: [{ id: `${id}_last_0`, operation: "start", callId, rcCode: 0, opStatus: 0, intervalMs: 0, attributes: { "operation_key": `${id}_start_0`, "last-rc-change": String(1_700_000_000 + callId), "exec-time": String(ms) } }] });
  cib.status = [{ id: on === "node1" ? "1" : "2", uname: on, attributes: { in_ccm: "true", crmd: "online", join: "member", expected: "member" }, transient: [], resources: Object.entries(exec).map(([id, ms]) => started(id, ms)) }];
  return cib;
}

describe("measured failover steps", () => {
  it("takes the median, rounding the mean of the middle two", () => {
    expect(median([])).toBeUndefined();
    expect(median([30, 10, 20])).toBe(20);
    expect(median([10, 20, 31, 41])).toBe(26);
  });

  it("counts successful fencing only, not a person's confirmation, an unfencing, a failure or a pending one", () => {
    const entries = [
      { state: "done", action: "reboot", requestedAtMs: 1000, completedAtMs: 1080 },
      { state: "done", action: "confirm", requestedAtMs: 1000, completedAtMs: 1001 },
      // An unfencing (the 'on' of a node that joins) is not part of any failover.
      { state: "done", action: "on", requestedAtMs: 1500, completedAtMs: 1530 },
      { state: "failed", action: "off", requestedAtMs: 1000, completedAtMs: 9000 },
      { state: "pending", action: "off", requestedAtMs: 1000 },
      { state: "done", action: "off", requestedAtMs: 2000, completedAtMs: 2060 },
      "junk",
    ];
    expect(fenceDurations(entries)).toEqual([80, 60]);
    expect(fenceDurations({ not: "a list" })).toEqual([]);
  });

  it("counts each start once across the inputs that repeat it, and finds the longest chain with every member measured", () => {
    const first = cibWithStarts("node1", 5, { vip: 40, proxy: 150, lone: 120 });
    const again = cibWithStarts("node1", 5, { vip: 40, proxy: 150, lone: 120 });
    const later = cibWithStarts("node2", 9, { vip: 60, proxy: 170 });
    const durations = startDurations([first, again, later]);
    expect(durations.get("vip")).toEqual([40, 60]);
    expect(durations.get("lone")).toEqual([120]);
    const chains = startChains(first.resources);
    expect(chains).toEqual([["vip", "proxy"], ["lone"]]);
    expect(longestStartChain(chains, durations)).toEqual({ chain: ["vip", "proxy"], medianMs: 50 + 160, count: 4 });
    expect(longestStartChain([["vip", "unmeasured"]], durations)).toBeUndefined();
  });

  it("reads both from a state directory, and explain adds them into a typical total", async () => {
    const stateDir = path.join(root, "state");
    mkdirSync(stateDir, { recursive: true });
    writeFileSync(path.join(stateDir, "fence-history.json"), JSON.stringify([
      { id: "a", target: "node1", action: "reboot", state: "done", origin: "node2", requestedAtMs: 10_000, completedAtMs: 10_070, reason: "lost" },
      { id: "b", target: "node2", action: "reboot", state: "done", origin: "node1", requestedAtMs: 20_000, completedAtMs: 20_090, reason: "lost" },
    ]));
    const recorder = new InputRecorder(path.join(stateDir, "pe"), (file, data) => writeFileSync(file, data));
    const save = (cib: Cib, transition: number) => recorder.save({ format: RECORD_FORMAT, version: RECORD_VERSION, transition, dc: "node1", nowSeconds: 1_800_000_000 + transition, reason: "test", cib, graph: { actions: [], operations: [] }, steps: [] });
    save(cibWithStarts("node1", 3, { vip: 30, proxy: 170 }), 1);
    save(cibWithStarts("node2", 7, { vip: 50, proxy: 190 }), 2);
    writeFileSync(path.join(stateDir, "pe", "pe-input-77.json.gz"), "not gzip");
    const measured = measureFailoverSteps(stateDir);
    expect(measured.fence).toMatchObject({ medianMs: 80, count: 2 });
    expect(measured.start).toMatchObject({ chain: ["vip", "proxy"], medianMs: 40 + 180, count: 4 });
    expect(measureFailoverSteps(path.join(root, "nothing-here"))).toEqual({});

    const text = await runInProcess(["config", "explain", "--state-dir", stateDir]);
    expect(text.status).toBe(0);
    expect(text.out).toMatch(/fence +80 ms/);
    // The chain's starts one by one in group order, after the election and planning.
    expect(text.out).toMatch(new RegExp(`elect +${ELECT_AND_PLAN_TESTBED_MS} ms +\\? +testbed`));
    expect(text.out).toMatch(/start vip +40 ms +\? +measured +median of 2 recorded starts/);
    expect(text.out).toMatch(/start proxy +180 ms/);
    expect(text.out).toContain(`typical ${130 + 80 + ELECT_AND_PLAN_TESTBED_MS + 220} ms; worst 2200 ms + elect + fence + start`);
    const json = JSON.parse((await runInProcess(["config", "explain", "--state-dir", stateDir, "--json"])).out);
    expect(json).toMatchObject({ stateDir, typicalMs: 130 + 80 + ELECT_AND_PLAN_TESTBED_MS + 220, typicalComplete: true, measured: { fence: { medianMs: 80 } } });
  });
});
