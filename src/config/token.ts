// Join tokens: what `edgeha cluster setup` (and `cluster token`, `cluster node add`) print,
// and what `edgeha cluster join TOKEN` hands back to fetch the config and the authkey from
// a running member. A token names the cluster (by the hash every frame carries), the node
// it is for, where the member listens, when it expires, and a 32-byte secret that keys the
// exchange: the member and the joiner each prove they hold it, and the config and key
// travel sealed with a key derived from it and two fresh nonces (AES-256-GCM). The token
// is never sent; only its id is. Pure apart from the randomness a new token needs.
//
// Text form: "EH1." + base64url of
//   version u8 (=1) | token id 8 | secret 32 | cluster hash 4 | expires u32 (unix seconds) |
//   node id u16 | port u16 | count u8 | count x (length u8, address as text) | checksum 4
// The checksum (sha256 of the rest, first 4 bytes) catches a mistyped token before any
// connection is made.
import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from "node:crypto";
import { isIPv4, isIPv6 } from "node:net";
import { EdgehaError } from "../common/errors";

const PREFIX = "EH1.";
const VERSION = 1;
const ID_BYTES = 8;
const SECRET_BYTES = 32;
const CHECKSUM_BYTES = 4;
export const NONCE_BYTES = 32;
/** Member addresses a token carries at most (a node's links). */
const ADDRESSES_MAX = 8;
/** An IPv6 address with a zone is at most about 60 characters. */
const ADDRESS_TEXT_MAX = 64;
/** A token lives one hour unless asked otherwise (kubeadm's tokens live a day; ours carry the key). */
export const TOKEN_TTL_SECONDS_DEFAULT = 3600;
export const TOKEN_TTL_SECONDS_MAX = 7 * 24 * 3600;

export interface JoinToken {
  id: Buffer;
  secret: Buffer;
  clusterHash: Buffer;
  expiresAtSeconds: number;
  /** The node of the config this token lets in. */
  nodeId: number;
  /** Where the member that issued the token listens (its link addresses, its transport port). */
  addresses: string[];
  port: number;
}

export function newJoinToken(options: { clusterHash: Buffer; nodeId: number; addresses: string[]; port: number; nowSeconds: number; ttlSeconds?: number }): JoinToken {
  const ttl = options.ttlSeconds ?? TOKEN_TTL_SECONDS_DEFAULT;
  if (!(Number.isInteger(ttl) && ttl > 0 && ttl <= TOKEN_TTL_SECONDS_MAX)) {
    throw new EdgehaError("E_USAGE", `a token lives 1 second to ${TOKEN_TTL_SECONDS_MAX / 86400} days, not ${ttl} seconds`);
  }
  return {
    id: randomBytes(ID_BYTES), secret: randomBytes(SECRET_BYTES), clusterHash: Buffer.from(options.clusterHash), expiresAtSeconds: options.nowSeconds + ttl,
    nodeId: options.nodeId, addresses: options.addresses.slice(0, ADDRESSES_MAX), port: options.port,
  };
}

export function encodeJoinToken(token: JoinToken): string {
  const parts: Buffer[] = [Buffer.from([VERSION]), token.id, token.secret, token.clusterHash];
  const fixed = Buffer.alloc(9);
  fixed.writeUInt32BE(token.expiresAtSeconds >>> 0, 0);
  fixed.writeUInt16BE(token.nodeId, 4);
  fixed.writeUInt16BE(token.port, 6);
  fixed.writeUInt8(token.addresses.length, 8);
  parts.push(fixed);
  for (const address of token.addresses) parts.push(encodeAddress(address));
  const body = Buffer.concat(parts);
  return PREFIX + Buffer.concat([body, checksumOf(body)]).toString("base64url");
}

const invalid = (why: string) => new EdgehaError("E_JOIN_TOKEN_INVALID", `this is not a join token: ${why} (copy it again whole from the output of 'edgeha cluster setup' or 'edgeha cluster token')`);

