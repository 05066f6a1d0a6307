// The simulator's membership and quorum layers on their own (no controller): the quorum
// rules it is handed decide, and its checks catch broken ones; large clusters converge.
import { describe, expect, it } from "vitest";
import { runScenario, runSeed, scenarioFor, type Scenario } from "../../../src/sim";
import { stepQuorum, summarize, type QuorumState } from "../../../src/quorum";
import type { QuorumRules } from "../../../src/stack";

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

/**
 * Calm five-node runs of membership and quorum only, with last_man_standing on a 1 s window and
 * 300 ms heartbeats (600 ms token): the timing these runs were drawn for. With the agent's slower
 * default (500 ms) no view of the first 100 seeds outlasts the window and then splits just so.
 */
function calmLastManStanding(seed: number): Scenario {
  const drawn = scenarioFor(seed, 5);
  return { ...drawn, cluster: false, heartbeatMs: 300, tokenMs: 600, faultEveryMs: 1200, quorum: { ...drawn.quorum, lastManStanding: true, lastManStandingWindowMs: 1000 } };
}

describe("simulator, membership and quorum", () => {
  it("catches last_man_standing kept as a lowered count", () => {
    const caught: string[] = [];
    // The old rule breaks when a view outlasts the window and then splits just so; the search stops at the first.
    // Since heartbeats reordered behind newer ones no longer split views (stale-heartbeat.test.ts),
    // seeds 1-300 split no view just so; 305 is the first that does (a sweep of 1-600).
    for (let seed = 301; seed <= 400 && caught.length === 0; seed++) {
      const result = runScenario(calmLastManStanding(seed), { quorumRules: loweredCount });
      if (result.violation) caught.push(`${result.violation.invariant}: ${result.violation.message}`);
    }
    expect(caught[0]).toMatch(/^quorate-partitions-overlap: disjoint partitions both quorate/);
  }, 300_000); // up to 100 calm runs: about 18 s alone, over 60 s on the shared machine under load

  it("the voter-set last_man_standing keeps every invariant in the same calm runs", () => {
    const failures: string[] = [];
    for (let seed = 1; seed <= 20; seed++) {
      const result = runScenario(calmLastManStanding(seed));
      if (result.violation) failures.push(`seed ${seed}: ${result.violation.message}`);
    }
    expect(failures).toEqual([]);
  }, 300_000);

  it("catches a quorum rule that lets two halves of a split both keep quorum", () => {
    const caught: string[] = [];
    for (let seed = 1; seed <= 40 && caught.length === 0; seed++) {
      const result = runSeed(seed, { nodes: 4, quorumRules: halfIsEnough, scenario: (scenario) => ({ ...scenario, cluster: false }) });
      if (result.violation) caught.push(`${result.violation.invariant}: ${result.violation.message}`);
    }
    expect(caught[0]).toMatch(/^quorate-partitions-overlap: disjoint partitions both quorate/);
  });

  it("16-node clusters converge after partitions, crashes and loss", () => {
    for (const seed of [1001, 1002]) {
      const result = runSeed(seed, { nodes: 16 });
      expect(result.violation, result.replay).toBeUndefined();
      expect(result.convergedAfterMs).toBeDefined();
      expect(result.steps).toBeGreaterThan(10_000);
    }
  }, 300_000);
});
