import { describe, expect, it } from "vitest";
import { importCibXml } from "../../../src/cib";
import { schedule } from "../../../src/scheduler";
import { sameActions } from "../../conformance/scheduler-compare";

// A group "front" (ip, then proxy) on node "left"; proxy's monitor failed there `failures`
// times, with migration-threshold 2. A member that reaches migration-threshold on a node may
// no longer run there; being colocated with the members before it, it takes the group along.
function front(failures: number, rightAllowed = true) {
  const op = (id: string) => `<operations><op id="${id}-mon" name="monitor" interval="10s"/></operations>`;
  const prim = (id: string) => `<primitive id="${id}" class="ocf" provider="heartbeat" type="Dummy">${op(id)}</primitive>`;
  const ran = (id: string, monitorRc: number) => `<lrm_resource id="${id}" class="ocf" provider="heartbeat" type="Dummy">
    <lrm_rsc_op id="${id}-go" operation="start" call-id="1" rc-code="0" op-status="0" interval="0"/>
    <lrm_rsc_op id="${id}-mon" operation="monitor" call-id="2" rc-code="${monitorRc}" op-status="0" interval="10000"/></lrm_resource>`;
  const xml = `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="1"><configuration>
  <crm_config><cluster_property_set id="opts"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
  <nodes><node id="1" uname="left"/><node id="2" uname="right"/></nodes>
  <resources><group id="front">${prim("ip")}${prim("proxy")}</group></resources>
  <constraints>${rightAllowed ? "" : '<rsc_location id="not-right" rsc="front" node="right" score="-INFINITY"/>'}</constraints>
  <rsc_defaults><meta_attributes id="rd"><nvpair id="rd1" name="migration-threshold" value="2"/><nvpair id="rd2" name="resource-stickiness" value="100"/></meta_attributes></rsc_defaults></configuration>
  <status><node_state id="1" uname="left" in_ccm="true" crmd="online" join="member" expected="member">
    <transient_attributes id="1"><instance_attributes id="t1"><nvpair id="fc" name="fail-count-proxy#monitor_10000" value="${failures}"/></instance_attributes></transient_attributes>
    <lrm id="1"><lrm_resources>${ran("ip", 0)}${ran("proxy", 7)}</lrm_resources></lrm></node_state>
  <node_state id="2" uname="right" in_ccm="true" crmd="online" join="member" expected="member"/></status></cib>`;
  return schedule(importCibXml(xml, "front").cib, { now: 0 }).actions as never as Record<string, unknown>[];
}

describe("a group member at migration-threshold", () => {
  it("below the threshold is recovered in place; the group stays", () => {
    expect(sameActions(front(1), [{ action: "recover", resource: "proxy", node: "left" }])).toBe(true);
  });

  it("at the threshold takes the whole group to the other node", () => {
    const actions = front(2);
    const moved = (id: string) => actions.some((action) => action.resource === id && (action.to === "right" || (action.action === "start" && action.node === "right")));
    expect(moved("ip")).toBe(true);
    expect(moved("proxy")).toBe(true);
    expect(actions.some((action) => action.action === "start" && action.node === "left")).toBe(false);
  });

  it("at the threshold, with nowhere else to go, only stops that member", () => {
    expect(sameActions(front(2, false), [{ action: "stop", resource: "proxy", node: "left" }])).toBe(true);
  });
});