/** Reads a token's text; E_JOIN_TOKEN_INVALID for anything that is not one, a typo included. */
export function decodeJoinToken(text: string): JoinToken {
  const trimmed = text.trim();
  if (!trimmed.startsWith(PREFIX)) return failWith(invalid(`it does not start with '${PREFIX}'`));
  if (trimmed.length > 400 || !/^[A-Za-z0-9_-]+$/.test(trimmed.slice(PREFIX.length))) return failWith(invalid("it has characters a token never has"));
  const bytes = Buffer.from(trimmed.slice(PREFIX.length), "base64url");
  const fixedBytes = 1 + ID_BYTES + SECRET_BYTES + 4 + 9;
  if (bytes.length < fixedBytes + CHECKSUM_BYTES) return failWith(invalid("it is too short"));
  const body = bytes.subarray(0, bytes.length - CHECKSUM_BYTES);
  if (!checksumOf(body).equals(bytes.subarray(bytes.length - CHECKSUM_BYTES))) return failWith(invalid("its checksum does not match (a typo, or a part missing)"));
  if (body[0] !== VERSION) return failWith(invalid(`it is of token version ${body[0]}, which this edgeha does not read`));
  let offset = 1;
  const take = (count: number) => body.subarray(offset, (offset += count));
  const id = Buffer.from(take(ID_BYTES));
  const secret = Buffer.from(take(SECRET_BYTES));
  const clusterHash = Buffer.from(take(4));
  const fixed = take(9);
  const count = fixed.readUInt8(8);
  const addresses: string[] = [];
  for (let index = 0; index < count; index++) {
    const size = body[offset] ?? 0;
    if (size === 0 || size > ADDRESS_TEXT_MAX || offset + 1 + size > body.length) return failWith(invalid("an address in it is damaged"));
    offset += 1;
    const address = take(size).toString("utf8");
    if (!(isIPv4(address) || isIPv6(address.split("%")[0]!))) return failWith(invalid("an address in it is damaged"));
    addresses.push(address);
  }
  if (offset !== body.length || count === 0) return failWith(invalid("its length does not add up"));
  return { id, secret, clusterHash, expiresAtSeconds: fixed.readUInt32BE(0), nodeId: fixed.readUInt16BE(4), port: fixed.readUInt16BE(6), addresses };
}

function failWith(error: EdgehaError): never {
  throw error;
}

function checksumOf(body: Buffer): Buffer {
  return createHash("sha256").update(body).digest().subarray(0, CHECKSUM_BYTES);
}

function encodeAddress(address: string): Buffer {
  const text = Buffer.from(address, "utf8");
  if (!(isIPv4(address) || isIPv6(address.split("%")[0]!)) || text.length > ADDRESS_TEXT_MAX) throw new EdgehaError("E_USAGE", `${address} is not an IP address`);
  return Buffer.concat([Buffer.from([text.length]), text]);
}

// ---- the exchange ---------------------------------------------------------------

/** The joiner's proof that it holds the token's secret, bound to both nonces. */
export function joinProof(secret: Buffer, memberNonce: Buffer, joinerNonce: Buffer, id: Buffer): Buffer {
  return createHmac("sha256", secret).update("edgeha join proof v1").update(memberNonce).update(joinerNonce).update(id).digest();
}

export function proofMatches(expected: Buffer, given: Buffer): boolean {
  return expected.length === given.length && timingSafeEqual(expected, given);
}

function sealingKey(secret: Buffer, memberNonce: Buffer, joinerNonce: Buffer): Buffer {
  return Buffer.from(hkdfSync("sha256", secret, Buffer.concat([memberNonce, joinerNonce]), "edgeha join seal v1", 32));
}

/** The member seals what it sends: iv 12 | ciphertext | tag 16. Only a holder of the secret can open it, or make one that opens. */
export function sealForJoiner(secret: Buffer, memberNonce: Buffer, joinerNonce: Buffer, payload: Buffer): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", sealingKey(secret, memberNonce, joinerNonce), iv);
  const body = Buffer.concat([cipher.update(payload), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]);
}

/** Opens what the member sealed; undefined when it was not sealed with this token's secret. */
export function openFromMember(secret: Buffer, memberNonce: Buffer, joinerNonce: Buffer, sealed: Buffer): Buffer | undefined {
  if (sealed.length < 12 + 16) return undefined;
  try {
    const decipher = createDecipheriv("aes-256-gcm", sealingKey(secret, memberNonce, joinerNonce), sealed.subarray(0, 12));
    decipher.setAuthTag(sealed.subarray(sealed.length - 16));
    return Buffer.concat([decipher.update(sealed.subarray(12, sealed.length - 16)), decipher.final()]);
  } catch {
    return undefined;
  }
}
