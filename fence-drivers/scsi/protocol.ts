// SCSI-3 persistent reservations as fence_scsi uses them: the node keys, the
// PERSISTENT RESERVE IN/OUT command blocks, their parameter lists and replies, and
// sense data. Pure: no I/O, so every byte is unit-tested (SPC-4 §6.15, §6.16).
import { createHash } from "node:crypto";
import { EdgehaError } from "../../src/common/errors";

/** Write Exclusive – Registrants Only: every registered node may write (fence_scsi's type). */
export const TYPE_WRITE_EXCLUSIVE_REGISTRANTS_ONLY = 5;

export const STATUS_GOOD = 0x00;
export const STATUS_CHECK_CONDITION = 0x02;
export const STATUS_BUSY = 0x08;
export const STATUS_RESERVATION_CONFLICT = 0x18;

export const SENSE_KEY_NOT_READY = 0x2;
export const SENSE_KEY_ILLEGAL_REQUEST = 0x5;
export const SENSE_KEY_UNIT_ATTENTION = 0x6;

export type ReserveInAction = "read-keys" | "read-reservation";
export type ReserveOutAction = "register" | "reserve" | "release" | "clear" | "preempt" | "preempt-and-abort" | "register-and-ignore";

const reserveOutCodes: Record<ReserveOutAction, number> = {
  register: 0x00,
  reserve: 0x01,
  release: 0x02,
  clear: 0x03,
  preempt: 0x04,
  "preempt-and-abort": 0x05,
  "register-and-ignore": 0x06,
};

/** Largest node id a key can carry: the id fills 4 decimal digits. */
export const NODE_ID_MAX = 9999;

/**
 * The reservation key of a node, as 8 lower-case hex digits (a 32-bit value that
 * the target zero-extends to 64 bits, like sg_persist does).
 *
 * Derivation: the first 4 hex digits of MD5(cluster name), then the node id printed
 * as 4 decimal digits. This is fence_scsi's default `key_value=id` layout, with the
 * stable node id of edgeha.yaml in place of corosync's nodelist position, so a
 * node's key does not change when the node list is reordered.
 */
export function nodeKey(clusterName: string, nodeId: number): string {
  if (clusterName.length === 0) throw new EdgehaError("E_SCSI_KEY", "the cluster name for a SCSI reservation key is empty");
  if (!Number.isInteger(nodeId) || nodeId < 1 || nodeId > NODE_ID_MAX) {
    throw new EdgehaError("E_SCSI_KEY", `node id ${nodeId} cannot make a SCSI reservation key: it must be an integer from 1 to ${NODE_ID_MAX}`);
  }
  const prefix = createHash("md5").update(clusterName, "utf8").digest("hex").slice(0, 4);
  return prefix + String(nodeId).padStart(4, "0");
}

/** Parses a key as written by users or fence_scsi ("0x" optional, up to 16 hex digits, not zero). */
export function parseKey(text: string): bigint {
  const cleaned = text.trim().toLowerCase().replace(/^0x/, "");
  if (!/^[0-9a-f]{1,16}$/.test(cleaned)) throw new EdgehaError("E_SCSI_KEY", `"${text}" is not a reservation key: expected 1 to 16 hex digits`);
  const key = BigInt("0x" + cleaned);
  if (key === 0n) throw new EdgehaError("E_SCSI_KEY", "reservation key 0 means unregistered and cannot be used");
  return key;
}

export function formatKey(key: bigint): string {
  return key.toString(16);
}

/** PERSISTENT RESERVE IN (0x5E), 10 bytes. */
export function reserveInCommand(action: ReserveInAction, allocationLength: number): Buffer {
  if (allocationLength < 8 || allocationLength > 0xffff) throw new RangeError(`allocation length ${allocationLength} out of 8..65535`);
  const cdb = Buffer.alloc(10);
  cdb[0] = 0x5e;
  cdb[1] = action === "read-keys" ? 0x00 : 0x01;
  cdb.writeUInt16BE(allocationLength, 7);
  return cdb;
}

/** PERSISTENT RESERVE OUT (0x5F), 10 bytes, with the 24-byte basic parameter list. */
export function reserveOutCommand(action: ReserveOutAction, type: number): Buffer {
  const cdb = Buffer.alloc(10);
  cdb[0] = 0x5f;
  cdb[1] = reserveOutCodes[action];
  const usesType = action === "reserve" || action === "release" || action === "preempt" || action === "preempt-and-abort";
  cdb[2] = usesType ? type & 0x0f : 0;
  cdb.writeUInt32BE(24, 5);
  return cdb;
}

