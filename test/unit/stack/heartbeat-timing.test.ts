// The heartbeat round trip per peer and link (issue 20, edgeha_heartbeat_round_trip_seconds):
// heartbeats that go out anyway carry the sender's send time and echo the peer's last one with
// how long it was held. Two stacks run back to back on a clock the test moves in microseconds,
// with a fixed one-way delay per link, so the round trip each measures is known exactly. A
// peer from before the feature (no advert) gets heartbeats exactly as before and gives no sample.
import { describe, expect, it } from "vitest";
import { MembershipStack, type MembershipStackEffect } from "../../../src/stack";
import { decodeHeartbeat, encodeHeartbeat, withTiming, FEATURES, type Advert, type Heartbeat } from "../../../src/membership";
import { FrameCodec } from "../../../src/transport";

const AUTHKEY = Buffer.from("heartbeat timing test key, not a secret");

function advert(features: string[]): Advert {
  return { protocol: { min: 1, max: 2 }, features, cibSchema: { reads: 2, holds: 1 }, software: "test", configVersion: 0, digests: {} };
}

interface Pending { atUs: number; to: number; link: number; bytes: Buffer; from: number }

/** Two stacks with two links each; link L delays every datagram by delayUs[L] one way. */
function pair(options: { adverts: Array<Advert | undefined>; delayUs: number[] }) {
  const make = (id: number) => new MembershipStack({
    clusterName: "test", authkey: AUTHKEY, crypto: false, localId: id, nodes: [{ id: 1, links: 2 }, { id: 2, links: 2 }], localLinks: 2, incarnation: 7,
    heartbeatMs: 100, tokenMs: 300, arbiterLinks: [], reportQuorum: false, saved: { ringId: 0 },
    quorum: { nodeIds: [1, 2], expectedVotes: 0, twoNode: true, waitForAll: false, lastManStanding: false, lastManStandingWindowMs: 10_000, autoTieBreaker: false, autoTieBreakerNode: { kind: "lowest" }, arbiter: false },
    ...(options.adverts[id - 1] === undefined ? {} : { advert: options.adverts[id - 1] }),
  }, 0);
  const stacks = new Map([[1, make(1)], [2, make(2)]]);
  const inFlight: Pending[] = [];
  const heartbeatsTo = new Map<number, Buffer[]>([[1, []], [2, []]]);
  const decoder = new Map([1, 2].map((id) => [id, new FrameCodec({ clusterName: "test", authkey: AUTHKEY, knownSenders: [1, 2], localId: id, crypto: false })]));
  let nowUs = 0;
  const perform = (from: number, effects: MembershipStackEffect[]) => {
    for (const effect of effects) {
      if (effect.kind !== "transmit" || effect.to === "arbiter") continue;
      if (effect.frame === "heartbeat") {
        const decoded = decoder.get(effect.to)!.decode(effect.bytes);
        if (decoded.ok) heartbeatsTo.get(effect.to)!.push(Buffer.from(decoded.frame.body));
      }
      inFlight.push({ atUs: nowUs + options.delayUs[effect.link]!, to: effect.to, link: effect.link, bytes: effect.bytes, from });
    }
  };
  return {
    stacks,
    heartbeatsTo,
    run(ms: number) {
      // Every 10 ms each stack ticks; datagrams arrive at their exact microsecond in between.
      for (const endUs = nowUs + ms * 1000; nowUs < endUs;) {
        const nextTickUs = (Math.floor(nowUs / 10_000) + 1) * 10_000;
        inFlight.sort((left, right) => left.atUs - right.atUs);
        const due = inFlight[0];
        if (due !== undefined && due.atUs < nextTickUs) {
          inFlight.shift();
          nowUs = due.atUs;
          perform(due.to, stacks.get(due.to)!.receive(due.link, due.bytes, Math.floor(nowUs / 1000), `node ${due.from}`, nowUs));
          continue;
        }
        nowUs = nextTickUs;
        for (const [id, stack] of stacks) perform(id, stack.tick(Math.floor(nowUs / 1000), nowUs));
      }
    },
    get nowMs() { return Math.floor(nowUs / 1000); },
  };
}

