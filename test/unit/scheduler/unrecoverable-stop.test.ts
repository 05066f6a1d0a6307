import { describe, expect, it } from "vitest";
import { importCibXml } from "../../../src/cib";
import { schedule } from "../../../src/scheduler";

// Fencing enabled, a fencing device, three nodes. "vault" failed to stop on "far" with a hard
// error (not installed). "far" is either still in the membership or gone; quorum varies.
function run(options: { farInMembership: boolean; quorum: boolean; rc?: number }): Record<string, unknown>[] {
  const far = options.farInMembership ? `in_ccm="true" crmd="online" join="member" expected="member"` : `in_ccm="false" crmd="offline" join="down" expected="member"`;
  const xml = `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="${options.quorum ? 1 : 0}" crm_feature_set="3.0.14"><configuration>
  <crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="true"/><nvpair id="o2" name="no-quorum-policy" value="stop"/></cluster_property_set></crm_config>
  <nodes><node id="1" uname="near"/><node id="2" uname="far"/><node id="3" uname="other"/></nodes>
  <resources><primitive id="fencer" class="stonith" type="fence_acme"/><primitive id="vault" class="ocf" provider="acme" type="vault"/></resources><constraints/></configuration>
  <status><node_state id="1" uname="near" in_ccm="true" crmd="online" join="member" expected="member"/>
  <node_state id="2" uname="far" ${far}><lrm id="2"><lrm_resources><lrm_resource id="vault" class="ocf" provider="acme" type="vault">
    <lrm_rsc_op id="v1" operation="start" call-id="1" rc-code="0" op-status="0" interval="0"/><lrm_rsc_op id="v2" operation="stop" call-id="2" rc-code="${options.rc ?? 5}" op-status="0" interval="0"/></lrm_resource></lrm_resources></lrm></node_state>
  <node_state id="3" uname="other" in_ccm="false" crmd="offline" join="down" expected="down"/></status></cib>`;
  return schedule(importCibXml(xml, "unrecoverable").cib, { now: 0 }).actions as never as Record<string, unknown>[];
}
const vaultActions = (actions: Record<string, unknown>[]) => actions.filter((action) => action.resource === "vault" || action.action === "fence");

describe("a stop that failed with a hard error", () => {
  it("is recovered by fencing when the node can be fenced", () => {
    expect(vaultActions(run({ farInMembership: true, quorum: true })).map((action) => action.action).sort()).toEqual(["fence", "recover"]);
  });

  it("without quorum a node still in the membership can still be fenced", () => {
    expect(vaultActions(run({ farInMembership: true, quorum: false })).some((action) => action.action === "fence" && action.node === "far")).toBe(true);
  });

  it("cannot be recovered when the node cannot be fenced (gone, no quorum): the resource is left alone, nothing is listed for it", () => {
    expect(vaultActions(run({ farInMembership: false, quorum: false }))).toEqual([]);
  });
});

describe("a resource to stop that also runs on a node nothing can fence", () => {
  it("stops where it can; the stop on the unfenceable node is blocked", () => {
    const xml = `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="0" crm_feature_set="3.0.14"><configuration>
  <crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="true"/><nvpair id="o2" name="no-quorum-policy" value="freeze"/></cluster_property_set></crm_config>
  <nodes><node id="1" uname="near"/><node id="2" uname="far"/></nodes>
  <resources><primitive id="fencer" class="stonith" type="fence_acme"/><primitive id="vault" class="ocf" provider="acme" type="vault"><meta_attributes id="vm"><nvpair id="vm1" name="target-role" value="Stopped"/></meta_attributes></primitive></resources><constraints/></configuration>
  <status><node_state id="1" uname="near" in_ccm="true" crmd="online" join="member" expected="member"><lrm id="1"><lrm_resources>
    <lrm_resource id="fencer" class="stonith" type="fence_acme"><lrm_rsc_op id="f1" operation="start" call-id="1" rc-code="0" op-status="0" interval="0"/></lrm_resource>
    <lrm_resource id="vault" class="ocf" provider="acme" type="vault"><lrm_rsc_op id="v1" operation="start" call-id="2" rc-code="0" op-status="0" interval="0"/></lrm_resource></lrm_resources></lrm></node_state>
  <node_state id="2" uname="far" in_ccm="false" crmd="offline" join="down" expected="member"><lrm id="2"><lrm_resources>
    <lrm_resource id="vault" class="ocf" provider="acme" type="vault"><lrm_rsc_op id="v2" operation="start" call-id="2" rc-code="0" op-status="0" interval="0"/></lrm_resource></lrm_resources></lrm></node_state></status></cib>`;
    const actions = schedule(importCibXml(xml, "unfenceable-copy").cib, { now: 0 }).actions.filter((action) => action.resource === "vault");
    expect(actions.map((action) => `${action.action}@${action.node}${action.blocked ? " blocked" : ""}`).sort()).toEqual(["stop@far blocked", "stop@near"]);
  });
});
