import { describe, expect, it } from "vitest";
import { sameActions } from "../../conformance/scheduler-compare";
import { CASES } from "./instance-assignment.cases";
import { scheduleSmall } from "./small-cib";

// Which instance number of a clone goes to which node when the clone is placed again
// (Pacemaker 2.1.5's instance order and its "keep the current node" pass), each on a small CIB
// of our own (instance-assignment.cases.ts) checked against crm_simulate 2.1.5.
function check(name: keyof typeof CASES): void {
  const { spec, expected } = CASES[name]!;
  const actual = scheduleSmall(spec);
  expect(sameActions(actual, expected), `${name}: got ${JSON.stringify(actual)}`).toBe(true);
}

describe("promotion scores in the order instances are placed", () => {
  // ledger:0's score on birch counts (the probe there tells about the resource, whatever number it
  // was given), so ledger:0 is placed there first and promoted; a new copy starts on alder.
  it("count for an anonymous instance where another instance was probed", () => check("probed-elsewhere"));
});

describe("the order instances are placed in", () => {
  // Pacemaker places an instance active on a node its scores now rule out after the others.
  it("puts an instance running on a banned node last", () => check("banned-instance-last"));
});

describe("the first round, where active instances keep their nodes", () => {
  it("leaves a cloned group copy where its members chose to go, uncounted (Pacemaker 2.1.5)", () => check("cloned-group-first-round"));
});

describe("promotion scores of a cloned group", () => {
  it("rank its copies but do not move their members", () => check("cloned-group-promotion-scores"));
});
