import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { arbiterRequest, initialArbiter, type ArbiterPreference, type ArbiterState } from "../../../src/quorum";

const settings = (preference: ArbiterPreference = "priority-then-lowest") => ({ leaseMs: 1000, holdMs: 200, preference });
function ask(state: ArbiterState, nodeId: number, members: number[], nowMs: number, priority = 0) {
  return arbiterRequest(state, { nodeId, members, ringId: 1, priority }, nowMs);
}

describe("arbiter", () => {
  it("after a split gives the vote to the side with the higher priority", () => {
    let state = initialArbiter(settings());
    ({ state } = ask(state, 1, [1], 0, 10));
    ({ state } = ask(state, 2, [2], 50, 50));
    // The hold has passed when the lower-priority side asks again: it is refused, the other side wins.
    const one = ask(state, 1, [1], 250, 10);
    expect(one.reply.granted).toBe(false);
    expect(ask(one.state, 2, [2], 260, 50).reply.granted).toBe(true);
    // Both asked within the hold; at its end the higher priority wins.
    state = initialArbiter(settings());
    ({ state } = ask(state, 1, [1], 0, 10));
    ({ state } = ask(state, 2, [2], 50, 50));
    const decided = ask(state, 2, [2], 210, 50);
    expect(decided.reply.granted).toBe(true);
    expect(ask(decided.state, 1, [1], 220, 10).reply.granted).toBe(false);
  });

  it("with equal priority the side with the lowest node id wins, or the highest if configured", () => {
    for (const [preference, winner] of [["priority-then-lowest", 1], ["highest", 2]] as const) {
      let state = initialArbiter(settings(preference));
      ({ state } = ask(state, 1, [1], 0));
      ({ state } = ask(state, 2, [2], 10));
      const at = ask(state, winner, [winner], 300);
      expect(at.reply.granted).toBe(true);
    }
  });

  it("never holds two disjoint live grants, under any request order", () => {
    const request = fc.record({ side: fc.constantFrom<number[]>([1], [2], [1, 2]), gapMs: fc.integer({ min: 0, max: 700 }), priority: fc.integer({ min: 0, max: 3 }) });
    fc.assert(fc.property(fc.array(request, { maxLength: 80 }), (requests) => {
      let state = initialArbiter(settings());
      let nowMs = 0;
      const leases = new Map<string, number>();
      for (const { side, gapMs, priority } of requests) {
        nowMs += gapMs;
        const result = ask(state, side[0]!, side, nowMs, priority);
        state = result.state;
        if (result.reply.granted) leases.set(side.join(","), nowMs + result.reply.leaseMs);
        const live = [...leases].filter(([, until]) => until > nowMs).map(([key]) => key);
        expect(live.length).toBeLessThanOrEqual(1);
      }
    }), { numRuns: 300 });
  });
});
