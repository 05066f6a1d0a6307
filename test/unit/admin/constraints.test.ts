import { describe, expect, it } from "vitest";
import type { Cib } from "../../../src/cib";
import { applyEdit, constraintProblems, parseColocationAdd, parseLocationPrefers, parseOrderAdd } from "../../../src/admin";
import { dummy, edits, failure, twoNodeCib } from "./fixture";

const two = (): Cib => edits(twoNodeCib(), [dummy("vip"), dummy("web")]).cib;

describe("location", () => {
  it("prefers and avoids make one constraint per node, with pcs's ids", () => {
    const cib = edits(two(), [parseLocationPrefers(["vip", "prefers", "node1=100", "node2"]), parseLocationPrefers(["web", "avoids", "node1"])]).cib;
    expect(cib.constraints.map((constraint) => [constraint.id, (constraint as { score: string }).score])).toEqual([
      ["location-vip-node1-100", "100"], ["location-vip-node2-INFINITY", "INFINITY"], ["location-web-node1--INFINITY", "-INFINITY"],
    ]);
  });

  it("location add takes an id and a score, and rejects a score that is not one", () => {
    const cib = applyEdit(two(), { kind: "location-add", id: "loc1", rsc: "vip", node: "node1", score: "-inf" }).cib;
    expect(cib.constraints).toMatchObject([{ id: "loc1", score: "-INFINITY" }]);
    expect(failure(() => applyEdit(two(), { kind: "location-add", id: "loc1", rsc: "vip", node: "node1", score: "high" }))).toMatchObject({ code: "E_ADMIN_ARGUMENT" });
  });

  it("warns about a location on a node that is not in the CIB, with the reason", () => {
    const result = applyEdit(two(), { kind: "location-add", id: "loc1", rsc: "vip", node: "node3", score: "100" });
    expect(result.warnings.join("\n")).toContain("names node 'node3', which is not in the CIB");
    expect(result.warnings.join("\n")).toContain("no effect until a node of that name joins");
  });

  it("an unknown resource names its near matches", () => {
    expect(failure(() => applyEdit(two(), parseLocationPrefers(["vipp", "prefers", "node1"])))).toMatchObject({ code: "E_ADMIN_UNKNOWN_RESOURCE", message: expect.stringContaining("'vip'") });
  });
});

describe("colocation and order", () => {
  it("parses roles and scores in pcs's word order", () => {
    expect(parseColocationAdd(["Promoted", "db", "with", "started", "vip", "500", "id=c1"])).toEqual({
      kind: "colocation-add", rsc: "db", rscRole: "Promoted", withRsc: "vip", withRscRole: "Started", score: "500", id: "c1",
    });
    expect(parseOrderAdd(["start", "vip", "then", "web", "kind=Optional"])).toEqual({ kind: "order-add", first: "vip", firstAction: "start", then: "web", orderKind: "Optional" });
    expect(failure(() => parseColocationAdd(["web", "vip"]))).toMatchObject({ code: "E_ADMIN_ARGUMENT" });
  });

  it("adds a colocation (INFINITY by default) and an order", () => {
    const cib = edits(two(), [parseColocationAdd(["web", "with", "vip"]), parseOrderAdd(["vip", "then", "web"])]).cib;
    expect(cib.constraints).toMatchObject([
      { kind: "colocation", id: "colocation-web-vip-INFINITY", rsc: "web", withRsc: "vip", score: "INFINITY" },
      { kind: "order", id: "order-vip-web-mandatory", first: "vip", then: "web" },
    ]);
  });

  it("warns when a mandatory colocation follows a resource that is banned everywhere", () => {
    const banned = edits(two(), [{ kind: "resource-ban", id: "vip", node: "node1" }, { kind: "resource-ban", id: "vip", node: "node2" }]).cib;
    const result = applyEdit(banned, parseColocationAdd(["web", "with", "vip"]));
    expect(result.warnings).toEqual([expect.stringMatching(/'web' must run with 'vip', but 'vip' can run on no node .*so 'web' can never run/)]);
    expect(applyEdit(banned, parseColocationAdd(["web", "with", "vip", "100"])).warnings).toEqual([]);
  });

  it("warns when a mandatory colocation joins resources that share no node", () => {
    const cib = edits(two(), [{ kind: "resource-ban", id: "vip", node: "node1" }, { kind: "resource-ban", id: "web", node: "node2" }]).cib;
    expect(applyEdit(cib, parseColocationAdd(["web", "with", "vip"])).warnings).toEqual([expect.stringContaining("no node allows both")]);
  });

  it("follows chains of mandatory colocations: A with B with C, C banned everywhere", () => {
    const chain = edits(two(), [dummy("db"), { kind: "resource-ban", id: "db", node: "node1" }, { kind: "resource-ban", id: "db", node: "node2" }, parseColocationAdd(["vip", "with", "db"])]).cib;
    expect(applyEdit(chain, parseColocationAdd(["web", "with", "vip"])).warnings).toEqual([expect.stringContaining("'vip' can never run itself (its own mandatory colocations leave it no node), so 'web' can never run")]);
    const split = edits(two(), [dummy("db"), { kind: "resource-ban", id: "db", node: "node1" }, parseColocationAdd(["vip", "with", "db"]), { kind: "resource-ban", id: "web", node: "node2" }]).cib;
    expect(applyEdit(split, parseColocationAdd(["web", "with", "vip"])).warnings).toEqual([expect.stringContaining("no node allows both ('web' may run on node1; 'vip' on node2)")]);
  });

  it("rejects a bad action, kind or role with the near word", () => {
    expect(failure(() => applyEdit(two(), parseOrderAdd(["strat", "vip", "then", "web"])))).toMatchObject({ message: expect.stringContaining("did you mean 'start'") });
    expect(failure(() => applyEdit(two(), parseOrderAdd(["vip", "then", "web", "kind=Mandatroy"])))).toMatchObject({ message: expect.stringContaining("'Mandatory'") });
    expect(failure(() => applyEdit(two(), parseColocationAdd(["web", "with", "web"])))).toMatchObject({ code: "E_ADMIN_ARGUMENT" });
  });
});

describe("constraint remove and problems", () => {
  it("removes by id, names near ids for an unknown one, and checks the kind", () => {
    const cib = edits(two(), [parseColocationAdd(["web", "with", "vip"])]).cib;
    expect(applyEdit(cib, { kind: "constraint-remove", ids: ["colocation-web-vip-INFINITY"] }).cib.constraints).toEqual([]);
    expect(failure(() => applyEdit(cib, { kind: "constraint-remove", ids: ["colocation-web-vip-INFINTY"] }))).toMatchObject({ code: "E_ADMIN_UNKNOWN_CONSTRAINT", message: expect.stringContaining("did you mean") });
    expect(failure(() => applyEdit(cib, { kind: "constraint-remove", ids: ["colocation-web-vip-INFINITY"], constraintKind: "order" }))).toMatchObject({ message: expect.stringContaining("not a order") });
  });

  it("an opt-in cluster without a location allowing a resource is a problem with its reason", () => {
    const cib = edits(two(), [{ kind: "property-set", values: { "symmetric-cluster": "false" }, force: false }]);
    expect(cib.warnings.join("\n")).toContain("symmetric-cluster is false and no location constraint allows it");
    const allowed = applyEdit(cib.cib, parseLocationPrefers(["vip", "prefers", "node1"]));
    expect(constraintProblems(allowed.cib).filter((problem) => problem.includes("'vip'"))).toEqual([]);
  });
});
