// Date expressions in rules (in_range with start/end/duration, gt, lt, date_spec) and rules in
// attribute sets (node, meta, cluster property sets ordered by score), evaluated at the
// scheduler's `now` as Pacemaker 2.1.5 evaluates them.
import { describe, expect, it } from "vitest";
import { dateExpressionHolds, exportCibXml, importCibXml, parseIsoDate } from "../../../src/cib";
import { operationDefaults, schedule } from "../../../src/scheduler";
import { ruleHolds } from "../../../src/scheduler/rules";

const at = (text: string) => Date.parse(text) / 1000;

describe("ISO 8601 dates as Pacemaker reads them", () => {
  const clock = { now: at("2027-01-01T12:30:00Z") };
  it("reads calendar, ordinal and week dates, times, Z and offsets after a space", () => {
    expect(parseIsoDate("2005-001", clock)).toBe(at("2005-01-01T00:00:00Z"));
    expect(parseIsoDate("2005-032", clock)).toBe(at("2005-02-01T00:00:00Z"));
    expect(parseIsoDate("20050203", clock)).toBe(at("2005-02-03T00:00:00Z"));
    // 1 January 2005 is a Saturday: week 1 starts on Monday 3 January; 2009-W01-1 is 29 December 2008.
    expect(parseIsoDate("2005-W01-1", clock)).toBe(at("2005-01-03T00:00:00Z"));
    expect(parseIsoDate("2009-W01-1", clock)).toBe(at("2008-12-29T00:00:00Z"));
    expect(parseIsoDate("2009-W53-7", clock)).toBe(at("2010-01-03T00:00:00Z"));
    expect(parseIsoDate("2027-03-04 10:20:30", clock)).toBe(at("2027-03-04T10:20:30Z"));
    expect(parseIsoDate("2027-03-04T10:20:30Z", clock)).toBe(at("2027-03-04T10:20:30Z"));
    expect(parseIsoDate("2027-03-04T10:20:30 +01:00", clock)).toBe(at("2027-03-04T09:20:30Z"));
    expect(parseIsoDate("2027-03-04T24:00:00", clock)).toBe(at("2027-03-05T00:00:00Z"));
    expect(parseIsoDate("T08:00", clock)).toBe(at("2027-01-01T08:00:00Z"));
    // Without a zone, a date is in the scheduler's offset from UTC.
    expect(parseIsoDate("2027-03-04 10:00:00", { ...clock, utcOffset: 3600 })).toBe(at("2027-03-04T09:00:00Z"));
  });

  it("refuses what is not a date", () => {
    for (const text of ["", "2005-13-01", "2005-02-30", "2005-367", "2005-W54-1", "2005-W01-8", "tomorrow", "2027-01-01 25:00", "2027-01-01X"]) expect(parseIsoDate(text, clock), text).toBeUndefined();
  });
});

