// The flight recorder: recorded inputs replay to the same graph (`simulate --input`), the
// series stay within pe-*-series-max, and `history` lists the runs with their reasons.
import { afterAll, describe, expect, it } from "vitest";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { emptyCib, type Cib, type Primitive } from "../../../src/cib";
import { schedule } from "../../../src/scheduler";
import { InputRecorder, RECORD_FORMAT, RECORD_VERSION, historyOf, readRecord, type RecordedInput } from "../../../src/node/recorder";
import { runInProcess } from "../../support/cli";

const directory = mkdtempSync(path.join(os.tmpdir(), "edgeha-recorder-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
const write = (file: string, data: Uint8Array) => writeFileSync(file, data);

function primitive(id: string): Primitive {
  return { kind: "primitive", id, class: "ocf", provider: "heartbeat", type: "Dummy", extra: {}, instance: [], meta: [], operations: [] };
}

/** A pair where node2 is lost (unclean) while it ran the group: the scheduler fences it and moves the group. */
function lostNodeCib(seriesMax?: string): Cib {
  const cib = emptyCib();
  cib.properties = [{ id: "cib-bootstrap-options", values: { "stonith-enabled": "true", ...(seriesMax ? { "pe-input-series-max": seriesMax, "pe-warn-series-max": seriesMax } : {}) } }];
  cib.nodes = [{ id: "1", uname: "node1", extra: {}, instance: [], utilization: [] }, { id: "2", uname: "node2", extra: {}, instance: [], utilization: [] }];
  cib.resources = [{ kind: "group", id: "web", extra: {}, instance: [], meta: [], members: [primitive("vip"), primitive("proxy")] }];
  const running = (id: string) => ({ id, class: "ocf", provider: "heartbeat", type: "Dummy", extra: {}, operations: [{ id: `${id}_last_0`, operation: "start", callId: 3, rcCode: 0, opStatus: 0, intervalMs: 0, attributes: { "operation_key": `${id}_start_0`, "transition-magic": "0:0;1:1:0:abc", "last-rc-change": "1700000000" } }] });
  cib.status = [
    { id: "1", uname: "node1", attributes: { in_ccm: "true", crmd: "online", join: "member", expected: "member" }, transient: [], resources: [] },
    { id: "2", uname: "node2", attributes: { in_ccm: "false", crmd: "offline", join: "down", expected: "member" }, transient: [], resources: [running("vip"), running("proxy")] },
  ];
  cib.attributes = { "have-quorum": "1" };
  return cib;
}

function record(cib: Cib, transition: number, nowSeconds: number, reason: string): RecordedInput {
  const graph = schedule(cib, { now: nowSeconds });
  return { format: RECORD_FORMAT, version: RECORD_VERSION, transition, dc: "node1", nowSeconds, reason, cib, graph: { actions: graph.actions, operations: graph.operations }, steps: graph.actions.map((action) => `${action.action} ${action.resource ?? action.node}`) };
}

describe("the flight recorder", () => {
  it("stores a run compressed, and simulate --input replays it to the same graph", async () => {
    const recorder = new InputRecorder(path.join(directory, "replay"), write);
    const file = recorder.save(record(lostNodeCib(), 4, 1_800_000_000, "node2 lost"))!;
    expect(path.basename(file)).toBe("pe-warn-0.json.gz");
    expect(readRecord(file).graph.actions.some((action) => action.action === "fence")).toBe(true);
    const replay = await runInProcess(["simulate", "--input", file]);
    expect(replay.status).toBe(0);
    expect(replay.out).toContain("Fence (reboot) node2");
    expect(replay.out).toContain("Replay: the same graph as recorded");
    const json = JSON.parse((await runInProcess(["simulate", "--input", file, "--json"])).out);
    expect(json).toMatchObject({ transition: 4, dc: "node1", reason: "node2 lost", same: true });
  });

  it("says so, and exits 1, when the replay differs from what was recorded", async () => {
    const tampered = record(lostNodeCib(), 5, 1_800_000_000, "node2 lost");
    tampered.graph.actions = tampered.graph.actions.filter((action) => action.action !== "fence");
    const file = path.join(directory, "pe-input-99.json.gz");
    writeFileSync(file, gzipSync(JSON.stringify(tampered)));
    const replay = await runInProcess(["simulate", "--input", file]);
    expect(replay.status).toBe(1);
    expect(replay.out).toContain("DIFFERS");
  });

  it("refuses a file that is not a recorded input, naming it", async () => {
    const file = path.join(directory, "garbage.json.gz");
    writeFileSync(file, "not gzip");
    const outcome = await runInProcess(["simulate", "--input", file, "--json"]);
    expect(outcome.status).toBe(1);
    expect(JSON.parse(outcome.out).error).toMatchObject({ code: "E_RECORD_INPUT", message: expect.stringContaining(file) });
  });

  it("keeps at most pe-*-series-max runs per series, dropping the oldest, and a new recorder continues the numbering", () => {
    const where = path.join(directory, "bounded");
    let recorder = new InputRecorder(where, write);
    for (let index = 0; index < 5; index++) recorder.save(record(lostNodeCib("3"), index, 1_800_000_000 + index, `run ${index}`));
    expect(readdirSync(where).sort()).toEqual(["pe-warn-2.json.gz", "pe-warn-3.json.gz", "pe-warn-4.json.gz"]);
    recorder = new InputRecorder(where, write);
    recorder.save(record(lostNodeCib("3"), 5, 1_800_000_010, "run 5"));
    expect(readdirSync(where).sort()).toEqual(["pe-warn-3.json.gz", "pe-warn-4.json.gz", "pe-warn-5.json.gz"]);
    expect(new InputRecorder(path.join(directory, "none"), write).save(record(lostNodeCib("0"), 1, 1_800_000_000, "x"))).toBeUndefined();
  });

  it("lists the runs with their reasons for edgeha history", async () => {
    const state = path.join(directory, "state");
    const recorder = new InputRecorder(path.join(state, "pe"), write);
    recorder.save(record(lostNodeCib(), 7, 1_800_000_100, "node2 lost"));
    recorder.save(record({ ...lostNodeCib(), status: [] }, 8, 1_800_000_200, "configuration changed"));
    expect(historyOf(path.join(state, "pe")).map((entry) => [entry.transition, entry.reason])).toEqual([[7, "node2 lost"], [8, "configuration changed"]]);
    const text = await runInProcess(["history", "--state-dir", state]);
    expect(text.out).toContain("transition 7 by node1: node2 lost");
    expect(text.out).toContain("fence node2");
    expect(JSON.parse((await runInProcess(["history", "--state-dir", state, "--json", "--limit", "1"])).out)).toHaveLength(1);
  });
});
