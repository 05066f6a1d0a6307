import { describe, expect, it } from "vitest";
import { sameActions } from "../../conformance/scheduler-compare";
import { history, record, smallCibXml, type SmallCib } from "./small-cib";
import { importCibXml } from "../../../src/cib";
import { schedule } from "../../../src/scheduler";

/** Schedules a small CIB with fencing on, in which "birch" has left the cluster. */
function withBirchLost(spec: SmallCib): Record<string, unknown>[] {
  const xml = smallCibXml(spec).replace(`name="stonith-enabled" value="false"`, `name="stonith-enabled" value="true"`)
    .replace(`uname="birch" in_ccm="true" crmd="online"`, `uname="birch" in_ccm="false" crmd="offline"`);
  return schedule(importCibXml(xml, "lost-node").cib, { now: 1800000000 }).actions as never as Record<string, unknown>[];
}

// Fencing on; "birch" has left the cluster (lost, so it is fenced), and the last operation of "db"
// there failed. Pacemaker's process_rsc_state takes every on-fail on a node that is already
// unclean as "ignore": the node is fenced anyway, so the resource is not marked failed and only
// moves off it. Only on-fail=stop still holds, as the role the resource falls back to.
// Expectations checked against crm_simulate 2.1.5 with the same CIBs.
function withFailureOnLostNode(failure: string, onFail = ""): Record<string, unknown>[] {
  return withBirchLost({
    resources: `<primitive id="fencer" class="stonith" type="fence_acme"/><primitive id="db" class="ocf" provider="heartbeat" type="Dummy">`
      + `<operations><op id="db-mon" name="monitor" interval="10s"${onFail ? ` on-fail="${onFail}"` : ""}/></operations></primitive>`,
    history: { birch: history("db", [record("db", "start", { call: 1 }), failure]) },
  });
}

describe("a failure on a node that was lost", () => {
  it("does not make a recovery: a resource whose stop failed there moves", () => {
    const actions = withFailureOnLostNode(record("db", "stop", { call: 2, rc: 1 }));
    expect(sameActions(actions, [
      { action: "fence", node: "birch", kind: "reboot" },
      { action: "start", resource: "fencer", node: "alder" },
      { action: "move", resource: "db", from: "birch", to: "alder" },
    ])).toBe(true);
    // The node is fenced because it was lost, not because of the failed stop.
    expect(actions.find((action) => action.action === "fence")?.reason).toBe("peer is no longer part of the cluster");
  });

  it("ignores on-fail=block there: the resource moves", () => {
    expect(sameActions(withFailureOnLostNode(record("db", "monitor", { call: 2, interval: 10000, rc: 1 }), "block"), [
      { action: "fence", node: "birch", kind: "reboot" },
      { action: "start", resource: "fencer", node: "alder" },
      { action: "move", resource: "db", from: "birch", to: "alder" },
    ])).toBe(true);
  });

  it("still keeps a resource stopped by on-fail=stop", () => {
    expect(sameActions(withFailureOnLostNode(record("db", "monitor", { call: 2, interval: 10000, rc: 1 }), "stop"), [
      { action: "fence", node: "birch", kind: "reboot" },
      { action: "start", resource: "fencer", node: "alder" },
      { action: "stop", resource: "db", node: "birch" },
    ])).toBe(true);
  });
});

// The same rule for a member of a group: "front" then "back", both last on birch, lost; back's stop failed there.
describe("a group member whose stop failed on a lost node", () => {
  it("moves with its group", () => {
    const actions = withBirchLost({
      resources: `<primitive id="fencer" class="stonith" type="fence_acme"/><group id="pair"><primitive id="front" class="ocf" provider="heartbeat" type="Dummy"/><primitive id="back" class="ocf" provider="heartbeat" type="Dummy"/></group>`,
      history: { birch: history("front", [record("front", "start", { call: 1 })]) + history("back", [record("back", "start", { call: 2 }), record("back", "stop", { call: 3, rc: 1 })]) },
    });
    expect(sameActions(actions, [
      { action: "fence", node: "birch", kind: "reboot" },
      { action: "start", resource: "fencer", node: "alder" },
      { action: "move", resource: "front", from: "birch", to: "alder" },
      { action: "move", resource: "back", from: "birch", to: "alder" },
    ])).toBe(true);
  });
});
