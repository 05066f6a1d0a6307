// The fence_xvm wire format (fence_virtd's multicast listener): the 176-byte
// request, signed with H(key ‖ request-with-zero-hash), the 64-byte challenge
// answers of the TCP callback, and the host list records. Pure, unit-tested.
// Multi-byte fields are little-endian: fence_virt writes host order, and every
// deployment we interoperate with is little-endian.
import { createHash } from "node:crypto";
import { EdgehaError } from "../../src/common/errors";

export const REQUEST_LENGTH = 176;
export const CHALLENGE_LENGTH = 64;
export const HOST_RECORD_LENGTH = 130;
export const RESPONSE_HOST_LIST_FOLLOWS = 253;

export type XvmOperation = "null" | "off" | "reboot" | "on" | "status" | "monitor" | "list";
const operationCodes: Record<XvmOperation, number> = { null: 0, off: 1, reboot: 2, on: 3, status: 4, monitor: 5, list: 6 };

export type XvmHash = "none" | "sha1" | "sha256" | "sha512";
const hashCodes: Record<XvmHash, number> = { none: 0, sha1: 1, sha256: 2, sha512: 3 };

export function parseHash(text: string): XvmHash {
  if (text === "none" || text === "sha1" || text === "sha256" || text === "sha512") return text;
  throw new EdgehaError("E_XVM_OPTION", `"${text}" is not a fence_xvm hash: use none, sha1, sha256 or sha512`);
}

export interface XvmRequest {
  operation: XvmOperation;
  hash: XvmHash;
  domain: string;
  domainIsUuid: boolean;
  /** The IPv4 address fence_virtd calls back. */
  address: string;
  port: number;
  /** 6 random bytes, fresh for every transmission. */
  random: Buffer;
  /** Reused for every retransmission of one request (fence_virtd drops duplicates by it). */
  sequence: number;
}

/** H(key ‖ data), zero-padded to 64 bytes; empty for "none". */
export function digest(hash: XvmHash, key: Buffer, data: Buffer): Buffer {
  const padded = Buffer.alloc(64);
  if (hash !== "none") createHash(hash).update(key).update(data).digest().copy(padded);
  return padded;
}

export function encodeRequest(request: XvmRequest, key: Buffer): Buffer {
  const domain = Buffer.from(request.domain, "utf8");
  if (domain.length > 63) throw new EdgehaError("E_XVM_OPTION", `domain name "${request.domain}" is longer than 63 bytes`);
  const address = request.address.split(".").map(Number);
  if (address.length !== 4 || address.some((part) => !Number.isInteger(part) || part < 0 || part > 255)) {
    throw new EdgehaError("E_XVM_OPTION", `"${request.address}" is not an IPv4 address to be called back on`);
  }
  if (request.random.length !== 6) throw new RangeError("the request salt must be 6 bytes");
  const buffer = Buffer.alloc(REQUEST_LENGTH);
  buffer[0] = operationCodes[request.operation];
  buffer[1] = hashCodes[request.hash];
  buffer[2] = 4;
  buffer[3] = request.domainIsUuid ? 1 : 0;
  domain.copy(buffer, 4);
  Buffer.from(address).copy(buffer, 68);
  buffer.writeUInt16LE(request.port, 96);
  request.random.copy(buffer, 98);
  buffer.writeUInt32LE(request.sequence >>> 0, 104);
  buffer.writeUInt32LE(2, 108);
  digest(request.hash, key, buffer).copy(buffer, 112);
  return buffer;
}

/** Checks a request's signature, as fence_virtd does; used by tests and diagnostics. */
export function verifyRequest(buffer: Buffer, key: Buffer): boolean {
  if (buffer.length !== REQUEST_LENGTH) return false;
  const hash = (Object.keys(hashCodes) as XvmHash[]).find((name) => hashCodes[name] === buffer[1]);
  if (!hash) return false;
  const unsigned = Buffer.from(buffer);
  unsigned.fill(0, 112);
  return digest(hash, key, unsigned).equals(buffer.subarray(112));
}

export interface HostRecord {
  domain: string;
  uuid: string;
  /** libvirt's virDomainState; 1 is running. */
  state: number;
}

function cString(bytes: Buffer): string {
  const end = bytes.indexOf(0);
  return bytes.subarray(0, end === -1 ? bytes.length : end).toString("utf8");
}

/** A 130-byte host record; undefined for the all-zero terminator. */
export function decodeHostRecord(record: Buffer): HostRecord | undefined {
  if (record.length !== HOST_RECORD_LENGTH) throw new RangeError(`host record must be ${HOST_RECORD_LENGTH} bytes`);
  if (record.every((byte) => byte === 0)) return undefined;
  return { domain: cString(record.subarray(0, 64)), uuid: cString(record.subarray(64, 128)), state: record[128]! };
}

export function encodeHostRecord(host: HostRecord): Buffer {
  const record = Buffer.alloc(HOST_RECORD_LENGTH);
  Buffer.from(host.domain, "utf8").copy(record, 0, 0, 63);
  Buffer.from(host.uuid, "utf8").copy(record, 64, 0, 63);
  record[128] = host.state;
  return record;
}