describe("date expressions", () => {
  const holds = (now: string, expression: Parameters<typeof dateExpressionHolds>[0]) => dateExpressionHolds(expression, { now: at(now) });
  it("in_range: start and end are inclusive; an end may come from a duration, a month keeping its day when it can", () => {
    const range = { id: "d", start: "2027-01-31", duration: { id: "p", months: "1", hours: "12" } };
    expect(holds("2027-01-30T23:59:59Z", range)).toBe(false);
    expect(holds("2027-01-31T00:00:00Z", range)).toBe(true);
    expect(holds("2027-02-28T12:00:00Z", range)).toBe(true);
    expect(holds("2027-02-28T12:00:01Z", range)).toBe(false);
    expect(holds("2030-01-01T00:00:00Z", { id: "d", end: "2029-12-31" })).toBe(false);
    expect(holds("2029-12-31T00:00:00Z", { id: "d", operation: "in_range", end: "2029-12-31" })).toBe(true);
    expect(holds("2029-12-31T00:00:00Z", { id: "d" })).toBe(false);
    const years = { id: "d", start: "2027-01-01", duration: { id: "p", years: "1", weeks: "1", days: "1" } };
    expect(holds("2028-01-09T00:00:00Z", years)).toBe(true);
    expect(holds("2028-01-09T00:00:01Z", years)).toBe(false);
  });

  it("gt and lt are strict and need their date", () => {
    expect(holds("2027-01-01T00:00:00Z", { id: "d", operation: "gt", start: "2027-01-01" })).toBe(false);
    expect(holds("2027-01-01T00:00:01Z", { id: "d", operation: "gt", start: "2027-01-01" })).toBe(true);
    expect(holds("2026-12-31T23:59:59Z", { id: "d", operation: "lt", end: "2027-01-01" })).toBe(true);
    expect(holds("2027-01-01T00:00:00Z", { id: "d", operation: "lt", end: "2027-01-01" })).toBe(false);
    expect(holds("2027-01-01T00:00:00Z", { id: "d", operation: "gt", end: "2026-01-01" })).toBe(false);
  });

  it("date_spec: every field given holds, as a value or a range open at either end", () => {
    // Friday 1 January 2027, 12:30:45 UTC, day 1 of the year, ISO week 53 of 2026.
    const spec = (dateSpec: Record<string, string>) => holds("2027-01-01T12:30:45Z", { id: "d", operation: "date_spec", dateSpec: { id: "s", ...dateSpec } });
    expect(spec({ weekdays: "1-5", hours: "9-17" })).toBe(true);
    expect(spec({ weekdays: "6-7" })).toBe(false);
    expect(spec({ hours: "13-" })).toBe(false);
    expect(spec({ hours: "-12", minutes: "30", seconds: "40-50" })).toBe(true);
    expect(spec({ monthdays: "1", months: "1", years: "2027", yeardays: "-10" })).toBe(true);
    expect(spec({ weeks: "53", weekyears: "2026" })).toBe(true);
    expect(spec({ weekyears: "2027" })).toBe(false);
    expect(spec({ months: "2-12" })).toBe(false);
    expect(spec({})).toBe(true);
  });

  it("in a rule they combine with the rule's other parts; without a node, attribute expressions do not hold", () => {
    const rule = { id: "r", booleanOp: "and" as const, expressions: [{ id: "e", attribute: "#uname", operation: "eq", value: "a" }], rules: [], dateExpressions: [{ id: "d", operation: "gt", start: "2027-01-01" }] };
    expect(ruleHolds(rule, { now: at("2027-06-01T00:00:00Z"), node: { "#uname": "a" } })).toBe(true);
    expect(ruleHolds(rule, { now: at("2026-06-01T00:00:00Z"), node: { "#uname": "a" } })).toBe(false);
    expect(ruleHolds(rule, { now: at("2027-06-01T00:00:00Z") })).toBe(false);
    expect(ruleHolds({ ...rule, booleanOp: "or" }, { now: at("2027-06-01T00:00:00Z") })).toBe(true);
  });

  it("op_expression matches an operation by name and interval; rsc_expression needs the same provider", () => {
    const rule = { id: "r", booleanOp: "and" as const, expressions: [], rules: [], operationExpressions: [{ id: "o", name: "monitor", interval: "10s" }] };
    expect(ruleHolds(rule, { now: 0, operation: { name: "monitor", intervalMs: 10_000 } })).toBe(true);
    expect(ruleHolds(rule, { now: 0, operation: { name: "monitor", intervalMs: 20_000 } })).toBe(false);
    expect(ruleHolds(rule, { now: 0 })).toBe(false);
    const byClass = { id: "r", booleanOp: "and" as const, expressions: [], rules: [], resourceExpressions: [{ id: "x", class: "ocf", type: "Dummy" }] };
    expect(ruleHolds(byClass, { now: 0, resource: { class: "ocf", provider: "pacemaker", type: "Dummy" } })).toBe(false);
    expect(ruleHolds(byClass, { now: 0, resource: { class: "ocf", type: "Dummy" } })).toBe(true);
  });
});

const cib = (configuration: { nodes?: string; resources: string; constraints?: string; properties?: string }) => `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="1"><configuration>
  <crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set>${configuration.properties ?? ""}</crm_config>
  <nodes>${configuration.nodes ?? `<node id="1" uname="a"/><node id="2" uname="b"/>`}</nodes>
  <resources>${configuration.resources}</resources>
  <constraints>${configuration.constraints ?? ""}</constraints>
  </configuration><status><node_state id="1" uname="a" in_ccm="true" crmd="online" join="member" expected="member"/><node_state id="2" uname="b" in_ccm="true" crmd="online" join="member" expected="member"/></status></cib>`;
