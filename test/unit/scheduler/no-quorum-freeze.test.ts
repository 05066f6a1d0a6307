import { describe, expect, it } from "vitest";
import { importCibXml } from "../../../src/cib";
import { schedule } from "../../../src/scheduler";
import { sameActions } from "../../conformance/scheduler-compare";

// Partition without quorum, no-quorum-policy=freeze. "east" and "west" are up; "lamp" and
// "fan" run on east (no stickiness), "pump" runs nowhere.
function frozen(options: { fencing?: boolean; northLost?: boolean } = {}): Record<string, unknown>[] {
  const started = (id: string, call: number) => `<lrm_resource id="${id}" class="ocf" provider="acme" type="gadget"><lrm_rsc_op id="${id}-s" operation="start" call-id="${call}" rc-code="0" op-status="0" interval="0"/></lrm_resource>`;
  const prim = (id: string) => `<primitive id="${id}" class="ocf" provider="acme" type="gadget"/>`;
  const north = options.northLost ? `<node id="3" uname="north"/>` : "";
  const northState = options.northLost ? `<node_state id="3" uname="north" in_ccm="false" crmd="offline" join="down" expected="member"><lrm id="3"><lrm_resources>${started("heater", 4)}</lrm_resources></lrm></node_state>` : "";
  const xml = `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="0"><configuration>
  <crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="${options.fencing === true}"/><nvpair id="o2" name="no-quorum-policy" value="freeze"/></cluster_property_set></crm_config>
  <nodes><node id="1" uname="east"/><node id="2" uname="west"/>${north}</nodes>
  <resources>${options.fencing ? `<primitive id="fencer" class="stonith" type="fence_acme"/>` : ""}${prim("lamp")}${prim("fan")}${prim("pump")}${options.northLost ? prim("heater") : ""}</resources><constraints/></configuration>
  <status><node_state id="1" uname="east" in_ccm="true" crmd="online" join="member" expected="member"><lrm id="1"><lrm_resources>${started("lamp", 1)}${started("fan", 2)}</lrm_resources></lrm></node_state>
  <node_state id="2" uname="west" in_ccm="true" crmd="online" join="member" expected="member"/>${northState}</status></cib>`;
  return schedule(importCibXml(xml, "freeze").cib, { now: 0 }).actions as never as Record<string, unknown>[];
}

describe("no-quorum-policy=freeze", () => {
  it("what runs in the partition is placed as usual and may move within it; what runs nowhere may not start", () => {
    expect(sameActions(frozen(), [
      { action: "move", resource: "fan", from: "east", to: "west" },
      { action: "start", resource: "pump", node: "east", blocked: true },
    ])).toBe(true);
  });

  it("a resource on a node that left (and cannot be fenced without quorum) is not recovered here", () => {
    const actions = frozen({ fencing: true, northLost: true });
    expect(actions.some((action) => action.resource === "heater" && action.action !== "stop")).toBe(false);
    expect(actions.some((action) => action.action === "fence")).toBe(false);
  });
});

describe("no-quorum-policy=freeze decides per primitive", () => {
  it("a group member that runs nowhere is not started because another member of its group runs", () => {
    const xml = `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="0"><configuration><crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="false"/><nvpair id="o2" name="no-quorum-policy" value="freeze"/></cluster_property_set></crm_config>
      <nodes><node id="1" uname="n1"/><node id="2" uname="n2"/></nodes>
      <resources><group id="web"><primitive id="vip" class="ocf" provider="heartbeat" type="Dummy"/><primitive id="proxy" class="ocf" provider="heartbeat" type="Dummy"/></group></resources><constraints/></configuration>
      <status><node_state id="1" uname="n1" in_ccm="true" crmd="online" join="member" expected="member"><lrm id="1"><lrm_resources><lrm_resource id="vip" class="ocf" provider="heartbeat" type="Dummy"><lrm_rsc_op id="vip_last_0" operation="start" call-id="1" rc-code="0" op-status="0" interval="0"/></lrm_resource></lrm_resources></lrm></node_state>
      <node_state id="2" uname="n2" in_ccm="false" crmd="offline" join="down" expected="down"/></status></cib>`;
    expect(schedule(importCibXml(xml, "freeze").cib, { now: 0 }).actions).toEqual([{ action: "start", resource: "proxy", node: "n1", blocked: true, reason: "quorum freeze" }]);
  });
});
