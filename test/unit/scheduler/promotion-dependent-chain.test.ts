// Promotion weighs what must run with the Promoted role and, in turn, what is colocated with
// that: Pacemaker 2.1.5 (pcmk__add_colocated_node_scores from apply_coloc_to_primary) follows the
// chain from the dependent to the resources colocated with it, a group through its members in
// order, keeping each weight non-negative (a positive weight a -INFINITY would make negative
// ends at 1). So a group that may no longer run on the promoted node (a member reached its
// migration-threshold there) takes the promotion, and everything with it, to the other node.
// Checked against crm_simulate 2.1.5 on these CIBs.
import { describe, expect, it } from "vitest";
import { sameActions } from "../../conformance/scheduler-compare";
import { history, record, scheduleSmall } from "./small-cib";

const stateful = `class="ocf" provider="pacemaker" type="Stateful"`;
const dummy = (id: string, meta = "") => `<primitive id="${id}" class="ocf" provider="heartbeat" type="Dummy">${meta}</primitive>`;
const threshold = `<meta_attributes id="vm"><nvpair id="vm1" name="migration-threshold" value="1"/></meta_attributes>`;
const resources = `<clone id="M"><meta_attributes id="mm"><nvpair id="mm1" name="promotable" value="true"/><nvpair id="mm2" name="promoted-max" value="1"/></meta_attributes><primitive id="m" ${stateful}/></clone>`
  + dummy("fs") + `<group id="V">${dummy("v1")}${dummy("v2", threshold)}${dummy("v3")}</group>`;
const constraints = `<rsc_colocation id="fs-with-m" rsc="fs" with-rsc="M" with-rsc-role="Promoted" score="INFINITY"/><rsc_order id="fs-after-m" first="M" first-action="promote" then="fs"/>`
  + `<rsc_colocation id="v-with-fs" rsc="V" with-rsc="fs" score="INFINITY"/><rsc_order id="v-after-fs" first="fs" then="V"/>`
  + `<rsc_location id="v-alder" rsc="V" node="alder" score="2"/><rsc_location id="v-birch" rsc="V" node="birch" score="1"/>`;

/** All runs on alder (m Promoted there), v2 and v3 stopped after v2 failed; `failures` is v2's fail count on alder. */
function run(failures: string): Record<string, unknown>[] {
  return scheduleSmall({
    resources, constraints,
    history: {
      alder: history("m", [record("m", "start", { call: 1 }), record("m", "promote", { call: 2 })], stateful) + history("fs", [record("fs", "start", { call: 3 })])
        + history("v1", [record("v1", "start", { call: 4 })]) + history("v2", [record("v2", "start", { call: 5 }), record("v2", "stop", { call: 7 })])
        + history("v3", [record("v3", "start", { call: 6 }), record("v3", "stop", { call: 8 })]),
      birch: history("m", [record("m", "start", { call: 1 })], stateful),
    },
    transient: { alder: { "master-m": "5", "fail-count-v2#monitor_10000": failures, "last-failure-v2#monitor_10000": "1700000000" }, birch: { "master-m": "5" } },
  });
}

describe("promotion and the resources colocated with what runs with the Promoted role", () => {
  it("moves to the other node when a group colocated with the dependent may not run on the promoted one", () => {
    const actual = run("1");
    expect(sameActions(actual, [
      { action: "demote", resource: "m:0", node: "alder", from_role: "Promoted", to_role: "Unpromoted" },
      { action: "promote", resource: "m:1", node: "birch", from_role: "Unpromoted", to_role: "Promoted" },
      { action: "move", resource: "fs", from: "alder", to: "birch" },
      { action: "move", resource: "v1", from: "alder", to: "birch" },
      { action: "start", resource: "v2", node: "birch" },
      { action: "start", resource: "v3", node: "birch" },
    ]), JSON.stringify(actual)).toBe(true);
  });

  it("stays where it is when the group may still run there", () => {
    const actual = run("0");
    expect(sameActions(actual, [{ action: "start", resource: "v2", node: "alder" }, { action: "start", resource: "v3", node: "alder" }]), JSON.stringify(actual)).toBe(true);
  });
});
