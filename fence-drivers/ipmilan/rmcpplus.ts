// IPMI v2.0 RMCP+ client over UDP: Open Session, RAKP 1-4 with cipher suite 3
// (HMAC-SHA1 / HMAC-SHA1-96 / AES-CBC-128) or 17 (HMAC-SHA256 / HMAC-SHA256-128 /
// AES-CBC-128), then authenticated and encrypted IPMI requests.
import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { EdgehaError } from "../../src/common/errors";
import { BmcSocket } from "./udp";
import { completionError } from "./completion";

const RMCP = Buffer.from([0x06, 0x00, 0xff, 0x07]);
const PAYLOAD = { ipmi: 0x00, openReq: 0x10, openResp: 0x11, rakp1: 0x12, rakp2: 0x13, rakp3: 0x14, rakp4: 0x15 } as const;

interface Suite { hash: "sha1" | "sha256"; authAlg: number; integrityAlg: number; confidentialityAlg: number; icvLength: number; hashLength: number }
export const CIPHER_SUITES: Record<number, Suite> = {
  // Suite 0: no authentication, integrity or encryption; the BMC accepts any password.
  // The driver only builds it when allow_cipher0=1 says so.
  0: { hash: "sha1", authAlg: 0, integrityAlg: 0, confidentialityAlg: 0, icvLength: 0, hashLength: 0 },
  3: { hash: "sha1", authAlg: 1, integrityAlg: 1, confidentialityAlg: 1, icvLength: 12, hashLength: 20 },
  17: { hash: "sha256", authAlg: 3, integrityAlg: 4, confidentialityAlg: 1, icvLength: 16, hashLength: 32 },
};

export interface LanTarget {
  host: string; port: number; user: string; password: string; cipher: number; timeoutMs: number; retries: number;
  /** The BMC key K_G (20 bytes, from hexadecimal_kg): keys the session instead of the password when set. */
  kg?: Buffer;
  /** Privilege level asked for: 1 callback, 2 user, 3 operator, 4 administrator (the default). */
  privilege?: number;
}

function hmac(hash: string, key: Buffer, ...parts: Buffer[]): Buffer {
  return createHmac(hash, key).update(Buffer.concat(parts)).digest();
}

function u32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(value >>> 0);
  return b;
}

function checksum(bytes: Buffer): number {
  let sum = 0;
  for (const byte of bytes) sum = (sum + byte) & 0xff;
  return (0x100 - sum) & 0xff;
}

export class RmcpPlusSession {
  private readonly socket: BmcSocket;
  private remoteSid = 0;
  private managedSid = 0;
  private sequence = 0;
  private rqSeq = 0;
  private k1: Buffer = Buffer.alloc(0);
  private aesKey: Buffer = Buffer.alloc(0);
  private established = false;
  private readonly suite: Suite;

  constructor(private readonly target: LanTarget, private readonly debug: (line: string) => void = () => {}) {
    const suite = CIPHER_SUITES[target.cipher];
    if (!suite) throw new EdgehaError("E_FENCE_OPTION", `cipher suite ${target.cipher} is not supported by ipmilan (3 and 17 are; 0 with allow_cipher0=1)`);
    this.suite = suite;
    this.socket = new BmcSocket(target, debug);
  }

  private unauthPacket(payloadType: number, payload: Buffer): Buffer {
    const header = Buffer.alloc(12);
    header[0] = 0x06; header[1] = payloadType;
    header.writeUInt16LE(payload.length, 10);
    return Buffer.concat([RMCP, header, payload]);
  }

  private payloadOf(message: Buffer, type: number): Buffer | undefined {
    if (message.length < 16 || message[4] !== 0x06 || (message[5]! & 0x3f) !== type) return undefined;
    return message.subarray(16, 16 + message.readUInt16LE(14));
  }

