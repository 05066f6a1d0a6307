import { describe, expect, it } from "vitest";
import { exportCibXml, importCibXml, parseNativeCib, resolveFencingLevels, serializeNativeCib } from "../../../src/cib";

const text = `<cib admin_epoch="0" epoch="1" num_updates="0">
  <configuration><crm_config/>
    <nodes>
      <node id="1" uname="rack1-a"><instance_attributes id="1-attrs"><nvpair id="1-row" name="row" value="north"/></instance_attributes></node>
      <node id="2" uname="rack1-b"/>
      <node id="3" uname="rack2-a"><instance_attributes id="3-attrs"><nvpair id="3-row" name="row" value="north"/></instance_attributes></node>
    </nodes>
    <resources/><constraints/>
    <fencing-topology>
      <fencing-level id="by-name" index="1" target="rack2-a" devices="ipmi-3"/>
      <fencing-level id="by-pattern" index="2" target-pattern="^rack1-" devices="pdu-1,pdu-2"/>
      <fencing-level id="by-attribute" index="3" target-attribute="row" target-value="north" devices="sbd"/>
    </fencing-topology>
  </configuration>
  <status/>
</cib>`;

describe("fencing topology", () => {
  it("keeps the three ways of naming a target through export and the native form", () => {
    const { cib, warnings } = importCibXml(text);
    expect(warnings).toEqual([]);
    expect(cib.fencingTopology.map((level) => [level.target, level.targetPattern, level.targetAttribute, level.targetValue]))
      .toEqual([["rack2-a", undefined, undefined, undefined], [undefined, "^rack1-", undefined, undefined], [undefined, undefined, "row", "north"]]);
    expect(importCibXml(exportCibXml(cib)).cib).toEqual(cib);
    expect(parseNativeCib(serializeNativeCib(cib), "t.json")).toEqual(cib);
  });

  it("resolves levels to the nodes they apply to, by name, pattern and attribute", () => {
    const { levels } = resolveFencingLevels(importCibXml(text).cib);
    expect(levels.map((level) => `${level.target} ${level.index} ${level.devices.join("+")}`)).toEqual([
      "rack1-a 2 pdu-1+pdu-2", "rack1-a 3 sbd", "rack1-b 2 pdu-1+pdu-2", "rack2-a 1 ipmi-3", "rack2-a 3 sbd",
    ]);
  });

  it("refuses a level that names its target in two ways", () => {
    const both = text.replace('target-pattern="^rack1-"', 'target-pattern="^rack1-" target="rack1-a"');
    expect(() => importCibXml(both, "t.xml")).toThrow(`t.xml:11: <fencing-level id="by-pattern"> must name its target in exactly one way`);
  });

  it("warns about a pattern that is not a regular expression", () => {
    const { levels, warnings } = resolveFencingLevels(importCibXml(text.replace("^rack1-", "rack(")).cib);
    expect(levels.some((level) => level.levelId === "by-pattern")).toBe(false);
    expect(warnings).toEqual(["fencing-level by-pattern: target-pattern 'rack(' is not a valid regular expression; the level applies to no node"]);
  });
});