const heartbeat: Heartbeat = { incarnation: 7, reach: [1, 2], view: { ringId: 4, members: [1, 2], incarnations: { 1: 7, 2: 9 } }, proposal: null };

describe("heartbeat timing on the wire", () => {
  it("carries a send time and an echo after the body, and nothing else changes", () => {
    const body = encodeHeartbeat(heartbeat);
    const timed = withTiming(body, { sentUs: 2 ** 32 + 5, echo: { sentUs: 123_456, heldUs: 789 } });
    expect(timed.length).toBe(body.length + 13);
    const decoded = decodeHeartbeat(timed);
    expect(decoded).toEqual({ ok: true, heartbeat, report: undefined, timing: { sentUs: 5, echo: { sentUs: 123_456, heldUs: 789 } } });
    expect(decodeHeartbeat(withTiming(body, { sentUs: 9 }))).toMatchObject({ ok: true, timing: { sentUs: 9 } });
    // The body without timing is what it always was.
    expect(decodeHeartbeat(body)).toEqual({ ok: true, heartbeat, report: undefined });
  });

  it("rejects a damaged timing section with a reason", () => {
    const timed = withTiming(encodeHeartbeat(heartbeat), { sentUs: 1, echo: { sentUs: 2, heldUs: 3 } });
    expect(decodeHeartbeat(timed.subarray(0, timed.length - 2))).toEqual({ ok: false, reason: "truncated" });
    const badFlag = Buffer.from(timed);
    badFlag[timed.length - 9] = 2;
    expect(decodeHeartbeat(badFlag)).toEqual({ ok: false, reason: "echo flag" });
    expect(decodeHeartbeat(Buffer.concat([timed, Buffer.from([0])]))).toEqual({ ok: false, reason: "trailing bytes" });
  });
});

describe("heartbeat round trip per peer and link", () => {
  it("measures each link's round trip on the heartbeats both nodes send anyway", () => {
    const test = pair({ adverts: [advert([...FEATURES]), advert([...FEATURES])], delayUs: [150, 420] });
    test.run(2000);
    expect(test.stacks.get(1)!.view.members).toEqual([1, 2]);
    // Twice the one-way delay of each link, exactly: the echo's holding time is taken out.
    expect(test.stacks.get(1)!.roundTrips(test.nowMs)).toEqual([{ peerId: 2, link: 0, microseconds: 300 }, { peerId: 2, link: 1, microseconds: 840 }]);
    expect(test.stacks.get(2)!.roundTrips(test.nowMs)).toEqual([{ peerId: 1, link: 0, microseconds: 300 }, { peerId: 1, link: 1, microseconds: 840 }]);
  });

  it("sends a peer without the feature the heartbeats it always got, and measures nothing there", () => {
    const test = pair({ adverts: [advert([...FEATURES]), undefined], delayUs: [200, 200] });
    test.run(2000);
    expect(test.stacks.get(1)!.view.members).toEqual([1, 2]);
    const toLegacy = test.heartbeatsTo.get(2)!;
    expect(toLegacy.length).toBeGreaterThan(10);
    // Bit 4 of the flags (timing) is never set towards the older peer, and no byte follows the body.
    for (const body of toLegacy) {
      expect(body[1]! & 16).toBe(0);
      expect(decodeHeartbeat(body)).toMatchObject({ ok: true });
      expect((decodeHeartbeat(body) as { timing?: unknown }).timing).toBeUndefined();
    }
    expect(test.stacks.get(1)!.roundTrips(test.nowMs)).toEqual([]);
    expect(test.stacks.get(2)!.roundTrips(test.nowMs)).toEqual([]);
    expect(test.stacks.get(2)!.malformedHeartbeats).toBe(0);
  });

  it("keeps no sample for a link that went quiet for longer than the token", () => {
    const test = pair({ adverts: [advert([...FEATURES]), advert([...FEATURES])], delayUs: [100, 100] });
    test.run(1000);
    expect(test.stacks.get(1)!.roundTrips(test.nowMs)).toHaveLength(2);
    expect(test.stacks.get(1)!.roundTrips(test.nowMs + 301)).toEqual([]);
  });
});
