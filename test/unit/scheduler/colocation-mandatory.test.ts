import { describe, expect, it } from "vitest";
import { importCibXml } from "../../../src/cib";
import { schedule } from "../../../src/scheduler";
import { sameActions } from "../../conformance/scheduler-compare";

// "net" is a clone running on both nodes; "app" runs on "alpha" (stickiness 1000) and must
// run with net. A location constraint gives app a score on "beta".
function run(locationScore: string): Record<string, unknown>[] {
  const started = (id: string, call: number) => `<lrm_resource id="${id}" class="ocf" provider="acme" type="t"><lrm_rsc_op id="${id}-${call}" operation="start" call-id="${call}" rc-code="0" op-status="0" interval="0"/></lrm_resource>`;
  const xml = `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="1"><configuration>
  <crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
  <nodes><node id="1" uname="alpha"/><node id="2" uname="beta"/></nodes>
  <resources><clone id="net-clone"><primitive id="net" class="ocf" provider="acme" type="t"/></clone><primitive id="app" class="ocf" provider="acme" type="t"/></resources>
  <constraints><rsc_colocation id="c" rsc="app" with-rsc="net-clone" score="INFINITY"/><rsc_location id="l" rsc="app" node="beta" score="${locationScore}"/></constraints>
  <rsc_defaults><meta_attributes id="d"><nvpair id="d1" name="resource-stickiness" value="1000"/></meta_attributes></rsc_defaults></configuration>
  <status><node_state id="1" uname="alpha" in_ccm="true" crmd="online" join="member" expected="member"><lrm id="1"><lrm_resources>${started("net", 1)}${started("app", 2)}</lrm_resources></lrm></node_state>
  <node_state id="2" uname="beta" in_ccm="true" crmd="online" join="member" expected="member"><lrm id="2"><lrm_resources>${started("net", 3)}</lrm_resources></lrm></node_state></status></cib>`;
  return schedule(importCibXml(xml, "mandatory").cib, { now: 0 }).actions as never as Record<string, unknown>[];
}

describe("a mandatory colocation", () => {
  it("adds nothing where its primary runs: an INFINITY location elsewhere the primary also runs still wins over stickiness", () => {
    expect(sameActions(run("INFINITY"), [{ action: "move", resource: "app", from: "alpha", to: "beta" }])).toBe(true);
  });

  it("and a finite location weaker than stickiness leaves the resource where it is", () => {
    expect(run("500")).toEqual([]);
  });
});
