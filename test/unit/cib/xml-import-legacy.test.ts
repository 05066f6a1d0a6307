import { describe, expect, it } from "vitest";
import { exportCibXml, importCibXml } from "../../../src/cib";

function wrap(resources: string, extraConfiguration = "", status = ""): string {
  return `<cib admin_epoch="0" epoch="3" num_updates="1">
  <configuration><crm_config/><nodes><node id="n1" uname="n1"/></nodes><resources>${resources}</resources><constraints/>${extraConfiguration}</configuration>
  <status>${status}</status></cib>`;
}

describe("Pacemaker XML import of older and rarer forms", () => {
  it("resolves an nvpair written as id-ref to the name and value of the nvpair it names", () => {
    const { cib } = importCibXml(wrap(`
      <primitive id="first" class="ocf" provider="heartbeat" type="Dummy">
        <instance_attributes id="first-params"><nvpair id="shared-pair" name="state" value="/run/shared"/></instance_attributes>
      </primitive>
      <primitive id="second" class="ocf" provider="heartbeat" type="Dummy">
        <instance_attributes id="second-params">
          <nvpair id-ref="shared-pair"/>
          <nvpair id-ref="shared-pair" name="state_copy"/>
        </instance_attributes>
      </primitive>`));
    const second = cib.resources[1]!;
    expect(second.instance[0]!.values).toEqual({ state: "/run/shared", state_copy: "/run/shared" });
    expect(second.instance[0]!.pairRefs).toEqual({ state: "shared-pair", state_copy: "shared-pair" });
  });

  it("keeps an nvpair reference through export and import", () => {
    const text = wrap(`
      <primitive id="first" class="ocf" provider="heartbeat" type="Dummy">
        <instance_attributes id="first-params"><nvpair id="p9" name="state" value="x"/></instance_attributes>
      </primitive>
      <primitive id="second" class="ocf" provider="heartbeat" type="Dummy">
        <instance_attributes id="second-params"><nvpair id-ref="p9"/></instance_attributes>
      </primitive>`);
    const once = importCibXml(text).cib;
    const exported = exportCibXml(once);
    expect(exported).toContain('id-ref="p9"');
    expect(importCibXml(exported).cib).toEqual(once);
  });

  it("rejects an nvpair reference to an id that no nvpair has", () => {
    const text = wrap(`<primitive id="r" class="ocf" provider="heartbeat" type="Dummy">
      <instance_attributes id="r-params"><nvpair id-ref="missing-pair"/></instance_attributes></primitive>`);
    expect(() => importCibXml(text, "refs.xml")).toThrow(/refs\.xml:3: <nvpair id-ref="missing-pair"> refers to no nvpair/);
  });

  it("reads nvpairs inside the <attributes> wrapper of Pacemaker 0.6 sets", () => {
    const { cib } = importCibXml(wrap(`
      <primitive id="old" class="ocf" provider="heartbeat" type="Dummy">
        <instance_attributes id="old-params"><attributes><nvpair id="o1" name="delay" value="3"/></attributes></instance_attributes>
      </primitive>`));
    expect(cib.resources[0]!.instance[0]!.values).toEqual({ delay: "3" });
  });

  it("warns about what it does not keep instead of dropping it: unknown node_state children", () => {
    const { warnings } = importCibXml(wrap(
      `<primitive id="light" class="ocf" provider="heartbeat" type="Dummy"/>`,
      "",
      `<node_state id="n1" uname="n1"><lrm id="n1"><lrm_resources/></lrm><mystery id="m1"/></node_state>`,
    ), "w.xml");
    expect(warnings).toEqual([`w.xml:3: <mystery id="m1"> in node_state n1 is outside edgeha's scope and was not imported`]);
  });

  it("refuses status tickets (booth) rather than drop them", () => {
    expect(() => importCibXml(wrap(`<primitive id="light" class="ocf" provider="heartbeat" type="Dummy"/>`, "", `<tickets id="t"/>`), "w.xml")).toThrow(/w\.xml: <tickets id="t"> in <status>: edgeha does not support tickets/);
  });
});

describe("nvpairs Pacemaker ignores", () => {
  it("ignores an nvpair without a value, as Pacemaker does, and says so", () => {
    const { cib, warnings } = importCibXml(wrap(`<primitive id="r" class="ocf" provider="heartbeat" type="Dummy">
      <instance_attributes id="r-params"><nvpair id="r-empty" name="config"/><nvpair id="r-set" name="state" value=""/></instance_attributes></primitive>`), "v.xml");
    expect(cib.resources[0]!.instance[0]!.values).toEqual({ state: "" });
    expect(warnings).toEqual([`v.xml:3: <nvpair id="r-empty" name="config"> in instance_attributes r-params has no value and was ignored, as Pacemaker ignores it`]);
  });
});

