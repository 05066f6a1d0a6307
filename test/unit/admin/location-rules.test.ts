// `constraint location RSC rule ...`, `constraint rule add|remove` on Pacemaker XML files,
// as pcs 0.11 (Debian 12's 0.11.5) writes them. The expected XML is what `pcs -f FILE
// constraint location ...` wrote for the same lines on the same CIB (run by hand; rule
// children are compared in a fixed order because Pacemaker evaluates them in any order).
import { describe, expect, it } from "vitest";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { runInProcess } from "../../support/cli";
import { readCibFile, serializeNativeCib } from "../../../src/cib";
import { schedule } from "../../../src/scheduler";
import { dummy, edits, twoNodeCib, cibFiles } from "./fixture";
import { parseXmlDocument, type XmlElement } from "../../../src/common/xml";


const START = `<cib admin_epoch="0" epoch="1" num_updates="0" validate-with="pacemaker-3.9"><configuration><crm_config/><nodes><node id="1" uname="node1"/><node id="2" uname="node2"/></nodes><resources><primitive id="vip" class="ocf" provider="heartbeat" type="Dummy"/></resources><constraints/></configuration><status/></cib>\n`;
const { directory, newFile, run } = cibFiles(START, "edgeha-location-rules-");

/**
 * An element as one line: attributes sorted by name, children sorted by id (their order
 * carries no meaning in a rule), and boolean-op left out of a rule with one child (pcs
 * writes none there, edgeha writes Pacemaker's default, and, which means the same).
 */
function line(element: XmlElement): string {
  const single = element.name === "rule" && element.children.length === 1 && element.attributes["boolean-op"] === "and";
  const attributes = Object.entries(element.attributes).filter(([name]) => !(single && name === "boolean-op")).sort(([a], [b]) => a.localeCompare(b)).map(([name, value]) => ` ${name}="${value}"`).join("");
  const children = [...element.children].sort((a, b) => (a.attributes.id ?? "").localeCompare(b.attributes.id ?? "")).map(line).join("");
  return `<${element.name}${attributes}>${children}</${element.name}>`;
}

/** The rsc_location elements of a CIB (a file's name, or its text), one a line. */
function locations(file: string): string[] {
  const root = parseXmlDocument(file.startsWith("<") ? file : readFileSync(file, "utf8"), { source: "cib" });
  const constraints = root.children.find((child) => child.name === "configuration")!.children.find((child) => child.name === "constraints")!;
  return constraints.children.map(line);
}

