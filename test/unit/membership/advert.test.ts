import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  advertDeadlineMs, advertOf, decodeHello, encodeHello, hasAdvert, initialAdverts, negotiate, stepAdverts,
  HELLO_RETRIES_FAST, HELLO_RETRY_MS, LEGACY_ADVERT, LEGACY_RETRY_MS, type Advert, type AdvertEffect, type AdvertInput, type AdvertState,
} from "../../../src/membership";

const advert = (overrides: Partial<Advert> = {}): Advert => ({
  protocol: { min: 1, max: 2 }, features: ["cluster-stop", "config-change", "service-verbs", "status-all"], cibSchema: { reads: 2, holds: 1 },
  software: "0.2.0", configVersion: 3, digests: { "quorum.two_node": "aa11", nodes: "bb22" }, ...overrides,
});

/** Two nodes exchanging hellos over a network that delivers only what `deliver` lets through. */
function pairOf(one: Advert, two: Advert) {
  const states = new Map<number, AdvertState>([[1, initialAdverts(1, one, [1, 2])], [2, initialAdverts(2, two, [1, 2])]]);
  const learned: Array<{ at: number; from: number }> = [];
  const sent: Array<{ from: number; to: number }> = [];
  const step = (id: number, input: AdvertInput, deliver: () => boolean = () => true): void => {
    const result = stepAdverts(states.get(id)!, input);
    states.set(id, result.state);
    for (const effect of result.effects) handle(id, effect, input.nowMs, deliver);
  };
  const handle = (id: number, effect: AdvertEffect, nowMs: number, deliver: () => boolean): void => {
    if (effect.kind === "learned") learned.push({ at: id, from: effect.from });
    if (effect.kind !== "send") return;
    sent.push({ from: id, to: effect.to });
    if (deliver()) step(effect.to, { kind: "hello", from: id, incarnation: id * 10, body: effect.body, nowMs }, deliver);
  };
  return { states, learned, sent, step };
}

describe("adverts", () => {
  it("two new nodes settle with three hellos (ask, answer, acknowledge) and then send none", () => {
    const pair = pairOf(advert(), advert({ software: "0.2.1" }));
    pair.step(1, { kind: "heard", from: 2, incarnation: 20, nowMs: 0 });
    expect(pair.sent).toEqual([{ from: 1, to: 2 }, { from: 2, to: 1 }, { from: 1, to: 2 }]);
    expect(advertOf(pair.states.get(1)!, 2).software).toBe("0.2.1");
    expect(advertOf(pair.states.get(2)!, 1).software).toBe("0.2.0");
    // Heartbeats keep coming; nothing more is sent, and no retry is pending.
    for (let nowMs = 300; nowMs < 100_000; nowMs += 300) {
      pair.step(1, { kind: "heard", from: 2, incarnation: 20, nowMs });
      pair.step(2, { kind: "heard", from: 1, incarnation: 10, nowMs });
      pair.step(1, { kind: "tick", nowMs });
    }
    expect(pair.sent).toHaveLength(3);
    expect(advertDeadlineMs(pair.states.get(1)!)).toBeUndefined();
  });

  it("a peer that never answers is an old build: protocol 1, asked fast a few times, then rarely", () => {
    let state = initialAdverts(1, advert(), [1, 2]);
    const sentAt: number[] = [];
    for (let nowMs = 0; nowMs <= 200_000; nowMs += 300) {
      for (const input of [{ kind: "heard", from: 2, incarnation: 20, nowMs }, { kind: "tick", nowMs }] as AdvertInput[]) {
        const result = stepAdverts(state, input);
        state = result.state;
        for (const effect of result.effects) if (effect.kind === "send") sentAt.push(nowMs);
      }
    }
    expect(sentAt.slice(0, HELLO_RETRIES_FAST).every((at, index) => index === 0 || at - sentAt[index - 1]! >= HELLO_RETRY_MS)).toBe(true);
    const slow = sentAt.slice(HELLO_RETRIES_FAST);
    expect(slow.every((at, index) => index === 0 || at - slow[index - 1]! >= LEGACY_RETRY_MS)).toBe(true);
    expect(sentAt.length).toBeLessThan(HELLO_RETRIES_FAST + 200_000 / LEGACY_RETRY_MS + 1);
    expect(hasAdvert(state, 2)).toBe(false);
    expect(advertOf(state, 2)).toEqual(LEGACY_ADVERT);
  });

  it("recovers from lost hellos by retrying until acknowledged", () => {
    let drop = 3;
    const pair = pairOf(advert(), advert());
    const lossy = () => drop-- <= 0;
    for (let nowMs = 0; nowMs < 10_000; nowMs += 300) {
      pair.step(1, { kind: "heard", from: 2, incarnation: 20, nowMs }, lossy);
      pair.step(2, { kind: "heard", from: 1, incarnation: 10, nowMs }, lossy);
    }
    expect(hasAdvert(pair.states.get(1)!, 2) && hasAdvert(pair.states.get(2)!, 1)).toBe(true);
    expect(advertDeadlineMs(pair.states.get(1)!)).toBeUndefined();
    expect(advertDeadlineMs(pair.states.get(2)!)).toBeUndefined();
  });

  it("a changed local advert (a reload) reaches the peer; a restarted peer is asked afresh", () => {
    const pair = pairOf(advert(), advert());
    pair.step(1, { kind: "heard", from: 2, incarnation: 20, nowMs: 0 });
    pair.step(1, { kind: "local", advert: advert({ digests: { "quorum.two_node": "cc33", nodes: "bb22" } }), nowMs: 1000 });
    expect(advertOf(pair.states.get(2)!, 1).digests["quorum.two_node"]).toBe("cc33");
    // Node 2 restarts (a new incarnation, perhaps a new build): node 1 forgets what it knew.
    const before = pair.sent.length;
    const result = stepAdverts(pair.states.get(1)!, { kind: "heard", from: 2, incarnation: 21, nowMs: 2000 });
    expect(hasAdvert(result.state, 2)).toBe(false);
    expect(result.effects.filter((effect) => effect.kind === "send")).toHaveLength(1);
    expect(pair.sent.length).toBe(before);
  });

  it("a node removed live is forgotten, one added is asked", () => {
    let state = initialAdverts(1, advert(), [1, 2]);
    state = stepAdverts(state, { kind: "peers", ids: [1, 3], nowMs: 0 }).state;
    expect([...state.peers.keys()]).toEqual([3]);
    const result = stepAdverts(state, { kind: "heard", from: 3, incarnation: 30, nowMs: 1 });
    expect(result.effects.map((effect) => effect.kind)).toEqual(["send"]);
  });
});

