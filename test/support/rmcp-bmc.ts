// A small IPMI v2.0 BMC over LAN for tests: RMCP+ with cipher suites 3 (HMAC-SHA1) and 17
// (HMAC-SHA256), each with AES-CBC-128, an optional BMC key (K_G), one user, and a chassis
// with a power state (Get Chassis Status, Chassis Control). ipmi_sim has no SHA-256, so the
// suite-17 path of our driver is proven against this; the tests first check that ipmitool
// itself (`-I lanplus -C 17`) gets correct answers from it. Written from the IPMI v2.0
// specification (sections 13.14-13.32 and 22.12-22.13).
import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { createSocket, type RemoteInfo, type Socket } from "node:dgram";

interface Suite { hash: "sha1" | "sha256"; authAlg: number; integrityAlg: number; confidentialityAlg: number; hashLength: number; icvLength: number }
const SUITES: Record<number, Suite> = {
  // Suite 0: RAKP-none, no integrity, no encryption; any password is accepted (only when offered).
  0: { hash: "sha1", authAlg: 0, integrityAlg: 0, confidentialityAlg: 0, hashLength: 0, icvLength: 0 },
  3: { hash: "sha1", authAlg: 1, integrityAlg: 1, confidentialityAlg: 1, hashLength: 20, icvLength: 12 },
  17: { hash: "sha256", authAlg: 3, integrityAlg: 4, confidentialityAlg: 1, hashLength: 32, icvLength: 16 },
};

export interface RmcpBmcOptions {
  user: string;
  password: string;
  /** The BMC key K_G (hex); without it the user's key is used, as the specification says. */
  kgHex?: string;
  /** Cipher suites offered (0, 3 and/or 17); 3 and 17 by default. */
  suites?: number[];
  /** The chassis status follows a power command this much later (a real BMC's lag; 0 by default). */
  statusLagMs?: number;
}

interface Session {
  suite: Suite;
  consoleSid: number;
  managedSid: number;
  rm?: Buffer;
  rc?: Buffer;
  roleName?: Buffer;
  k1?: Buffer;
  k2?: Buffer;
  sequence: number;
}

const hmac = (hash: string, key: Buffer, ...parts: Buffer[]): Buffer => createHmac(hash, key).update(Buffer.concat(parts)).digest();
const u32 = (value: number): Buffer => { const b = Buffer.alloc(4); b.writeUInt32LE(value >>> 0); return b; };
const checksum = (bytes: Buffer): number => (0x100 - (bytes.reduce((sum, byte) => (sum + byte) & 0xff, 0))) & 0xff;
const RMCP = Buffer.from([0x06, 0x00, 0xff, 0x07]);

export class RmcpBmc {
  power: "on" | "off" = "on";
  /** With statusLagMs: the state the last command asked for, and when it takes effect. */
  private pending: { power: "on" | "off"; atMs: number } | undefined;
  /** Every chassis control received: "off", "on", "cycle", "reset". */
  readonly events: string[] = [];
  private socket: Socket | undefined;
  private readonly sessions = new Map<number, Session>();
  private readonly guid = randomBytes(16);
  private readonly suites: number[];

  constructor(private readonly options: RmcpBmcOptions) {
    this.suites = options.suites ?? [3, 17];
  }

