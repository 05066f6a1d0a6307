import { describe, expect, it } from "vitest";
import { initialMembership, partitionIntoCliques, stepMembership, type MembershipSettings, type MembershipState, type Heartbeat } from "../../../src/membership";

const settings = (nodeIds: number[], extra: Partial<MembershipSettings> = {}): MembershipSettings => ({
  nodeIds, heartbeatMs: 100, tokenMs: 500, rejoinHoldMs: 200, flapDoublingsMax: 4, flapForgetMs: 10_000, ...extra,
});

/** A lossless network with instant delivery, where `blocked(from, to, nowMs)` drops traffic. */
function runCluster(nodeIds: number[], durationMs: number, blocked: (from: number, to: number, nowMs: number) => boolean, extra: Partial<MembershipSettings> = {}) {
  const states = new Map<number, MembershipState>(nodeIds.map((id) => [id, initialMembership(settings(nodeIds, extra), id, 1, 0)]));
  for (let nowMs = 10; nowMs <= durationMs; nowMs += 10) {
    const outbox: Array<{ from: number; heartbeat: Heartbeat }> = [];
    const apply = (id: number, input: Parameters<typeof stepMembership>[1]) => {
      const { state, effects } = stepMembership(states.get(id)!, input);
      states.set(id, state);
      for (const effect of effects) if (effect.kind === "broadcast") outbox.push({ from: id, heartbeat: effect.heartbeat });
    };
    for (const id of nodeIds) apply(id, { kind: "tick", nowMs });
    // Deliver until quiet, bounded: each round only answers the previous one.
    for (let round = 0; round < 5 && outbox.length > 0; round++) {
      const batch = outbox.splice(0);
      for (const { from, heartbeat } of batch) for (const to of nodeIds) {
        if (to !== from && !blocked(from, to, nowMs)) apply(to, { kind: "heartbeat", from, heartbeat, nowMs });
      }
    }
  }
  return states;
}

describe("membership views", () => {
  it("a healthy cluster agrees on one view with one ring id", () => {
    const states = runCluster([1, 2, 3], 2000, () => false);
    const views = [...states.values()].map((state) => state.view);
    expect(views.map((view) => view.members)).toEqual([[1, 2, 3], [1, 2, 3], [1, 2, 3]]);
    expect(new Set(views.map((view) => view.ringId)).size).toBe(1);
  });

  it("after a one-way cut no view holds both ends of it", () => {
    const states = runCluster([1, 2, 3], 4000, (from, to, nowMs) => nowMs > 1500 && from === 3 && to === 1);
    for (const state of states.values()) expect(state.view.members.includes(1) && state.view.members.includes(3)).toBe(false);
    expect(states.get(1)!.view).toEqual(states.get(2)!.view);
    expect(states.get(1)!.view.members).toEqual([1, 2]);
  });

  it("after a one-way cut the node that stops hearing leaves the stale view too", () => {
    // 1 -> 3 is cut: node 3 no longer hears node 1 and must not keep the view [1,2,3].
    const states = runCluster([1, 2, 3], 4000, (from, to, nowMs) => nowMs > 1500 && from === 1 && to === 3);
    expect(states.get(1)!.view.members).toEqual([1, 2]);
    expect(states.get(2)!.view).toEqual(states.get(1)!.view);
    expect(states.get(3)!.view.members).toEqual([3]);
  });

  it("a pause of the node itself is not a peer's silence: no flap, the peer stays reachable", () => {
    const states = runCluster([1, 2], 2000, () => false);
    const before = states.get(1)!;
    const heartbeat = before.peers[2]!.last;
    // Node 1 was blocked for 700 ms (longer than the 500 ms token); it then reads node 2's heartbeat.
    const credited = stepMembership(before, { kind: "paused", pausedMs: 700, nowMs: 2700 }).state;
    const after = stepMembership(credited, { kind: "heartbeat", from: 2, heartbeat: heartbeat!, nowMs: 2700 });
    expect(after.state.peers[2]!.flaps).toBe(0);
    expect(after.state.view).toEqual(before.view);
    expect(after.effects.filter((effect) => effect.kind === "view")).toEqual([]);
    // Without the credit the same late heartbeat counts as a flap and node 2 drops out for its hold.
    const uncredited = stepMembership(before, { kind: "heartbeat", from: 2, heartbeat: heartbeat!, nowMs: 2700 });
    expect(uncredited.state.peers[2]!.flaps).toBe(1);
  });

  it("flap damping: a link that flaps every 700 ms causes fewer view changes than without damping", () => {
    const flapping = (from: number, to: number, nowMs: number) => nowMs > 1000 && Math.floor(nowMs / 700) % 2 === 0;
    const damped = runCluster([1, 2], 20_000, flapping).get(1)!.viewChanges;
    const undamped = runCluster([1, 2], 20_000, flapping, { flapDoublingsMax: 0 }).get(1)!.viewChanges;
    expect(damped).toBeLessThan(undamped);
  });

  it("splits nodes into fully connected groups the same way whatever the input order", () => {
    const edges = new Set(["1-2", "2-3", "1-3", "3-4", "4-5"]);
    const connected = (a: number, b: number) => edges.has(`${Math.min(a, b)}-${Math.max(a, b)}`);
    expect(partitionIntoCliques([5, 4, 3, 2, 1], connected)).toEqual([[1, 2, 3], [4, 5]]);
    expect(partitionIntoCliques([1, 2, 3, 4, 5], connected)).toEqual([[1, 2, 3], [4, 5]]);
  });
});

