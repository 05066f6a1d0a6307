import { describe, expect, it } from "vitest";
import { importCibXml } from "../../../src/cib";
import { schedule } from "../../../src/scheduler";
import { sameActions } from "../../conformance/scheduler-compare";

// Promotable "db" (promoted on "one", unpromoted on "two", a third instance runs nowhere as
// "three" is up too) and a plain "app" on "one". The partition has lost quorum.
function run(policy: string): Record<string, unknown>[] {
  const op = (id: string, operation: string, call: number, rc = 0) => `<lrm_rsc_op id="${id}" operation="${operation}" call-id="${call}" rc-code="${rc}" op-status="0" interval="0"/>`;
  const attrs = (node: string, score: string) => `<transient_attributes id="t-${node}"><instance_attributes id="ta-${node}"><nvpair id="m-${node}" name="master-db" value="${score}"/></instance_attributes></transient_attributes>`;
  const xml = `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="0"><configuration>
  <crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="false"/><nvpair id="o2" name="no-quorum-policy" value="${policy}"/></cluster_property_set></crm_config>
  <nodes><node id="1" uname="one"/><node id="2" uname="two"/><node id="3" uname="three"/></nodes>
  <resources><clone id="db-clone"><meta_attributes id="cm"><nvpair id="cm1" name="promotable" value="true"/></meta_attributes><primitive id="db" class="ocf" provider="acme" type="db"/></clone>
    <primitive id="app" class="ocf" provider="acme" type="app"/></resources>
  <constraints><rsc_location id="l" rsc="app" node="one" score="10"/></constraints></configuration>
  <status><node_state id="1" uname="one" in_ccm="true" crmd="online" join="member" expected="member">${attrs("one", "10")}<lrm id="1"><lrm_resources>
    <lrm_resource id="db" class="ocf" provider="acme" type="db">${op("d1", "start", 1)}${op("d2", "promote", 2)}</lrm_resource>
    <lrm_resource id="app" class="ocf" provider="acme" type="app">${op("a1", "start", 3)}</lrm_resource></lrm_resources></lrm></node_state>
  <node_state id="2" uname="two" in_ccm="true" crmd="online" join="member" expected="member">${attrs("two", "5")}<lrm id="2"><lrm_resources>
    <lrm_resource id="db" class="ocf" provider="acme" type="db">${op("d3", "start", 1)}</lrm_resource></lrm_resources></lrm></node_state>
  <node_state id="3" uname="three" in_ccm="true" crmd="online" join="member" expected="member"/></status></cib>`;
  return schedule(importCibXml(xml, "demote").cib, { now: 0 }).actions as never as Record<string, unknown>[];
}

describe("no-quorum-policy=demote without quorum", () => {
  it("demotes the promoted instance, keeps unpromoted ones running, stops the rest and starts nothing", () => {
    const actions = run("demote");
    expect(actions.some((action) => action.action === "demote" && action.node === "one")).toBe(true);
    expect(actions.some((action) => action.action === "stop" && action.resource === "app" && action.node === "one")).toBe(true);
    expect(actions.some((action) => action.node === "two")).toBe(false);
    expect(actions.filter((action) => action.node === "three").every((action) => action.blocked === true)).toBe(true);
  });

  it("policy stop stops the clone instances as well", () => {
    const actions = run("stop");
    expect(sameActions(actions.filter((action) => action.action === "stop" && String(action.resource).startsWith("db")), [
      { action: "stop", resource: "db:0", node: "one", role: "Promoted" },
      { action: "stop", resource: "db:1", node: "two", role: "Unpromoted" },
    ])).toBe(true);
  });
});
