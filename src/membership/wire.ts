// Heartbeats on the wire: a compact fixed layout instead of JSON (pure encode/decode).
//
// All integers big endian. A list of ids is `count u8` then `count` x u16.
//   version u8 (=1) | flags u8 (bit0 proposal, bit1 quorum report, bit2 probe, bit3 leaving) | incarnation u32
//   reach: id list
//   view: ring id u48 | count u8 | count x (id u16, incarnation u32)
//   [proposal: ring id u48 | id list]
//   [report: ring id u48 | settled u8 | voters set | attempts count u8 | attempts x set]
//     where a set is epoch u32 | id list
//   [timing: sent u32 | echo u8 (0 or 1) | [echoed sent u32 | held u32]]
//     (flag bit4; microseconds on the sender's monotonic clock, modulo 2^32: the round trip
//     per peer and link. Sent only to a peer that advertised "heartbeat-timing": a build
//     before it rejects the flag, so heartbeats to it stay exactly as they were.)
// A 2-node heartbeat is 28 bytes (JSON was about 120); decoding checks every count against
// LIST_MAX and the exact length, and never throws.
import type { Heartbeat, View } from "./types";

export const HEARTBEAT_WIRE_VERSION = 1;
/** No list on the wire may be longer: above the config's 32-node limit, well below a frame. */
export const LIST_MAX = 32;
const FLAG_PROPOSAL = 1;
const FLAG_REPORT = 2;
/** The sender misses a peer and asks for an answer at once (no body of its own). */
const FLAG_PROBE = 4;
/** The sender leaves the cluster (a clean stop; no body of its own). */
const FLAG_LEAVING = 8;
/** A timing section ends the heartbeat (see withTiming). */
const FLAG_TIMING = 16;
const RING_MAX = 2 ** 48 - 1;

/** The quorum report that rides on each heartbeat; the same shape as src/quorum's QuorumReport. */
export interface WireVoterSet { epoch: number; ids: number[] }
export interface WireReport { ringId: number; settled: boolean; voters: WireVoterSet; attempts: WireVoterSet[] }

/**
 * When the sender sent this heartbeat, and the last send time it heard from the receiver on
 * this link with how long it held it since: the receiver's round trip is then
 * (its now - echoed) - held. Microseconds modulo 2^32 on each sender's own monotonic clock.
 */
export interface WireTiming { sentUs: number; echo?: { sentUs: number; heldUs: number } }

export type HeartbeatDecode =
  | { ok: true; heartbeat: Heartbeat; report: WireReport | undefined; timing?: WireTiming }
  | { ok: false; reason: string };

class Writer {
  private readonly parts: number[] = [];
  u8(value: number): void { this.parts.push(value & 0xff); }
  u16(value: number): void { this.u8(value >>> 8); this.u8(value); }
  u32(value: number): void { this.u16(Math.floor(value / 0x10000) & 0xffff); this.u16(value & 0xffff); }
  u48(value: number): void { this.u16(Math.floor(value / 2 ** 32) & 0xffff); this.u32(value % 2 ** 32); }
  ids(ids: readonly number[]): void {
    if (ids.length > LIST_MAX) throw new RangeError(`a heartbeat list holds at most ${LIST_MAX} ids`);
    this.u8(ids.length);
    for (const id of ids) this.u16(id);
  }
  bytes(): Buffer { return Buffer.from(this.parts); }
}

class Reader {
  offset = 0;
  constructor(private readonly data: Buffer) {}
  private need(bytes: number): void {
    if (this.offset + bytes > this.data.length) throw new WireError("truncated");
  }
  u8(): number { this.need(1); return this.data.readUInt8(this.offset++); }
  u16(): number { this.need(2); const value = this.data.readUInt16BE(this.offset); this.offset += 2; return value; }
  u32(): number { this.need(4); const value = this.data.readUInt32BE(this.offset); this.offset += 4; return value; }
  u48(): number { this.need(6); const value = this.data.readUIntBE(this.offset, 6); this.offset += 6; return value; }
  count(): number {
    const count = this.u8();
    if (count > LIST_MAX) throw new WireError(`list of ${count} exceeds ${LIST_MAX}`);
    return count;
  }
  ids(): number[] {
    const count = this.count();
    const ids: number[] = [];
    for (let index = 0; index < count; index++) ids.push(this.u16());
    return ids;
  }
  get done(): boolean { return this.offset === this.data.length; }
}

class WireError extends Error {}

function checkRing(ringId: number): void {
  if (!Number.isInteger(ringId) || ringId < 0 || ringId > RING_MAX) throw new RangeError(`ring id ${ringId} does not fit 48 bits`);
}

