// Frame codec: every datagram between nodes is one frame.
//
// The first byte is the version of this header layout. A decoder accepts every layout
// version from FRAME_VERSION_MIN to FRAME_VERSION_MAX (not only its own), so a later build
// that adds a layout still reads this one, and sends a newer layout only to peers that
// advertised it (src/membership/advert.ts). What rides inside the frames (heartbeats,
// controller messages) is versioned apart, as the negotiated protocol.
//
// Layout 1 (big endian):
//   version u8 | cluster hash 4 bytes | sender id u16 | incarnation u32 |
//   sequence u48 | kind u8 | body (AES-256-GCM ciphertext) | tag 16 bytes
// The 20-byte header is authenticated as additional data. The GCM nonce is built from
// (sender, incarnation, sequence), which never repeats under one key because a node
// takes a new incarnation at every start and its sequence only grows.
// With crypto off (debugging only) the body is plain and the tag is absent.
import { createCipheriv, createDecipheriv, createHash, createSecretKey, hkdfSync, type KeyObject } from "node:crypto";
import { assert } from "../common/errors";
import { ReplayWindow } from "./replay";

/** The header layout this build writes. */
export const FRAME_VERSION = 1;
/** The header layouts this build reads. */
export const FRAME_VERSION_MIN = 1;
export const FRAME_VERSION_MAX = 1;
export const HEADER_BYTES = 20;
export const TAG_BYTES = 16;
/** Largest frame we send; keeps us under a 1500-byte MTU with IPv6 + UDP headers. */
export const FRAME_BYTES_MAX = 1400;
export const BODY_BYTES_MAX = FRAME_BYTES_MAX - HEADER_BYTES - TAG_BYTES;
const SEQUENCE_MAX = 2 ** 48 - 1;
const SENDER_MAX = 0xffff;

/**
 * "hello" carries a node's advert (protocol versions, features, config digest; see
 * src/membership/advert.ts). Builds from before it drop it as an unknown kind, harmlessly.
 */
export type FrameKind = "heartbeat" | "message" | "ack" | "fragment" | "hello";
const KIND_CODES: Record<FrameKind, number> = { heartbeat: 1, message: 2, ack: 3, fragment: 4, hello: 5 };
const KIND_BY_CODE = new Map(Object.entries(KIND_CODES).map(([kind, code]) => [code, kind as FrameKind]));

export interface FrameHeader {
  senderId: number;
  incarnation: number;
  sequence: number;
  kind: FrameKind;
}

export interface Frame extends FrameHeader {
  body: Uint8Array;
}

export type DropReason = "short" | "version" | "cluster" | "unknown-sender" | "kind" | "auth" | "replay" | "self";

/**
 * A dropped frame says why, and which node id it claimed when the header got that far
 * (unauthenticated: only good for telling a person where to look).
 */
export type DecodeResult = { ok: true; frame: Frame } | { ok: false; reason: DropReason; claimedSender?: number };

export interface CodecOptions {
  clusterName: string;
  authkey: Uint8Array;
  /** The node ids that may send to us. Frames from any other id are dropped. */
  knownSenders: Iterable<number>;
  /** Our own id: frames that claim it are dropped (a looped or forged frame). */
  localId: number;
  crypto?: boolean;
}

export function clusterHash(clusterName: string): Buffer {
  return createHash("sha256").update(`edgeha cluster ${clusterName}`).digest().subarray(0, 4);
}

/** The transport key: HKDF-SHA256 over the authkey, bound to the cluster name. */
export function deriveTransportKey(authkey: Uint8Array, clusterName: string): Buffer {
  assert(authkey.length >= 16, "authkey too short to derive a key from");
  return Buffer.from(hkdfSync("sha256", authkey, Buffer.from(clusterName, "utf8"), "edgeha transport v1", 32));
}

function nonceOf(header: Buffer): Buffer {
  // sender(2) incarnation(4) sequence(6) taken straight from the header.
  return header.subarray(5, 17);
}

export class FrameCodec {
  readonly counters: Record<DropReason | "accepted", number> = {
    accepted: 0, short: 0, version: 0, cluster: 0, "unknown-sender": 0, kind: 0, auth: 0, replay: 0, self: 0,
  };
  readonly crypto: boolean;
  /** A KeyObject, made once: a cipher built from one costs half what a raw key costs (idle CPU). */
  private readonly key: KeyObject;
  private readonly hash: Buffer;
  private known: Set<number>;
  private readonly localId: number;
  private readonly windows = new Map<number, ReplayWindow>();

