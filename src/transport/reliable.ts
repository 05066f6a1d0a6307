// Reliable, ordered messages to one peer over lossy datagrams, without I/O: the caller
// hands in time and incoming bodies and sends the bodies this returns (as "fragment" and
// "ack" frames). Messages are cut into fragments with a channel sequence number; at most
// windowFragments are in flight; the receiver acknowledges cumulatively and buffers at most
// windowFragments out of order; each fragment is retransmitted every retransmitMs, at most
// retriesMax times, after which the channel reports the peer unreachable.
import { EdgehaError } from "../common/errors";
import { BODY_BYTES_MAX } from "./frame";

const FRAGMENT_HEADER_BYTES = 16;
export const FRAGMENT_DATA_BYTES = BODY_BYTES_MAX - FRAGMENT_HEADER_BYTES;

export interface ReliableSettings {
  windowFragments: number;
  retransmitMs: number;
  retriesMax: number;
  messageBytesMax: number;
}

export const RELIABLE_DEFAULTS: ReliableSettings = { windowFragments: 128, retransmitMs: 200, retriesMax: 25, messageBytesMax: 64 * 1024 * 1024 };

interface Pending { sequence: number; body: Buffer; sentAtMs: number; tries: number }

export class ReliableSender {
  private nextSequence = 0;
  private nextMessageId = 0;
  private readonly queued: Buffer[] = [];
  private readonly inFlight = new Map<number, Pending>();
  failed = false;

  constructor(private readonly settings: ReliableSettings = RELIABLE_DEFAULTS) {}

  send(payload: Uint8Array): void {
    if (payload.length > this.settings.messageBytesMax) {
      throw new EdgehaError("E_TRANSPORT_MESSAGE_TOO_LARGE", `message of ${payload.length} bytes exceeds the limit of ${this.settings.messageBytesMax}`, { bytes: payload.length });
    }
    const count = Math.max(1, Math.ceil(payload.length / FRAGMENT_DATA_BYTES));
    const messageId = this.nextMessageId++ >>> 0;
    for (let index = 0; index < count; index++) {
      const header = Buffer.alloc(FRAGMENT_HEADER_BYTES);
      header.writeUInt32BE(messageId, 4);
      header.writeUInt32BE(index, 8);
      header.writeUInt32BE(count, 12);
      this.queued.push(Buffer.concat([header, payload.subarray(index * FRAGMENT_DATA_BYTES, (index + 1) * FRAGMENT_DATA_BYTES)]));
    }
  }

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  get idle(): boolean {
    return this.queued.length === 0 && this.inFlight.size === 0;
  }

  /** When the next retransmission falls due; undefined when nothing waits for an ack. */
  nextDeadlineMs(): number | undefined {
    if (this.failed) return undefined;
    let deadline: number | undefined;
    for (const pending of this.inFlight.values()) {
      const dueMs = pending.sentAtMs + this.settings.retransmitMs;
      if (deadline === undefined || dueMs < deadline) deadline = dueMs;
    }
    return deadline;
  }

  /** Fragment bodies to transmit now: new ones within the window, and retransmissions due. */
  poll(nowMs: number): Buffer[] {
    const out: Buffer[] = [];
    if (this.failed) return out;
    for (const pending of this.inFlight.values()) {
      if (nowMs - pending.sentAtMs < this.settings.retransmitMs) continue;
      if (pending.tries >= this.settings.retriesMax) {
        this.failed = true;
        return [];
      }
      pending.tries++;
      pending.sentAtMs = nowMs;
      out.push(pending.body);
    }
    while (this.inFlight.size < this.settings.windowFragments && this.queued.length > 0) {
      const body = this.queued.shift()!;
      const sequence = this.nextSequence++ >>> 0;
      body.writeUInt32BE(sequence, 0);
      this.inFlight.set(sequence, { sequence, body, sentAtMs: nowMs, tries: 1 });
      out.push(body);
    }
    return out;
  }

  /**
   * The peer is back after the sender gave up (a partition longer than the retries): carry on
   * with the same sequence, so the peer's receiver, which kept its place, takes what follows.
   * A new sender would start again at 0, and the peer would acknowledge and drop all of it as old.
   */
  revive(): void {
    if (!this.failed) return;
    this.failed = false;
    for (const pending of this.inFlight.values()) pending.tries = 1;
  }

  /** An ack body: every fragment below its cumulative sequence arrived. */
  onAck(body: Uint8Array): void {
    if (body.length !== 4) return;
    const cumulative = Buffer.from(body).readUInt32BE(0);
    for (const sequence of this.inFlight.keys()) if (sequence < cumulative) this.inFlight.delete(sequence);
  }
}

export class ReliableReceiver {
  private expected = 0;
  private readonly early = new Map<number, Buffer>();
  private parts: Buffer[] = [];
  private partsBytes = 0;
  dropped = 0;

  constructor(private readonly settings: ReliableSettings = RELIABLE_DEFAULTS) {}

  get bufferedFragments(): number {
    return this.early.size;
  }

  /** One fragment body; returns the ack to send back and the messages now complete, in order. */
  onFragment(body: Uint8Array): { ack: Buffer; messages: Buffer[] } {
    const messages: Buffer[] = [];
    const data = Buffer.from(body);
    if (data.length >= FRAGMENT_HEADER_BYTES) {
      const sequence = data.readUInt32BE(0);
      // Keep only fragments inside the window; duplicates and old ones are just acked again.
      if (sequence >= this.expected && sequence < this.expected + this.settings.windowFragments) this.early.set(sequence, data);
      for (let next = this.early.get(this.expected); next !== undefined; next = this.early.get(this.expected)) {
        this.early.delete(this.expected);
        this.expected++;
        const message = this.take(next);
        if (message !== undefined) messages.push(message);
      }
    }
    const ack = Buffer.alloc(4);
    ack.writeUInt32BE(this.expected >>> 0, 0);
    return { ack, messages };
  }

  private take(fragment: Buffer): Buffer | undefined {
    const index = fragment.readUInt32BE(8);
    const count = fragment.readUInt32BE(12);
    // A fragment out of place or a message over the limit (a peer bug) is dropped whole,
    // so the reassembly buffer stays bounded.
    if (index !== this.parts.length || this.partsBytes + fragment.length > this.settings.messageBytesMax + FRAGMENT_HEADER_BYTES) {
      this.parts = [];
      this.partsBytes = 0;
      this.dropped++;
      return undefined;
    }
    this.parts.push(fragment.subarray(FRAGMENT_HEADER_BYTES));
    this.partsBytes += fragment.length - FRAGMENT_HEADER_BYTES;
    if (index + 1 < count) return undefined;
    const message = Buffer.concat(this.parts);
    this.parts = [];
    this.partsBytes = 0;
    return message;
  }
}
