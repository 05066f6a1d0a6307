import { describe, expect, it } from "vitest";
import { initialQuorum, stepQuorum, summarize, type QuorumSettings, type QuorumState } from "../../../src/quorum";

const base = (nodeIds: number[], extra: Partial<QuorumSettings> = {}): QuorumSettings => ({
  nodeIds, expectedVotes: 0, twoNode: false, waitForAll: false, lastManStanding: false, lastManStandingWindowMs: 10_000,
  autoTieBreaker: false, autoTieBreakerNode: { kind: "lowest" }, arbiter: false, ...extra,
});
const view = (state: QuorumState, members: number[], nowMs = 0) => stepQuorum(state, { kind: "view", members, nowMs });

describe("votequorum", () => {
  it("a majority of expected votes is quorate, half is not", () => {
    const start = initialQuorum(base([1, 2, 3, 4]));
    expect(view(start, [1, 2, 3]).quorate).toBe(true);
    expect(view(start, [1, 2]).quorate).toBe(false);
    expect(summarize(view(start, [1, 2])).quorum).toBe(3);
  });

  it("two_node keeps one node quorate, but wait_for_all holds it until both were seen", () => {
    const start = initialQuorum(base([1, 2], { twoNode: true, waitForAll: true }));
    expect(view(start, [1]).quorate).toBe(false);
    expect(summarize(view(start, [1])).flags).toContain("WaitForAll(waiting)");
    const both = view(start, [1, 2]);
    expect(both.quorate).toBe(true);
    expect(view(both, [1]).quorate).toBe(true);
    expect(summarize(view(both, [1])).flags).toContain("2Node");
  });

  it("auto_tie_breaker gives an even split to the side with the lowest node id", () => {
    const start = view(initialQuorum(base([1, 2, 3, 4], { autoTieBreaker: true })), [1, 2, 3, 4]);
    expect(view(start, [1, 4]).quorate).toBe(true);
    expect(view(start, [2, 3]).quorate).toBe(false);
    const highest = view(initialQuorum(base([1, 2, 3, 4], { autoTieBreaker: true, autoTieBreakerNode: { kind: "highest" } })), [1, 2, 3, 4]);
    expect(view(highest, [2, 3]).quorate).toBe(false);
    expect(view(highest, [1, 4]).quorate).toBe(true);
  });

  it("with an arbiter a lone node is quorate only with the vote; a full pair never needs it", () => {
    let state = view(initialQuorum(base([1, 2], { twoNode: true, arbiter: true })), [1, 2]);
    expect(state.quorate).toBe(true);
    expect(summarize(state)).toMatchObject({ votes: 2, expected: 3, quorum: 2 });
    state = view(state, [1]);
    expect(state.quorate).toBe(false);
    state = stepQuorum(state, { kind: "arbiter", granted: true });
    expect(state.quorate).toBe(true);
  });
});
