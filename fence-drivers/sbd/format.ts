// The on-disk layout of sbd (the STONITH Block Device, Debian package sbd), so that edgeha
// and sbd share one disk: `sbd -d DEVICE list` shows edgeha's slots, and a message sbd writes
// reaches edgeha. Facts from sbd's source (src/sbd.h, src/sbd-md.c), written anew here:
//   sector 0           header: "SBD_SBD_", version 2, slot count (255), then in network byte
//                      order the sector size and the watchdog, allocate, loop and msgwait
//                      timeouts (seconds), then the minor version (1) and a 16-byte uuid; the
//                      C struct aligns the 32-bit fields to 4 bytes (offsets 12..31).
//   sector 1 + 2 * i   slot i: in_use (1 byte), the owner's name (64 bytes, NUL-terminated).
//   sector 2 + 2 * i   mailbox of slot i: the command (signed byte: 0 clear, 1 test, 2 reset,
//                      3 off, 4 exit, 5 crashdump), the sender's name (64 bytes).
// Names compare without regard to case, as sbd does. Pure.
import { EdgehaError } from "../../src/common/errors";

export const SBD_MAGIC = "SBD_SBD_";
export const SBD_VERSION = 2;
export const SBD_MINOR_VERSION = 1;
export const SBD_SLOTS = 255;
/** SECTOR_NAME_MAX: a name is at most 63 bytes, NUL-terminated in a 64-byte field. */
export const SBD_NAME_MAX = 63;

export const SBD_MESSAGES = ["clear", "test", "reset", "off", "exit", "crashdump"] as const;
export type SbdMessage = (typeof SBD_MESSAGES)[number];

export interface SbdHeader {
  version: number;
  minorVersion: number;
  slots: number;
  sectorSize: number;
  timeoutWatchdogSeconds: number;
  timeoutAllocateSeconds: number;
  timeoutLoopSeconds: number;
  timeoutMsgwaitSeconds: number;
  /** Lower-case hexadecimal with dashes, as `sbd dump` prints it. */
  uuid: string;
}

export const slotSector = (slot: number): number => 1 + slot * 2;
export const mailboxSector = (slot: number): number => 2 + slot * 2;

export function decodeHeader(sector: Buffer, where: string): SbdHeader {
  if (sector.subarray(0, 8).toString("latin1") !== SBD_MAGIC) throw new EdgehaError("E_FENCE_SBD", `${where} has no sbd header (create one with: sbd -d DEVICE create)`);
  const version = sector[8]!;
  if (version !== SBD_VERSION) throw new EdgehaError("E_FENCE_SBD", `${where}: sbd header version ${version}, expected ${SBD_VERSION}`);
  const hex = sector.subarray(33, 49).toString("hex");
  return {
    version, slots: sector[9]!, sectorSize: sector.readUInt32BE(12),
    timeoutWatchdogSeconds: sector.readUInt32BE(16), timeoutAllocateSeconds: sector.readUInt32BE(20), timeoutLoopSeconds: sector.readUInt32BE(24), timeoutMsgwaitSeconds: sector.readUInt32BE(28),
    minorVersion: sector[32]!, uuid: `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`,
  };
}

export function encodeHeader(header: SbdHeader): Buffer {
  const sector = Buffer.alloc(header.sectorSize);
  sector.write(SBD_MAGIC, 0, "latin1");
  sector[8] = header.version;
  sector[9] = header.slots;
  sector.writeUInt32BE(header.sectorSize, 12);
  sector.writeUInt32BE(header.timeoutWatchdogSeconds, 16);
  sector.writeUInt32BE(header.timeoutAllocateSeconds, 20);
  sector.writeUInt32BE(header.timeoutLoopSeconds, 24);
  sector.writeUInt32BE(header.timeoutMsgwaitSeconds, 28);
  sector[32] = header.minorVersion;
  Buffer.from(header.uuid.replace(/-/g, ""), "hex").copy(sector, 33);
  return sector;
}

function readName(sector: Buffer, offset: number): string {
  const field = sector.subarray(offset, offset + SBD_NAME_MAX + 1);
  const end = field.indexOf(0);
  return field.subarray(0, end === -1 ? SBD_NAME_MAX : end).toString("utf8");
}

function writeName(sector: Buffer, offset: number, name: string): void {
  const bytes = Buffer.from(name, "utf8");
  if (bytes.length > SBD_NAME_MAX) throw new EdgehaError("E_FENCE_SBD", `node name "${name}" is longer than sbd's ${SBD_NAME_MAX} bytes`);
  bytes.copy(sector, offset);
}

export interface SbdSlot { inUse: boolean; name: string }

export function decodeSlot(sector: Buffer): SbdSlot {
  return { inUse: sector[0] !== 0, name: readName(sector, 1) };
}

export function encodeSlot(slot: SbdSlot, sectorSize: number): Buffer {
  const sector = Buffer.alloc(sectorSize);
  sector[0] = slot.inUse ? 1 : 0;
  writeName(sector, 1, slot.name);
  return sector;
}

export interface SbdMailbox { message: SbdMessage | "unknown"; from: string }

export function decodeMailbox(sector: Buffer): SbdMailbox {
  const code = sector.readInt8(0);
  return { message: SBD_MESSAGES[code] ?? "unknown", from: readName(sector, 1) };
}

export function encodeMailbox(mailbox: { message: SbdMessage; from: string }, sectorSize: number): Buffer {
  const sector = Buffer.alloc(sectorSize);
  sector.writeInt8(SBD_MESSAGES.indexOf(mailbox.message), 0);
  writeName(sector, 1, mailbox.from);
  return sector;
}

export function sameName(left: string, right: string): boolean {
  return left.slice(0, SBD_NAME_MAX).toLowerCase() === right.slice(0, SBD_NAME_MAX).toLowerCase();
}