const starts = (xml: string, now: string) => schedule(importCibXml(xml, "date.xml").cib, { now: at(now) }).actions.filter((action) => action.action === "start").map((action) => `${action.resource}@${action.node}`).sort();

describe("date rules in the configuration", () => {
  it("a location rule holds only while its date range does", () => {
    const xml = cib({
      resources: `<primitive id="web" class="ocf" provider="heartbeat" type="Dummy"/>`,
      constraints: `<rsc_location id="l" rsc="web"><rule id="r" score="100"><expression id="e" attribute="#uname" operation="eq" value="b"/>
        <date_expression id="d" operation="in_range" start="2026-12-01"><duration id="p" months="1"/></date_expression></rule></rsc_location>`,
    });
    expect(starts(xml, "2026-12-06T12:00:00Z")).toEqual(["web@b"]);
    expect(starts(xml, "2027-01-05T12:00:00Z")).toEqual(["web@a"]);
  });

  it("node attribute sets: the set whose rule holds gives the attribute a location rule reads", () => {
    const xml = cib({
      nodes: `<node id="1" uname="a"><instance_attributes id="a1"><nvpair id="a1n" name="tier" value="gold"/></instance_attributes></node>
        <node id="2" uname="b"><instance_attributes id="b1"><rule id="br1" score="0"><date_expression id="bd1" operation="lt" end="2027-01-01"/></rule><nvpair id="b1n" name="tier" value="bronze"/></instance_attributes>
        <instance_attributes id="b2"><rule id="br2" score="0"><date_expression id="bd2" operation="gt" start="2027-01-01"/></rule><nvpair id="b2n" name="tier" value="platinum"/></instance_attributes></node>`,
      resources: `<primitive id="db" class="ocf" provider="heartbeat" type="Dummy"/>`,
      constraints: `<rsc_location id="l" rsc="db"><rule id="r" score="100"><expression id="e" attribute="tier" operation="eq" value="platinum"/></rule></rsc_location>`,
    });
    expect(starts(xml, "2026-06-01T00:00:00Z")).toEqual(["db@a"]);
    expect(starts(xml, "2027-06-01T00:00:00Z")).toEqual(["db@b"]);
  });

  it("meta attribute sets: a weekend set with a higher score stops the resource on Saturdays only", () => {
    const xml = cib({
      resources: `<primitive id="batch" class="ocf" provider="heartbeat" type="Dummy">
        <meta_attributes id="weekday"><nvpair id="w1" name="target-role" value="Started"/></meta_attributes>
        <meta_attributes id="weekend" score="10"><rule id="wr" score="0"><date_expression id="wd" operation="date_spec"><date_spec id="ws" weekdays="6-7"/></date_expression></rule><nvpair id="w2" name="target-role" value="Stopped"/></meta_attributes>
      </primitive>`,
    });
    expect(starts(xml, "2027-01-02T10:00:00Z")).toEqual([]);
    expect(starts(xml, "2027-01-04T10:00:00Z")).toEqual(["batch@a"]);
  });

  it("cluster property sets: a set whose rule does not hold is left out", () => {
    const xml = cib({
      properties: `<cluster_property_set id="night"><rule id="nr" score="0"><date_expression id="nd" operation="date_spec"><date_spec id="ns" hours="0-5"/></date_expression></rule><nvpair id="n1" name="stop-all-resources" value="true"/></cluster_property_set>`,
      resources: `<primitive id="web" class="ocf" provider="heartbeat" type="Dummy"/>`,
    });
    expect(starts(xml, "2027-01-04T03:00:00Z")).toEqual([]);
    expect(starts(xml, "2027-01-04T10:00:00Z")).toEqual(["web@a"]);
  });

  it("rsc_defaults: a set with a date rule applies only while it holds", () => {
    const xml = cib({ resources: `<primitive id="web" class="ocf" provider="heartbeat" type="Dummy"/>` }).replace("</configuration>",
      `<rsc_defaults><meta_attributes id="freeze"><rule id="fr" score="0"><date_expression id="fd" operation="in_range" start="2027-01-01" end="2027-01-31"/></rule><nvpair id="f1" name="target-role" value="Stopped"/></meta_attributes></rsc_defaults></configuration>`);
    expect(starts(xml, "2027-01-15T00:00:00Z")).toEqual([]);
    expect(starts(xml, "2027-02-15T00:00:00Z")).toEqual(["web@a"]);
  });

  it("date expressions, durations, date specs and op expressions survive export and import", () => {
    const xml = cib({
      resources: `<primitive id="web" class="ocf" provider="heartbeat" type="Dummy"/>`,
      constraints: `<rsc_location id="l" rsc="web"><rule id="r" score="100" boolean-op="or"><date_expression id="d1" start="2026-12-01"><duration id="p" months="1" hours="2"/></date_expression>
        <date_expression id="d2" operation="date_spec"><date_spec id="s" weekdays="1-5" hours="9-17"/></date_expression></rule></rsc_location>`,
    }).replace("</configuration>", `<op_defaults><meta_attributes id="od"><rule id="or" score="0"><op_expression id="oe" name="monitor" interval="10s"/></rule><nvpair id="od1" name="timeout" value="30s"/></meta_attributes></op_defaults></configuration>`);
    const { cib: imported, warnings } = importCibXml(xml, "date.xml");
    expect(warnings).toEqual([]);
    expect(importCibXml(exportCibXml(imported), "again.xml").cib).toEqual(imported);
    const constraint = imported.constraints[0]!;
    expect(constraint.kind === "location" && constraint.rules[0]!.dateExpressions).toEqual([
      { id: "d1", start: "2026-12-01", duration: { id: "p", months: "1", hours: "2" } },
      { id: "d2", operation: "date_spec", dateSpec: { id: "s", weekdays: "1-5", hours: "9-17" } },
    ]);
    expect(imported.opDefaults[0]!.rule!.operationExpressions).toEqual([{ id: "oe", name: "monitor", interval: "10s" }]);
  });

  it("a date that does not parse, or an unknown operation, is refused with the element's place", () => {
    const bad = (expression: string) => () => importCibXml(cib({ resources: `<primitive id="web" class="ocf" provider="heartbeat" type="Dummy"/>`, constraints: `<rsc_location id="l" rsc="web"><rule id="r" score="1">\n${expression}</rule></rsc_location>` }), "bad.xml");
    expect(bad(`<date_expression id="d" start="2027-02-30"/>`)).toThrow(/bad\.xml:\d+: <date_expression id="d"> start="2027-02-30" is not an ISO 8601 date/);
    expect(bad(`<date_expression id="d" operation="between" start="2027-01-01"/>`)).toThrow(/bad\.xml:\d+: <date_expression id="d"> has operation "between"/);
  });
});

