// The node's membership stack without I/O: two stacks wired back to back through a loop that
// carries their datagrams (or cuts them), on a clock the test moves.
import { describe, expect, it } from "vitest";
import { MembershipStack, type MembershipStackEffect } from "../../../src/stack";

const AUTHKEY = Buffer.from("membership stack test key, not a secret");

function pair() {
  const make = (id: number) => new MembershipStack({
    clusterName: "test", authkey: AUTHKEY, localId: id, nodes: [{ id: 1, links: 1 }, { id: 2, links: 1 }], localLinks: 1, incarnation: 7,
    heartbeatMs: 100, tokenMs: 300, arbiterLinks: [], reportQuorum: false, saved: { ringId: 0 },
    quorum: { nodeIds: [1, 2], expectedVotes: 0, twoNode: true, waitForAll: false, lastManStanding: false, lastManStandingWindowMs: 10_000, autoTieBreaker: false, autoTieBreakerNode: { kind: "lowest" }, arbiter: false },
  }, 0);
  const stacks = new Map([[1, make(1)], [2, make(2)]]);
  const received: Array<{ to: number; text: string }> = [];
  let nowMs = 0;
  let cut = false;
  const perform = (from: number, effects: MembershipStackEffect[]) => {
    for (const effect of effects) {
      if (effect.kind === "message") received.push({ to: from, text: effect.payload.toString() });
      if (effect.kind !== "transmit" || cut || effect.to === "arbiter") continue;
      perform(effect.to, stacks.get(effect.to)!.receive(effect.link, effect.bytes, nowMs));
    }
  };
  return {
    received,
    stacks,
    setCut(value: boolean) { cut = value; },
    run(ms: number) {
      for (const end = nowMs + ms; nowMs < end; nowMs += 10) for (const [id, stack] of stacks) perform(id, stack.tick(nowMs));
    },
    send(from: number, to: number, text: string) { perform(from, stacks.get(from)!.send(to, Buffer.from(text), nowMs)); },
  };
}

describe("membership stack", () => {
  it("carries messages between members in order", () => {
    const test = pair();
    test.run(1000);
    expect(test.stacks.get(1)!.view.members).toEqual([1, 2]);
    test.send(1, 2, "one");
    test.send(1, 2, "two");
    expect(test.received).toEqual([{ to: 2, text: "one" }, { to: 2, text: "two" }]);
  });

  it("still carries messages after a partition longer than the retransmissions (no restart on either side)", () => {
    const test = pair();
    test.run(1000);
    test.send(1, 2, "before");
    test.setCut(true);
    // Node 1 sends into the cut until its sender gives up (25 tries, 200 ms apart).
    test.send(1, 2, "into the cut");
    test.run(8000);
    expect(test.stacks.get(1)!.view.members).toEqual([1]);
    test.setCut(false);
    test.run(3000);
    expect(test.stacks.get(1)!.view.members).toEqual([1, 2]);
    test.send(1, 2, "after");
    test.run(500);
    expect(test.received.map((each) => each.text)).toEqual(["before", "into the cut", "after"]);
  });
});
