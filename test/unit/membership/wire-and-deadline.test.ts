import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { decodeHeartbeat, encodeHeartbeat, following, initialMembership, stepMembership, type Heartbeat, type MembershipSettings, type MembershipState, type WireReport } from "../../../src/membership";

const settings = (nodeIds: number[]): MembershipSettings => ({ nodeIds, heartbeatMs: 100, tokenMs: 500, rejoinHoldMs: 200, flapDoublingsMax: 4, flapForgetMs: 10_000 });

const sortedIds = fc.uniqueArray(fc.integer({ min: 1, max: 65535 }), { maxLength: 32 }).map((ids) => ids.sort((a, b) => a - b));
const heartbeatArbitrary: fc.Arbitrary<Heartbeat> = fc.record({
  incarnation: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  reach: sortedIds,
  members: sortedIds,
  ringId: fc.integer({ min: 0, max: 2 ** 48 - 1 }),
  proposal: fc.option(fc.record({ members: sortedIds, ringId: fc.integer({ min: 0, max: 2 ** 48 - 1 }) }), { nil: null }),
  seed: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  probe: fc.boolean(),
  leaving: fc.boolean(),
}).map(({ incarnation, reach, members, ringId, proposal, seed, probe, leaving }) => ({
  incarnation, reach, proposal,
  view: { ringId, members, incarnations: Object.fromEntries(members.map((id, index) => [id, (seed + index) >>> 0])) },
  ...(probe ? { probe: true as const } : {}),
  ...(leaving ? { leaving: true as const } : {}),
}));
const setArbitrary = fc.record({ epoch: fc.integer({ min: 0, max: 2 ** 32 - 1 }), ids: sortedIds });
const reportArbitrary: fc.Arbitrary<WireReport | undefined> = fc.option(fc.record({
  ringId: fc.integer({ min: 0, max: 2 ** 48 - 1 }), settled: fc.boolean(), voters: setArbitrary, attempts: fc.array(setArbitrary, { maxLength: 8 }),
}), { nil: undefined });

describe("heartbeat wire format", () => {
  it("round-trips every heartbeat and quorum report", () => {
    fc.assert(fc.property(heartbeatArbitrary, reportArbitrary, (heartbeat, report) => {
      expect(decodeHeartbeat(encodeHeartbeat(heartbeat, report))).toEqual({ ok: true, heartbeat, report });
    }), { numRuns: 300 });
  });

  it("is compact: a two-node heartbeat fits in a few dozen bytes", () => {
    const heartbeat: Heartbeat = { incarnation: 9, reach: [2], view: { ringId: 4, members: [1, 2], incarnations: { 1: 9, 2: 5 } }, proposal: null };
    const bytes = encodeHeartbeat(heartbeat);
    expect(bytes.length).toBeLessThan(Buffer.from(JSON.stringify(heartbeat)).length / 3);
  });

  it("fuzz: random and mutated bodies never throw, and anything accepted re-encodes to itself", () => {
    const check = (bytes: Uint8Array) => {
      const result = decodeHeartbeat(bytes);
      if (result.ok) expect(encodeHeartbeat(result.heartbeat, result.report).equals(Buffer.from(bytes))).toBe(true);
      else expect(typeof result.reason).toBe("string");
    };
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => check(bytes)), { numRuns: 2000 });
    fc.assert(fc.property(heartbeatArbitrary, reportArbitrary, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }), fc.nat({ max: 8 }),
      (heartbeat, report, flips, cut) => {
        const bytes = Buffer.from(encodeHeartbeat(heartbeat, report));
        for (const [position, mask] of flips) bytes[position % bytes.length]! ^= mask;
        check(bytes);
        check(bytes.subarray(0, Math.max(0, bytes.length - cut)));
      }), { numRuns: 1000 });
  });
});

