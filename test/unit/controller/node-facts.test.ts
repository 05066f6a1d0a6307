// Node facts (load, free memory: src/node/facts.ts) change every minute on every node. The DC
// plans again for a change only when a rule of the configuration reads the fact that changed:
// otherwise the plan gives the same graph and only costs a scheduler run and a flight-recorder
// input twice a minute on an idle pair.
import { describe, expect, it } from "vitest";
import type { Cib } from "../../../src/cib";
import { ControllerWorld } from "./harness";
import { clusterCib } from "./fixtures";

function pairCib(): Cib {
  return clusterCib(["n1", "n2"], { fencing: false, resources: ["vip"] });
}

/** vip prefers the node with more free memory (a rule that reads ram_free_mb as the score). */
function memoryRuleCib(): Cib {
  const cib = pairCib();
  cib.constraints = [{
    kind: "location", id: "prefer-free-memory", rsc: "vip", extra: {},
    rules: [{ id: "prefer-free-memory-rule", scoreAttribute: "ram_free_mb", booleanOp: "and", expressions: [{ id: "has-memory", attribute: "ram_free_mb", operation: "defined" }], rules: [] }],
  }];
  return cib;
}

/** The transitions the DC planned after the pair settled, while n2's attributes change six times. */
function plansWhileChanging(cib: Cib, attributes: (step: number) => Record<string, string>): number {
  const world = new ControllerWorld(["n1", "n2"], cib);
  world.view(1, ["n1", "n2"]);
  world.run(2000);
  const dc = world.node(world.node("n1").controller.dcName!);
  const settled = dc.controller.summary!.transitions!.at(-1)!.id;
  for (let step = 1; step <= 6; step++) {
    const node = world.node("n2");
    node.attributes = attributes(step);
    world.feed(node, { kind: "local-report", nowMs: world.nowMs, report: world.report(node) });
    world.run(500);
  }
  return dc.controller.summary!.transitions!.at(-1)!.id - settled;
}

describe("node facts and planning", () => {
  it("a change of load or free memory that no rule reads plans nothing", () => {
    expect(plansWhileChanging(pairCib(), (step) => ({ cpu_load: `0.${step}`, ram_free_mb: String(900 + step) }))).toBe(0);
  });

  it("a change of a fact a rule reads is planned again", () => {
    expect(plansWhileChanging(memoryRuleCib(), (step) => ({ cpu_load: `0.${step}`, ram_free_mb: String(900 + step) }))).toBeGreaterThan(0);
  });

  it("a change of an attribute that is not a node fact is planned again", () => {
    expect(plansWhileChanging(pairCib(), (step) => ({ pingd: String(step * 100) }))).toBeGreaterThan(0);
  });
});
