import { describe, expect, it } from "vitest";
import { allPrimitives, exportCibXml, flattenSets, importCibXml } from "../../../src/cib";

const pair = `
<cib admin_epoch="2" epoch="17" num_updates="4" have-quorum="1" dc-uuid="1" validate-with="pacemaker-3.7">
  <configuration>
    <crm_config>
      <cluster_property_set id="options">
        <nvpair id="o-1" name="stonith-enabled" value="true"/>
        <nvpair id="o-2" name="no-quorum-policy" value="stop"/>
      </cluster_property_set>
    </crm_config>
    <nodes>
      <node id="1" uname="alpha"><instance_attributes id="alpha-attrs"><nvpair id="a1" name="standby" value="off"/></instance_attributes></node>
      <node id="2" uname="beta"/>
    </nodes>
    <resources>
      <group id="web">
        <meta_attributes id="web-meta"><nvpair id="w1" name="resource-stickiness" value="200"/></meta_attributes>
        <primitive id="vip" class="ocf" provider="heartbeat" type="IPaddr2">
          <instance_attributes id="vip-params"><nvpair id="v1" name="ip" value="198.51.100.7"/></instance_attributes>
          <operations><op id="vip-mon" name="monitor" interval="10s" timeout="20s" on-fail="restart"/></operations>
        </primitive>
        <primitive id="proxy" class="systemd" type="haproxy"/>
      </group>
      <master id="db-ms">
        <meta_attributes id="db-ms-meta"><nvpair id="m1" name="promoted-max" value="1"/></meta_attributes>
        <primitive id="db" class="ocf" provider="pacemaker" type="Stateful">
          <meta_attributes id-ref="web-meta"/>
        </primitive>
      </master>
    </resources>
    <constraints>
      <rsc_location id="loc-web" rsc="web">
        <rule id="loc-web-rule" score="-INFINITY" boolean-op="or">
          <expression id="e1" attribute="pingd" operation="not_defined"/>
          <expression id="e2" attribute="pingd" operation="lte" value="0" type="integer"/>
        </rule>
      </rsc_location>
      <rsc_colocation id="web-with-db" rsc="web" with-rsc="db-ms" with-rsc-role="Promoted" score="INFINITY"/>
      <rsc_order id="db-then-web" first="db-ms" first-action="promote" then="web" then-action="start" kind="Mandatory"/>
      <rsc_location id="by-pattern" rsc-pattern="web.*" node="alpha" score="10"/>
    </constraints>
    <acls><acl_role id="viewer"/></acls>
    <fencing-topology><fencing-level id="fl1" index="1" target="alpha" devices="ipmi-alpha,scsi-all"/></fencing-topology>
  </configuration>
  <status>
    <node_state id="1" uname="alpha" in_ccm="true" crmd="online" join="member" expected="member">
      <transient_attributes id="1"><instance_attributes id="status-1"><nvpair id="s1" name="fail-count-vip#monitor_10000" value="2"/></instance_attributes></transient_attributes>
      <lrm id="1"><lrm_resources>
        <lrm_resource id="vip" class="ocf" provider="heartbeat" type="IPaddr2">
          <lrm_rsc_op id="vip_last_0" operation="start" call-id="5" rc-code="0" op-status="0" interval="0" last-rc-change="1700000000"/>
          <lrm_rsc_op id="vip_monitor_10000" operation="monitor" call-id="6" rc-code="7" op-status="0" interval="10000" exit-reason="address gone"/>
        </lrm_resource>
      </lrm_resources></lrm>
    </node_state>
  </status>
</cib>`;

