import { describe, expect, it } from "vitest";
import { importCibXml } from "../../../src/cib";
import { schedule } from "../../../src/scheduler";

// Group "pair" of "first" (target-role Stopped, not running) and "second", which runs on "a"
// and whose monitor failed with on-fail=block: the group is held on "a". It is also ordered
// after "gate", which is stopped, so the group cannot start.
describe("a group member meant to stay stopped", () => {
  it("gets no blocked start listed when its group is held where a later member is blocked", () => {
    const xml = `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="1" crm_feature_set="3.0.14"><configuration>
    <crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
    <nodes><node id="1" uname="a"/><node id="2" uname="b"/></nodes>
    <resources><group id="pair"><primitive id="first" class="ocf" provider="acme" type="t"><meta_attributes id="fm"><nvpair id="fm1" name="target-role" value="Stopped"/></meta_attributes></primitive>
      <primitive id="second" class="ocf" provider="acme" type="t"><operations><op id="sm" name="monitor" interval="10s" on-fail="block"/></operations></primitive></group>
      <primitive id="gate" class="ocf" provider="acme" type="t"><meta_attributes id="gm"><nvpair id="gm1" name="target-role" value="Stopped"/></meta_attributes></primitive></resources>
    <constraints><rsc_order id="o" first="gate" then="pair"/></constraints></configuration>
    <status><node_state id="1" uname="a" in_ccm="true" crmd="online" join="member" expected="member"><lrm id="1"><lrm_resources><lrm_resource id="second" class="ocf" provider="acme" type="t">
      <lrm_rsc_op id="s1" operation="start" call-id="1" rc-code="0" op-status="0" interval="0"/><lrm_rsc_op id="s2" operation="monitor" call-id="2" rc-code="1" op-status="0" interval="10000"/></lrm_resource></lrm_resources></lrm></node_state>
    <node_state id="2" uname="b" in_ccm="true" crmd="online" join="member" expected="member"/></status></cib>`;
    const actions = schedule(importCibXml(xml, "stopped-member").cib, { now: 0 }).actions;
    expect(actions.some((action) => action.resource === "first")).toBe(false);
  });

  it("without quorum, only the members before it get a blocked start, and only they count on their node when the next resource picks one", () => {
    const dummy = (id: string, stopped = false) => `<primitive id="${id}" class="ocf" provider="heartbeat" type="Dummy">${stopped ? `<meta_attributes id="${id}-m"><nvpair id="${id}-m1" name="target-role" value="Stopped"/></meta_attributes>` : ""}</primitive>`;
    const xml = `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="0"><configuration>
    <crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
    <nodes><node id="1" uname="a"/><node id="2" uname="b"/></nodes>
    <resources><group id="g">${dummy("g1")}${dummy("g2")}${dummy("g3", true)}${dummy("g4")}${dummy("g5")}</group>${dummy("x1")}${dummy("x2")}${dummy("y")}</resources>
    <constraints><rsc_colocation id="c" rsc="x2" with-rsc="x1" score="INFINITY"/></constraints></configuration>
    <status><node_state id="1" uname="a" in_ccm="true" crmd="online" join="member" expected="member"/><node_state id="2" uname="b" in_ccm="true" crmd="online" join="member" expected="member"/></status></cib>`;
    const actions = schedule(importCibXml(xml, "stopped-member-quorum").cib, { now: 0 }).actions as never as Record<string, unknown>[];
    const where = Object.fromEntries(actions.map((action) => [action.resource, action.node]));
    expect(actions.every((action) => action.action === "start" && action.blocked === true)).toBe(true);
    // g1 and g2 on a, x1 and x2 on b: two each, so y takes the first node by name.
    expect(where).toEqual({ g1: "a", g2: "a", x1: "b", x2: "b", y: "a" });
  });

  it("a group with a member to start behind it never finishes starting: what is ordered after the group is blocked", () => {
    const dummy = (id: string, stopped = false) => `<primitive id="${id}" class="ocf" provider="heartbeat" type="Dummy">${stopped ? `<meta_attributes id="${id}-m"><nvpair id="${id}-m1" name="target-role" value="Stopped"/></meta_attributes>` : ""}</primitive>`;
    const xml = (members: string) => `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="1"><configuration>
    <crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
    <nodes><node id="1" uname="a"/></nodes>
    <resources><group id="g">${members}</group>${dummy("after")}</resources>
    <constraints><rsc_order id="o" first="g" then="after"/></constraints></configuration>
    <status><node_state id="1" uname="a" in_ccm="true" crmd="online" join="member" expected="member"/></status></cib>`;
    const after = (members: string) => (schedule(importCibXml(xml(members), "cut-off").cib, { now: 0 }).actions as never as Record<string, unknown>[]).find((action) => action.resource === "after");
    expect(after(dummy("g1") + dummy("g2", true) + dummy("g3"))).toMatchObject({ action: "start", blocked: true });
    // Nothing to start behind the stopped member: the group finishes starting and 'after' starts.
    expect(after(dummy("g1") + dummy("g2", true))).toMatchObject({ action: "start" });
    expect(after(dummy("g1") + dummy("g2", true))?.blocked).toBeUndefined();
  });
});
