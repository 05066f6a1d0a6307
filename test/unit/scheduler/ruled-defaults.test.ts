// rsc_defaults with rules: a set applies only to the resources its rsc_expression matches.
import { describe, expect, it } from "vitest";
import { exportCibXml, importCibXml } from "../../../src/cib";
import { schedule } from "../../../src/scheduler";

const xml = `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="1"><configuration><crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
  <nodes><node id="1" uname="a"/></nodes>
  <resources><primitive id="ip" class="ocf" provider="heartbeat" type="IPaddr2"/><primitive id="dummy" class="ocf" provider="pacemaker" type="Dummy"/>
    <group id="g"><meta_attributes id="g-m"><nvpair id="g-m1" name="target-role" value="Started"/></meta_attributes><primitive id="ip2" class="ocf" provider="heartbeat" type="IPaddr2"/></group></resources>
  <constraints/>
  <rsc_defaults><meta_attributes id="stop-ips"><rule id="r" score="INFINITY"><rsc_expression id="e" class="ocf" provider="heartbeat" type="IPaddr2"/></rule><nvpair id="n" name="target-role" value="Stopped"/></meta_attributes></rsc_defaults>
  </configuration><status><node_state id="1" uname="a" in_ccm="true" crmd="online" join="member" expected="member"/></status></cib>`;

describe("rsc_defaults with an rsc_expression rule", () => {
  it("applies to the matching resources only, and a group's own meta still wins", () => {
    const started = schedule(importCibXml(xml, "defaults").cib, { now: 0 }).actions.map((action) => action.resource).sort();
    expect(started).toEqual(["dummy", "ip2"]);
  });

  it("survives export and import", () => {
    const { cib } = importCibXml(xml, "defaults");
    expect(importCibXml(exportCibXml(cib), "again").cib).toEqual(cib);
    expect(cib.rscDefaults[0]!.rule!.resourceExpressions).toEqual([{ id: "e", class: "ocf", provider: "heartbeat", type: "IPaddr2" }]);
  });
});
