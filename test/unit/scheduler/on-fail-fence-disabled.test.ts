import { describe, expect, it } from "vitest";
import { importCibXml } from "../../../src/cib";
import { schedule } from "../../../src/scheduler";
import { sameActions } from "../../conformance/scheduler-compare";

// "pump" runs on "east" with a monitor whose on-fail is fence; the monitor failed. "west" is up too.
function run(fencing: boolean): Record<string, unknown>[] {
  const xml = `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="1"><configuration>
  <crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="${fencing}"/></cluster_property_set></crm_config>
  <nodes><node id="1" uname="east"/><node id="2" uname="west"/></nodes>
  <resources>${fencing ? `<primitive id="fencer" class="stonith" type="fence_acme"/>` : ""}<primitive id="pump" class="ocf" provider="acme" type="pump"><operations><op id="m" name="monitor" interval="10s" on-fail="fence"/></operations></primitive></resources>
  <constraints/></configuration>
  <status><node_state id="1" uname="east" in_ccm="true" crmd="online" join="member" expected="member"><lrm id="1"><lrm_resources><lrm_resource id="pump" class="ocf" provider="acme" type="pump">
    <lrm_rsc_op id="p1" operation="start" call-id="1" rc-code="0" op-status="0" interval="0"/><lrm_rsc_op id="p2" operation="monitor" call-id="2" rc-code="1" op-status="0" interval="10000"/></lrm_resource></lrm_resources></lrm></node_state>
  <node_state id="2" uname="west" in_ccm="true" crmd="online" join="member" expected="member"/></status></cib>`;
  return schedule(importCibXml(xml, "fence-disabled").cib, { now: 0 }).actions as never as Record<string, unknown>[];
}

describe("on-fail=fence", () => {
  it("with fencing enabled fences the node and recovers the resource elsewhere", () => {
    expect(sameActions(run(true), [{ action: "fence", node: "east", kind: "reboot" }, { action: "recover", resource: "pump", from: "east", to: "west" }, { action: "start", resource: "fencer", node: "west" }])).toBe(true);
  });

  it("with fencing disabled means stop: the resource is stopped and stays stopped", () => {
    expect(sameActions(run(false), [{ action: "stop", resource: "pump", node: "east" }])).toBe(true);
  });
});
