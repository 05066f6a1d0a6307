import { describe, expect, it } from "vitest";
import { MembershipStack, type MembershipStackEffect } from "../../../src/stack";

/** Two stacks with two links each on a lossless in-memory network (node 1 watches node 2's machine). */
function pair() {
  const authkey = Buffer.alloc(64, 9);
  const make = (id: number) => new MembershipStack({
    clusterName: "echo", authkey, localId: id, nodes: [{ id: 1, links: 2 }, { id: 2, links: 2 }], localLinks: 2, incarnation: 1,
    heartbeatMs: 300, tokenMs: 600, hostConfirmMs: 75, hostProbeEveryMs: 25,
    quorum: { nodeIds: [1, 2], expectedVotes: 0, twoNode: true, waitForAll: false, lastManStanding: false, lastManStandingWindowMs: 10_000, autoTieBreaker: false, autoTieBreakerNode: { kind: "lowest" }, arbiter: false },
    arbiterLinks: [], reportQuorum: false, saved: { ringId: 0 },
  }, 0);
  const stacks = { 1: make(1), 2: make(2) } as Record<number, MembershipStack>;
  const queues: Record<number, Array<{ link: number; bytes: Buffer }>> = { 1: [], 2: [] };
  const views: Array<{ atMs: number; members: number[] }> = [];
  const route = (nowMs: number, effects: MembershipStackEffect[]) => {
    for (const effect of effects) {
      if (effect.kind === "transmit" && typeof effect.to === "number") queues[effect.to]!.push({ link: effect.link, bytes: effect.bytes });
      if (effect.kind === "view" && effect.view.members.includes(1)) views.push({ atMs: nowMs, members: effect.view.members });
    }
    return effects;
  };
  const run = (fromMs: number, untilMs: number, dead = new Set<number>()) => {
    for (let nowMs = fromMs; nowMs <= untilMs; nowMs += 5) {
      for (const id of [1, 2]) {
        if (dead.has(id)) { queues[id]!.length = 0; continue; }
        for (const { link, bytes } of queues[id]!.splice(0)) route(nowMs, stacks[id]!.receive(link, bytes, nowMs));
        if (stacks[id]!.nextWakeMs(nowMs) <= nowMs) route(nowMs, stacks[id]!.tick(nowMs));
      }
    }
  };
  return { stacks, views, route, run };
}

const heartbeatsOut = (effects: MembershipStackEffect[]) => effects.filter((effect) => effect.kind === "transmit" && effect.frame === "heartbeat").length;

describe("the runner's echo in the protocol stack", () => {
  it("a machine silent on one link but answering on the other is alive: nothing is probed", () => {
    const { stacks, route, run } = pair();
    run(0, 3000);
    route(3000, stacks[1]!.echo(2, 0, true, 3000));
    route(3000, stacks[1]!.echo(2, 1, true, 3000));
    expect(heartbeatsOut(route(3005, stacks[1]!.echo(2, 0, false, 3005)))).toBe(0);
  });

  it("silent on every link that answered: probes go out at once on every link, and the loss follows the confirm window", () => {
    const { stacks, views, route, run } = pair();
    run(0, 3000);
    route(3000, stacks[1]!.echo(2, 0, true, 3000));
    route(3000, stacks[1]!.echo(2, 1, true, 3000));
    run(3005, 3040, new Set([2]));
    route(3040, stacks[1]!.echo(2, 0, false, 3040));
    expect(heartbeatsOut(route(3045, stacks[1]!.echo(2, 1, false, 3045)))).toBe(2);
    run(3050, 3300, new Set([2]));
    expect(views.at(-1)).toEqual({ atMs: 3120, members: [1] });
  });

  it("a link that never answered does not make a machine silent", () => {
    const { stacks, route, run } = pair();
    run(0, 3000);
    expect(route(3000, stacks[1]!.echo(2, 1, false, 3000))).toEqual([]);
  });
});