/** An event-driven cluster: each node is ticked only at the deadline it reported, or when a heartbeat arrives. */
function runByDeadline(nodeIds: number[], durationMs: number, blocked: (from: number, to: number, nowMs: number) => boolean, probe?: (state: MembershipState, deadlineMs: number) => void, startMs: (id: number) => number = () => 0, extra: Partial<MembershipSettings> = {}, follows: (id: number) => boolean = () => false) {
  const states = new Map<number, MembershipState>();
  /** Per node: the instants it was woken at (a tick or a heartbeat), and the instants it sent. */
  const wakeups = new Map<number, Set<number>>(nodeIds.map((id) => [id, new Set()]));
  const sends = new Map<number, number[]>(nodeIds.map((id) => [id, []]));
  /** Per node: the instants it sent a heartbeat that asked for an answer. */
  const probes = new Map<number, number[]>(nodeIds.map((id) => [id, []]));
  const wake = new Map<number, number>();
  const ticks = new Map<number, number>(nodeIds.map((id) => [id, 0]));
  let inbox: Array<{ atMs: number; from: number; to: number; heartbeat: Heartbeat }> = [];
  const apply = (id: number, input: Parameters<typeof stepMembership>[1]) => {
    if (!states.has(id)) return;
    wakeups.get(id)!.add(input.nowMs);
    const result = stepMembership(states.get(id)!, input);
    states.set(id, result.state);
    if (result.effects.some((effect) => effect.kind === "broadcast")) sends.get(id)!.push(input.nowMs);
    if (result.effects.some((effect) => effect.kind === "broadcast" && effect.heartbeat.probe === true)) probes.get(id)!.push(input.nowMs);
    wake.set(id, result.nextDeadlineMs);
    for (const effect of result.effects) if (effect.kind === "broadcast") {
      for (const to of nodeIds) if (to !== id && !blocked(id, to, input.nowMs)) inbox.push({ atMs: input.nowMs + 1, from: id, to, heartbeat: effect.heartbeat });
    }
    probe?.(result.state, result.nextDeadlineMs);
  };
  for (let nowMs = 0; nowMs <= durationMs; nowMs++) {
    for (const id of nodeIds) if (startMs(id) === nowMs) {
      states.set(id, following(initialMembership({ ...settings(nodeIds), ...extra }, id, 1, nowMs), follows(id)));
      apply(id, { kind: "tick", nowMs });
    }
    const due = inbox.filter((item) => item.atMs <= nowMs);
    inbox = inbox.filter((item) => item.atMs > nowMs);
    for (const item of due) apply(item.to, { kind: "heartbeat", from: item.from, heartbeat: item.heartbeat, nowMs });
    for (const id of nodeIds) if (states.has(id) && wake.get(id)! <= nowMs) {
      ticks.set(id, ticks.get(id)! + 1);
      apply(id, { kind: "tick", nowMs });
    }
  }
  return { states, ticks, wakeups, sends, probes };
}

describe("sleeping until the next deadline", () => {
  it("a cluster ticked only at its deadlines agrees on one view, and idles at the heartbeat rate", () => {
    const { states, ticks } = runByDeadline([1, 2, 3], 5000, () => false);
    expect([...states.values()].map((state) => state.view.members)).toEqual([[1, 2, 3], [1, 2, 3], [1, 2, 3]]);
    // 5 s at one heartbeat per 100 ms is 50 heartbeats; a 10 ms timer would have ticked 500 times.
    for (const count of ticks.values()) expect(count).toBeLessThanOrEqual(60);
  });

  it("peers started out of step fall in step: the later one answers in the wake-up that received, never sending later than due", () => {
    for (const offset of [13, 37, 50, 63, 88]) {
      const { states, wakeups, sends } = runByDeadline([1, 2], 6000, () => false, undefined, (id) => (id === 2 ? offset : 0));
      expect(states.get(1)!.view.members).toEqual([1, 2]);
      expect(states.get(2)!.view.members).toEqual([1, 2]);
      for (const id of [1, 2]) {
        const times = sends.get(id)!;
        for (let index = 1; index < times.length; index++) expect(times[index]! - times[index - 1]!).toBeLessThanOrEqual(100);
      }
      // Settled (the last 5 s): one node wakes once per interval, the other twice: 3 per interval, not 4.
      const settled = (id: number) => [...wakeups.get(id)!].filter((atMs) => atMs > 1000).length;
      expect(settled(1) + settled(2)).toBeLessThanOrEqual(3 * 50 + 5);
      expect(Math.min(settled(1), settled(2))).toBeLessThanOrEqual(52);
    }
  });

  it("detects a lost peer without any tick before the deadline", () => {
    const { states } = runByDeadline([1, 2, 3], 4000, (from, to, nowMs) => nowMs > 1500 && (from === 3 || to === 3));
    expect(states.get(1)!.view.members).toEqual([1, 2]);
    expect(states.get(3)!.view.members).toEqual([3]);
  });

  it("a tick at any time before the deadline changes nothing and sends nothing", () => {
    let probes = 0;
    runByDeadline([1, 2, 3], 3000, (from, to, nowMs) => nowMs > 1000 && nowMs < 2000 && from === 2 && to === 3, (state, deadlineMs) => {
      if (deadlineMs <= state.nowMs + 1 || probes >= 400) return;
      probes++;
      const early = state.nowMs + 1 + ((probes * 7919) % (deadlineMs - state.nowMs - 1));
      const result = stepMembership(state, { kind: "tick", nowMs: early });
      expect(result.effects).toEqual([]);
      expect({ ...result.state, nowMs: state.nowMs }).toEqual(state);
    });
    expect(probes).toBeGreaterThan(100);
  });
});

