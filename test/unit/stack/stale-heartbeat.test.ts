// A heartbeat that arrives after a newer one from the same incarnation of its sender (reordered
// on the network, or the slower link's copy) is not taken by membership: what it says is out of
// date. Seen in the simulator (fence-race, 500 ms heartbeats): right after a heal formed the
// pair's view, a delayed heartbeat from before the peer counted us reachable split the view
// again, and the node fenced its peer.
import { describe, expect, it } from "vitest";
import { MembershipStack, type MembershipStackEffect } from "../../../src/stack";

function pair() {
  const authkey = Buffer.alloc(64, 5);
  const make = (id: number) => new MembershipStack({
    clusterName: "stale", authkey, localId: id, nodes: [{ id: 1, links: 1 }, { id: 2, links: 1 }], localLinks: 1, incarnation: 1,
    heartbeatMs: 100, tokenMs: 300,
    quorum: { nodeIds: [1, 2], expectedVotes: 0, twoNode: true, waitForAll: false, lastManStanding: false, lastManStandingWindowMs: 10_000, autoTieBreaker: false, autoTieBreakerNode: { kind: "lowest" }, arbiter: false },
    arbiterLinks: [], reportQuorum: false, saved: { ringId: 0 },
  }, 0);
  return { 1: make(1), 2: make(2) } as Record<number, MembershipStack>;
}

describe("a reordered heartbeat", () => {
  it("from before the peer heard us does not split the view formed since", () => {
    const stacks = pair();
    const queues: Record<number, Buffer[]> = { 1: [], 2: [] };
    const views: Array<{ node: number; atMs: number; members: number[] }> = [];
    let held: Buffer | undefined;
    const route = (from: number, nowMs: number, effects: MembershipStackEffect[]) => {
      for (const effect of effects) {
        if (effect.kind === "view") views.push({ node: from, atMs: nowMs, members: effect.view.members });
        if (effect.kind !== "transmit" || typeof effect.to !== "number") continue;
        // Node 2's very first heartbeat (it hears nobody yet: its reach is empty) is delayed.
        if (from === 2 && effect.frame === "heartbeat" && held === undefined) held = effect.bytes;
        else queues[effect.to]!.push(effect.bytes);
      }
    };
    const run = (fromMs: number, untilMs: number) => {
      for (let nowMs = fromMs; nowMs <= untilMs; nowMs++) {
        for (const id of [1, 2]) {
          for (const bytes of queues[id]!.splice(0)) route(id, nowMs, stacks[id]!.receive(0, bytes, nowMs));
          if (stacks[id]!.nextWakeMs(nowMs) <= nowMs) route(id, nowMs, stacks[id]!.tick(nowMs));
        }
      }
    };
    run(0, 2000);
    expect(held).toBeDefined();
    expect(stacks[1]!.view.members).toEqual([1, 2]);
    expect(stacks[2]!.view.members).toEqual([1, 2]);
    views.length = 0;
    route(1, 2001, stacks[1]!.receive(0, held!, 2001));
    run(2002, 4000);
    expect(views).toEqual([]);
    expect(stacks[1]!.view.members).toEqual([1, 2]);
    expect(stacks[1]!.staleHeartbeats).toBe(1);
  });
});