describe("negotiation", () => {
  it("uses the highest protocol every member speaks and the features all have", () => {
    expect(negotiate([advert(), advert()])).toEqual({ protocol: 2, features: ["cluster-stop", "config-change", "service-verbs", "status-all"], cibSchemaReads: 2, cibSchemaHeld: 1 });
    const newer = advert({ protocol: { min: 2, max: 3 }, features: ["config-change", "status-all", "teleport"], cibSchema: { reads: 3, holds: 3 } });
    expect(negotiate([advert(), newer])).toEqual({ protocol: 2, features: ["config-change", "status-all"], cibSchemaReads: 2, cibSchemaHeld: 3 });
  });

  it("a build from before adverts pulls the cluster down to protocol 1 with no features", () => {
    expect(negotiate([advert(), LEGACY_ADVERT])).toEqual({ protocol: 1, features: [], cibSchemaReads: 1, cibSchemaHeld: 1 });
  });

  it("says so when two ranges do not meet", () => {
    expect(negotiate([LEGACY_ADVERT, advert({ protocol: { min: 2, max: 3 } })]).protocol).toBeUndefined();
  });
});

describe("hello codec", () => {
  it("round-trips, ignores fields it does not know, and rejects bad known ones without throwing", () => {
    const hello = { epoch: 4, ack: null, advert: advert() };
    expect(decodeHello(encodeHello(hello))).toEqual({ ok: true, hello });
    const later = Buffer.from(JSON.stringify({ v: 7, ...hello, shiny: [1, 2], advert: { ...advert(), colour: "blue" } }));
    expect(decodeHello(later)).toEqual({ ok: true, hello });
    expect(decodeHello(Buffer.from(JSON.stringify({ ...hello, advert: { ...advert(), protocol: { min: 3, max: 2 } } })))).toEqual({ ok: false, reason: "protocol" });
    expect(decodeHello(Buffer.from("x".repeat(5000)))).toEqual({ ok: false, reason: "too long" });
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => { expect(typeof decodeHello(bytes).ok).toBe("boolean"); }), { numRuns: 500 });
  });
});