describe("a node that leaves", () => {
  /** Runs a healthy cluster, then feeds `leave` to one node at leaveAtMs; returns when each node's view changed. */
  function leaveRun(nodeIds: number[], leaver: number, leaveAtMs: number, untilMs: number, announce = true) {
    const states = new Map<number, MembershipState>(nodeIds.map((id) => [id, initialMembership(settings(nodeIds), id, 1, 0)]));
    const changedAt = new Map<number, number>();
    for (let nowMs = 10; nowMs <= untilMs; nowMs += 10) {
      const outbox: Array<{ from: number; heartbeat: Heartbeat }> = [];
      const apply = (id: number, input: Parameters<typeof stepMembership>[1]) => {
        const { state, effects } = stepMembership(states.get(id)!, input);
        states.set(id, state);
        for (const effect of effects) {
          if (effect.kind === "broadcast") outbox.push({ from: id, heartbeat: effect.heartbeat });
          if (effect.kind === "view" && nowMs >= leaveAtMs && !changedAt.has(id)) changedAt.set(id, nowMs);
        }
      };
      // The leaver's process is gone one heartbeat after it announced the leave (or at once, for a crash).
      const alive = (id: number) => id !== leaver || nowMs < leaveAtMs + (announce ? 100 : 0);
      if (nowMs === leaveAtMs && announce) apply(leaver, { kind: "leave", nowMs });
      for (const id of nodeIds) if (alive(id)) apply(id, { kind: "tick", nowMs });
      for (let round = 0; round < 5 && outbox.length > 0; round++) {
        const batch = outbox.splice(0);
        for (const { from, heartbeat } of batch) for (const to of nodeIds) if (to !== from && alive(to)) apply(to, { kind: "heartbeat", from, heartbeat, nowMs });
      }
    }
    return { states, changedAt };
  }

  it("is dropped from its peers' view at once, without waiting for its token", () => {
    const { states, changedAt } = leaveRun([1, 2, 3], 3, 2000, 4000);
    expect(states.get(1)!.view.members).toEqual([1, 2]);
    expect(states.get(2)!.view).toEqual(states.get(1)!.view);
    // Within a round trip, where a crash waits the whole 500 ms token.
    expect(changedAt.get(1)! - 2000).toBeLessThan(100);
    // A crash is noticed only when the token (500 ms) after its last heartbeat (at most 100 ms earlier) ran out.
    const crashed = leaveRun([1, 2, 3], 3, 2000, 4000, false);
    expect(crashed.changedAt.get(1)! - 2000).toBeGreaterThanOrEqual(400);
  });

  it("installs no view of its own on the way out (alone, it would act as if its peers were lost)", () => {
    const { states, changedAt } = leaveRun([1, 2], 2, 2000, 4000);
    expect(changedAt.has(2)).toBe(false);
    expect(states.get(2)!.view.members).toEqual([1, 2]);
    expect(states.get(1)!.view.members).toEqual([1]);
  });

  it("comes back as a new incarnation only: its later heartbeats of the same incarnation change nothing", () => {
    const { states } = leaveRun([1, 2], 2, 2000, 3000);
    const node1 = states.get(1)!;
    const stale = { ...node1.peers[2]!.last, leaving: undefined };
    delete stale.leaving;
    const after = stepMembership(node1, { kind: "heartbeat", from: 2, heartbeat: stale, nowMs: 3010 });
    expect(after.state.peers[2]!.left).toBe(true);
    expect(after.effects.filter((effect) => effect.kind === "view")).toEqual([]);
    const restarted = stepMembership(node1, { kind: "heartbeat", from: 2, heartbeat: { ...stale, incarnation: stale.incarnation + 1 }, nowMs: 3010 });
    expect(restarted.state.peers[2]!.left).toBeUndefined();
  });
});