/** What pcs 0.11.5 wrote after the lines of the first test, on the same CIB. */
const PCS_WROTE = `<cib><configuration><constraints>
<rsc_location id="location-vip" rsc="vip">
        <rule id="location-vip-rule-1" score="5">
          <expression id="location-vip-rule-1-expr" operation="gt" attribute="a" value="3"/>
        </rule>
      </rsc_location>
      <rsc_location id="location-vip-1" rsc="vip">
        <rule id="location-vip-1-rule" boolean-op="and" score="50">
          <expression id="location-vip-1-rule-expr" operation="defined" attribute="pingd"/>
          <expression id="location-vip-1-rule-expr-1" operation="gt" attribute="pingd" value="10"/>
        </rule>
      </rsc_location>
      <rsc_location id="location-vip-2" rsc="vip">
        <rule id="location-vip-2-rule" boolean-op="or" role="Promoted" score-attribute="pingd">
          <date_expression id="location-vip-2-rule-expr" operation="gt" start="2024-01-01"/>
          <date_expression id="location-vip-2-rule-expr-1" operation="in_range" start="2024-01-01">
            <duration id="location-vip-2-rule-expr-1-duration" months="2"/>
          </date_expression>
          <date_expression id="location-vip-2-rule-expr-2" operation="date_spec">
            <date_spec id="location-vip-2-rule-expr-2-datespec" hours="9-17" weekdays="1-5"/>
          </date_expression>
          <rule id="location-vip-2-rule-rule" boolean-op="and" score="0">
            <expression id="location-vip-2-rule-rule-expr" operation="lt" attribute="foo" type="integer" value="5"/>
            <expression id="location-vip-2-rule-rule-expr-1" operation="not_defined" attribute="bar"/>
          </rule>
        </rule>
      </rsc_location>
      <rsc_location resource-discovery="exclusive" id="myloc" rsc="vip">
        <rule id="myrule" boolean-op="or" score="-INFINITY">
          <expression id="myrule-expr" operation="eq" attribute="a" type="string" value="b"/>
          <expression id="myrule-expr-1" operation="ne" attribute="c" type="number" value="3.5"/>
          <date_expression id="myrule-expr-2" operation="in_range" start="2024-01-01" end="2024-02-01"/>
        </rule>
        <rule id="r2" role="Unpromoted" score="INFINITY">
          <expression id="r2-expr" operation="lt" attribute="b" value="4"/>
        </rule>
      </rsc_location>
      <rsc_location id="location-vip-3" rsc="vip">
        <rule id="location-vip-3-rule" boolean-op="and" score="INFINITY">
          <rule id="location-vip-3-rule-rule" boolean-op="or" score="0">
            <expression id="location-vip-3-rule-rule-expr" operation="eq" attribute="a" value="b"/>
            <expression id="location-vip-3-rule-rule-expr-1" operation="eq" attribute="c" value="d"/>
          </rule>
          <expression id="location-vip-3-rule-expr" operation="eq" attribute="e" value="f"/>
        </rule>
      </rsc_location>
      <rsc_location id="location-vip-4" rsc="vip">
        <rule id="location-vip-4-rule" boolean-op="and" score="INFINITY">
          <expression id="location-vip-4-rule-expr" operation="eq" attribute="a" value="b"/>
          <rule id="location-vip-4-rule-rule" boolean-op="or" score="0">
            <expression id="location-vip-4-rule-rule-expr" operation="eq" attribute="c" value="d"/>
            <rule id="location-vip-4-rule-rule-rule" boolean-op="and" score="0">
              <expression id="location-vip-4-rule-rule-rule-expr" operation="eq" attribute="e" value="f"/>
              <expression id="location-vip-4-rule-rule-rule-expr-1" operation="eq" attribute="g" value="h"/>
            </rule>
          </rule>
        </rule>
      </rsc_location>
      <rsc_location id="location-vip-5" rsc="vip">
        <rule id="location-vip-5-rule" score="7">
          <expression id="location-vip-5-rule-expr" operation="eq" attribute="#uname" value="node1"/>
        </rule>
      </rsc_location>
      <rsc_location id="location-vip-6" rsc="vip">
        <rule id="location-vip-6-rule" score="7">
          <expression id="location-vip-6-rule-expr" operation="eq" attribute="#uname" value="node1"/>
        </rule>
      </rsc_location>
</constraints></configuration></cib>`;

const words = (text: string) => text.split(" ");

