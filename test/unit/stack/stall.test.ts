import { describe, expect, it } from "vitest";
import { judgeWake, lateToleranceMs, stallThresholdMs, type WakeFacts } from "../../../src/stack/stall";
import { MembershipStack, type MembershipStackEffect } from "../../../src/stack";

const facts = (extra: Partial<WakeFacts>): WakeFacts => ({ nowMs: 10_000, lastActivityMs: 9_900, plannedWakeMs: 10_001, lastWholeCreditMs: -Infinity, lastHeartbeatSentMs: 9_800, heartbeatMs: 300, tokenMs: 600, peersInView: true, ...extra });

describe("judging a wake-up after a gap in the node's own clock", () => {
  it("a node woken on time is steady", () => {
    expect(judgeWake(facts({}))).toEqual({ kind: "steady" });
  });

  it("a silence as long as the token, with a peer in the view, is a stall: the peers may have declared this node lost", () => {
    const verdict = judgeWake(facts({ lastActivityMs: 9_400, lastHeartbeatSentMs: 9_400 }));
    expect(verdict).toEqual({ kind: "stalled", silentMs: 600, thresholdMs: stallThresholdMs(600) });
  });

  it("the threshold allows for clocks running 2 % apart, and no more", () => {
    expect(stallThresholdMs(600)).toBe(588);
    expect(judgeWake(facts({ lastActivityMs: 9_500, lastHeartbeatSentMs: 10_000 - 587 })).kind).toBe("steady");
    expect(judgeWake(facts({ lastActivityMs: 9_500, lastHeartbeatSentMs: 10_000 - 588 })).kind).toBe("stalled");
  });

  it("a wake-up later than planned is a pause: the peers are credited all the time since the last wake-up", () => {
    const verdict = judgeWake(facts({ lastActivityMs: 9_700, plannedWakeMs: 9_900, lastHeartbeatSentMs: 9_700 }));
    expect(verdict).toEqual({ kind: "paused", pausedMs: 300, whole: true });
  });

  it("within a token of a whole credit, a late wake-up is credited only how late it was: a machine always a little late still notices a dead peer", () => {
    const verdict = judgeWake(facts({ lastActivityMs: 9_700, plannedWakeMs: 9_900, lastHeartbeatSentMs: 9_700, lastWholeCreditMs: 9_500 }));
    expect(verdict).toEqual({ kind: "paused", pausedMs: 100, whole: false });
  });

  it("a timer a little late on a busy machine is no pause", () => {
    expect(lateToleranceMs(300)).toBe(37);
    expect(judgeWake(facts({ plannedWakeMs: 10_000 - 37 })).kind).toBe("steady");
    expect(judgeWake(facts({ plannedWakeMs: 10_000 - 38 })).kind).toBe("paused");
  });

  it("a node alone in its view has nobody who could have taken over: a long gap is only a pause", () => {
    const verdict = judgeWake(facts({ peersInView: false, lastActivityMs: 7_000, plannedWakeMs: 7_300, lastHeartbeatSentMs: 7_000 }));
    expect(verdict).toEqual({ kind: "paused", pausedMs: 3_000, whole: true });
  });

  it("what counts is the last heartbeat sent, not the last wake-up: busy but silent is a stall", () => {
    const verdict = judgeWake(facts({ lastActivityMs: 9_990, lastHeartbeatSentMs: 9_000 }));
    expect(verdict.kind).toBe("stalled");
  });
});

/** Two stacks on a lossless in-memory network; each returns what the other must receive. */
function pair() {
  const authkey = Buffer.alloc(64, 7);
  const make = (id: number) => new MembershipStack({
    clusterName: "stall", authkey, localId: id, nodes: [{ id: 1, links: 1 }, { id: 2, links: 1 }], localLinks: 1, incarnation: 1,
    heartbeatMs: 300, tokenMs: 600, quorum: { nodeIds: [1, 2], expectedVotes: 0, twoNode: true, waitForAll: false, lastManStanding: false, lastManStandingWindowMs: 10_000, autoTieBreaker: false, autoTieBreakerNode: { kind: "lowest" }, arbiter: false },
    arbiterLinks: [], reportQuorum: false, saved: { ringId: 0 },
  }, 0);
  const stacks = { 1: make(1), 2: make(2) } as Record<number, MembershipStack>;
  const queues: Record<number, Buffer[]> = { 1: [], 2: [] };
  const route = (effects: MembershipStackEffect[]) => {
    for (const effect of effects) if (effect.kind === "transmit" && typeof effect.to === "number") queues[effect.to]!.push(effect.bytes);
    return effects;
  };
  /** Runs both nodes in 10 ms steps until untilMs; a node in `paused` neither ticks nor reads. */
  const run = (fromMs: number, untilMs: number, paused = new Set<number>()) => {
    for (let nowMs = fromMs; nowMs <= untilMs; nowMs += 10) {
      for (const id of [1, 2]) {
        if (paused.has(id)) continue;
        for (const bytes of queues[id]!.splice(0)) route(stacks[id]!.receive(0, bytes, nowMs));
        if (stacks[id]!.nextWakeMs(nowMs) <= nowMs) route(stacks[id]!.tick(nowMs));
      }
    }
  };
  return { stacks, queues, route, run };
}

