import { describe, expect, it } from "vitest";
import { constraintResources, exportCibXml, importCibXml, parseNativeCib, semanticProblems, serializeNativeCib } from "../../../src/cib";

const text = `<cib admin_epoch="0" epoch="2" num_updates="0">
  <configuration><crm_config/><nodes/>
    <resources>
      <primitive id="disk" class="ocf" provider="heartbeat" type="Filesystem"/>
      <primitive id="addr" class="ocf" provider="heartbeat" type="IPaddr2"/>
      <primitive id="app" class="systemd" type="app"/>
    </resources>
    <constraints>
      <rsc_colocation id="together" score="INFINITY">
        <resource_set id="together-0" sequential="false" role="Started"><resource_ref id="disk"/><resource_ref id="addr"/></resource_set>
        <resource_set id="together-1"><resource_ref id="app"/></resource_set>
      </rsc_colocation>
      <rsc_order id="in-turn" kind="Optional" symmetrical="false">
        <resource_set id="in-turn-0" require-all="false" action="start"><resource_ref id="disk"/><resource_ref id="addr"/></resource_set>
        <resource_set id="in-turn-1"><resource_ref id="app"/></resource_set>
      </rsc_order>
      <rsc_location id="pinned" node="n1" score="10"><resource_set id="pinned-0"><resource_ref id="app"/></resource_set></rsc_location>
    </constraints>
  </configuration>
  <status/>
</cib>`;

describe("constraints with resource sets", () => {
  it("imports colocation and order sets with their resources in order and their attributes", () => {
    const { cib } = importCibXml(text);
    expect(cib.constraints[0]).toEqual({
      kind: "colocation-sets", id: "together", score: "INFINITY", extra: {},
      sets: [
        { id: "together-0", resources: ["disk", "addr"], sequential: "false", role: "Started", extra: {} },
        { id: "together-1", resources: ["app"], extra: {} },
      ],
    });
    expect(cib.constraints[1]).toMatchObject({ kind: "order-sets", id: "in-turn", orderKind: "Optional", symmetrical: "false" });
    expect(constraintResources(cib.constraints[1]!)).toEqual(["disk", "addr", "app"]);
  });

  it("imports a location constraint with sets as one location per resource of its sets", () => {
    const { cib, warnings } = importCibXml(text, "sets.xml");
    expect(cib.constraints).toHaveLength(3);
    expect(cib.constraints[2]).toEqual({ kind: "location", id: "pinned-pinned-0-app", rsc: "app", node: "n1", score: "10", rules: [], extra: {} });
    expect(warnings).toEqual([]);
  });

  it("survives export and import, and the native form", () => {
    const { cib } = importCibXml(text);
    expect(importCibXml(exportCibXml(cib)).cib).toEqual(cib);
    expect(parseNativeCib(serializeNativeCib(cib), "sets.json")).toEqual(cib);
  });

  it("names a set member that is no resource", () => {
    const { cib } = importCibXml(text.replace('<resource_ref id="app"/></resource_set>\n      </rsc_order>', '<resource_ref id="ghost"/></resource_set>\n      </rsc_order>'));
    expect(semanticProblems(cib)).toEqual(["/constraints/1: constraint 'in-turn' names the unknown resource 'ghost'"]);
  });
});