describe("probing a silent peer", () => {
  // The token is only three heartbeats here, the least the config allows.
  const probing: Partial<MembershipSettings> = { tokenMs: 300, probeAfterMs: 125, probeEveryMs: 25 };
  /** Loses each heartbeat with the given chance, from a seeded generator (the same losses every run). */
  const lossy = (chance: number) => {
    let seed = 20261123;
    return () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 2 ** 32 < chance;
    };
  };

  it("a healthy pair never probes, and still wakes three times per interval", () => {
    const { states, probes, wakeups } = runByDeadline([1, 2], 5000, () => false, undefined, (id) => (id === 2 ? 37 : 0), probing);
    expect(states.get(1)!.view.members).toEqual([1, 2]);
    const settledProbes = [...probes.get(1)!, ...probes.get(2)!].filter((atMs) => atMs > 1000);
    expect(settledProbes).toEqual([]);
    const settled = (id: number) => [...wakeups.get(id)!].filter((atMs) => atMs > 1000).length;
    expect(settled(1) + settled(2)).toBeLessThanOrEqual(3 * 40 + 5);
  });

  it("with 20 % of heartbeats lost, probes keep the view that the token alone would lose", () => {
    const withProbes = runByDeadline([1, 2], 20_000, lossy(0.2), undefined, () => 0, probing);
    const without = runByDeadline([1, 2], 20_000, lossy(0.2), undefined, () => 0, { tokenMs: 300 });
    // Without probing, three heartbeats lost in a row split the pair again and again.
    expect(without.states.get(1)!.viewChanges).toBeGreaterThan(3);
    // With probing, the first view (both nodes) is the last one.
    for (const id of [1, 2]) {
      expect(withProbes.states.get(id)!.view.members).toEqual([1, 2]);
      expect(withProbes.states.get(id)!.viewChanges).toBeLessThanOrEqual(2);
    }
    // Probing stays bounded: at most one probe per probeEveryMs from each node.
    for (const id of [1, 2]) {
      const times = withProbes.probes.get(id)!;
      expect(times.length).toBeGreaterThan(0);
      for (let index = 1; index < times.length; index++) expect(times[index]! - times[index - 1]!).toBeGreaterThanOrEqual(25);
    }
  });

  it("a peer that is gone is probed until its token runs out, then no more", () => {
    const cut = runByDeadline([1, 2], 3000, (from, _to, nowMs) => from === 2 && nowMs >= 1500, undefined, () => 0, probing);
    expect(cut.states.get(1)!.view.members).toEqual([1]);
    const after = cut.probes.get(1)!.filter((atMs) => atMs >= 1500);
    // Silent since its last heartbeat before 1500: probes from 125 ms after it, every 25 ms, until the token (300 ms); none after.
    expect(after.length).toBeGreaterThanOrEqual(5);
    expect(after.length).toBeLessThanOrEqual(8);
    expect(Math.max(...after)).toBeLessThan(1500 + 300 + 10);
  });
});

describe("a node that follows", () => {
  const probing: Partial<MembershipSettings> = { tokenMs: 300, probeAfterMs: 125, probeEveryMs: 25 };
  const settled = (times: Iterable<number>) => [...times].filter((atMs) => atMs > 1000).length;

  it("answers its peer's heartbeats and wakes once per interval, whatever the start offsets", () => {
    for (const offset of [0, 13, 50, 88]) {
      const { states, wakeups, sends, probes } = runByDeadline([1, 2], 6000, () => false, undefined, (id) => (id === 2 ? offset : 0), probing, (id) => id === 2);
      for (const id of [1, 2]) expect(states.get(id)!.view.members).toEqual([1, 2]);
      // 5 settled seconds are 50 intervals: the follower wakes about 50 times, the other about 100.
      expect(settled(wakeups.get(2)!)).toBeLessThanOrEqual(52);
      expect(settled(wakeups.get(1)!)).toBeLessThanOrEqual(102);
      // Every heartbeat of the follower answers one of node 1's, in the same millisecond it arrived.
      const arrivals = new Set(sends.get(1)!.map((atMs) => atMs + 1));
      expect(sends.get(2)!.filter((atMs) => atMs > 1000 && !arrivals.has(atMs))).toEqual([]);
      expect([...probes.get(1)!, ...probes.get(2)!].filter((atMs) => atMs > 1000)).toEqual([]);
    }
  });

  it("two followers still keep in step and never wait long enough to be probed", () => {
    const { states, sends, probes } = runByDeadline([1, 2], 6000, () => false, undefined, (id) => (id === 2 ? 37 : 0), probing, () => true);
    for (const id of [1, 2]) expect(states.get(id)!.view.members).toEqual([1, 2]);
    for (const id of [1, 2]) {
      const times = sends.get(id)!.filter((atMs) => atMs > 1000);
      for (let index = 1; index < times.length; index++) expect(times[index]! - times[index - 1]!).toBeLessThanOrEqual(112);
    }
    expect([...probes.get(1)!, ...probes.get(2)!].filter((atMs) => atMs > 1000)).toEqual([]);
  });

  it("alone, a follower still sends every 1.125 intervals, and a lost leader is detected", () => {
    const { states, sends } = runByDeadline([1, 2], 4000, (from, _to, nowMs) => from === 1 && nowMs >= 2000, undefined, () => 0, probing, (id) => id === 2);
    expect(states.get(2)!.view.members).toEqual([2]);
    const late = sends.get(2)!.filter((atMs) => atMs > 2500);
    expect(late.length).toBeGreaterThan(10);
    for (let index = 1; index < late.length; index++) expect(late[index]! - late[index - 1]!).toBeLessThanOrEqual(112);
  });
});
