// node-health-strategy with #health-* node attributes.
import { describe, expect, it } from "vitest";
import { importCibXml } from "../../../src/cib";
import { schedule } from "../../../src/scheduler";

function placeOf(strategy: string, healthOfA: string, meta = "", extra = "") {
  const xml = `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="1"><configuration><crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="false"/><nvpair id="o2" name="node-health-strategy" value="${strategy}"/>${extra}</cluster_property_set></crm_config>
    <nodes><node id="1" uname="a"/><node id="2" uname="b"/></nodes><resources><primitive id="r" class="ocf" provider="heartbeat" type="Dummy">${meta}</primitive></resources>
    <constraints><rsc_location id="l" rsc="r" node="a" score="100"/></constraints></configuration>
    <status><node_state id="1" uname="a" in_ccm="true" crmd="online" join="member" expected="member"><transient_attributes id="1"><instance_attributes id="t1"><nvpair id="t1h" name="#health-disk" value="${healthOfA}"/></instance_attributes></transient_attributes></node_state>
    <node_state id="2" uname="b" in_ccm="true" crmd="online" join="member" expected="member"/></status></cib>`;
  return schedule(importCibXml(xml, "health").cib, { now: 0 }).actions.find((action) => action.resource === "r")?.node;
}

describe("node-health-strategy", () => {
  it("none ignores health", () => expect(placeOf("none", "red")).toBe("a"));
  it("migrate-on-red keeps resources off a red node, not a yellow one", () => {
    expect(placeOf("migrate-on-red", "red")).toBe("b");
    expect(placeOf("migrate-on-red", "yellow")).toBe("a");
  });
  it("only-green keeps resources off a yellow node too", () => expect(placeOf("only-green", "yellow")).toBe("b"));
  it("progressive adds numeric health (and node-health-yellow) to every node score", () => {
    expect(placeOf("progressive", "-150")).toBe("b");
    expect(placeOf("progressive", "yellow", "", `<nvpair id="o3" name="node-health-yellow" value="-200"/>`)).toBe("b");
    expect(placeOf("progressive", "-50")).toBe("a");
  });
  it("allow-unhealthy-nodes=true ignores bad health", () => {
    expect(placeOf("migrate-on-red", "red", `<meta_attributes id="m"><nvpair id="m1" name="allow-unhealthy-nodes" value="true"/></meta_attributes>`)).toBe("a");
  });
});
