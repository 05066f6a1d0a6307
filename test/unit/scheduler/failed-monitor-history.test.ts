import { describe, expect, it } from "vitest";
import { importCibXml } from "../../../src/cib";
import { schedule } from "../../../src/scheduler";
import { sameActions } from "../../conformance/scheduler-compare";

// Two nodes, fencing off, one primitive "web" whose recurring monitor (10 s) failed on "alder"
// with "not running" (7) where the controller expected "running" (0, the transition-key's third
// field). No start is recorded there: the failed monitor alone says web was active and failed
// (Pacemaker's unpack_rsc_op_failure sets a resource that failed anything but a stop active).
// Each expectation was checked against crm_simulate 2.1.5 with the same CIB.
const key = "2:1:0:0a6f6c1e-5d1b-4c1e-9d55-3f0e2b7a9c11";
function run(onFail: string, laterSuccess: boolean): Record<string, unknown>[] {
  const monitor = (id: string, call: number, rc: number) => `<lrm_rsc_op id="${id}" operation_key="web_monitor_10000" operation="monitor" call-id="${call}" rc-code="${rc}" op-status="0" interval="10000" transition-key="${key}" transition-magic="0:${rc};${key}" last-rc-change="1700000000"/>`;
  const xml = `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="1" crm_feature_set="3.0.14"><configuration>
  <crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
  <nodes><node id="1" uname="alder"/><node id="2" uname="birch"/></nodes>
  <resources><primitive id="web" class="ocf" provider="heartbeat" type="Dummy"><operations><op id="web-m" name="monitor" interval="10s"${onFail ? ` on-fail="${onFail}"` : ""}/></operations></primitive></resources><constraints/></configuration>
  <status><node_state id="1" uname="alder" in_ccm="true" crmd="online" join="member" expected="member"><lrm id="1"><lrm_resources><lrm_resource id="web" class="ocf" provider="heartbeat" type="Dummy">
  ${monitor("web_last_failure_0", 3, 7)}${laterSuccess ? monitor("web_monitor_10000", 5, 0) : ""}
  </lrm_resource></lrm_resources></lrm></node_state>
  <node_state id="2" uname="birch" in_ccm="true" crmd="online" join="member" expected="member"/></status></cib>`;
  return schedule(importCibXml(xml, "failed-monitor").cib, { now: 1800000000 }).actions as never as Record<string, unknown>[];
}

describe("a recurring monitor that found the resource not running where it was expected to run", () => {
  it("is a failure even with no start in the history: the resource is recovered where it failed", () => {
    expect(sameActions(run("", false), [{ action: "recover", resource: "web", node: "alder" }])).toBe(true);
  });
  it("with on-fail=stop, stays a failure after a later success of the same monitor: the resource is stopped", () => {
    expect(sameActions(run("stop", true), [{ action: "stop", resource: "web", node: "alder" }])).toBe(true);
  });
  it("with the default on-fail (restart), is cleared by a later success of the same monitor: nothing to do", () => {
    expect(run("", true)).toEqual([]);
  });
});
