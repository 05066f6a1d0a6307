// IPMI 1.5 sessions over LAN (what fence_ipmilan's lanplus=0 means): Get Channel
// Authentication Capabilities, Get Session Challenge, Activate Session and Set Session
// Privilege Level, with MD5 or straight-password authentication on every message and the
// session sequence numbers the BMC hands out. No encryption exists in IPMI 1.5; it is only
// for BMCs that lack RMCP+. Written from the IPMI v2.0 specification, sections 13.6, 22.13
// and 22.15-22.17.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { EdgehaError } from "../../src/common/errors";
import { BmcSocket } from "./udp";
import { completionError } from "./completion";

const RMCP = Buffer.from([0x06, 0x00, 0xff, 0x07]);

/** Authentication types of an IPMI 1.5 session header (and their bit in the capabilities). */
export const AUTH_TYPES = { none: 0, md5: 2, password: 4 } as const;
export type AuthName = keyof typeof AUTH_TYPES;

export interface Lan15Target {
  host: string; port: number; user: string; password: string; timeoutMs: number; retries: number;
  /** 1 callback, 2 user, 3 operator, 4 administrator. */
  privilege: number;
  /** auth= as fence_ipmilan names it; without it MD5, else straight password. "none" must be asked for. */
  auth?: AuthName;
}

function checksum(bytes: Buffer): number {
  let sum = 0;
  for (const byte of bytes) sum = (sum + byte) & 0xff;
  return (0x100 - sum) & 0xff;
}

function u32(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32LE(value >>> 0);
  return bytes;
}

/** The authentication type to use, from what the BMC offers (bit n = type n) and auth=. */
export function chooseAuthType(offered: number, asked: AuthName | undefined): number {
  const offers = (type: number): boolean => (offered & (1 << type)) !== 0;
  if (asked !== undefined) {
    const type = AUTH_TYPES[asked];
    if (!offers(type)) throw new EdgehaError("E_FENCE_IPMI", `the BMC does not offer IPMI 1.5 authentication type "${asked}" (auth=); it offers: ${offeredNames(offered) || "nothing"}`);
    return type;
  }
  if (offers(AUTH_TYPES.md5)) return AUTH_TYPES.md5;
  if (offers(AUTH_TYPES.password)) return AUTH_TYPES.password;
  throw new EdgehaError("E_FENCE_IPMI", `the BMC offers neither MD5 nor straight-password IPMI 1.5 authentication (it offers: ${offeredNames(offered) || "nothing"}); authentication type none accepts any password and is used only with auth=none`);
}

function offeredNames(offered: number): string {
  return (Object.entries(AUTH_TYPES) as Array<[AuthName, number]>).filter(([, type]) => offered & (1 << type)).map(([name]) => name).join(", ");
}

export class Lan15Session {
  private readonly socket: BmcSocket;
  private readonly password16: Buffer;
  private authType = 0;
  private sessionId = 0;
  private inboundSequence = 0;
  private rqSeq = 0;
  private active = false;

  constructor(private readonly target: Lan15Target, private readonly debug: (line: string) => void = () => {}) {
    if (Buffer.byteLength(target.password) > 16) throw new EdgehaError("E_FENCE_OPTION", "an IPMI 1.5 password (lanplus=0) is at most 16 bytes long; use lanplus=1 for longer ones");
    if (Buffer.byteLength(target.user) > 16) throw new EdgehaError("E_FENCE_OPTION", "an IPMI 1.5 user name (lanplus=0) is at most 16 bytes long");
    this.password16 = Buffer.alloc(16);
    this.password16.write(target.password, "utf8");
    this.socket = new BmcSocket(target, debug, " over IPMI 1.5");
  }

  private authCode(type: number, sessionId: number, message: Buffer, sequence: number): Buffer {
    if (type === AUTH_TYPES.password) return this.password16;
    return createHash("md5").update(Buffer.concat([this.password16, u32(sessionId), message, u32(sequence), this.password16])).digest();
  }

  private packet(type: number, sessionId: number, sequence: number, message: Buffer): Buffer {
    const header = Buffer.concat([Buffer.from([type]), u32(sequence), u32(sessionId)]);
    const code = type === AUTH_TYPES.none ? Buffer.alloc(0) : this.authCode(type, sessionId, message, sequence);
    return Buffer.concat([RMCP, header, code, Buffer.from([message.length]), message]);
  }

  /** The IPMI message of a 1.5 packet from the BMC, when its header and auth code check out. */
  private messageOf(packet: Buffer): Buffer | undefined {
    if (packet.length < 14 || packet.readUInt32BE(0) !== RMCP.readUInt32BE(0)) return undefined;
    const type = packet[4]!;
    if (type === 6) return undefined; // an RMCP+ packet
    const codeLength = type === AUTH_TYPES.none ? 0 : 16;
    const length = packet[13 + codeLength];
    if (length === undefined) return undefined;
    const message = packet.subarray(14 + codeLength, 14 + codeLength + length);
    if (this.active && type !== AUTH_TYPES.none) {
      const expected = this.authCode(type, packet.readUInt32LE(9), message, packet.readUInt32LE(5));
      if (!timingSafeEqual(expected, packet.subarray(13, 29))) return undefined;
    }
    return message;
  }

