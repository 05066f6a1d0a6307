// A valid configuration whose orderings close a loop: two promotable clones kept apart in their
// Unpromoted role (each one's promote must come before the other's start on a node, and its start
// before its own promote), both to be promoted on the one node. crm_simulate (Pacemaker 2.1.5)
// lists both promotions, runs only the probes and ends "Transition failed: terminated / An invalid
// transition was produced": its controller leaves the loop unrun and stays up. The DC must too:
// the loop is held back with a warning, never an assertion that ends it.
import { describe, expect, it } from "vitest";
import { importCibXml } from "../../../src/cib";
import { schedule } from "../../../src/scheduler";
import { smallCibXml } from "./small-cib";

const promotable = (id: string) => `<clone id="${id}"><meta_attributes id="${id}-meta"><nvpair id="${id}-promotable" name="promotable" value="true"/>`
  + `<nvpair id="${id}-max" name="clone-max" value="1"/></meta_attributes><primitive id="${id}-child" class="ocf" provider="pacemaker" type="Stateful"/></clone>`;

const xml = (extra = "") => smallCibXml({
  nodes: ["alder"],
  resources: promotable("left") + promotable("right") + extra,
  constraints: `<rsc_colocation id="apart" rsc="right" with-rsc="left" score="-INFINITY" rsc-role="Unpromoted" with-rsc-role="Unpromoted"/>`,
  transient: { alder: { "master-left-child": "10", "master-right-child": "10" } },
});

describe("an ordering loop on a valid configuration", () => {
  it("holds the loop back with a warning instead of ending the DC, and runs the rest", () => {
    const extra = `<primitive id="lamp" class="ocf" provider="heartbeat" type="Dummy"/>`;
    const graph = schedule(importCibXml(xml(extra), "loop.xml").cib, { now: 1800000000 });
    // The summary is Pacemaker's: both promotions (and the unrelated start).
    expect(graph.actions.map((action) => `${action.action} ${action.resource}`).sort()).toEqual(["promote left-child:0", "promote right-child:0", "start lamp"]);
    // The graph holds neither clone's operations, keeps lamp's start, and says why.
    expect(graph.operations.map((operation) => `${operation.kind} ${operation.resource}`)).toEqual(["start lamp"]);
    expect(graph.warnings).toHaveLength(1);
    expect(graph.warnings![0]).toMatch(/^ordering loop .*promote left-child:0@alder.*held back/);
  });

  it("leaves a graph without a loop as it is, with no warning", () => {
    const graph = schedule(importCibXml(xml().replace(`score="-INFINITY"`, `score="-10"`), "no-loop.xml").cib, { now: 1800000000 });
    expect(graph.warnings).toBeUndefined();
    expect(graph.operations.filter((operation) => operation.kind === "promote")).toHaveLength(2);
  });
});