describe("constraint location RSC rule, and constraint rule add|remove", () => {
  it("write the ids, scores, roles, nesting and date expressions pcs writes", async () => {
    const file = newFile();
    const lines = [
      "constraint location vip rule #uname eq node1",
      "constraint location vip rule score=50 defined pingd and pingd gt 10",
      "constraint location vip rule role=master score-attribute=pingd date gt 2024-01-01 or date in_range 2024-01-01 to duration months=2 or date-spec hours=9-17 weekdays=1-5 or ( foo lt integer 5 and not_defined bar )",
      "constraint location vip rule id=myrule constraint-id=myloc resource-discovery=exclusive score=-INFINITY a eq string b or c ne number 3.5 or date in_range 2024-01-01 to 2024-02-01",
      "constraint location vip rule a eq b or c eq d and e eq f",
      "constraint location vip rule a eq b and (c eq d or ( e eq f and g eq h ))",
      "constraint location vip rule date-spec years=2024 and a eq version 1.2.3",
      "constraint rule add location-vip score=5 a gt 3",
      "constraint rule add myloc id=r2 role=Unpromoted b lt 4",
      "constraint rule remove location-vip-rule",
      "constraint rule remove location-vip-5-rule",
      "constraint location vip rule score=7 #uname eq node1",
      "constraint location vip rule score=7 #uname eq node1 --force",
    ];
    for (const text of lines) expect(await run(file, ...words(text)), text).toMatchObject({ status: 0 });
    expect(locations(file)).toHaveLength(8);
    expect(locations(file)).toEqual(locations(PCS_WROTE));
  });

  // What pcs refuses, refused with the word and its position named; the file is left as it was.
  it.each([
    ["a eq", "expected a value after 'eq'", "at the end"],
    ["a eq b and", "expected an expression", "at the end"],
    ["( a eq b", "missing ')' for the '(' at word 1", "at the end"],
    ["a eq b )", "')' closes no '('", "at word 4 (')')"],
    ["a lt integer 1.5", "'1.5' is not a valid integer value", "at word 4"],
    ["a gt number x", "'x' is not a valid number value", "at word 4"],
    ["a eq version 1.x", "'1.x' is not a valid version value", "at word 4"],
    ["defined and", "expected an attribute name after 'defined', got the keyword 'and'", "at word 2"],
    ["a", "'a' must be followed by one of eq, ne, lt, gt, lte, gte, in_range", "at the end"],
    ["date-spec", "date-spec needs at least one of hours=", "at word 1"],
    ["date-spec hours=25", "invalid hours '25' in date-spec", "at word 1"],
    ["date-spec hours=9-17 foo=3", "unexpected 'foo=3'", "at word 3"],
    ["date in_range 2024-01-01 to duration days=3", "duration needs at least one of", "at word 6 ('days=3')"],
    ["a eq b c", "unexpected 'c'", "at word 4"],
    ["a in_range 1 to 2", "in_range compares dates only", "at word 1"],
    ["date gt 2024-13-45", "'2024-13-45' is not an ISO 8601 date", "at word 3"],
    ["date in_range 2024-01-01 2024-02-01", "expected 'to' after the start date", "at word 4"],
  ])("refuses '%s': %s", async (expression, reason, where) => {
    const file = newFile();
    const outcome = await run(file, "constraint", "location", "vip", "rule", ...words(expression), "--json");
    expect(outcome.status).toBe(1);
    const error = (JSON.parse(outcome.out) as { error: { code: string; message: string } }).error;
    expect(error.code).toBe("E_ADMIN_ARGUMENT");
    expect(error.message).toContain(`'${expression}' is not a valid rule expression: `);
    expect(error.message).toContain(reason);
    expect(error.message).toContain(where);
    expect(readFileSync(file, "utf8")).toBe(START);
  });

  it.each([
    ["score=abc a eq b", "E_ADMIN_ARGUMENT", "'abc' is not a score"],
    ["score=10 score-attribute=x a eq b", "E_ADMIN_ARGUMENT", "give score or score-attribute, not both"],
    ["role=Started a eq b", "E_ADMIN_ARGUMENT", "invalid role 'Started', use Promoted or Unpromoted"],
    ["resource-discovery=bogus a eq b", "E_ADMIN_ARGUMENT", "resource-discovery='bogus' is not one of always, never, exclusive"],
    ["id=1rule a eq b", "E_ADMIN_ID", "not a valid rule id"],
    ["", "E_ADMIN_ARGUMENT", "no rule expression was given"],
  ])("refuses the options '%s'", async (text, code, message) => {
    const file = newFile();
    const outcome = await run(file, "constraint", "location", "vip", "rule", ...(text === "" ? [] : words(text)));
    expect(outcome).toMatchObject({ status: 1, err: expect.stringContaining(message) });
    expect(outcome.err).toContain(code);
    expect(readFileSync(file, "utf8")).toBe(START);
  });

  it("refuses the same rule on the same resource again unless --force, an unknown resource, a taken id", async () => {
    const file = newFile();
    expect((await run(file, "constraint", "location", "vip", "rule", "score=10", "#uname", "eq", "node1")).status).toBe(0);
    // The score does not count: pcs compares the expressions (their parts in any order).
    const again = await run(file, "constraint", "location", "vip", "rule", "score=20", "#uname", "eq", "string", "node1");
    expect(again).toMatchObject({ status: 1, err: expect.stringContaining("location constraint 'location-vip' already has this rule") });
    expect((await run(file, "constraint", "location", "vip", "rule", "score=20", "#uname", "eq", "node1", "--force")).status).toBe(0);
    expect(await run(file, "constraint", "location", "vipp", "rule", "a", "eq", "b")).toMatchObject({ status: 1, err: expect.stringContaining("no resource named 'vipp' (did you mean 'vip'") });
    expect(await run(file, "constraint", "location", "vip", "rule", "id=location-vip-rule", "a", "eq", "b")).toMatchObject({ status: 1, err: expect.stringContaining("the id 'location-vip-rule' is already used") });
    expect(await run(file, "constraint", "rule", "add", "location-vipp", "a", "eq", "b")).toMatchObject({ status: 1, err: expect.stringContaining("no location constraint with id 'location-vipp'") });
    expect(await run(file, "constraint", "rule", "remove", "nosuch")).toMatchObject({ status: 1, err: expect.stringContaining("no location rule with id 'nosuch'") });
  });

  it("rule add on a constraint that named a node keeps only its rules, as pcs writes it", async () => {
    const file = newFile();
    expect((await run(file, "constraint", "location", "vip", "prefers", "node2=50")).status).toBe(0);
    expect((await run(file, "constraint", "rule", "add", "location-vip-node2-50", "b", "lt", "4")).status).toBe(0);
    expect(readCibFile(file).cib.constraints).toMatchObject([{ id: "location-vip-node2-50", rules: [{ id: "location-vip-node2-50-rule", score: "INFINITY" }] }]);
    expect(readCibFile(file).cib.constraints[0]).not.toHaveProperty("node");
  });

  it("a regexp% resource writes rsc-pattern; --json reports the change", async () => {
    const file = newFile();
    const outcome = await run(file, "constraint", "location", "regexp%vip.*", "rule", "score=-INFINITY", "not_defined", "pingd", "--json");
    expect(JSON.parse(outcome.out)).toMatchObject({ ok: true, changed: true, version: "0.2.0" });
    expect(readCibFile(file).cib.constraints).toMatchObject([{ id: "location-vip.", rsc: "", rscPattern: "vip.*", rules: [{ expressions: [{ attribute: "pingd", operation: "not_defined" }] }] }]);
  });

  it("constraint config prints the rules as pcs 0.11.5 does (--full with the ids)", async () => {
    const file = newFile();
    for (const text of ["constraint location vip rule score=50 #uname eq node1 and date-spec hours=9-17", "constraint location vip rule score-attribute=pingd defined pingd or ( a lt integer 3 and b eq x )", "constraint location vip prefers node2=20"]) {
      expect((await run(file, ...words(text))).status).toBe(0);
    }
    // What pcs -f printed for the same three lines on the same CIB.
    expect((await run(file, "constraint", "config")).out).toBe(`Location Constraints:
  Resource: vip
    Enabled on:
      Node: node2 (score:20)
    Constraint: location-vip
      Rule: boolean-op=and score=50
        Expression: #uname eq node1
        Expression:
          Date Spec: hours=9-17
    Constraint: location-vip-1
      Rule: boolean-op=or score-attribute=pingd
        Expression: defined pingd
        Rule: boolean-op=and score=0
          Expression: a lt integer 3
          Expression: b eq x
Ordering Constraints:
Colocation Constraints:
Ticket Constraints:
`);
    const full = (await run(file, "constraint", "config", "--full")).out;
    expect(full).toContain(`    Constraint: location-vip
      Rule: boolean-op=and score=50 (id:location-vip-rule)
        Expression: #uname eq node1 (id:location-vip-rule-expr)
        Expression: (id:location-vip-rule-expr-1)
          Date Spec: hours=9-17 (id:location-vip-rule-expr-1-datespec)
`);
    expect(full).toContain("        Rule: boolean-op=and score=0 (id:location-vip-1-rule-rule)\n");
  });

  it("--help shows the grammar and an example", async () => {
    const help = await runInProcess(["constraint", "location", "--help"]);
    expect(help.out).toContain("constraint location vip rule score=-INFINITY pingd lt 1 or not_defined pingd");
    expect(help.out).toContain("date in_range DATE to duration");
  });
});

