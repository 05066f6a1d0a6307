// Orders between resource sets as Pacemaker 2.1.5 flags them: the order as written implies
// then (then stops when first cannot run, for a symmetrical order), while the inverse derived
// for a symmetrical set order implies first only: first stopping does not restart then.
import { describe, expect, it } from "vitest";
import { importCibXml } from "../../../src/cib";
import { schedule } from "../../../src/scheduler";

const running = (id: string) => `<lrm_resource id="${id}" class="ocf" provider="heartbeat" type="Dummy"><lrm_rsc_op id="${id}_last_0" operation_key="${id}_start_0" operation="start" call-id="1" rc-code="0" op-status="0" interval="0" transition-magic="0:0;1:1:0:x"/></lrm_resource>`;
const cib = (orderAttributes: string) => `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="1"><configuration>
  <crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
  <nodes><node id="1" uname="a"/></nodes>
  <resources><primitive id="web" class="ocf" provider="heartbeat" type="Dummy"/><primitive id="db" class="ocf" provider="heartbeat" type="Dummy"/>
    <primitive id="cache" class="ocf" provider="heartbeat" type="Dummy"><meta_attributes id="cm"><nvpair id="cm1" name="target-role" value="Stopped"/></meta_attributes></primitive></resources>
  <constraints><rsc_order id="o-sets"${orderAttributes}><resource_set id="s1"><resource_ref id="db"/><resource_ref id="cache"/></resource_set><resource_set id="s2"><resource_ref id="web"/></resource_set></rsc_order></constraints>
  </configuration><status><node_state id="1" uname="a" in_ccm="true" crmd="online" join="member" expected="member"><lrm><lrm_resources>${running("web")}${running("db")}${running("cache")}</lrm_resources></lrm></node_state></status></cib>`;
const actions = (xml: string) => schedule(importCibXml(xml, "sets.xml").cib, { now: 0 }).actions.map((action) => `${action.action} ${action.resource}`).sort();

describe("symmetrical orders between resource sets", () => {
  it("the last of a set stopping stops what comes after it and restarts nothing before it", () => {
    expect(actions(cib(""))).toEqual(["stop cache", "stop web"]);
  });

  it("symmetrical=false: what runs after it keeps running", () => {
    expect(actions(cib(` symmetrical="false"`))).toEqual(["stop cache"]);
  });
});
