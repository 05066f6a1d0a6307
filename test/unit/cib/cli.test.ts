import { afterAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { runCliProcess } from "../../support/environment";

const directory = mkdtempSync(path.join(os.tmpdir(), "edgeha-cib-cli-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

const xml = `<cib admin_epoch="0" epoch="3" num_updates="1">
  <configuration>
    <crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
    <nodes><node id="1" uname="n1"/><node id="2" uname="n2"/></nodes>
    <resources><primitive id="d" class="ocf" provider="pacemaker" type="Dummy"/></resources>
    <constraints/>
    <acls><acl_role id="viewer"/></acls>
  </configuration>
  <status/>
</cib>`;

describe("edgeha cib", () => {
  it("imports XML to JSON with a warning for what it does not cover, and exports it back", () => {
    const input = path.join(directory, "in.xml");
    const json = path.join(directory, "out.json");
    writeFileSync(input, xml);
    const imported = runCliProcess(["cib", "import", input, "-o", json]);
    expect(imported.status).toBe(0);
    expect(imported.stderr).toContain('warning:');
    expect(imported.stderr).toContain('<acls>');
    expect(JSON.parse(readFileSync(json, "utf8")).resources[0].id).toBe("d");
    const exported = runCliProcess(["cib", "export", json]);
    expect(exported.status).toBe(0);
    expect(exported.stdout).toContain('<primitive id="d" class="ocf" provider="pacemaker" type="Dummy"/>');
  });

  it("summarises a CIB as JSON", () => {
    const input = path.join(directory, "show.xml");
    writeFileSync(input, xml);
    const shown = runCliProcess(["cib", "show", input, "--json"]);
    expect(shown.status).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ version: "0.3.1", nodes: ["n1", "n2"], primitives: 1 });
  });

  it("fails with one line naming the file and place for broken XML", () => {
    const input = path.join(directory, "broken.xml");
    writeFileSync(input, "<cib>\n<configuration>\n</cib>\n");
    const result = runCliProcess(["cib", "show", input]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^edgeha: ${input.replace(/[.]/g, "\\.")}:\\d+:\\d+: .*\\[E_CIB_XML\\]\\n$`));
  });

  it("reports an import as one JSON object with its warnings when asked", () => {
    const input = path.join(directory, "report.xml");
    const json = path.join(directory, "report.json");
    writeFileSync(input, xml);
    const imported = runCliProcess(["cib", "import", input, "-o", json, "--json"]);
    expect(imported.status).toBe(0);
    expect(imported.stderr).toBe("");
    const report = JSON.parse(imported.stdout);
    expect(report).toMatchObject({ version: "0.3.1", output: json });
    expect(report.warnings).toEqual([expect.stringContaining('<acls>')]);
    expect(JSON.parse(readFileSync(json, "utf8")).nodes).toHaveLength(2);
  });

  it("prints the patch between two CIBs", () => {
    const before = path.join(directory, "before.xml");
    const after = path.join(directory, "after.xml");
    writeFileSync(before, xml);
    writeFileSync(after, xml.replace('epoch="3"', 'epoch="4"').replace('<node id="2" uname="n2"/>', ""));
    const result = runCliProcess(["cib", "diff", before, after]);
    expect(result.status).toBe(0);
    const patch = JSON.parse(result.stdout);
    expect(patch.base).toEqual({ adminEpoch: 0, epoch: 3, numUpdates: 1 });
    expect(patch.changes).toEqual([{ kind: "remove", section: "nodes", id: "2" }]);
  });

  it("needs exactly one file", () => {
    expect(runCliProcess(["cib", "import"]).status).toBe(2);
  });
});