  async open(signal: AbortSignal): Promise<void> {
    const { user, password } = this.target;
    this.remoteSid = (randomBytes(4).readUInt32LE() | 1) >>> 0;
    const alg = (type: number, value: number) => Buffer.from([type, 0, 0, 8, value, 0, 0, 0]);
    const openReq = Buffer.concat([Buffer.from([1, 4, 0, 0]), u32(this.remoteSid), alg(0, this.suite.authAlg), alg(1, this.suite.integrityAlg), alg(2, this.suite.confidentialityAlg)]);
    const openResp = await this.socket.exchange(this.unauthPacket(PAYLOAD.openReq, openReq), (m) => this.payloadOf(m, PAYLOAD.openResp), "Open Session", signal);
    if (openResp[1] !== 0) throw new EdgehaError("E_FENCE_IPMI", `BMC refused RMCP+ Open Session (status 0x${openResp[1]!.toString(16)}); cipher suite ${this.target.cipher} is probably not enabled on it`);
    this.managedSid = openResp.readUInt32LE(8);
    const rm = randomBytes(16);
    const privilege = this.target.privilege ?? 4;
    const role = 0x10 | privilege; // name-only lookup, at the privilege asked for
    const name = Buffer.from(user, "utf8");
    const rakp1 = Buffer.concat([Buffer.from([2, 0, 0, 0]), u32(this.managedSid), rm, Buffer.from([role, 0, 0, name.length]), name]);
    const rakp2 = await this.socket.exchange(this.unauthPacket(PAYLOAD.rakp1, rakp1), (m) => this.payloadOf(m, PAYLOAD.rakp2), "RAKP 1", signal);
    if (rakp2[1] !== 0) throw new EdgehaError("E_FENCE_AUTH", `BMC refused RAKP 1 (status 0x${rakp2[1]!.toString(16)}): the user name "${user}" is probably unknown or lacks the privilege asked for (privlvl)`);
    const rc = rakp2.subarray(8, 24);
    const guid = rakp2.subarray(24, 40);
    const their = rakp2.subarray(40, 40 + this.suite.hashLength);
    const kuid = Buffer.alloc(Math.max(20, Buffer.byteLength(password)));
    kuid.write(password, "utf8");
    const roleName = Buffer.concat([Buffer.from([role, name.length]), name]);
    const expected = this.suite.authAlg === 0 ? Buffer.alloc(0) : hmac(this.suite.hash, kuid, u32(this.remoteSid), u32(this.managedSid), rm, rc, guid, roleName);
    if (their.length !== expected.length || !timingSafeEqual(their, expected)) {
      throw new EdgehaError("E_FENCE_AUTH", `BMC ${this.target.host}:${this.target.port} rejected the login for user "${user}": the RAKP 2 key exchange code does not match, so the password is most likely wrong`);
    }
    // The session integrity key comes from K_G when the BMC has one, else from the user's key.
    const sik = hmac(this.suite.hash, this.target.kg ?? kuid, rm, rc, roleName);
    // The constants are 20 bytes for every suite, SHA-256 ones included (as ipmitool and BMCs use them).
    this.k1 = hmac(this.suite.hash, sik, Buffer.alloc(20, 1));
    this.aesKey = hmac(this.suite.hash, sik, Buffer.alloc(20, 2)).subarray(0, 16);
    const rakp3Code = this.suite.authAlg === 0 ? Buffer.alloc(0) : hmac(this.suite.hash, kuid, rc, u32(this.remoteSid), roleName);
    const rakp3 = Buffer.concat([Buffer.from([3, 0, 0, 0]), u32(this.managedSid), rakp3Code]);
    const rakp4 = await this.socket.exchange(this.unauthPacket(PAYLOAD.rakp3, rakp3), (m) => this.payloadOf(m, PAYLOAD.rakp4), "RAKP 3", signal);
    if (rakp4[1] !== 0) throw new EdgehaError("E_FENCE_AUTH", `BMC refused RAKP 3 (status 0x${rakp4[1]!.toString(16)}); the password is most likely wrong`);
    const icv = hmac(this.suite.hash, sik, rm, u32(this.managedSid), guid).subarray(0, this.suite.icvLength);
    if (this.suite.icvLength > 0 && !timingSafeEqual(rakp4.subarray(8, 8 + this.suite.icvLength), icv)) {
      throw new EdgehaError("E_FENCE_AUTH", `BMC ${this.target.host}:${this.target.port} accepted the password but the session keys do not match: ${this.target.kg ? "the BMC key (hexadecimal_kg) is most likely wrong" : "the BMC most likely has a BMC key (K_G) set; give it as hexadecimal_kg"}`);
    }
    this.established = true;
    this.debug(`RMCP+ session 0x${this.managedSid.toString(16)} open with cipher suite ${this.target.cipher}`);
    await this.request(0x06, 0x3b, Buffer.from([privilege]), signal);
  }