  async listen(host = "127.0.0.1", port = 0): Promise<number> {
    const socket = createSocket("udp4");
    this.socket = socket;
    socket.on("message", (message, remote) => { try { this.receive(message, remote); } catch { /* a malformed packet gets no answer, as from a real BMC */ } });
    await new Promise<void>((resolve) => socket.bind(port, host, resolve));
    return socket.address().port;
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.socket ? this.socket.close(() => resolve()) : resolve()));
  }

  private get kuid(): Buffer {
    const key = Buffer.alloc(20);
    key.write(this.options.password, "utf8");
    return key;
  }

  private send(remote: RemoteInfo, bytes: Buffer): void {
    this.socket?.send(bytes, remote.port, remote.address);
  }

  private receive(message: Buffer, remote: RemoteInfo): void {
    if (message.length < 5 || message[0] !== 0x06 || message[3] !== 0x07) return;
    if (message[4] === 0x00) return this.receiveV15(message, remote);
    if (message[4] !== 0x06) return;
    const payloadType = message[5]! & 0x3f;
    const sid = message.readUInt32LE(6);
    const length = message.readUInt16LE(14);
    if (sid === 0) {
      const payload = message.subarray(16, 16 + length);
      if (payloadType === 0x10) return this.openSession(payload, remote);
      if (payloadType === 0x12) return this.rakp1(payload, remote);
      if (payloadType === 0x14) return this.rakp3(payload, remote);
      return;
    }
    const session = this.sessions.get(sid);
    if (!session?.k1 || payloadType !== 0x00) return;
    if (session.suite.authAlg === 0) {
      if ((message[5]! & 0xc0) !== 0) return;
      const response = this.command(message.subarray(16, 16 + length), session);
      if (response) this.send(remote, this.sessionPacket(session, response));
      return;
    }
    if ((message[5]! & 0xc0) !== 0xc0) return;
    const signedEnd = message.length - session.suite.icvLength;
    const icv = hmac(session.suite.hash, session.k1, message.subarray(4, signedEnd)).subarray(0, session.suite.icvLength);
    if (!timingSafeEqual(icv, message.subarray(signedEnd))) return;
    const payload = message.subarray(16, 16 + length);
    const decipher = createDecipheriv("aes-128-cbc", session.k2!, payload.subarray(0, 16)).setAutoPadding(false);
    const plain = Buffer.concat([decipher.update(payload.subarray(16)), decipher.final()]);
    const request = plain.subarray(0, plain.length - 1 - plain[plain.length - 1]!);
    const response = this.command(request, session);
    if (response) this.send(remote, this.sessionPacket(session, response));
  }

  /** IPMI 1.5 session-less Get Channel Authentication Capabilities (what ipmitool asks first). */
  private receiveV15(message: Buffer, remote: RemoteInfo): void {
    const request = message.subarray(14, 14 + message[13]!);
    if (request.length < 7 || request[1]! >> 2 !== 0x06 || request[5] !== 0x38) return;
    // Channel 1; IPMI 2.0 extended data, MD5 and password; non-null user names; IPMI 2.0 supported.
    const data = Buffer.from([0x01, 0x80 | 0x14, 0x04, 0x02, 0, 0, 0, 0]);
    const response = this.response(request, data);
    const header = Buffer.concat([Buffer.from([0x00]), u32(0), u32(0), Buffer.from([response.length])]);
    this.send(remote, Buffer.concat([RMCP, header, response]));
  }

  private plainPacket(payloadType: number, payload: Buffer): Buffer {
    const header = Buffer.alloc(12);
    header[0] = 0x06; header[1] = payloadType;
    header.writeUInt16LE(payload.length, 10);
    return Buffer.concat([RMCP, header, payload]);
  }

  private openSession(payload: Buffer, remote: RemoteInfo): void {
    const tag = payload[0]!;
    const consoleSid = payload.readUInt32LE(4);
    const auth = payload[12]!, integrity = payload[20]!, confidentiality = payload[28]!;
    const number = Object.entries(SUITES).find(([id, suite]) => this.suites.includes(Number(id)) && suite.authAlg === auth && suite.integrityAlg === integrity)?.[0];
    // Status 0x11: invalid integrity algorithm (the suite is not offered); 0x12 for confidentiality.
    if (number === undefined || confidentiality !== SUITES[Number(number)]!.confidentialityAlg) {
      this.send(remote, this.plainPacket(0x11, Buffer.concat([Buffer.from([tag, number === undefined ? 0x11 : 0x12, 0, 0]), u32(consoleSid)])));
      return;
    }
    const managedSid = (randomBytes(4).readUInt32LE() | 1) >>> 0;
    this.sessions.set(managedSid, { suite: SUITES[Number(number)]!, consoleSid, managedSid, sequence: 0 });
    const algorithm = (type: number, value: number) => Buffer.from([type, 0, 0, 8, value, 0, 0, 0]);
    this.send(remote, this.plainPacket(0x11, Buffer.concat([Buffer.from([tag, 0, 4, 0]), u32(consoleSid), u32(managedSid), algorithm(0, auth), algorithm(1, integrity), algorithm(2, confidentiality)])));
  }

  private rakp1(payload: Buffer, remote: RemoteInfo): void {
    const tag = payload[0]!;
    const session = this.sessions.get(payload.readUInt32LE(4));
    if (!session) return;
    const role = payload[24]!;
    const name = payload.subarray(28, 28 + payload[27]!);
    if (name.toString("utf8") !== this.options.user) {
      // Status 0x0d: unauthorized name.
      this.send(remote, this.plainPacket(0x13, Buffer.concat([Buffer.from([tag, 0x0d, 0, 0]), u32(session.consoleSid)])));
      return;
    }
    session.rm = Buffer.from(payload.subarray(8, 24));
    session.rc = randomBytes(16);
    session.roleName = Buffer.concat([Buffer.from([role, name.length]), name]);
    const code = session.suite.authAlg === 0 ? Buffer.alloc(0) : hmac(session.suite.hash, this.kuid, u32(session.consoleSid), u32(session.managedSid), session.rm, session.rc, this.guid, session.roleName);
    this.send(remote, this.plainPacket(0x13, Buffer.concat([Buffer.from([tag, 0, 0, 0]), u32(session.consoleSid), session.rc, this.guid, code])));
  }

  private rakp3(payload: Buffer, remote: RemoteInfo): void {
    const tag = payload[0]!;
    const session = this.sessions.get(payload.readUInt32LE(4));
    if (!session?.rc || !session.rm || !session.roleName) return;
    const { hash, hashLength, icvLength } = session.suite;
    const expected = session.suite.authAlg === 0 ? Buffer.alloc(0) : hmac(hash, this.kuid, session.rc, u32(session.consoleSid), session.roleName);
    const got = payload.subarray(8, 8 + hashLength);
    if (got.length !== expected.length || !timingSafeEqual(got, expected)) {
      this.sessions.delete(session.managedSid);
      // Status 0x0f: invalid integrity check value.
      this.send(remote, this.plainPacket(0x15, Buffer.concat([Buffer.from([tag, 0x0f, 0, 0]), u32(session.consoleSid)])));
      return;
    }
    const kg = this.options.kgHex ? Buffer.concat([Buffer.from(this.options.kgHex, "hex"), Buffer.alloc(20)]).subarray(0, 20) : this.kuid;
    const sik = hmac(hash, kg, session.rm, session.rc, session.roleName);
    // Const 1 and 2 are 20 bytes for every suite (ipmitool agrees for SHA-256 too).
    session.k1 = hmac(hash, sik, Buffer.alloc(20, 1));
    session.k2 = hmac(hash, sik, Buffer.alloc(20, 2)).subarray(0, 16);
    const icv = session.suite.authAlg === 0 ? Buffer.alloc(0) : hmac(hash, sik, session.rm, u32(session.managedSid), this.guid).subarray(0, icvLength);
    this.send(remote, this.plainPacket(0x15, Buffer.concat([Buffer.from([tag, 0, 0, 0]), u32(session.consoleSid), icv])));
  }

  /** The IPMI response message to `request` with completion code 0 and `data`. */
  private response(request: Buffer, data: Buffer, completion = 0): Buffer {
    const netFn = request[1]! >> 2;
    const head = Buffer.from([request[3]!, ((netFn + 1) << 2) | (request[4]! & 3)]);
    const tail = Buffer.concat([Buffer.from([request[0]!, request[4]!, request[5]!, completion]), data]);
    return Buffer.concat([head, Buffer.from([checksum(head)]), tail, Buffer.from([checksum(tail)])]);
  }

  private command(request: Buffer, session: Session): Buffer | undefined {
    if (request.length < 7) return undefined;
    const netFn = request[1]! >> 2;
    const command = request[5]!;
    const data = request.subarray(6, request.length - 1);
    if (netFn === 0x06 && command === 0x3b) return this.response(request, Buffer.from([data[0]! & 0x0f]));
    if (netFn === 0x06 && command === 0x3c) { this.sessions.delete(session.managedSid); return this.response(request, Buffer.alloc(0)); }
    if (netFn === 0x06 && command === 0x01) return this.response(request, Buffer.from([0x20, 0x01, 0x01, 0x00, 0x02, 0x00, 0, 0, 0, 0, 0]));
    if (netFn === 0x00 && command === 0x01) {
      if (this.pending && Date.now() >= this.pending.atMs) { this.power = this.pending.power; this.pending = undefined; }
      return this.response(request, Buffer.from([this.power === "on" ? 0x01 : 0x00, 0x00, 0x00, 0x00]));
    }
    if (netFn === 0x00 && command === 0x02) {
      const action = ["off", "on", "cycle", "reset"][data[0]! & 0x0f];
      if (action === undefined) return this.response(request, Buffer.alloc(0), 0xcc);
      this.events.push(action);
      const power = action === "off" ? "off" : "on";
      if ((this.options.statusLagMs ?? 0) > 0) this.pending = { power, atMs: Date.now() + this.options.statusLagMs! };
      else this.power = power;
      return this.response(request, Buffer.alloc(0));
    }
    return this.response(request, Buffer.alloc(0), 0xc1);
  }

  private sessionPacket(session: Session, message: Buffer): Buffer {
    if (session.suite.authAlg === 0) {
      const header = Buffer.alloc(12);
      header[0] = 0x06; header[1] = 0x00;
      header.writeUInt32LE(session.consoleSid, 2);
      header.writeUInt32LE(++session.sequence, 6);
      header.writeUInt16LE(message.length, 10);
      return Buffer.concat([RMCP, header, message]);
    }
    const iv = randomBytes(16);
    const padLength = (16 - ((message.length + 1) % 16)) % 16;
    const plain = Buffer.concat([message, Buffer.from(Array.from({ length: padLength }, (_, index) => index + 1)), Buffer.from([padLength])]);
    const cipher = createCipheriv("aes-128-cbc", session.k2!, iv).setAutoPadding(false);
    const payload = Buffer.concat([iv, cipher.update(plain), cipher.final()]);
    const header = Buffer.alloc(12);
    header[0] = 0x06; header[1] = 0xc0;
    header.writeUInt32LE(session.consoleSid, 2);
    header.writeUInt32LE(++session.sequence, 6);
    header.writeUInt16LE(payload.length, 10);
    const body = Buffer.concat([header, payload]);
    const integrityPad = (4 - ((body.length + 2) % 4)) % 4;
    const signed = Buffer.concat([body, Buffer.alloc(integrityPad, 0xff), Buffer.from([integrityPad, 0x07])]);
    return Buffer.concat([RMCP, signed, hmac(session.suite.hash, session.k1!, signed).subarray(0, session.suite.icvLength)]);
  }
}