describe("XML character references", () => {
  it("decodes named and numeric references in values as libxml2 does, and keeps them through export", () => {
    const text = `<cib><configuration><crm_config><cluster_property_set id="p">
      <nvpair id="p1" name="note" value="&quot;a&quot; &amp; &lt;b&gt; &#65;&#x42; &amp;#67;"/>
    </cluster_property_set></crm_config></configuration></cib>`;
    const { cib } = importCibXml(text);
    expect(cib.properties[0]!.values.note).toBe(`"a" & <b> AB &#67;`);
    expect(importCibXml(exportCibXml(cib)).cib).toEqual(cib);
  });
});

describe("rules written as references", () => {
  const text = wrap(`<primitive id="r" class="ocf" provider="heartbeat" type="Dummy"/>`, "", "").replace("<constraints/>", `<constraints>
      <rsc_location id="first-place" rsc="r"><rule id="on-fast" score="50"><expression id="on-fast-e" attribute="speed" operation="gt" value="3" type="integer"/></rule></rsc_location>
      <rsc_location id="second-place" rsc="r"><rule id-ref="on-fast"/></rsc_location>
    </constraints>`);

  it("gives a rule written as id-ref the contents of the rule it names", () => {
    const { cib } = importCibXml(text);
    const second = cib.constraints[1]!;
    expect(second.kind === "location" && second.rules[0]).toMatchObject({ id: "on-fast", idRef: "on-fast", score: "50", expressions: [{ attribute: "speed", value: "3" }] });
  });

  it("writes the reference back as a reference, so no id appears twice", () => {
    const { cib } = importCibXml(text);
    const exported = exportCibXml(cib);
    expect(exported.match(/id="on-fast"/g)).toHaveLength(1);
    expect(importCibXml(exported).cib).toEqual(cib);
  });

  it("rejects a rule that refers to itself from inside", () => {
    const looped = text.replace('<rule id="on-fast" score="50">', '<rule id="on-fast" score="50"><rule id-ref="on-fast"/>');
    expect(() => importCibXml(looped, "r.xml")).toThrow(`r.xml:3: <rule id-ref="on-fast"> refers to a rule that contains it`);
  });

  it("rejects a reference to a rule that does not exist", () => {
    expect(() => importCibXml(text.replace('id-ref="on-fast"', 'id-ref="nowhere"'), "r.xml")).toThrow(`r.xml:4: <rule id-ref="nowhere"> refers to no rule`);
  });
});

describe("values and ids exactly as Pacemaker needs them", () => {
  it("keeps leading and trailing spaces in values, which operation digests cover", () => {
    const { cib } = importCibXml(wrap(`<primitive id="r" class="stonith" type="ssh">
      <instance_attributes id="r-params"><nvpair id="r-hosts" name="hostlist" value=" a b "/></instance_attributes></primitive>`));
    expect(cib.resources[0]!.instance[0]!.values.hostlist).toBe(" a b ");
  });

  it("keeps nvpair ids as written", () => {
    const { cib } = importCibXml(wrap(`<primitive id="r" class="ocf" provider="heartbeat" type="Dummy">
      <instance_attributes id="r-params"><nvpair id="my-own-id" name="state" value="1"/></instance_attributes></primitive>`));
    expect(cib.resources[0]!.instance[0]!.pairIds).toEqual({ state: "my-own-id" });
    expect(exportCibXml(cib)).toContain('<nvpair id="my-own-id" name="state" value="1"/>');
  });

  it("makes up valid, unique XML ids for nvpairs written without one", () => {
    const { cib } = importCibXml(wrap(`<primitive id="r" class="ocf" provider="heartbeat" type="Dummy"/>`));
    cib.nodes[0]!.instance = [{ id: "n1-attrs", values: { "master-db:0": "10", "state": "1" } }];
    cib.resources[0]!.instance = [{ id: "n1-attrs-state", values: { x: "1" } }, { id: "n1-attrs", values: { state: "2" } }];
    const ids = [...exportCibXml(cib).matchAll(/<nvpair id="([^"]*)"/g)].map((match) => match[1]!);
    expect(ids).toEqual(["n1-attrs-master-db_0", "n1-attrs-state-2", "n1-attrs-state-x", "n1-attrs-state-3"]);
  });
});