export function encodeHeartbeat(heartbeat: Heartbeat, report?: WireReport): Buffer {
  const writer = new Writer();
  writer.u8(HEARTBEAT_WIRE_VERSION);
  writer.u8((heartbeat.proposal !== null ? FLAG_PROPOSAL : 0) | (report !== undefined ? FLAG_REPORT : 0) | (heartbeat.probe === true ? FLAG_PROBE : 0) | (heartbeat.leaving === true ? FLAG_LEAVING : 0));
  writer.u32(heartbeat.incarnation >>> 0);
  writer.ids(heartbeat.reach);
  checkRing(heartbeat.view.ringId);
  writer.u48(heartbeat.view.ringId);
  if (heartbeat.view.members.length > LIST_MAX) throw new RangeError(`a view holds at most ${LIST_MAX} members`);
  writer.u8(heartbeat.view.members.length);
  for (const id of heartbeat.view.members) {
    writer.u16(id);
    writer.u32((heartbeat.view.incarnations[id] ?? 0) >>> 0);
  }
  if (heartbeat.proposal !== null) {
    checkRing(heartbeat.proposal.ringId);
    writer.u48(heartbeat.proposal.ringId);
    writer.ids(heartbeat.proposal.members);
  }
  if (report !== undefined) {
    checkRing(report.ringId);
    writer.u48(report.ringId);
    writer.u8(report.settled ? 1 : 0);
    writer.u32(report.voters.epoch);
    writer.ids(report.voters.ids);
    if (report.attempts.length > LIST_MAX) throw new RangeError(`at most ${LIST_MAX} attempts`);
    writer.u8(report.attempts.length);
    for (const attempt of report.attempts) {
      writer.u32(attempt.epoch);
      writer.ids(attempt.ids);
    }
  }
  return writer.bytes();
}

/**
 * The heartbeat body encodeHeartbeat made, with a timing section for one peer on one link:
 * the flag set and the section appended (the rest is shared by every peer and link).
 */
export function withTiming(body: Buffer, timing: WireTiming): Buffer {
  const section = Buffer.alloc(timing.echo === undefined ? 5 : 13);
  section.writeUInt32BE(timing.sentUs >>> 0, 0);
  if (timing.echo !== undefined) {
    section.writeUInt8(1, 4);
    section.writeUInt32BE(timing.echo.sentUs >>> 0, 5);
    section.writeUInt32BE(Math.min(Math.max(0, Math.round(timing.echo.heldUs)), 0xffffffff), 9);
  }
  const result = Buffer.concat([body, section]);
  result.writeUInt8(result.readUInt8(1) | FLAG_TIMING, 1);
  return result;
}

/** Decodes one heartbeat body; any malformed input is a reason, never an exception. */
export function decodeHeartbeat(bytes: Uint8Array): HeartbeatDecode {
  const reader = new Reader(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  try {
    if (reader.u8() !== HEARTBEAT_WIRE_VERSION) return { ok: false, reason: "version" };
    const flags = reader.u8();
    if ((flags & ~(FLAG_PROPOSAL | FLAG_REPORT | FLAG_PROBE | FLAG_LEAVING | FLAG_TIMING)) !== 0) return { ok: false, reason: "flags" };
    const incarnation = reader.u32();
    const reach = reader.ids();
    const view: View = { ringId: reader.u48(), members: [], incarnations: {} };
    const memberCount = reader.count();
    for (let index = 0; index < memberCount; index++) {
      const id = reader.u16();
      view.members.push(id);
      view.incarnations[id] = reader.u32();
    }
    let proposal: Heartbeat["proposal"] = null;
    if ((flags & FLAG_PROPOSAL) !== 0) {
      const ringId = reader.u48();
      proposal = { ringId, members: reader.ids() };
    }
    let report: WireReport | undefined;
    if ((flags & FLAG_REPORT) !== 0) {
      const ringId = reader.u48();
      const settled = reader.u8();
      if (settled > 1) return { ok: false, reason: "settled flag" };
      const voters = { epoch: reader.u32(), ids: reader.ids() };
      const attempts: WireVoterSet[] = [];
      const attemptCount = reader.count();
      for (let index = 0; index < attemptCount; index++) attempts.push({ epoch: reader.u32(), ids: reader.ids() });
      report = { ringId, settled: settled === 1, voters, attempts };
    }
    let timing: WireTiming | undefined;
    if ((flags & FLAG_TIMING) !== 0) {
      timing = { sentUs: reader.u32() };
      const echo = reader.u8();
      if (echo > 1) return { ok: false, reason: "echo flag" };
      if (echo === 1) timing.echo = { sentUs: reader.u32(), heldUs: reader.u32() };
    }
    if (!reader.done) return { ok: false, reason: "trailing bytes" };
    if (!sortedUnique(view.members) || (proposal !== null && !sortedUnique(proposal.members))) return { ok: false, reason: "ids not sorted" };
    const heartbeat: Heartbeat = { incarnation, reach, view, proposal };
    if ((flags & FLAG_PROBE) !== 0) heartbeat.probe = true;
    if ((flags & FLAG_LEAVING) !== 0) heartbeat.leaving = true;
    return timing === undefined ? { ok: true, heartbeat, report } : { ok: true, heartbeat, report, timing };
  } catch (error) {
    if (error instanceof WireError) return { ok: false, reason: error.message };
    throw error;
  }
}

function sortedUnique(ids: readonly number[]): boolean {
  for (let index = 1; index < ids.length; index++) if (ids[index]! <= ids[index - 1]!) return false;
  return true;
}