  /** Sends one request; returns [completion code, data]. Outside a session the header is unauthenticated. */
  private async send(netFn: number, command: number, data: Buffer, signal: AbortSignal, header?: { type: number; sessionId: number; sequence: number }): Promise<{ code: number; data: Buffer }> {
    this.rqSeq = (this.rqSeq + 1) & 0x3f;
    const seq = this.rqSeq;
    const head = Buffer.from([0x20, netFn << 2]);
    const tail = Buffer.concat([Buffer.from([0x81, seq << 2, command]), data]);
    const message = Buffer.concat([head, Buffer.from([checksum(head)]), tail, Buffer.from([checksum(tail)])]);
    const { type, sessionId, sequence } = header ?? { type: 0, sessionId: 0, sequence: 0 };
    const what = `command 0x${netFn.toString(16)}/0x${command.toString(16)}`;
    const response = await this.socket.exchange(this.packet(type, sessionId, sequence, message), (packet) => {
      const got = this.messageOf(packet);
      return got && got.length >= 8 && got[4] === seq << 2 && got[5] === command ? got : undefined;
    }, what, signal);
    return { code: response[6]!, data: response.subarray(7, response.length - 1) };
  }

  async open(signal: AbortSignal): Promise<void> {
    const { user, privilege } = this.target;
    const capabilities = await this.send(0x06, 0x38, Buffer.from([0x0e, privilege]), signal);
    if (capabilities.code !== 0 || capabilities.data.length < 2) throw new EdgehaError("E_FENCE_IPMI", `BMC answered Get Channel Authentication Capabilities with completion code 0x${capabilities.code.toString(16)}`);
    this.authType = chooseAuthType(capabilities.data[1]! & 0x3f, this.target.auth);
    const name = Buffer.alloc(16);
    name.write(user, "utf8");
    const challenge = await this.send(0x06, 0x39, Buffer.concat([Buffer.from([this.authType]), name]), signal);
    // 0x81: invalid user name; 0x82: null user name not enabled.
    if (challenge.code === 0x81 || challenge.code === 0x82) throw new EdgehaError("E_FENCE_AUTH", `BMC ${this.target.host}:${this.target.port} does not know the user "${user}" (Get Session Challenge answered 0x${challenge.code.toString(16)})`);
    if (challenge.code !== 0 || challenge.data.length < 20) throw new EdgehaError("E_FENCE_IPMI", `BMC answered Get Session Challenge with completion code 0x${challenge.code.toString(16)}`);
    const temporaryId = challenge.data.readUInt32LE(0);
    const outbound = (randomBytes(4).readUInt32LE() | 1) >>> 0;
    const activate = await this.activate(temporaryId, challenge.data.subarray(4, 20), outbound, signal).catch((error: unknown) => {
      // A BMC that rejects the auth code of Activate Session stays silent or answers an error.
      if (error instanceof EdgehaError && error.code === "E_FENCE_TIMEOUT") throw new EdgehaError("E_FENCE_AUTH", `BMC ${this.target.host}:${this.target.port} did not accept Activate Session for user "${user}": the password is most likely wrong`);
      throw error;
    });
    if (activate.code !== 0 || activate.data.length < 10) throw new EdgehaError("E_FENCE_AUTH", `BMC ${this.target.host}:${this.target.port} refused Activate Session for user "${user}" (completion code 0x${activate.code.toString(16)}): the password is most likely wrong, or the user lacks the privilege asked for (privlvl)`);
    this.authType = activate.data[0]! & 0x0f;
    this.sessionId = activate.data.readUInt32LE(1);
    this.inboundSequence = activate.data.readUInt32LE(5);
    this.active = true;
    this.debug(`IPMI 1.5 session 0x${this.sessionId.toString(16)} active (authentication type ${this.authType})`);
    await this.request(0x06, 0x3b, Buffer.from([privilege]), signal);
  }

  private activate(temporaryId: number, challenge: Buffer, outbound: number, signal: AbortSignal): Promise<{ code: number; data: Buffer }> {
    const data = Buffer.concat([Buffer.from([this.authType, this.target.privilege]), challenge, u32(outbound)]);
    return this.send(0x06, 0x3a, data, signal, { type: this.authType, sessionId: temporaryId, sequence: 0 });
  }

  /** Sends one IPMI request in the session and returns the response data (after the completion code). */
  async request(netFn: number, command: number, data: Buffer, signal: AbortSignal): Promise<Buffer> {
    // The sequence number advances with every message and skips 0, which means "outside a session".
    this.inboundSequence = (this.inboundSequence + 1) >>> 0 || 1;
    const response = await this.send(netFn, command, data, signal, { type: this.authType, sessionId: this.sessionId, sequence: this.inboundSequence });
    if (response.code !== 0) throw completionError(netFn, command, response.code);
    return response.data;
  }

  async close(signal: AbortSignal): Promise<void> {
    try {
      if (this.active) await this.request(0x06, 0x3c, u32(this.sessionId), signal);
    } catch { /* the session times out on the BMC anyway */ } finally {
      this.active = false;
      this.socket.close();
    }
  }
}
