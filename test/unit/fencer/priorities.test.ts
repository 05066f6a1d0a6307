import { describe, expect, it } from "vitest";
import { emptyCib, type Primitive, type ResourceHistory } from "../../../src/cib/index";
import { delayMs, nodePriorities, worldFromCib } from "../../../src/fencer/index";

function primitive(id: string, priority?: string): Primitive {
  return { kind: "primitive", id, class: "ocf", provider: "heartbeat", type: "Dummy", extra: {}, instance: [], operations: [], meta: priority ? [{ id: `${id}-meta`, values: { priority } }] : [] };
}

function history(id: string, ...operations: Array<[string, number, number]>): ResourceHistory {
  return {
    id, class: "ocf", type: "Dummy", extra: {},
    operations: operations.map(([operation, callId, rcCode]) => ({ id: `${id}_${operation}_${callId}`, operation, callId, rcCode, opStatus: 0, intervalMs: 0, attributes: {} })),
  };
}

describe("node priorities for priority-fencing-delay", () => {
  const cib = emptyCib();
  cib.nodes.push({ id: "1", uname: "alpha", extra: {}, instance: [], utilization: [] }, { id: "2", uname: "beta", extra: {}, instance: [], utilization: [] });
  cib.resources.push(primitive("vip", "10"), primitive("cache"), primitive("old", "50"));
  cib.resources.push({ kind: "clone", id: "db-clone", legacyMaster: false, extra: {}, instance: [], meta: [{ id: "m", values: { priority: "5", promotable: "true" } }], child: primitive("db") });
  cib.properties.push({ id: "cib-bootstrap-options", values: { "priority-fencing-delay": "15s" } });
  cib.status.push(
    { id: "1", uname: "alpha", attributes: {}, transient: [], resources: [history("vip", ["start", 3, 0], ["monitor", 4, 0]), history("db:0", ["start", 5, 0]), history("old", ["start", 1, 0], ["stop", 2, 0])] },
    { id: "2", uname: "beta", attributes: {}, transient: [], resources: [history("db:1", ["start", 2, 0], ["promote", 3, 0], ["monitor", 4, 8]), history("cache", ["start", 1, 0])] },
  );

  it("sums the priorities of active resources, a promoted instance counting one more, stopped ones not at all", () => {
    expect(nodePriorities(cib)).toEqual({ alpha: 15, beta: 6 });
  });
  it("delays fencing the node with the more important resources in the two-node race", () => {
    expect(delayMs(undefined, worldFromCib(cib, ["beta"]), "alpha", 0)).toBe(15_000);
    expect(delayMs(undefined, worldFromCib(cib, ["alpha"]), "beta", 0)).toBe(0);
  });
});
