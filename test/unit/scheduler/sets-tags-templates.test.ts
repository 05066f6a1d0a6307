// Resource sets, tags and templates, as Pacemaker reads them: each shown on a small cluster.
import { describe, expect, it } from "vitest";
import { importCibXml } from "../../../src/cib";
import { schedule, type GraphOperation } from "../../../src/scheduler";

const dummy = (id: string) => `<primitive id="${id}" class="ocf" provider="heartbeat" type="Dummy"/>`;
function run(resources: string, constraints: string, extra = "") {
  const xml = `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="1"><configuration><crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
    <nodes><node id="1" uname="a"/><node id="2" uname="b"/></nodes><resources>${resources}</resources><constraints>${constraints}</constraints>${extra}</configuration>
    <status><node_state id="1" uname="a" in_ccm="true" crmd="online" join="member" expected="member"/><node_state id="2" uname="b" in_ccm="true" crmd="online" join="member" expected="member"/></status></cib>`;
  return schedule(importCibXml(xml, "sets").cib, { now: 0 });
}
const where = (graph: ReturnType<typeof run>) => Object.fromEntries(graph.actions.filter((action) => action.action === "start").map((action) => [action.resource, action.node]));
const before = (operations: GraphOperation[], first: string, then: string) => {
  const target = operations.find((operation) => operation.resource === then && operation.kind === "start")!;
  const source = operations.find((operation) => operation.resource === first && operation.kind === "start")!;
  const stack = [...target.after];
  const seen = new Set<number>();
  while (stack.length > 0) { const id = stack.pop()!; if (id === source.id) return true; if (!seen.has(id)) { seen.add(id); stack.push(...operations[id]!.after); } }
  return false;
};

describe("templates", () => {
  it("a primitive written with template= is the template's definition, its own values first", () => {
    const cib = importCibXml(`<cib admin_epoch="0" epoch="1" num_updates="0"><configuration><crm_config/><nodes/><resources>
      <template id="t" class="ocf" provider="heartbeat" type="Dummy"><instance_attributes id="t-i"><nvpair id="t-i1" name="state" value="template"/><nvpair id="t-i2" name="fake" value="1"/></instance_attributes>
        <operations><op id="t-m" name="monitor" interval="10s"/><op id="t-s" name="start" interval="0" timeout="30s"/></operations></template>
      <primitive id="r" template="t"><instance_attributes id="r-i"><nvpair id="r-i1" name="state" value="own"/></instance_attributes><operations><op id="r-s" name="start" interval="0" timeout="90s"/></operations></primitive>
      </resources><constraints/></configuration><status/></cib>`, "t.xml").cib;
    const primitive = cib.resources[0]!;
    expect(primitive).toMatchObject({ kind: "primitive", id: "r", class: "ocf", provider: "heartbeat", type: "Dummy", template: "t" });
    if (primitive.kind !== "primitive") throw new Error("not a primitive");
    expect(primitive.instance.map((set) => set.values)).toEqual([{ state: "own" }, { state: "template", fake: "1" }]);
    expect(primitive.operations.map((op) => `${op.name} ${op.interval ?? ""} ${op.timeout ?? ""}`)).toEqual(["start 0 90s", "monitor 10s "]);
  });

  it("a primitive naming a template that does not exist is an error that names both", () => {
    expect(() => importCibXml(`<cib admin_epoch="0" epoch="1" num_updates="0"><configuration><crm_config/><nodes/><resources><primitive id="r" template="gone"/></resources><constraints/></configuration></cib>`, "t.xml")).toThrow(/<primitive id="r" template="gone"> refers to no <template id="gone">/);
  });

  it("a constraint naming a template applies to every primitive made from it", () => {
    const graph = run(`<template id="t" class="ocf" provider="heartbeat" type="Dummy"/><primitive id="r1" template="t"/><primitive id="r2" template="t"/>${dummy("x")}`, `<rsc_location id="l" rsc="t" node="a" score="-INFINITY"/>`);
    expect(where(graph)).toMatchObject({ r1: "b", r2: "b" });
  });
});