/** The basic parameter list: our current key, then the service action key (new key or victim key). */
export function reserveOutParameters(reservationKey: bigint, serviceActionKey: bigint): Buffer {
  const list = Buffer.alloc(24);
  list.writeBigUInt64BE(reservationKey, 0);
  list.writeBigUInt64BE(serviceActionKey, 8);
  return list;
}

export interface RegisteredKeys {
  generation: number;
  keys: bigint[];
  /** True when the target had more keys than the allocation length let through. */
  truncated: boolean;
}

export function parseReadKeys(data: Buffer): RegisteredKeys {
  if (data.length < 8) throw new EdgehaError("E_SCSI_REPLY", `READ KEYS reply of ${data.length} bytes is shorter than its 8-byte header`);
  const generation = data.readUInt32BE(0);
  const length = data.readUInt32BE(4);
  const available = Math.min(length, data.length - 8);
  const keys: bigint[] = [];
  for (let offset = 8; offset + 8 <= 8 + available; offset += 8) keys.push(data.readBigUInt64BE(offset));
  return { generation, keys, truncated: available < length };
}

export interface Reservation {
  generation: number;
  holder?: { key: bigint; type: number };
}

export function parseReadReservation(data: Buffer): Reservation {
  if (data.length < 8) throw new EdgehaError("E_SCSI_REPLY", `READ RESERVATION reply of ${data.length} bytes is shorter than its 8-byte header`);
  const generation = data.readUInt32BE(0);
  const length = data.readUInt32BE(4);
  if (length === 0) return { generation };
  if (data.length < 24) throw new EdgehaError("E_SCSI_REPLY", `READ RESERVATION reply announces a reservation but has only ${data.length} bytes`);
  return { generation, holder: { key: data.readBigUInt64BE(8), type: data[21]! & 0x0f } };
}

export interface Sense {
  key: number;
  asc: number;
  ascq: number;
}

/** Decodes fixed (0x70/0x71) or descriptor (0x72/0x73) sense data; undefined when absent or unknown. */
export function decodeSense(sense: Buffer): Sense | undefined {
  if (sense.length < 2) return undefined;
  const responseCode = sense[0]! & 0x7f;
  if (responseCode === 0x70 || responseCode === 0x71) {
    if (sense.length < 14) return sense.length >= 3 ? { key: sense[2]! & 0x0f, asc: 0, ascq: 0 } : undefined;
    return { key: sense[2]! & 0x0f, asc: sense[12]!, ascq: sense[13]! };
  }
  if (responseCode === 0x72 || responseCode === 0x73) {
    if (sense.length < 4) return undefined;
    return { key: sense[1]! & 0x0f, asc: sense[2]!, ascq: sense[3]! };
  }
  return undefined;
}

const senseKeyNames: Record<number, string> = {
  0x0: "NO SENSE",
  0x1: "RECOVERED ERROR",
  0x2: "NOT READY",
  0x3: "MEDIUM ERROR",
  0x4: "HARDWARE ERROR",
  0x5: "ILLEGAL REQUEST",
  0x6: "UNIT ATTENTION",
  0x7: "DATA PROTECT",
  0xb: "ABORTED COMMAND",
};

const additionalSenseNames: Record<string, string> = {
  "20/00": "invalid command operation code",
  "24/00": "invalid field in CDB",
  "26/00": "invalid field in parameter list",
  "29/00": "power on, reset or bus device reset occurred",
  "2a/03": "reservations preempted",
  "2a/04": "reservations released",
  "2a/05": "registrations preempted",
};

export function describeSense(sense: Sense): string {
  const hex = (value: number) => value.toString(16).padStart(2, "0");
  const code = `${hex(sense.asc)}/${hex(sense.ascq)}`;
  const keyName = senseKeyNames[sense.key] ?? `sense key 0x${hex(sense.key)}`;
  const detail = additionalSenseNames[code];
  return detail ? `${keyName} (${code} ${detail})` : `${keyName} (ASC/ASCQ ${code})`;
}

/** The target did not implement the command or field (tgtd answers PREEMPT AND ABORT so). */
export function isIllegalRequest(sense: Sense | undefined): boolean {
  return sense?.key === SENSE_KEY_ILLEGAL_REQUEST;
}

export function isUnitAttention(sense: Sense | undefined): boolean {
  return sense?.key === SENSE_KEY_UNIT_ATTENTION;
}

export function describeStatus(status: number): string {
  switch (status) {
    case STATUS_GOOD: return "GOOD";
    case STATUS_CHECK_CONDITION: return "CHECK CONDITION";
    case STATUS_BUSY: return "BUSY";
    case STATUS_RESERVATION_CONFLICT: return "RESERVATION CONFLICT";
    case 0x28: return "TASK SET FULL";
    default: return `status 0x${status.toString(16).padStart(2, "0")}`;
  }
}
