import { describe, expect, it } from "vitest";
import { importCibXml } from "../../../src/cib";
import { schedule } from "../../../src/scheduler";
import { sameActions } from "../../conformance/scheduler-compare";

// Two nodes, fencing off; "web" prefers "birch" (50) and its last operation there, a stop,
// failed (rc 1, op-status 4). Pacemaker's unpack_rsc_op takes a failure whose on-fail is
// "ignore" as a success of the operation: after an ignored failed stop, web is stopped on birch,
// not banned there, and is started again by the usual placement. Expectations checked against
// crm_simulate 2.1.5 with the same CIB.
function run(stopOnFail: string): Record<string, unknown>[] {
  const key = "3:2:0:0a6f6c1e-5d1b-4c1e-9d55-3f0e2b7a9c11";
  const xml = `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="1" crm_feature_set="3.0.14"><configuration>
  <crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
  <nodes><node id="1" uname="alder"/><node id="2" uname="birch"/></nodes>
  <resources><primitive id="web" class="ocf" provider="heartbeat" type="Dummy"><operations><op id="web-s" name="stop" interval="0"${stopOnFail ? ` on-fail="${stopOnFail}"` : ""}/></operations></primitive></resources>
  <constraints><rsc_location id="prefer" rsc="web" node="birch" score="50"/></constraints></configuration>
  <status><node_state id="1" uname="alder" in_ccm="true" crmd="online" join="member" expected="member"/>
  <node_state id="2" uname="birch" in_ccm="true" crmd="online" join="member" expected="member"><lrm id="2"><lrm_resources><lrm_resource id="web" class="ocf" provider="heartbeat" type="Dummy">
  <lrm_rsc_op id="web_last_0" operation_key="web_stop_0" operation="stop" call-id="4" rc-code="1" op-status="4" interval="0" transition-key="${key}" transition-magic="4:1;${key}" last-rc-change="1700000000"/>
  </lrm_resource></lrm_resources></lrm></node_state></status></cib>`;
  return schedule(importCibXml(xml, "ignored-stop").cib, { now: 1800000000 }).actions as never as Record<string, unknown>[];
}

describe("a failed stop", () => {
  it("with on-fail=ignore counts as done: the resource is stopped there and started by placement (on its preferred node)", () => {
    expect(sameActions(run("ignore"), [{ action: "start", resource: "web", node: "birch" }])).toBe(true);
  });
  it("with the default on-fail (block, fencing being off) leaves the resource where it is, untouched", () => {
    expect(run("")).toEqual([]);
  });
});