describe("a membership stack that wakes up after a stall", () => {
  it("halts before anything else when its silence reached the token, and sends nothing more", () => {
    const { stacks, queues, route, run } = pair();
    run(0, 3000);
    expect(stacks[1]!.view.members).toEqual([1, 2]);
    // Node 1 is stopped (SIGSTOP) for two seconds while node 2 goes on.
    run(3010, 5000, new Set([1]));
    expect(stacks[2]!.view.members).toEqual([2]);
    expect(queues[1]!.length).toBeGreaterThan(0);
    // Node 1 resumes and reads what queued up: the first thing that comes out is the stall.
    const effects = route(stacks[1]!.receive(0, queues[1]!.shift()!, 5010));
    expect(effects.map((effect) => effect.kind)).toEqual(["stalled"]);
    expect(effects[0]).toMatchObject({ kind: "stalled", thresholdMs: 588 });
    expect((effects[0] as { silentMs: number }).silentMs).toBeGreaterThanOrEqual(2000);
    expect(stacks[1]!.halted).toBe(true);
    // From then on: no heartbeat, no view, no message, whatever arrives.
    for (const bytes of queues[1]!.splice(0)) expect(stacks[1]!.receive(0, bytes, 5020)).toEqual([]);
    expect(stacks[1]!.tick(5400)).toEqual([]);
    expect(stacks[1]!.send(2, Buffer.from("x"), 5400)).toEqual([]);
    expect(stacks[1]!.observe(5500)).toEqual([]);
  });

  it("a timer or a client that wakes the node first finds the stall just the same", () => {
    const { stacks, run } = pair();
    run(0, 3000);
    run(3010, 4000, new Set([1]));
    expect(stacks[1]!.observe(4010).map((effect) => effect.kind)).toEqual(["stalled"]);
    expect(stacks[1]!.halted).toBe(true);
  });

  it("a pause shorter than the token changes nothing: no halt, no view change on either node", () => {
    const { stacks, run } = pair();
    run(0, 3000);
    const ring = stacks[1]!.view.ringId;
    run(3010, 3400, new Set([1]));
    run(3410, 6000);
    expect(stacks[1]!.halted).toBe(false);
    expect(stacks[1]!.view).toMatchObject({ ringId: ring, members: [1, 2] });
    expect(stacks[2]!.view).toMatchObject({ ringId: ring, members: [1, 2] });
  });

  it("a node whose every wake-up is late (a busy machine) still notices a dead peer", () => {
    const { stacks, queues, route, run } = pair();
    run(0, 3000);
    let lostAtMs: number | undefined;
    // Node 2 is gone; node 1's timer always fires 60 ms late.
    let wakeAtMs = stacks[1]!.nextWakeMs(3000) + 60;
    for (let nowMs = 3010; nowMs <= 8000 && lostAtMs === undefined; nowMs += 10) {
      queues[1]!.length = 0;
      if (nowMs < wakeAtMs) continue;
      for (const effect of route(stacks[1]!.tick(nowMs))) if (effect.kind === "view" && effect.view.members.length === 1) lostAtMs = nowMs;
      wakeAtMs = stacks[1]!.nextWakeMs(nowMs) + 60;
    }
    expect(lostAtMs).toBeDefined();
    expect(lostAtMs!).toBeLessThan(3000 + 600 + 2 * 300 + 200);
  });

  it("a node alone in its view keeps going after a long gap", () => {
    const { stacks, run } = pair();
    run(0, 3000);
    // Node 2 is gone; node 1 forms a view of its own, then is stopped for two seconds.
    run(3010, 4500, new Set([2]));
    expect(stacks[1]!.view.members).toEqual([1]);
    expect(stacks[1]!.observe(6500)).toEqual(expect.not.arrayContaining([expect.objectContaining({ kind: "stalled" })]));
    expect(stacks[1]!.halted).toBe(false);
  });
});
