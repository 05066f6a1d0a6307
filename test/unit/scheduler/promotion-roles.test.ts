// Which role a promotable clone's instance gets, and how its summary line reads, when the
// instance moves, restarts or cannot be promoted. Each expectation was checked against
// crm_simulate (Pacemaker 2.1.5) on the same small CIB.
import { describe, expect, it } from "vitest";
import { sameActions } from "../../conformance/scheduler-compare";
import { importCibXml } from "../../../src/cib";
import { schedule } from "../../../src/scheduler";
import { history, record, scheduleSmall, smallCibXml, type SmallCib } from "./small-cib";

const stateful = `class="ocf" provider="pacemaker" type="Stateful"`;
const ledger = (meta = "") => `<clone id="ledger-clone"><meta_attributes id="lm"><nvpair id="lm1" name="promotable" value="true"/>${meta}</meta_attributes>`
  + `<primitive id="ledger" ${stateful}><operations><op id="ledger-mu" name="monitor" interval="10s" role="Unpromoted"/><op id="ledger-mp" name="monitor" interval="11s" role="Promoted"/></operations></primitive></clone>`;
const promoted = (call: number) => history("ledger", [record("ledger", "start", { call }), record("ledger", "promote", { call: call + 1 })], stateful);
const unpromoted = (call: number) => history("ledger", [record("ledger", "start", { call })], stateful);
const notRunning = (call: number) => history("ledger", [record("ledger", "monitor", { call, rc: 7 })], stateful);

describe("promotable clone roles", () => {
  // Pacemaker's promotion_score_applies: a node's promotion score counts for an instance where
  // it runs, where the resource was probed, or everywhere while it is known nowhere.
  const moving = (history: Record<string, string>): SmallCib => ({
    nodes: ["alder", "birch", "cedar"],
    resources: ledger(`<nvpair id="lm2" name="clone-max" value="1"/>`),
    constraints: `<rsc_location id="ban" rsc="ledger-clone" node="alder" score="-INFINITY"/><rsc_location id="pref" rsc="ledger-clone" node="birch" score="50"/>`,
    history,
    transient: { alder: { "master-ledger": "10" }, birch: { "master-ledger": "100" }, cedar: { "master-ledger": "5" } },
  });

  it("a Promoted instance that moves to a node where the resource was never probed arrives Unpromoted: the score there does not count yet", () => {
    const actions = scheduleSmall(moving({ alder: promoted(10), cedar: notRunning(5) }));
    expect(sameActions(actions, [{ action: "move", resource: "ledger:0", from: "alder", to: "birch", from_role: "Promoted", to_role: "Unpromoted" }])).toBe(true);
  });

  it("a Promoted instance that moves to a node where the resource was probed stays Promoted", () => {
    const actions = scheduleSmall(moving({ alder: promoted(10), birch: notRunning(5) }));
    expect(sameActions(actions, [{ action: "move", resource: "ledger:0", from: "alder", to: "birch", role: "Promoted" }])).toBe(true);
  });

  // Pacemaker's effective_quorum_policy: without quorum, no-quorum-policy=demote keeps an
  // instance that runs (Promoted or Unpromoted) from going above Unpromoted, and treats one that
  // is stopped as policy stop. Promotion is chosen first, as with quorum.
  const withoutQuorum = (history: Record<string, string>, transient: Record<string, Record<string, string>>) => {
    const xml = smallCibXml({
      nodes: ["alder", "birch", "cedar"], properties: `<nvpair id="nq" name="no-quorum-policy" value="demote"/>`,
      resources: ledger(`<nvpair id="lm2" name="promoted-max" value="1"/>`), history, transient,
    }).replace(`have-quorum="1"`, `have-quorum="0"`);
    return schedule(importCibXml(xml, "demote.xml").cib, { now: 1800000000 }).actions as never as Record<string, unknown>[];
  };

  it("under no-quorum-policy=demote a stopped instance chosen for promotion is listed as a blocked promote", () => {
    const actions = withoutQuorum({ alder: unpromoted(10) }, { birch: { "master-ledger": "10" } });
    expect(sameActions(actions, [
      { action: "promote", resource: "ledger:1", node: "birch", from_role: "Stopped", to_role: "Promoted", blocked: true },
      { action: "start", resource: "ledger:2", node: "cedar", blocked: true },
    ])).toBe(true);
  });

  it("under no-quorum-policy=demote a running instance chosen for promotion is demoted and still fills promoted-max", () => {
    const actions = withoutQuorum({ alder: promoted(10) }, { alder: { "master-ledger": "100" }, birch: { "master-ledger": "10" } });
    expect(sameActions(actions, [
      { action: "demote", resource: "ledger:0", node: "alder", from_role: "Promoted", to_role: "Unpromoted" },
      { action: "start", resource: "ledger:1", node: "birch", blocked: true },
      { action: "start", resource: "ledger:2", node: "cedar", blocked: true },
    ])).toBe(true);
  });

  it("at equal promotion scores the instance with the higher current role is promoted, even a failed one recovered in place", () => {
    // Pacemaker's cmp_promotable_instance: sort index, then current role (Unpromoted over Stopped),
    // and only then the instance comparison that puts a failed instance after a healthy one.
    const failedMonitor = history("ledger", [record("ledger", "start", { call: 5 }), record("ledger", "monitor", { call: 6, interval: 10000, rc: 7 })], stateful);
    const actions = scheduleSmall({
      nodes: ["alder", "birch", "cedar"], resources: ledger(`<nvpair id="lm2" name="promoted-max" value="1"/>`), history: { birch: failedMonitor },
      transient: { alder: { "master-ledger": "0" }, birch: { "master-ledger": "0" }, cedar: { "master-ledger": "0" } },
    });
    expect(sameActions(actions, [
      { action: "recover", resource: "ledger:0", node: "birch", from_role: "Unpromoted", to_role: "Promoted" },
      { action: "start", resource: "ledger:1", node: "alder" },
      { action: "start", resource: "ledger:2", node: "cedar" },
    ])).toBe(true);
  });
});