describe("op_defaults with rules", () => {
  it("a set with an op_expression gives its values to that operation only, the sets taken by score", () => {
    const xml = cib({ resources: `<primitive id="web" class="ocf" provider="heartbeat" type="Dummy"/>` }).replace("</configuration>", `<op_defaults>
      <meta_attributes id="all"><nvpair id="a1" name="timeout" value="20s"/></meta_attributes>
      <meta_attributes id="slow-monitor" score="10"><rule id="m" score="0"><op_expression id="me" name="monitor" interval="10s"/></rule><nvpair id="m1" name="timeout" value="60s"/></meta_attributes>
      <meta_attributes id="dummies" score="5"><rule id="d" score="0"><rsc_expression id="de" class="ocf" provider="heartbeat" type="Dummy"/><op_expression id="dso" name="stop"/></rule><nvpair id="d1" name="timeout" value="90s"/></meta_attributes>
    </op_defaults></configuration>`);
    const { cib: imported } = importCibXml(xml, "op.xml");
    const web = imported.resources[0]!;
    if (web.kind !== "primitive") throw new Error("expected a primitive");
    const timeout = (name: string, intervalMs: number) => operationDefaults(imported, web, { name, intervalMs }, { now: 0 }).timeout;
    expect(timeout("monitor", 10_000)).toBe("60s");
    expect(timeout("monitor", 20_000)).toBe("20s");
    expect(timeout("start", 0)).toBe("20s");
    expect(timeout("stop", 0)).toBe("90s");
  });
});
