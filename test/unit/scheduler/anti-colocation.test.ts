import { describe, expect, it } from "vitest";
import { importCibXml } from "../../../src/cib";
import { schedule } from "../../../src/scheduler";
import { sameActions } from "../../conformance/scheduler-compare";

// Two nodes, "port" and "starboard". The primary "mast" and a dependent kept apart from it
// by a negative colocation; location scores and stickiness vary per test.
function run(xml: { resources: string; constraints: string; status?: string; stickiness?: string }): Record<string, unknown>[] {
  const cib = `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="1"><configuration>
  <crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
  <nodes><node id="1" uname="port"/><node id="2" uname="starboard"/></nodes>
  <resources>${xml.resources}</resources><constraints>${xml.constraints}</constraints>
  ${xml.stickiness ? `<rsc_defaults><meta_attributes id="d"><nvpair id="d1" name="resource-stickiness" value="${xml.stickiness}"/></meta_attributes></rsc_defaults>` : ""}</configuration>
  <status><node_state id="1" uname="port" in_ccm="true" crmd="online" join="member" expected="member">${xml.status ?? ""}</node_state>
  <node_state id="2" uname="starboard" in_ccm="true" crmd="online" join="member" expected="member"/></status></cib>`;
  return schedule(importCibXml(cib, "anti").cib, { now: 0 }).actions as never as Record<string, unknown>[];
}
const prim = (id: string) => `<primitive id="${id}" class="ocf" provider="acme" type="part"/>`;
const running = (ids: string[]) => `<lrm id="1"><lrm_resources>${ids.map((id, index) => `<lrm_resource id="${id}" class="ocf" provider="acme" type="part"><lrm_rsc_op id="${id}-s" operation="start" call-id="${index + 1}" rc-code="0" op-status="0" interval="0"/></lrm_resource>`).join("")}</lrm_resources></lrm>`;

describe("a primary takes in what a negatively colocated dependent prefers", () => {
  it("the dependent's preference pushes the primary away from it: equal scores then fall to node order", () => {
    // mast prefers starboard by 10, sail by 10 too; sail must avoid mast: mast's starboard
    // score becomes 10 - 10 = 0, equal to port's, and port sorts first.
    const actions = run({ resources: prim("mast") + prim("sail"), constraints: `<rsc_location id="a" rsc="mast" node="starboard" score="10"/><rsc_location id="b" rsc="sail" node="starboard" score="10"/><rsc_colocation id="c" rsc="sail" with-rsc="mast" score="-INFINITY"/>` });
    expect(sameActions(actions, [{ action: "start", resource: "mast", node: "port" }, { action: "start", resource: "sail", node: "starboard" }])).toBe(true);
  });

  it("a small negative factor still counts, rounded, and at least 1", () => {
    // sail's 10 on starboard at -1/1,000,000 rounds to 0, so counts as -1: port wins 0 against -1 + 0.
    const actions = run({ resources: prim("mast") + prim("sail"), constraints: `<rsc_location id="b" rsc="sail" node="starboard" score="10"/><rsc_colocation id="c" rsc="sail" with-rsc="mast" score="-1"/>` });
    expect(actions.find((action) => action.resource === "mast")?.node).toBe("port");
  });

  it("a dependent group kept away weighs in with its later members' stickiness in full", () => {
    // Both groups run on port with INFINITY stickiness; the crew group avoids the rig group at
    // -500. Through the crew's second member (colocated with its first at INFINITY) the rig
    // group is pushed off port entirely, and moves; the crew stays.
    const rig = `<group id="rig">${prim("mast")}${prim("boom")}</group>`;
    const crew = `<group id="crew">${prim("cook")}${prim("mate")}</group>`;
    const actions = run({ resources: crew + rig, constraints: `<rsc_colocation id="c" rsc="crew" with-rsc="rig" score="-500"/>`, status: running(["mast", "boom", "cook", "mate"]), stickiness: "INFINITY" });
    expect(sameActions(actions, [{ action: "move", resource: "mast", from: "port", to: "starboard" }, { action: "move", resource: "boom", from: "port", to: "starboard" }])).toBe(true);
  });

  it("a negative factor never turns the dependent's ban into a preference", () => {
    // sail is banned from starboard: that does not draw mast there (mast stays on port, its
    // preferred node). sail may then only go to port; its -100 colocation would leave it no
    // node at all, so that optional colocation is dropped and sail joins mast.
    const actions = run({ resources: prim("mast") + prim("sail"), constraints: `<rsc_location id="a" rsc="mast" node="port" score="5"/><rsc_location id="b" rsc="sail" node="starboard" score="-INFINITY"/><rsc_colocation id="c" rsc="sail" with-rsc="mast" score="-100"/>` });
    expect(sameActions(actions, [{ action: "start", resource: "mast", node: "port" }, { action: "start", resource: "sail", node: "port" }])).toBe(true);
  });

  it("a mandatory anti-colocation is never dropped: the dependent stays stopped", () => {
    const actions = run({ resources: prim("mast") + prim("sail"), constraints: `<rsc_location id="a" rsc="mast" node="port" score="5"/><rsc_location id="b" rsc="sail" node="starboard" score="-INFINITY"/><rsc_colocation id="c" rsc="sail" with-rsc="mast" score="-INFINITY"/>` });
    expect(sameActions(actions, [{ action: "start", resource: "mast", node: "port" }])).toBe(true);
  });
});
