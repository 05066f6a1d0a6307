import { describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { ReliableReceiver, ReliableSender, RELIABLE_DEFAULTS } from "../../../src/transport";
import { Random } from "../../../src/sim";

describe("reliable ordered messages", () => {
  it("a 3 MB message and small ones cross a lossy, duplicating, reordering link in order, within bounded buffers", () => {
    const settings = { ...RELIABLE_DEFAULTS, windowFragments: 64, retransmitMs: 50, retriesMax: 40 };
    const sender = new ReliableSender(settings);
    const receiver = new ReliableReceiver(settings);
    const random = new Random(4242);
    const big = randomBytes(3 * 1024 * 1024);
    const sent = [Buffer.from("first"), big, Buffer.from("after the big one"), Buffer.alloc(0)];
    for (const message of sent) sender.send(message);
    const received: Buffer[] = [];
    let wire: Array<{ atMs: number; body: Buffer; toReceiver: boolean }> = [];
    const lossy = (body: Buffer, toReceiver: boolean, nowMs: number) => {
      if (random.chance(0.1)) return;
      const copies = random.chance(0.05) ? 2 : 1;
      for (let copy = 0; copy < copies; copy++) wire.push({ atMs: nowMs + random.between(1, 30), body, toReceiver });
    };
    let nowMs = 0;
    for (; nowMs < 600_000 && !(sender.idle && received.length === sent.length); nowMs += 5) {
      for (const body of sender.poll(nowMs)) lossy(body, true, nowMs);
      const due = wire.filter((item) => item.atMs <= nowMs);
      wire = wire.filter((item) => item.atMs > nowMs);
      for (const item of due) {
        if (!item.toReceiver) { sender.onAck(item.body); continue; }
        const { ack, messages } = receiver.onFragment(item.body);
        received.push(...messages);
        lossy(ack, false, nowMs);
      }
      expect(sender.inFlightCount).toBeLessThanOrEqual(64);
      expect(receiver.bufferedFragments).toBeLessThanOrEqual(64);
    }
    expect(sender.failed).toBe(false);
    expect(received.length).toBe(sent.length);
    received.forEach((message, index) => expect(message.equals(sent[index]!)).toBe(true));
  }, 60_000);

  it("gives up after the bounded number of retries when the peer never answers", () => {
    const sender = new ReliableSender({ ...RELIABLE_DEFAULTS, retransmitMs: 10, retriesMax: 3 });
    sender.send(Buffer.from("hello"));
    let transmissions = 0;
    for (let nowMs = 0; nowMs <= 1000; nowMs += 10) transmissions += sender.poll(nowMs).length;
    expect(transmissions).toBe(3);
    expect(sender.failed).toBe(true);
  });

  it("reports when the next retransmission is due, and nothing once acknowledged", () => {
    const sender = new ReliableSender({ ...RELIABLE_DEFAULTS, retransmitMs: 200 });
    expect(sender.nextDeadlineMs()).toBeUndefined();
    sender.send(Buffer.from("hello"));
    const [fragment] = sender.poll(1000);
    expect(sender.nextDeadlineMs()).toBe(1200);
    expect(sender.poll(1199)).toEqual([]);
    const receiver = new ReliableReceiver();
    sender.onAck(receiver.onFragment(fragment!).ack);
    expect(sender.nextDeadlineMs()).toBeUndefined();
  });

  it("refuses a message over the size limit with a typed error", () => {
    const sender = new ReliableSender({ ...RELIABLE_DEFAULTS, messageBytesMax: 10 });
    expect(() => sender.send(Buffer.alloc(11))).toThrow(expect.objectContaining({ code: "E_TRANSPORT_MESSAGE_TOO_LARGE" }));
  });
});