  private sessionPacket(message: Buffer): Buffer {
    if (this.suite.authAlg === 0) return this.plainSessionPacket(message);
    const iv = randomBytes(16);
    const padLength = (16 - ((message.length + 1) % 16)) % 16;
    const plain = Buffer.concat([message, Buffer.from(Array.from({ length: padLength }, (_, i) => i + 1)), Buffer.from([padLength])]);
    const cipher = createCipheriv("aes-128-cbc", this.aesKey, iv).setAutoPadding(false);
    const payload = Buffer.concat([iv, cipher.update(plain), cipher.final()]);
    this.sequence++;
    const header = Buffer.alloc(12);
    header[0] = 0x06; header[1] = 0xc0 | PAYLOAD.ipmi;
    header.writeUInt32LE(this.managedSid, 2);
    header.writeUInt32LE(this.sequence, 6);
    header.writeUInt16LE(payload.length, 10);
    const body = Buffer.concat([header, payload]);
    const integrityPad = (4 - ((body.length + 2) % 4)) % 4;
    const signed = Buffer.concat([body, Buffer.alloc(integrityPad, 0xff), Buffer.from([integrityPad, 0x07])]);
    return Buffer.concat([RMCP, signed, hmac(this.suite.hash, this.k1, signed).subarray(0, this.suite.icvLength)]);
  }

  /** Suite 0: the IPMI message as it is, neither encrypted nor signed. */
  private plainSessionPacket(message: Buffer): Buffer {
    this.sequence++;
    const header = Buffer.alloc(12);
    header[0] = 0x06; header[1] = PAYLOAD.ipmi;
    header.writeUInt32LE(this.managedSid, 2);
    header.writeUInt32LE(this.sequence, 6);
    header.writeUInt16LE(message.length, 10);
    return Buffer.concat([RMCP, header, message]);
  }

  private openSessionMessage(message: Buffer): Buffer | undefined {
    if (this.suite.authAlg === 0) {
      if (message.length < 16 || message[4] !== 0x06 || message[5] !== PAYLOAD.ipmi || message.readUInt32LE(6) !== this.remoteSid) return undefined;
      return message.subarray(16, 16 + message.readUInt16LE(14));
    }
    if (message.length < 16 || message[4] !== 0x06 || message[5] !== (0xc0 | PAYLOAD.ipmi) || message.readUInt32LE(6) !== this.remoteSid) return undefined;
    const length = message.readUInt16LE(14);
    const signedEnd = message.length - this.suite.icvLength;
    const mac = hmac(this.suite.hash, this.k1, message.subarray(4, signedEnd)).subarray(0, this.suite.icvLength);
    if (!timingSafeEqual(mac, message.subarray(signedEnd))) return undefined;
    const payload = message.subarray(16, 16 + length);
    const decipher = createDecipheriv("aes-128-cbc", this.aesKey, payload.subarray(0, 16)).setAutoPadding(false);
    const plain = Buffer.concat([decipher.update(payload.subarray(16)), decipher.final()]);
    return plain.subarray(0, plain.length - 1 - plain[plain.length - 1]!);
  }

  /** Sends one IPMI request in the session and returns the response data (after the completion code). */
  async request(netFn: number, command: number, data: Buffer, signal: AbortSignal): Promise<Buffer> {
    this.rqSeq = (this.rqSeq + 1) & 0x3f;
    const seq = this.rqSeq;
    const head = Buffer.from([0x20, netFn << 2]);
    const tail = Buffer.concat([Buffer.from([0x81, seq << 2, command]), data]);
    const message = Buffer.concat([head, Buffer.from([checksum(head)]), tail, Buffer.from([checksum(tail)])]);
    const response = await this.socket.exchange(this.sessionPacket(message), (m) => {
      const got = this.openSessionMessage(m);
      return got && got.length >= 8 && got[4] === seq << 2 && got[5] === command ? got : undefined;
    }, `command 0x${netFn.toString(16)}/0x${command.toString(16)}`, signal);
    const code = response[6]!;
    if (code !== 0) throw completionError(netFn, command, code);
    return response.subarray(7, response.length - 1);
  }

  async close(signal: AbortSignal): Promise<void> {
    try {
      if (this.established) await this.request(0x06, 0x3c, u32(this.managedSid), signal);
    } catch { /* the session times out on the BMC anyway */ } finally {
      this.socket.close();
    }
  }
}
