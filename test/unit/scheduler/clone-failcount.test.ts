import { describe, expect, it } from "vitest";
import { importCibXml } from "../../../src/cib";
import { schedule } from "../../../src/scheduler";

// A clone "probe-set" of "probe" (two instances) on nodes "n1" and "n2", nothing running yet,
// migration-threshold 1. n1 carries a fail count recorded under instance number 7.
function starts(unique: boolean, failCountName: string, featureSet?: string): string[] {
  const xml = `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="1"${featureSet ? ` crm_feature_set="${featureSet}"` : ""}><configuration>
  <crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
  <nodes><node id="1" uname="n1"/><node id="2" uname="n2"/></nodes>
  <resources><clone id="probe-set"><meta_attributes id="cm"><nvpair id="cm1" name="clone-max" value="2"/><nvpair id="cm2" name="globally-unique" value="${unique}"/></meta_attributes>
    <primitive id="probe" class="ocf" provider="acme" type="probe"><meta_attributes id="pm"><nvpair id="pm1" name="migration-threshold" value="1"/></meta_attributes></primitive></clone></resources>
  <constraints/></configuration>
  <status><node_state id="1" uname="n1" in_ccm="true" crmd="online" join="member" expected="member"><transient_attributes id="t1"><instance_attributes id="t1a"><nvpair id="f" name="${failCountName}" value="1"/></instance_attributes></transient_attributes></node_state>
  <node_state id="2" uname="n2" in_ccm="true" crmd="online" join="member" expected="member"/></status></cib>`;
  return schedule(importCibXml(xml, "clone-failcount").cib, { now: 0 }).actions.filter((action) => action.action === "start").map((action) => action.node!).sort();
}

describe("fail counts of clone instances", () => {
  it("an anonymous clone counts a failure recorded under any instance number: no instance goes to that node", () => {
    expect(starts(false, "fail-count-probe:7", "3.0.1")).toEqual(["n2"]);
    expect(starts(false, "fail-count-probe:7#monitor_10000", "3.0.14")).toEqual(["n2"]);
  });

  it("a unique clone's instance counts only its own failures", () => {
    expect(starts(true, "fail-count-probe:7", "3.0.1")).toEqual(["n1", "n2"]);
  });
});

describe("fail count names of each feature set", () => {
  it("before 3.0.13 counts are per resource; from it on per operation; a CIB stating no feature set counts both", () => {
    expect(starts(false, "fail-count-probe#monitor_10000", "3.0.1")).toEqual(["n1", "n2"]);
    expect(starts(false, "fail-count-probe", "3.0.14")).toEqual(["n1", "n2"]);
    expect(starts(false, "fail-count-probe", "3.0.1")).toEqual(["n2"]);
    expect(starts(false, "fail-count-probe#monitor_10000")).toEqual(["n2"]);
    expect(starts(false, "fail-count-probe")).toEqual(["n2"]);
  });
});
