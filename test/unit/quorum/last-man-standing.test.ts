import { describe, expect, it } from "vitest";
import { initialQuorum, quorumReport, stepQuorum, summarize, type QuorumSettings, type QuorumState } from "../../../src/quorum";

const settings = (nodeIds: number[], extra: Partial<QuorumSettings> = {}): QuorumSettings => ({
  nodeIds, expectedVotes: 0, twoNode: false, waitForAll: false, lastManStanding: true, lastManStandingWindowMs: 1000,
  autoTieBreaker: false, autoTieBreakerNode: { kind: "lowest" }, arbiter: false, ...extra,
});

/** Nodes running the quorum core; `view` installs a view on its members and lets them exchange reports. */
class Cluster {
  readonly nodes = new Map<number, QuorumState>();
  constructor(nodeIds: number[], extra: Partial<QuorumSettings> = {}) {
    for (const id of nodeIds) this.nodes.set(id, initialQuorum(settings(nodeIds, extra)));
  }
  view(members: number[], ringId: number, nowMs: number): void {
    for (const id of members) this.nodes.set(id, stepQuorum(this.nodes.get(id)!, { kind: "view", members, ringId, nowMs }));
    this.exchange(members);
  }
  /** Every member's report reaches every member (itself included), for a few rounds. */
  exchange(members: number[]): void {
    for (let round = 0; round < 3; round++) {
      const reports = members.map((id) => [id, quorumReport(this.nodes.get(id)!, true)] as const);
      for (const to of members) for (const [from, report] of reports) this.nodes.set(to, stepQuorum(this.nodes.get(to)!, { kind: "report", from, report }));
    }
  }
  tick(members: number[], nowMs: number): void {
    for (const id of members) this.nodes.set(id, stepQuorum(this.nodes.get(id)!, { kind: "tick", nowMs }));
    this.exchange(members);
  }
  quorate(id: number): boolean {
    return this.nodes.get(id)!.quorate;
  }
}

describe("last_man_standing", () => {
  it("lowers expected votes to the view only after the view held for the window", () => {
    const cluster = new Cluster([1, 2, 3, 4, 5]);
    cluster.view([1, 2, 3, 4, 5], 1, 0);
    cluster.view([1, 2, 3], 2, 100);
    cluster.tick([1, 2, 3], 1000);
    expect(summarize(cluster.nodes.get(1)!).expected).toBe(5);
    cluster.tick([1, 2, 3], 1100);
    expect(summarize(cluster.nodes.get(1)!).expected).toBe(3);
    cluster.view([1, 2], 3, 1200);
    expect(cluster.quorate(1)).toBe(true);
    cluster.tick([1, 2], 2300);
    expect(summarize(cluster.nodes.get(2)!)).toMatchObject({ expected: 2, votes: 2, quorate: true });
  });

  it("a node that took part in a lowering cannot join the others into a second majority", () => {
    // 4 nodes; {1,2,3} lowers to 3 voters. Node 1 then splits off and meets node 4, which never
    // heard of the lowering: 2 of 3 by count, but only 1 of the voters {1,2,3}.
    const cluster = new Cluster([1, 2, 3, 4]);
    cluster.view([1, 2, 3, 4], 1, 0);
    cluster.view([1, 2, 3], 2, 100);
    cluster.tick([1, 2, 3], 1200);
    expect(summarize(cluster.nodes.get(1)!).expected).toBe(3);
    cluster.view([2, 3], 3, 1300);
    cluster.view([1, 4], 3, 1300);
    expect(cluster.quorate(2)).toBe(true);
    expect(cluster.quorate(1)).toBe(false);
    expect(cluster.quorate(4)).toBe(false);
  });

  it("the voters stay a set: {3,4,5} is no majority once {1,2,3} became the voters of five", () => {
    const cluster = new Cluster([1, 2, 3, 4, 5]);
    cluster.view([1, 2, 3, 4, 5], 1, 0);
    cluster.view([1, 2, 3], 2, 100);
    cluster.tick([1, 2, 3], 1200);
    cluster.view([1, 2], 3, 1300);
    cluster.view([3, 4, 5], 3, 1300);
    expect(cluster.quorate(1)).toBe(true);
    expect([3, 4, 5].map((id) => cluster.quorate(id))).toEqual([false, false, false]);
  });

  it("an attempt not yet formed everywhere constrains the nodes that hold it", () => {
    // Node 3 holds the attempt {1,2,3} but never heard that it formed: it needs a majority of
    // the five AND of {1,2,3}, so with 4 and 5 it is not quorate.
    const cluster = new Cluster([1, 2, 3, 4, 5]);
    cluster.view([1, 2, 3, 4, 5], 1, 0);
    cluster.view([1, 2, 3], 2, 100);
    let three = stepQuorum(cluster.nodes.get(3)!, { kind: "tick", nowMs: 1200 });
    expect(three.attempts).toEqual([{ epoch: 1, ids: [1, 2, 3] }]);
    three = stepQuorum(three, { kind: "view", members: [3, 4, 5], ringId: 3, nowMs: 1300 });
    expect(three.quorate).toBe(false);
    expect(summarize(three).flags).toContain("LastManStanding(changing)");
  });

  it("expected votes rise again when the missing nodes return", () => {
    const cluster = new Cluster([1, 2, 3, 4, 5]);
    cluster.view([1, 2, 3, 4, 5], 1, 0);
    cluster.view([1, 2, 3], 2, 100);
    cluster.tick([1, 2, 3], 1200);
    cluster.view([1, 2, 3, 4, 5], 3, 1300);
    cluster.tick([1, 2, 3, 4, 5], 2400);
    for (const id of [1, 2, 3, 4, 5]) expect(summarize(cluster.nodes.get(id)!)).toMatchObject({ expected: 5, quorate: true });
  });
});
