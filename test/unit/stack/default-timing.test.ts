// The default timing of a pair, as the agent runs it, in the pure protocol stack: what an idle
// pair costs in heartbeats and wake-ups over a simulated minute, that a dead agent process is
// still caught within the token and a dead machine still within the echo's window (whatever the
// heartbeat), and that a node on an older build's defaults (300 ms heartbeat, 600 ms token) and
// one on this build's keep one view side by side (a rolling upgrade). Behaviour, not time: the
// clock is simulated.
import { describe, expect, it } from "vitest";
import { checkConfigText } from "../../../src/config";
import { ECHO_CONFIRM_PROBES, ECHO_SILENT_PROBES } from "../../../src/config/defaults";
import { MembershipStack, type MembershipStackEffect } from "../../../src/stack";

const PAIR_YAML = "cluster_name: idle\nnodes:\n  - { name: n1, id: 1, links: [10.0.0.1] }\n  - { name: n2, id: 2, links: [10.0.0.2] }\n";
const defaults = () => {
  const check = checkConfigText(PAIR_YAML, "pair.yaml");
  expect(check.config, JSON.stringify(check.problems)).toBeDefined();
  return check.config!.timing;
};
const OLDER_DEFAULTS = { heartbeatMs: 300, tokenMs: 600, echoMs: 20 };

interface Timing { heartbeatMs: number; tokenMs: number; echoMs: number }

/** Two stacks on one lossless link with 1 ms of delay; each is woken only by a datagram or at the deadline it reported. */
function pair(timings: Record<number, Timing>) {
  const authkey = Buffer.alloc(64, 3);
  const make = (id: number) => new MembershipStack({
    clusterName: "idle", authkey, localId: id, nodes: [{ id: 1, links: 1 }, { id: 2, links: 1 }], localLinks: 1, incarnation: 1,
    heartbeatMs: timings[id]!.heartbeatMs, tokenMs: timings[id]!.tokenMs,
    hostConfirmMs: ECHO_CONFIRM_PROBES * timings[id]!.echoMs, hostProbeEveryMs: timings[id]!.echoMs,
    quorum: { nodeIds: [1, 2], expectedVotes: 0, twoNode: true, waitForAll: false, lastManStanding: false, lastManStandingWindowMs: 10_000, autoTieBreaker: false, autoTieBreakerNode: { kind: "lowest" }, arbiter: false },
    arbiterLinks: [], reportQuorum: false, saved: { ringId: 0 },
  }, 0);
  const stacks: Record<number, MembershipStack> = { 1: make(1), 2: make(2) };
  const inbox: Array<{ atMs: number; to: number; bytes: Buffer }> = [];
  const wakeups: Record<number, number> = { 1: 0, 2: 0 };
  const heartbeats: Record<number, number> = { 1: 0, 2: 0 };
  const views: Array<{ node: number; atMs: number; members: number[] }> = [];
  const dead = new Set<number>();
  const perform = (id: number, nowMs: number, effects: MembershipStackEffect[]) => {
    for (const effect of effects) {
      if (effect.kind === "transmit" && typeof effect.to === "number") {
        if (effect.frame === "heartbeat") heartbeats[id]!++;
        inbox.push({ atMs: nowMs + 1, to: effect.to, bytes: effect.bytes });
      }
      if (effect.kind === "view") views.push({ node: id, atMs: nowMs, members: effect.view.members });
    }
  };
  const wake: Record<number, number> = { 1: 0, 2: 0 };
  let clockMs = 0;
  const run = (untilMs: number) => {
    for (; clockMs <= untilMs; clockMs++) {
      for (const id of [1, 2]) {
        if (dead.has(id)) continue;
        const due = inbox.filter((item) => item.to === id && item.atMs <= clockMs);
        if (due.length === 0 && wake[id]! > clockMs) continue;
        wakeups[id]!++;
        for (const item of due) {
          inbox.splice(inbox.indexOf(item), 1);
          perform(id, clockMs, stacks[id]!.receive(0, item.bytes, clockMs));
        }
        if (wake[id]! <= clockMs) perform(id, clockMs, stacks[id]!.tick(clockMs));
        wake[id] = stacks[id]!.nextWakeMs(clockMs) + 1;
      }
      // A dead node's datagrams are lost.
      for (let index = inbox.length - 1; index >= 0; index--) if (dead.has(inbox[index]!.to)) inbox.splice(index, 1);
    }
  };
  /** Counts from now on. */
  const reset = () => {
    for (const id of [1, 2]) wakeups[id] = heartbeats[id] = 0;
    views.length = 0;
  };
  return { stacks, run, reset, wakeups, heartbeats, views, dead, now: () => clockMs, perform };
}

