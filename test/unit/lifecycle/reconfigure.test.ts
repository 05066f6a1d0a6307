// The protocol stack takes a changed bootstrap config without a restart: a new heartbeat
// interval, a node added (the view grows, expected votes follow, two_node is cleared as
// corosync counts a third node), a node removed (the view and the votes shrink).
import { describe, expect, it } from "vitest";
import { MembershipStack, type MembershipStackEffect, type StackReconfiguration } from "../../../src/stack";
import type { QuorumSettings } from "../../../src/quorum";

const authkey = Buffer.alloc(64, 3);

function quorum(ids: number[]): QuorumSettings {
  return { nodeIds: ids, expectedVotes: ids.length, twoNode: ids.length === 2, waitForAll: false, lastManStanding: false, lastManStandingWindowMs: 10_000, autoTieBreaker: false, autoTieBreakerNode: { kind: "lowest" }, arbiter: false };
}

function layout(ids: number[], heartbeatMs = 100): StackReconfiguration {
  return { nodes: ids.map((id) => ({ id, links: 1 })), localLinks: 1, heartbeatMs, tokenMs: heartbeatMs * 3, quorum: quorum(ids), arbiterLinks: [] };
}

class Net {
  nowMs = 0;
  readonly stacks = new Map<number, MembershipStack>();
  readonly heartbeats = new Map<number, number>();

  add(id: number, ids: number[]): void {
    this.stacks.set(id, new MembershipStack({ clusterName: "r", authkey, localId: id, incarnation: 1000 + id, ...layout(ids), reportQuorum: false, saved: { ringId: 0 } }, this.nowMs));
  }

  perform(from: number, effects: MembershipStackEffect[]): void {
    for (const effect of effects) {
      if (effect.kind !== "transmit" || effect.to === "arbiter") continue;
      if (effect.frame === "heartbeat") this.heartbeats.set(from, (this.heartbeats.get(from) ?? 0) + 1);
      const target = this.stacks.get(effect.to);
      if (target) this.perform(effect.to, target.receive(0, effect.bytes, this.nowMs, `10.0.0.${from}`));
    }
  }

  run(ms: number): void {
    for (const end = this.nowMs + ms; this.nowMs < end; this.nowMs += 5) {
      for (const [id, stack] of this.stacks) if (stack.nextWakeMs(this.nowMs) <= this.nowMs) this.perform(id, stack.tick(this.nowMs));
    }
  }

  reconfigure(id: number, change: StackReconfiguration): void {
    this.perform(id, this.stacks.get(id)!.reconfigure(change, this.nowMs));
  }

  view(id: number): number[] {
    return this.stacks.get(id)!.view.members;
  }
}

describe("live reconfiguration of the stack", () => {
  it("takes a node added to every member's config: one view of three, three expected votes, no two_node", () => {
    const net = new Net();
    net.add(1, [1, 2]);
    net.add(2, [1, 2]);
    net.run(2000);
    expect(net.view(1)).toEqual([1, 2]);
    expect(net.stacks.get(1)!.quorum()).toMatchObject({ quorate: true, expected: 2 });
    expect(net.stacks.get(1)!.quorum().flags).toContain("2Node");
    // The new node starts with the new config; the members take it live.
    net.add(3, [1, 2, 3]);
    net.run(1000);
    expect(net.view(1)).toEqual([1, 2]);
    net.reconfigure(1, layout([1, 2, 3]));
    net.reconfigure(2, layout([1, 2, 3]));
    net.run(3000);
    for (const id of [1, 2, 3]) expect(net.view(id)).toEqual([1, 2, 3]);
    expect(net.stacks.get(1)!.quorum()).toMatchObject({ quorate: true, expected: 3, votes: 3 });
    expect(net.stacks.get(1)!.quorum().flags).not.toContain("2Node");
  });

  it("takes a node removed: the view and expected votes shrink, the rest stay quorate", () => {
    const net = new Net();
    for (const id of [1, 2, 3]) net.add(id, [1, 2, 3]);
    net.run(2000);
    expect(net.view(1)).toEqual([1, 2, 3]);
    net.stacks.delete(3);
    net.reconfigure(1, layout([1, 2]));
    net.reconfigure(2, layout([1, 2]));
    net.run(3000);
    expect(net.view(1)).toEqual([1, 2]);
    expect(net.stacks.get(2)!.quorum()).toMatchObject({ quorate: true, expected: 2 });
  });

  it("takes a new heartbeat interval without a view change", () => {
    const net = new Net();
    net.add(1, [1, 2]);
    net.add(2, [1, 2]);
    net.run(2000);
    const ring = net.stacks.get(1)!.view.ringId;
    net.heartbeats.clear();
    net.run(2000);
    const before = (net.heartbeats.get(1) ?? 0) + (net.heartbeats.get(2) ?? 0);
    net.reconfigure(1, layout([1, 2], 25));
    net.reconfigure(2, layout([1, 2], 25));
    net.heartbeats.clear();
    net.run(2000);
    const after = (net.heartbeats.get(1) ?? 0) + (net.heartbeats.get(2) ?? 0);
    expect(after).toBeGreaterThan(before * 3);
    expect(net.stacks.get(1)!.view.ringId).toBe(ring);
  });
});