describe("Pacemaker CIB XML import", () => {
  const { cib, warnings } = importCibXml(pair, "pair.xml");

  it("reads the version triple and keeps the other cib attributes", () => {
    expect(cib.version).toEqual({ adminEpoch: 2, epoch: 17, numUpdates: 4 });
    expect(cib.attributes["have-quorum"]).toBe("1");
  });

  it("reads cluster properties and node attributes", () => {
    expect(flattenSets(cib.properties)).toEqual({ "stonith-enabled": "true", "no-quorum-policy": "stop" });
    expect(cib.nodes.map((node) => node.uname)).toEqual(["alpha", "beta"]);
    expect(flattenSets(cib.nodes[0]!.instance).standby).toBe("off");
  });

  it("keeps group members in order with their operations parsed", () => {
    const group = cib.resources[0]!;
    expect(group.kind).toBe("group");
    const primitives = allPrimitives([group]);
    expect(primitives.map((primitive) => primitive.id)).toEqual(["vip", "proxy"]);
    expect(primitives[0]!.operations[0]).toMatchObject({ name: "monitor", interval: "10s", intervalMs: 10_000, onFail: "restart" });
    expect(primitives[1]!.provider).toBeUndefined();
  });

  it("reads an old <master> element as a promotable clone", () => {
    const clone = cib.resources[1]!;
    expect(clone).toMatchObject({ kind: "clone", id: "db-ms", legacyMaster: true });
  });

  it("resolves an attribute set given by id-ref", () => {
    const clone = cib.resources[1]!;
    if (clone.kind !== "clone" || clone.child.kind !== "primitive") throw new Error("expected a clone of a primitive");
    expect(clone.child.meta[0]).toMatchObject({ idRef: "web-meta", values: { "resource-stickiness": "200" } });
  });

  it("reads rules with their expressions and boolean operator", () => {
    const location = cib.constraints[0]!;
    if (location.kind !== "location") throw new Error("expected a location constraint");
    expect(location.rules[0]).toMatchObject({ score: "-INFINITY", booleanOp: "or" });
    expect(location.rules[0]!.expressions[1]).toMatchObject({ attribute: "pingd", operation: "lte", value: "0", type: "integer" });
  });

  it("reads colocation roles and order actions", () => {
    expect(cib.constraints[1]).toMatchObject({ kind: "colocation", withRscRole: "Promoted", score: "INFINITY" });
    expect(cib.constraints[2]).toMatchObject({ kind: "order", firstAction: "promote", thenAction: "start", orderKind: "Mandatory" });
  });

  it("reads fencing levels with their devices", () => {
    expect(cib.fencingTopology[0]).toMatchObject({ index: 1, target: "alpha", devices: ["ipmi-alpha", "scsi-all"] });
  });

  it("reads the operation history and transient attributes of each node", () => {
    const alpha = cib.status[0]!;
    expect(alpha.attributes.crmd).toBe("online");
    expect(flattenSets(alpha.transient)["fail-count-vip#monitor_10000"]).toBe("2");
    const records = alpha.resources[0]!.operations;
    expect(records.map((record) => [record.operation, record.callId, record.rcCode, record.intervalMs])).toEqual([
      ["start", 5, 0, 0],
      ["monitor", 6, 7, 10_000],
    ]);
    expect(records[1]!.attributes["exit-reason"]).toBe("address gone");
  });

  it("names every element outside its scope in a warning instead of dropping it silently", () => {
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("<acls>");
  });

  it("reads a location with rsc-pattern (it names no resource of its own)", () => {
    expect(cib.constraints.find((constraint) => constraint.id === "by-pattern")).toEqual({ kind: "location", id: "by-pattern", rsc: "", rscPattern: "web.*", node: "alpha", score: "10", rules: [], extra: {} });
  });

  it("gives the same model back after an export and a new import", () => {
    expect(importCibXml(exportCibXml(cib), "again.xml").cib).toEqual(cib);
  });

  it("reports malformed XML with file, line and column", () => {
    expect(() => importCibXml("<cib>\n  <configuration>\n</cib>", "broken.xml")).toThrow(/^broken\.xml:\d+:\d+: /);
  });

  it("refuses a document whose root is not <cib>", () => {
    expect(() => importCibXml("<configuration/>", "other.xml")).toThrow("the root element is <configuration>, not <cib>");
  });

  it("names the element that lacks a required attribute", () => {
    const text = '<cib><configuration><resources><primitive id="x" class="ocf"/></resources></configuration></cib>';
    expect(() => importCibXml(text, "x.xml")).toThrow(`<primitive id="x"> lacks the attribute 'type'`);
  });
});
