// The DC waits for an operation's result as long as its timeout (plus a margin) and no longer:
// the timeout is the operation's own, else the op_defaults that apply to that operation as
// Pacemaker unpacks them (sets by score, op_expression, rsc_expression, date rules), not the
// first op_defaults set in document order.
import { describe, expect, it } from "vitest";
import { emptyCib, type Cib, type NvSet } from "../../../src/cib";
import { ControllerWorld } from "./harness";

function cibWith(opDefaults: NvSet[]): Cib {
  const cib = emptyCib();
  cib.version = { adminEpoch: 0, epoch: 3, numUpdates: 0 };
  cib.properties = [{ id: "cib-bootstrap-options", values: { "stonith-enabled": "false" } }];
  cib.nodes = [{ id: "1", uname: "n1", extra: {}, instance: [], utilization: [] }, { id: "2", uname: "n2", extra: {}, instance: [], utilization: [] }];
  cib.resources = [{ kind: "primitive", id: "vip", class: "ocf", provider: "heartbeat", type: "IPaddr2", extra: {}, instance: [], meta: [], operations: [] }];
  // n1 is the DC: vip runs on n2, so its result crosses the wire (and can be lost).
  cib.constraints = [{ kind: "location", id: "not-n1", rsc: "vip", node: "n1", score: "-INFINITY", rules: [], extra: {} }];
  cib.opDefaults = opDefaults;
  return cib;
}

const rule = (id: string, parts: Partial<NonNullable<NvSet["rule"]>>): NonNullable<NvSet["rule"]> => ({ id, booleanOp: "and", expressions: [], rules: [], ...parts });

/** Seconds from the start's dispatch until the DC gives up waiting for its lost result. */
function secondsWaited(opDefaults: NvSet[]): number {
  const world = new ControllerWorld(["n1", "n2"], cibWith(opDefaults));
  world.dropIf = (_from, _to, message) => message.t === "op-result";
  world.view(1, ["n1", "n2"]);
  for (let guard = 0; guard < 200 && !world.operations.includes("start vip on n2"); guard++) world.run(100);
  expect(world.node("n1").controller.dcName).toBe("n1");
  const dispatchedMs = world.nowMs;
  for (let guard = 0; guard < 400 && !world.log.some((line) => line.includes("no result for an operation in time")); guard++) world.run(500);
  return (world.nowMs - dispatchedMs) / 1000;
}

describe("the DC's wait for an operation result", () => {
  it("takes the op_defaults set that applies to the operation, by score and rule, not the first set written", () => {
    // The harness's clock reads 1970: "lt 2000" holds, "gt 2000" does not.
    const waited = secondsWaited([
      { id: "plain", values: { timeout: "7s" } },
      { id: "starts", score: "10", rule: rule("r1", { operationExpressions: [{ id: "o1", name: "start" }], resourceExpressions: [{ id: "x1", class: "ocf", provider: "heartbeat", type: "IPaddr2" }] }), values: { timeout: "60s" } },
      { id: "later", score: "200", rule: rule("r2", { operationExpressions: [{ id: "o2", name: "start" }], dateExpressions: [{ id: "d2", operation: "gt", start: "2000-01-01" }] }), values: { timeout: "1s" } },
      { id: "stops", score: "300", rule: rule("r3", { operationExpressions: [{ id: "o3", name: "stop" }] }), values: { timeout: "2s" } },
      { id: "other-type", score: "400", rule: rule("r4", { resourceExpressions: [{ id: "x4", class: "ocf", provider: "heartbeat", type: "Dummy" }] }), values: { timeout: "3s" } },
    ]);
    // 60 s plus the DC's 5 s margin (to within the 0.5 s steps of this test).
    expect(waited).toBeGreaterThanOrEqual(65);
    expect(waited).toBeLessThanOrEqual(66.5);
  });

  it("takes a date rule's set while it holds, and the plain set for what no rule matches", () => {
    const early = { id: "early", score: "10", rule: rule("r1", { dateExpressions: [{ id: "d1", operation: "lt", end: "2000-01-01" }] }), values: { timeout: "30s" } };
    expect(secondsWaited([{ id: "plain", values: { timeout: "7s" } }, early])).toBeLessThanOrEqual(36.5);
    expect(secondsWaited([{ id: "plain", values: { timeout: "7s" } }, early])).toBeGreaterThanOrEqual(35);
    const monitorsOnly = { ...early, rule: rule("r2", { operationExpressions: [{ id: "o2", name: "monitor" }] }) };
    const waited = secondsWaited([{ id: "plain", values: { timeout: "7s" } }, monitorsOnly]);
    expect(waited).toBeGreaterThanOrEqual(12);
    expect(waited).toBeLessThanOrEqual(13.5);
  });
});