  constructor(options: CodecOptions) {
    this.crypto = options.crypto ?? true;
    this.key = createSecretKey(deriveTransportKey(options.authkey, options.clusterName));
    this.hash = clusterHash(options.clusterName);
    this.known = new Set(options.knownSenders);
    this.localId = options.localId;
  }

  /** The node ids that may send to us changed (a node added or removed live). */
  setKnownSenders(ids: Iterable<number>): void {
    this.known = new Set(ids);
    for (const id of this.windows.keys()) if (!this.known.has(id)) this.windows.delete(id);
  }

  encode(frame: Frame): Buffer {
    assert(Number.isInteger(frame.senderId) && frame.senderId >= 0 && frame.senderId <= SENDER_MAX, "sender id out of range");
    assert(Number.isInteger(frame.sequence) && frame.sequence >= 0 && frame.sequence <= SEQUENCE_MAX, "sequence out of range");
    assert(frame.body.length <= BODY_BYTES_MAX, `frame body of ${frame.body.length} bytes exceeds ${BODY_BYTES_MAX}`);
    const header = Buffer.alloc(HEADER_BYTES);
    header.writeUInt8(FRAME_VERSION, 0);
    this.hash.copy(header, 1);
    header.writeUInt16BE(frame.senderId, 5);
    header.writeUInt32BE(frame.incarnation >>> 0, 7);
    header.writeUIntBE(frame.sequence, 11, 6);
    header.writeUInt8(KIND_CODES[frame.kind], 17);
    if (!this.crypto) return Buffer.concat([header, frame.body]);
    const cipher = createCipheriv("aes-256-gcm", this.key, nonceOf(header));
    cipher.setAAD(header);
    const body = Buffer.concat([cipher.update(frame.body), cipher.final()]);
    return Buffer.concat([header, body, cipher.getAuthTag()]);
  }

  /** Verifies, decrypts and de-duplicates one datagram. Never throws on bad input. */
  decode(datagram: Uint8Array): DecodeResult {
    const result = this.check(Buffer.from(datagram.buffer, datagram.byteOffset, datagram.byteLength));
    this.counters[result.ok ? "accepted" : result.reason]++;
    return result;
  }

  private check(data: Buffer): DecodeResult {
    if (data.length < HEADER_BYTES + (this.crypto ? TAG_BYTES : 0)) return { ok: false, reason: "short" };
    const version = data.readUInt8(0);
    if (version < FRAME_VERSION_MIN || version > FRAME_VERSION_MAX) return { ok: false, reason: "version" };
    if (!data.subarray(1, 5).equals(this.hash)) return { ok: false, reason: "cluster" };
    const senderId = data.readUInt16BE(5);
    if (senderId === this.localId) return { ok: false, reason: "self", claimedSender: senderId };
    if (!this.known.has(senderId)) return { ok: false, reason: "unknown-sender", claimedSender: senderId };
    const kind = KIND_BY_CODE.get(data.readUInt8(17));
    if (kind === undefined) return { ok: false, reason: "kind" };
    const incarnation = data.readUInt32BE(7);
    const sequence = data.readUIntBE(11, 6);
    const header = data.subarray(0, HEADER_BYTES);
    let body: Buffer;
    if (this.crypto) {
      try {
        const decipher = createDecipheriv("aes-256-gcm", this.key, nonceOf(header));
        decipher.setAAD(header);
        decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
        body = Buffer.concat([decipher.update(data.subarray(HEADER_BYTES, data.length - TAG_BYTES)), decipher.final()]);
      } catch {
        return { ok: false, reason: "auth", claimedSender: senderId };
      }
    } else {
      body = Buffer.from(data.subarray(HEADER_BYTES));
    }
    // The window is consulted only after authentication, so a forged frame cannot move it.
    let window = this.windows.get(senderId);
    if (window === undefined) {
      window = new ReplayWindow();
      this.windows.set(senderId, window);
    }
    if (!window.accept(incarnation, sequence)) return { ok: false, reason: "replay" };
    return { ok: true, frame: { senderId, incarnation, sequence, kind, body } };
  }
}
