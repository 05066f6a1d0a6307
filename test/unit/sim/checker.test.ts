import { describe, expect, it } from "vitest";
import { runSeed, World, scenarioFor, type QuorumRules } from "../../../src/sim";
import { stepQuorum, summarize, type QuorumState } from "../../../src/quorum";

// A quorum rule with the classic off-by-one: half of the votes counts as a majority.
const halfIsEnough: QuorumRules = {
  step: (state, input) => {
    const next = stepQuorum(state, input);
    return { ...next, quorate: halfIsEnough.summarize(next).quorate };
  },
  summarize: (state: QuorumState) => {
    const real = summarize(state);
    return { ...real, quorate: real.votes * 2 >= real.expected };
  },
};

describe("simulator invariant checker", () => {
  it("catches a quorum rule that lets two halves of a split both keep quorum", () => {
    const caught = [];
    for (let seed = 1; seed <= 40 && caught.length === 0; seed++) {
      const result = runSeed(seed, 4, halfIsEnough);
      if (result.violation) caught.push(result.violation.message);
    }
    expect(caught[0]).toMatch(/disjoint partitions both quorate/);
  });

  it("replays a seed exactly", () => {
    const first = new World(scenarioFor(77, 3)).run();
    const second = new World(scenarioFor(77, 3)).run();
    expect(second).toEqual(first);
    expect(first.frames).toBeGreaterThan(100);
  });
});