describe("the scheduler honours a rule written by the CLI", () => {
  it("keeps vip off the node the rule names, in a native CIB file too", async () => {
    const file = path.join(directory, "rule.json");
    const online = (id: string, uname: string) => ({ id, uname, attributes: { in_ccm: "true", crmd: "online", join: "member", expected: "member" }, transient: [], resources: [] });
    const cib = edits(twoNodeCib(), [dummy("vip"), { kind: "property-set", values: { "stonith-enabled": "false" }, force: false }]).cib;
    cib.status = [online("1", "node1"), online("2", "node2")];
    writeFileSync(file, serializeNativeCib(cib));
    const placed = () => schedule(readCibFile(file).cib, { now: 0 }).actions.filter((action) => action.action === "start").map((action) => action.node);
    expect(placed()).toEqual(["node1"]);
    expect((await run(file, "constraint", "location", "vip", "rule", "score=-INFINITY", "#uname", "eq", "node1", "or", "date-spec", "years=1971")).status).toBe(0);
    expect(readCibFile(file).cib.constraints).toMatchObject([{ kind: "location", id: "location-vip", rules: [{ booleanOp: "or", score: "-INFINITY" }] }]);
    expect(placed()).toEqual(["node2"]);
    // The clock is an input: in 1971 the date-spec holds on every node, and vip runs nowhere.
    expect(schedule(readCibFile(file).cib, { now: 366 * 86_400 }).actions.filter((action) => action.action === "start")).toEqual([]);
  });
});
