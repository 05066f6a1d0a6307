import { describe, expect, it } from "vitest";
import { importCibXml } from "../../../src/cib";
import { schedule } from "../../../src/scheduler";
import { sameActions } from "../../conformance/scheduler-compare";

// Fencing off. "safe" runs on "one" and also on "two", where its stop failed: the failed stop
// blocks it (it is left alone). "away" must never share a node with "safe" and runs on "one".
describe("a resource held by a blocking failure", () => {
  it("is taken to stay on the first node it was found on, and others keep away from that node", () => {
    const started = (id: string, call: number) => `<lrm_rsc_op id="${id}-${call}" operation="start" call-id="${call}" rc-code="0" op-status="0" interval="0"/>`;
    const xml = `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="1" crm_feature_set="3.0.14"><configuration>
    <crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
    <nodes><node id="1" uname="one"/><node id="2" uname="two"/></nodes>
    <resources><primitive id="safe" class="ocf" provider="acme" type="t"/><primitive id="away" class="ocf" provider="acme" type="t"><meta_attributes id="am"><nvpair id="am1" name="resource-stickiness" value="100"/></meta_attributes></primitive></resources>
    <constraints><rsc_colocation id="c" rsc="away" with-rsc="safe" score="-INFINITY"/></constraints></configuration>
    <status><node_state id="1" uname="one" in_ccm="true" crmd="online" join="member" expected="member"><lrm id="1"><lrm_resources>
      <lrm_resource id="safe" class="ocf" provider="acme" type="t">${started("s", 1)}</lrm_resource><lrm_resource id="away" class="ocf" provider="acme" type="t">${started("a", 2)}</lrm_resource></lrm_resources></lrm></node_state>
    <node_state id="2" uname="two" in_ccm="true" crmd="online" join="member" expected="member"><lrm id="2"><lrm_resources>
      <lrm_resource id="safe" class="ocf" provider="acme" type="t">${started("t", 3)}<lrm_rsc_op id="t-4" operation="stop" call-id="4" rc-code="1" op-status="0" interval="0"/></lrm_resource></lrm_resources></lrm></node_state></status></cib>`;
    const actions = schedule(importCibXml(xml, "blocked-placement").cib, { now: 0 }).actions;
    expect(sameActions(actions as never, [{ action: "move", resource: "away", from: "one", to: "two" }])).toBe(true);
  });
});
