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

// last_man_standing as a lowered count (the old rule): each node lowers its own expected votes
// after the window and only raises it to the size of a view, never learning who voted.
const loweredCount: QuorumRules = {
  step: (state, input) => {
    const lastManStanding = state.settings.lastManStanding;
    let next = stepQuorum({ ...state, settings: { ...state.settings, lastManStanding: false } }, input);
    next = { ...next, settings: state.settings };
    if (input.kind === "view") next = { ...next, expectedNodeVotes: Math.max(next.expectedNodeVotes, next.members.length) };
    if (input.kind === "tick" && lastManStanding && state.quorate && input.nowMs - state.viewSinceMs >= state.settings.lastManStandingWindowMs) {
      next = { ...next, expectedNodeVotes: Math.max(2, next.members.length) };
    }
    return { ...next, quorate: summarize(next).quorate };
  },
  summarize,
};

describe("simulator invariant checker", () => {
  it("catches last_man_standing kept as a lowered count", () => {
    const caught = [];
    // The old rule breaks when a view outlasts the window and then splits just so; calm
    // 5-node runs with a 1 s window get there within a few seeds. The search stops at the first.
    for (let seed = 1; seed <= 100 && caught.length === 0; seed++) {
      const drawn = scenarioFor(seed, 5);
      const scenario = { ...drawn, faultEveryMs: 1200, quorum: { ...drawn.quorum, lastManStanding: true, lastManStandingWindowMs: 1000 } };
      const result = new World(scenario, loweredCount).run();
      if (result.violation) caught.push(result.violation.message);
    }
    expect(caught[0]).toMatch(/disjoint partitions both quorate/);
  });

  it("the voter-set last_man_standing keeps every invariant in the same calm runs", () => {
    const failures: string[] = [];
    for (let seed = 1; seed <= 20; seed++) {
      const drawn = scenarioFor(seed, 5);
      const scenario = { ...drawn, faultEveryMs: 1200, quorum: { ...drawn.quorum, lastManStanding: true, lastManStandingWindowMs: 1000 } };
      const result = new World(scenario).run();
      if (result.violation) failures.push(`seed ${seed}: ${result.violation.message}`);
    }
    expect(failures).toEqual([]);
  });

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