describe("tags", () => {
  it("a location naming a tag applies to each tagged resource", () => {
    const graph = run(dummy("r1") + dummy("r2") + dummy("r3"), `<rsc_location id="l" rsc="web" node="b" score="-INFINITY"/>`, `<tags><tag id="web"><obj_ref id="r1"/><obj_ref id="r2"/></tag></tags>`);
    expect(where(graph)).toMatchObject({ r1: "a", r2: "a" });
  });

  it("a colocation between two tags (or templates) is ignored, as Pacemaker ignores it; a tag with a resource applies", () => {
    const tags = `<tags><tag id="left"><obj_ref id="r1"/><obj_ref id="r2"/></tag><tag id="right"><obj_ref id="r3"/><obj_ref id="r4"/></tag></tags>`;
    const resources = dummy("r1") + dummy("r2") + dummy("r3") + dummy("r4");
    // Unconstrained, the four spread over both nodes.
    expect(where(run(resources, `<rsc_colocation id="c" rsc="left" with-rsc="right" score="INFINITY"/>`, tags))).toEqual(where(run(resources, "", tags)));
    expect(new Set(Object.values(where(run(resources, "", tags))))).toEqual(new Set(["a", "b"]));
    const withOne = where(run(resources, `<rsc_colocation id="c" rsc="left" with-rsc="r3" score="INFINITY"/>`, tags));
    expect([withOne.r1, withOne.r2]).toEqual([withOne.r3, withOne.r3]);
  });

  it("an order naming a tag orders every tagged resource, without ordering them among themselves", () => {
    const graph = run(dummy("db") + dummy("r1") + dummy("r2"), `<rsc_order id="o" first="db" then="web"/>`, `<tags><tag id="web"><obj_ref id="r1"/><obj_ref id="r2"/></tag></tags>`);
    expect(before(graph.operations, "db", "r1")).toBe(true);
    expect(before(graph.operations, "db", "r2")).toBe(true);
    expect(before(graph.operations, "r1", "r2")).toBe(false);
  });
});

describe("resource sets", () => {
  it("a sequential order set orders each resource after the one before it", () => {
    const graph = run(dummy("A") + dummy("B") + dummy("C"), `<rsc_order id="o"><resource_set id="s"><resource_ref id="A"/><resource_ref id="B"/><resource_ref id="C"/></resource_set></rsc_order>`);
    expect(before(graph.operations, "A", "B")).toBe(true);
    expect(before(graph.operations, "B", "C")).toBe(true);
    expect(before(graph.operations, "C", "A")).toBe(false);
  });

  it("two non-sequential order sets: every resource of the second after every one of the first, none within a set", () => {
    const graph = run(dummy("A") + dummy("B") + dummy("C") + dummy("D"), `<rsc_order id="o"><resource_set id="s1" sequential="false"><resource_ref id="A"/><resource_ref id="B"/></resource_set><resource_set id="s2" sequential="false"><resource_ref id="C"/><resource_ref id="D"/></resource_set></rsc_order>`);
    for (const first of ["A", "B"]) for (const then of ["C", "D"]) expect(before(graph.operations, first, then)).toBe(true);
    expect(before(graph.operations, "A", "B")).toBe(false);
  });

  it("a colocation set keeps its resources together (each with the one before it)", () => {
    const graph = run(dummy("A") + dummy("B") + dummy("C"), `<rsc_colocation id="c" score="INFINITY"><resource_set id="s"><resource_ref id="A"/><resource_ref id="B"/><resource_ref id="C"/></resource_set></rsc_colocation><rsc_location id="l" rsc="C" node="a" score="-INFINITY"/>`);
    expect(where(graph)).toEqual({ A: "b", B: "b", C: "b" });
  });

  it("a location with resource sets applies to every resource of the sets", () => {
    const graph = run(dummy("A") + dummy("B") + dummy("C"), `<rsc_location id="l" node="a" score="-INFINITY"><resource_set id="s"><resource_ref id="A"/><resource_ref id="B"/></resource_set></rsc_location>`);
    expect(where(graph)).toMatchObject({ A: "b", B: "b" });
  });

  it("require-all=false: the second set starts when any one of the first set can", () => {
    const sets = `<rsc_order id="o"><resource_set id="s1" sequential="false" require-all="false"><resource_ref id="A"/><resource_ref id="B"/></resource_set><resource_set id="s2"><resource_ref id="C"/></resource_set></rsc_order>`;
    const stopped = (id: string) => `<primitive id="${id}" class="ocf" provider="heartbeat" type="Dummy"><meta_attributes id="${id}-m"><nvpair id="${id}-m1" name="target-role" value="Stopped"/></meta_attributes></primitive>`;
    expect(run(stopped("A") + dummy("B") + dummy("C"), sets).actions.find((action) => action.resource === "C")).toMatchObject({ action: "start" });
    expect(run(stopped("A") + stopped("B") + dummy("C"), sets).actions.find((action) => action.resource === "C")).toMatchObject({ action: "start", blocked: true });
  });
});
