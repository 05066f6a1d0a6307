import { describe, expect, it } from "vitest";
import { cancel, complete, emptyQueue, enqueue, startReady, type QueuedOperation } from "../../../src/executor/queue";
import { record, recordStateChange, RECENT_ENTRIES_MAX, type HistoryEntry } from "../../../src/executor/history";

let callId = 0;
const op = (resource: string, action = "start", intervalMs = 0): QueuedOperation => ({ callId: ++callId, resource, action, intervalMs, queuedAtMs: 0 });

describe("operation queue", () => {
  it("runs operations on one resource strictly one after another, in queue order", () => {
    let state = emptyQueue();
    const first = op("vip", "stop");
    const second = op("vip", "start");
    state = enqueue(enqueue(state, first), second);
    let step = startReady(state, 4);
    expect(step.start).toEqual([first]);
    step = startReady(step.state, 4);
    expect(step.start).toEqual([]);
    step = startReady(complete(step.state, "vip", first.callId), 4);
    expect(step.start).toEqual([second]);
  });

  it("runs different resources in parallel up to the limit", () => {
    let state = emptyQueue();
    for (const resource of ["a", "b", "c"]) state = enqueue(state, op(resource));
    const step = startReady(state, 2);
    expect(step.start.map((operation) => operation.resource)).toEqual(["a", "b"]);
    expect(step.state.pending.map((operation) => operation.resource)).toEqual(["c"]);
  });

  it("does not let a later operation on a resource overtake an earlier one that waits for a slot", () => {
    let state = emptyQueue();
    const a = op("a");
    const b1 = op("b", "stop");
    const b2 = op("b", "start");
    state = enqueue(enqueue(enqueue(state, a), b1), b2);
    const step = startReady(state, 1);
    expect(step.start).toEqual([a]);
    expect(step.state.pending).toEqual([b1, b2]);
  });

  it("drops a cancelled recurring monitor that has not started", () => {
    let state = enqueue(emptyQueue(), op("vip", "monitor", 10_000));
    state = cancel(state, "vip", "monitor", 10_000);
    expect(state.pending).toEqual([]);
  });

  it("ignores a completion for a call that is not the running one", () => {
    const state = startReady(enqueue(emptyQueue(), op("vip")), 1).state;
    expect(complete(state, "vip", -5).running.size).toBe(1);
  });
});

const entry = (action: string, intervalMs: number, rc: number, failed = false): HistoryEntry => ({
  callId: ++callId, action, intervalMs, rc, startedAtMs: 0, runTimeMs: 5, queueTimeMs: 1, failed,
});

describe("operation history", () => {
  it("keeps the last result per action and interval, and the last failure", () => {
    let history = record(undefined, entry("start", 0, 0));
    history = record(history, entry("monitor", 10_000, 7, true));
    history = record(history, entry("monitor", 10_000, 0));
    expect(history.last["monitor:10000"]!.rc).toBe(0);
    expect(history.lastFailure?.rc).toBe(7);
  });

  it("forgets recurring monitor results when the resource is stopped", () => {
    let history = record(undefined, entry("monitor", 10_000, 0));
    history = recordStateChange(history, entry("stop", 0, 0));
    expect(Object.keys(history.last)).toEqual(["stop:0"]);
  });

  it("keeps a bounded list of recent calls", () => {
    let history = undefined;
    for (let index = 0; index < RECENT_ENTRIES_MAX + 10; index++) history = record(history, entry("monitor", 1000, 0));
    expect(history!.recent).toHaveLength(RECENT_ENTRIES_MAX);
  });
});
