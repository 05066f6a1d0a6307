// A CIB's execution-date (the <cib> attribute Pacemaker writes into each saved scheduler input)
// is "now" for `edgeha simulate` and for the corpus runner, as crm_simulate takes it: a date
// rule that holds only at that moment decides the placement.
import { afterAll, describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { importCibXml } from "../../../src/cib";
import { executionDateSeconds } from "../../../src/scheduler";
import { runCase } from "../../conformance/corpus";
import { runInProcess } from "../../support/cli";

const directory = mkdtempSync(path.join(os.tmpdir(), "edgeha-execution-date-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

// 2019-03-15T12:00:00Z, long before the clock of any run of this test (and before the corpus's fixed date).
const EXECUTION_DATE = Date.UTC(2019, 2, 15, 12) / 1000;
const cib = (executionDate: string | undefined) => `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="1"${executionDate === undefined ? "" : ` execution-date="${executionDate}"`}><configuration>
  <crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
  <nodes><node id="1" uname="a"/><node id="2" uname="b"/></nodes>
  <resources><primitive id="web" class="ocf" provider="heartbeat" type="Dummy"/></resources>
  <constraints><rsc_location id="l" rsc="web"><rule id="r" score="100"><expression id="e" attribute="#uname" operation="eq" value="b"/>
    <date_expression id="d" operation="in_range" start="2019-03-01"><duration id="p" months="1"/></date_expression></rule></rsc_location></constraints>
  </configuration><status><node_state id="1" uname="a" in_ccm="true" crmd="online" join="member" expected="member"/><node_state id="2" uname="b" in_ccm="true" crmd="online" join="member" expected="member"/></status></cib>`;

const starts = (out: string) => (JSON.parse(out) as Array<{ action: string; resource: string; node: string }>).map((action) => `${action.action} ${action.resource}@${action.node}`);

describe("execution-date is the simulation's now", () => {
  it("simulate places by a date rule that holds only at the CIB's execution-date", async () => {
    const file = path.join(directory, "pe-input-1.xml");
    writeFileSync(file, cib(String(EXECUTION_DATE)));
    const result = await runInProcess(["simulate", "--xml", file, "--json"]);
    expect(result.err).toBe("");
    expect(result.status).toBe(0);
    expect(starts(result.out)).toEqual(["start web@b"]);
    // Without it, the rule's month is long past: the resource goes where it would without the rule.
    const plain = path.join(directory, "plain.xml");
    writeFileSync(plain, cib(undefined));
    expect(starts((await runInProcess(["simulate", "--xml", plain, "--json"])).out)).toEqual(["start web@a"]);
  });

  it("the corpus runner schedules a case at its execution-date", () => {
    const folder = path.join(directory, "corpus");
    mkdirSync(path.join(folder, "cases"), { recursive: true });
    mkdirSync(path.join(folder, "expected"), { recursive: true });
    writeFileSync(path.join(folder, "cases", "dated.xml"), cib(String(EXECUTION_DATE)));
    writeFileSync(path.join(folder, "expected", "dated.json"), JSON.stringify([{ action: "start", resource: "web", node: "b" }]));
    expect(runCase(folder, "dated")).toEqual({ name: "dated", status: "pass" });
  });

  it("an execution-date that is not seconds since the epoch is refused with the file named", async () => {
    expect(executionDateSeconds(importCibXml(cib(String(EXECUTION_DATE)), "x.xml").cib)).toBe(EXECUTION_DATE);
    expect(() => executionDateSeconds(importCibXml(cib("2019-03-15"), "x.xml").cib, "x.xml")).toThrow(/x\.xml: execution-date "2019-03-15" is not a number of seconds since the epoch/);
    const file = path.join(directory, "bad.xml");
    writeFileSync(file, cib("yesterday"));
    const result = await runInProcess(["simulate", "--xml", file]);
    expect(result.status).not.toBe(0);
    expect(result.err).toMatch(/bad\.xml: execution-date "yesterday" is not a number of seconds since the epoch \[E_CIB_INVALID\]/);
  });
});