describe("the default timing of an idle pair", () => {
  it("the node running the services (it follows) wakes and sends about twice a second: a minute costs it at most 125 of each", () => {
    const timing = defaults();
    const { stacks, run, reset, wakeups, heartbeats, views } = pair({ 1: timing, 2: timing });
    stacks[2]!.setFollowing(true);
    run(5000);
    expect(stacks[1]!.view.members).toEqual([1, 2]);
    reset();
    run(65_000);
    expect(views).toEqual([]);
    // One heartbeat wakes the holder once (it answers the standby's in the same wake-up); the
    // standby wakes twice per interval (its timer, then the answer). 60 s at 300 ms would be 200.
    expect(wakeups[2]).toBeLessThanOrEqual(125);
    expect(heartbeats[2]).toBeLessThanOrEqual(125);
    expect(wakeups[1]).toBeLessThanOrEqual(245);
    // Neither side starves the other: no probe was needed, so each heard the other every interval.
    expect(heartbeats[1]).toBeGreaterThanOrEqual(115);
    expect(heartbeats[2]).toBeGreaterThanOrEqual(115);
  });

  it("a dead agent on a live machine is lost within the token; a dead machine within the echo's window", () => {
    const timing = defaults();
    {
      const { stacks, run, views, dead, now } = pair({ 1: timing, 2: timing });
      stacks[2]!.setFollowing(true);
      run(5000);
      const diedAt = now();
      dead.add(2);
      run(diedAt + 2 * timing.tokenMs);
      const loss = views.find((view) => view.node === 1 && view.members.length === 1);
      expect(loss).toBeDefined();
      expect(loss!.atMs - diedAt).toBeLessThanOrEqual(timing.tokenMs + 1);
    }
    {
      const { stacks, run, views, dead, now, perform } = pair({ 1: timing, 2: timing });
      stacks[2]!.setFollowing(true);
      run(5000);
      perform(1, now(), stacks[1]!.echo(2, 0, true, now()));
      const diedAt = now();
      dead.add(2);
      // The echo thread reports the machine silent after ECHO_SILENT_PROBES unanswered requests.
      run(diedAt + ECHO_SILENT_PROBES * timing.echoMs);
      perform(1, now(), stacks[1]!.echo(2, 0, false, now()));
      run(diedAt + timing.tokenMs);
      const loss = views.find((view) => view.node === 1 && view.members.length === 1);
      expect(loss).toBeDefined();
      expect(loss!.atMs - diedAt).toBeLessThanOrEqual((ECHO_SILENT_PROBES + ECHO_CONFIRM_PROBES) * timing.echoMs + 2);
    }
  });

  it("a node on an older build's defaults and one on this build's keep one view for a minute, whichever runs the services", () => {
    const timing = defaults();
    expect(timing.heartbeatMs).not.toBe(OLDER_DEFAULTS.heartbeatMs);
    for (const follower of [1, 2]) {
      const { stacks, run, reset, views } = pair({ 1: OLDER_DEFAULTS, 2: timing });
      stacks[follower]!.setFollowing(true);
      run(5000);
      expect(stacks[1]!.view.members).toEqual([1, 2]);
      expect(stacks[2]!.view.members).toEqual([1, 2]);
      reset();
      run(65_000);
      expect(views).toEqual([]);
    }
  });
});
