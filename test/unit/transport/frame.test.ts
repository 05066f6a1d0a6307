import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { FrameCodec, HEADER_BYTES, ReplayWindow, WINDOW_SIZE, type Frame } from "../../../src/transport";

const key = Buffer.from("0123456789abcdef0123456789abcdef-test-key");
function pair(options: { crypto?: boolean; cluster?: string; key?: Buffer } = {}) {
  const sender = new FrameCodec({ clusterName: options.cluster ?? "alpha", authkey: options.key ?? key, knownSenders: [1, 2], localId: 1, crypto: options.crypto });
  const receiver = new FrameCodec({ clusterName: "alpha", authkey: key, knownSenders: [1, 2], localId: 2, crypto: options.crypto });
  return { sender, receiver };
}
const frame = (sequence: number, body = "hello", incarnation = 7): Frame => ({
  senderId: 1, incarnation, sequence, kind: "message", body: Buffer.from(body),
});

describe("frame codec", () => {
  it("round-trips a frame and hides the body", () => {
    const { sender, receiver } = pair();
    const wire = sender.encode(frame(1, "secret body"));
    expect(wire.includes(Buffer.from("secret body"))).toBe(false);
    const result = receiver.decode(wire);
    expect(result.ok && Buffer.from(result.frame.body).toString()).toBe("secret body");
    expect(result.ok && result.frame).toMatchObject({ senderId: 1, incarnation: 7, sequence: 1, kind: "message" });
  });

  it("drops a frame with a flipped bit anywhere, counted as auth or header failure", () => {
    const { sender, receiver } = pair();
    const wire = sender.encode(frame(1));
    for (let index = 0; index < wire.length; index++) {
      const bad = Buffer.from(wire);
      bad[index]! ^= 0x01;
      expect(receiver.decode(bad).ok).toBe(false);
    }
    expect(receiver.counters.accepted).toBe(0);
    expect(receiver.decode(wire).ok).toBe(true);
  });

  it("drops frames made with another key or for another cluster", () => {
    const other = pair({ key: Buffer.from("another key of enough length!!") });
    expect(other.receiver.decode(other.sender.encode(frame(1)))).toEqual({ ok: false, reason: "auth", claimedSender: 1 });
    const foreign = pair({ cluster: "beta" });
    expect(foreign.receiver.decode(foreign.sender.encode(frame(1)))).toEqual({ ok: false, reason: "cluster" });
  });

  it("drops unknown senders and frames claiming to be from ourselves", () => {
    const stranger = new FrameCodec({ clusterName: "alpha", authkey: key, knownSenders: [2], localId: 9 });
    const { receiver } = pair();
    expect(receiver.decode(stranger.encode({ ...frame(1), senderId: 9 }))).toEqual({ ok: false, reason: "unknown-sender", claimedSender: 9 });
    expect(receiver.decode(stranger.encode({ ...frame(1), senderId: 2 }))).toEqual({ ok: false, reason: "self", claimedSender: 2 });
    expect(receiver.counters["unknown-sender"]).toBe(1);
  });

  it("drops replays, accepts reordering inside the window, and resets on a new incarnation", () => {
    const { sender, receiver } = pair();
    const first = sender.encode(frame(5));
    expect(receiver.decode(first).ok).toBe(true);
    expect(receiver.decode(first)).toEqual({ ok: false, reason: "replay" });
    expect(receiver.decode(sender.encode(frame(3))).ok).toBe(true);
    expect(receiver.decode(sender.encode(frame(5 + WINDOW_SIZE))).ok).toBe(true);
    expect(receiver.decode(sender.encode(frame(4))).ok).toBe(false);
    expect(receiver.decode(sender.encode(frame(1, "x", 8))).ok).toBe(true);
    expect(receiver.decode(sender.encode(frame(9999, "x", 7))).ok).toBe(false);
    expect(receiver.counters.replay).toBe(3);
  });

  it("with crypto off still checks cluster, sender and replay", () => {
    const { sender, receiver } = pair({ crypto: false });
    const wire = sender.encode(frame(1, "plain"));
    expect(wire.subarray(HEADER_BYTES).toString()).toBe("plain");
    expect(receiver.decode(wire).ok).toBe(true);
    expect(receiver.decode(wire).ok).toBe(false);
  });
});

describe("replay window", () => {
  it("accepts each (incarnation, sequence) at most once under any order", () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 600 })), { maxLength: 300 }), (events) => {
      const window = new ReplayWindow();
      const accepted = new Set<string>();
      let newestIncarnation = -1;
      for (const [incarnation, sequence] of events) {
        const ok = window.accept(incarnation, sequence);
        const id = `${incarnation}/${sequence}`;
        if (ok) {
          expect(accepted.has(id)).toBe(false);
          expect(incarnation).toBeGreaterThanOrEqual(newestIncarnation);
          accepted.add(id);
        }
        newestIncarnation = Math.max(newestIncarnation, ok ? incarnation : newestIncarnation);
      }
    }), { numRuns: 200 });
  });
});

describe("frame decoder fuzz", () => {
  it("random and mutated datagrams never throw and never reach acceptance or move the window", () => {
    const { sender, receiver } = pair();
    const valid = [1, 2, 3].map((sequence) => sender.encode(frame(sequence, "payload ".repeat(sequence * 10))));
    const mutated = fc.tuple(fc.constantFrom(...valid), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 8 }), fc.nat({ max: 40 }))
      .map(([base, flips, truncate]) => {
        const copy = Buffer.from(base);
        for (const [position, mask] of flips) copy[position % copy.length]! ^= mask;
        return truncate > 30 ? copy.subarray(0, copy.length - truncate) : copy;
      });
    fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 1500 }), mutated), (datagram) => {
      const result = receiver.decode(datagram);
      expect(result.ok).toBe(false);
    }), { numRuns: 3000 });
    // The window was never moved by garbage: the genuine frames are all still new.
    for (const wire of valid) expect(receiver.decode(wire).ok).toBe(true);
  });
});
