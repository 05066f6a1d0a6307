// CIB XML that is malformed, hostile or too large is refused with an E_ code and the
// place (FILE:LINE:COLUMN), never a heap exhaustion, a stack overflow, an "unexpected
// error", or a literal copy of what could not be read.
import { afterAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { importCibXml, readCibFile } from "../../../src/cib";
import { runInProcess } from "../../support/cli";

const directory = mkdtempSync(path.join(os.tmpdir(), "edgeha-xml-limits-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

const cib = (resources: string) => `<cib epoch="1" num_updates="0" admin_epoch="0">
  <configuration>
    <crm_config/>
    <nodes/>
    <resources>
${resources}
    </resources>
    <constraints/>
  </configuration>
</cib>
`;

function refusal(text: string, file = "cib.xml"): { code: string; message: string } {
  try {
    importCibXml(text, file);
  } catch (error) {
    return { code: (error as { code: string }).code, message: (error as Error).message };
  }
  throw new Error("the XML was accepted");
}

describe("CIB XML input", () => {
  it("an undefined entity is an error at its place, not text kept literally", () => {
    const text = cib(`      <primitive id="vip" class="ocf" provider="heartbeat" type="IPaddr2">
        <instance_attributes id="vip-p"><nvpair id="vip-ip" name="ip" value="&lol9;"/></instance_attributes>
      </primitive>`);
    expect(refusal(text)).toEqual({ code: "E_CIB_XML", message: expect.stringMatching(/^cib\.xml:7:\d+: undefined entity &lol9;/) });
  });

  it("a billion-laughs DOCTYPE is refused where its internal subset begins", () => {
    const text = `<?xml version="1.0"?>\n<!DOCTYPE cib [\n <!ENTITY lol "lol">\n <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">\n]>\n${cib("")}`;
    expect(refusal(text)).toEqual({ code: "E_CIB_XML", message: expect.stringMatching(/^cib\.xml:2:15: a DOCTYPE with an internal subset \(entity declarations\) is not accepted/) });
  });

  it("an external entity is an undefined entity (nothing is fetched); a DOCTYPE naming only a DTD is skipped", () => {
    const external = `<!DOCTYPE cib SYSTEM "file:///etc/passwd">\n${cib('      <primitive id="p" class="ocf" provider="heartbeat" type="&xxe;"/>')}`;
    expect(refusal(external)).toEqual({ code: "E_CIB_XML", message: expect.stringMatching(/^cib\.xml:7:\d+: undefined entity &xxe;/) });
    const plain = `<!DOCTYPE cib SYSTEM "pacemaker.dtd">\n${cib('      <primitive id="p" class="ocf" provider="heartbeat" type="Dummy"/>')}`;
    expect(importCibXml(plain).cib.resources.map((resource) => resource.id)).toEqual(["p"]);
  });

  it("the five XML entities and character references are decoded; tabs and line ends in values become spaces as XML says", () => {
    const text = cib(`      <primitive id="p" class="ocf" provider="heartbeat" type="Dummy" description="a &lt;b&gt; &amp; &quot;c&quot; &apos;d&apos; &#65;&#x42; x\ty&#10;z"/>`);
    expect(importCibXml(text).cib.resources[0]!.extra.description).toBe(`a <b> & "c" 'd' AB x y\nz`);
  });

  it("a truncated file says where it ends and inside which element", () => {
    const whole = cib('      <primitive id="p" class="ocf" provider="heartbeat" type="Dummy"/>');
    const truncated = whole.slice(0, whole.indexOf("<constraints/>"));
    expect(refusal(truncated)).toEqual({ code: "E_CIB_XML", message: "cib.xml:8:5: the input ends at line 8 column 5 inside <configuration> (is it truncated?)" });
    const midTag = whole.slice(0, whole.indexOf('type="Dummy"') + 8);
    expect(refusal(midTag)).toEqual({ code: "E_CIB_XML", message: expect.stringMatching(/^cib\.xml:6:\d+: the input ends inside the value of 'type' of <primitive> \(is it truncated\?\)/) });
  });

  it("a mismatched end tag names both elements and where the open one began", () => {
    const text = cib('      <group id="g"><primitive id="p" class="ocf" provider="heartbeat" type="Dummy"></group>');
    expect(refusal(text)).toEqual({ code: "E_CIB_XML", message: expect.stringContaining("cib.xml:6:85: </group> closes <primitive>, which opened at line 6 column 21") });
  });

  it("nesting 100,000 deep is refused at the depth limit, without a stack overflow", () => {
    const text = `<cib>${"<rule>".repeat(100_000)}${"</rule>".repeat(100_000)}</cib>`;
    expect(refusal(text)).toEqual({ code: "E_CIB_TOO_LARGE", message: expect.stringMatching(/^cib\.xml:1:\d+: the nesting depth exceeds edgeha's limit of 64/) });
  });

  it("too many attributes, a too long name or value, an id over 256 characters: refused with the place", () => {
    const attributes = Array.from({ length: 65 }, (_, index) => `a${index}="x"`).join(" ");
    expect(refusal(cib(`      <primitive id="p" ${attributes}/>`))).toMatchObject({ code: "E_CIB_TOO_LARGE", message: expect.stringContaining("the number of attributes of <primitive> exceeds edgeha's limit of 64") });
    expect(refusal(cib(`      <${"p".repeat(300)}/>`))).toMatchObject({ code: "E_CIB_TOO_LARGE", message: expect.stringMatching(/^cib\.xml:6:8: an element name exceeds/) });
    expect(refusal(cib(`      <primitive id="p" description="${"v".repeat(300_000)}"/>`))).toMatchObject({ code: "E_CIB_TOO_LARGE", message: expect.stringContaining("the value of 'description' in <primitive>") });
    expect(refusal(cib(`      <primitive id="${"i".repeat(257)}" class="ocf" provider="heartbeat" type="Dummy"/>`))).toEqual({ code: "E_CIB_XML", message: "cib.xml:6: <primitive> has an id of 257 characters; edgeha takes at most 256" });
  });

  it("malformed markup: the place and what is wrong", () => {
    const cases: Array<[string, RegExp]> = [
      [cib('      <primitive id="p" class=ocf/>'), /^cib\.xml:6:31: the value of 'class' in <primitive> must be in quotes/],
      [cib('      <primitive id="p" id="q"/>'), /^cib\.xml:6:25: <primitive> has the attribute 'id' twice/],
      [cib('      <primitive id="a<b"/>'), /^cib\.xml:6:23: '<' is not allowed in an attribute value/],
      [cib('      <primitive id="p" note="fish & chips"/>'), /^cib\.xml:6:\d+: '&' must begin an entity/],
      [`${cib("")}<cib/>`, /^cib\.xml:11:1: a second root element/],
      [`${cib("")}trailing`, /^cib\.xml:11:1: text after the root element/],
      [cib('      <primitive id="p"\u0001/>'), /^cib\.xml:6:24: the character U\+0001 is not allowed in XML/],
      ["", /^cib\.xml:1:1: no XML element found/],
    ];
    for (const [text, message] of cases) expect(refusal(text)).toEqual({ code: "E_CIB_XML", message: expect.stringMatching(message) });
  });

  it("an import error names the line of the element it is about", () => {
    const text = cib('      <primitive id="ok" class="ocf" provider="heartbeat" type="Dummy"/>\n      <primitive id="broken" provider="heartbeat" type="Dummy"/>');
    expect(refusal(text)).toEqual({ code: "E_CIB_XML", message: `cib.xml:7: <primitive id="broken"> lacks the attribute 'class'` });
    expect(refusal(`<cib epoch="x1"><configuration/></cib>`)).toEqual({ code: "E_CIB_XML", message: `cib.xml:1: <cib epoch="x1">: a version number must be a non-negative integer` });
  });

  it("a 14 MB CIB of 200,000 primitives: simulate refuses it with E_CIB_TOO_LARGE and exit 1 (it used to exhaust the heap, rc 134)", async () => {
    const file = path.join(directory, "huge.xml");
    const primitives = Array.from({ length: 200_000 }, (_, index) => `<primitive id="r${index}" class="ocf" provider="heartbeat" type="Dummy"/>`).join("\n");
    writeFileSync(file, cib(primitives));
    const result = await runInProcess(["simulate", "--xml", file]);
    expect(result.status).toBe(1);
    expect(result.err).toMatch(/huge\.xml:\d+:\d+: the number of elements exceeds edgeha's limit of 200000 \[E_CIB_TOO_LARGE\]/);
  });

  it("10,001 primitives (within the XML limits) are over the CIB's own bound", () => {
    const primitives = Array.from({ length: 10_001 }, (_, index) => `<primitive id="r${index}" class="ocf" provider="heartbeat" type="Dummy"/>`).join("\n");
    expect(refusal(cib(primitives))).toEqual({ code: "E_CIB_TOO_LARGE", message: "cib.xml: 10001 primitives; edgeha takes at most 10000" });
  });

  it("a CIB file over 16 MiB is refused from its size, before it is read", () => {
    const file = path.join(directory, "sparse.xml");
    writeFileSync(file, "");
    // A sparse file: its size says 1 GiB, no data written.
    const { truncateSync } = require("node:fs") as typeof import("node:fs");
    truncateSync(file, 1024 * 1024 * 1024);
    expect(() => readCibFile(file)).toThrow(expect.objectContaining({ code: "E_CIB_TOO_LARGE", message: `CIB file ${file} has 1073741824 bytes; edgeha reads at most 16777216` }));
  });
});

describe("CIB XML warnings", () => {
  it("100,000 elements outside edgeha's scope give 100 warnings and one line counting the rest", () => {
    const { warnings } = importCibXml(cib(Array.from({ length: 100_000 }, (_, index) => `<unknown id="u${index}"/>`).join("")), "many.xml");
    expect(warnings).toHaveLength(101);
    expect(warnings[0]).toBe(`many.xml:6: <unknown id="u0"> in resources is outside edgeha's scope and was not imported`);
    expect(warnings[100]).toBe("many.xml: 99900 more warnings like these were left out");
  });
});
