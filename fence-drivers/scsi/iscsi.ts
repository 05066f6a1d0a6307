// A small iSCSI initiator (RFC 7143): one TCP connection, one session, login with
// AuthMethod=None, SCSI commands with Data-In and immediate Data-Out. Enough for
// persistent reservations; the session is kept open because the target ties each
// registration to this I_T nexus (closing it would not drop the key, but a new
// session is a new nexus that holds no key).
import { Socket, connect } from "node:net";
import { createHash, randomBytes } from "node:crypto";
import { EdgehaError } from "../../src/common/errors";
import type { ScsiCommand, ScsiReply, ScsiTransport } from "./reservations";

const BHS_LENGTH = 48;
const OPCODE_NOP_OUT = 0x00;
const OPCODE_SCSI_COMMAND = 0x01;
const OPCODE_LOGIN = 0x03;
const OPCODE_LOGOUT = 0x06;
const OPCODE_NOP_IN = 0x20;
const OPCODE_SCSI_RESPONSE = 0x21;
const OPCODE_LOGIN_RESPONSE = 0x23;
const OPCODE_DATA_IN = 0x25;
const OPCODE_LOGOUT_RESPONSE = 0x26;
const OPCODE_R2T = 0x31;
const OPCODE_DATA_OUT = 0x05;
const OPCODE_REJECT = 0x3f;
/** Largest data segment we accept, as we announce it in MaxRecvDataSegmentLength. */
const RECEIVE_SEGMENT_MAX = 65536;

export interface IscsiTarget {
  host: string;
  port: number;
  targetName: string;
  lun: number;
  initiatorName: string;
  /** CHAP credentials the target checks (one-way CHAP with MD5); none logs in with AuthMethod=None. */
  chap?: { user: string; secret: string };
  /** Send Data-Out with the command (default) or only when the target asks by R2T. */
  immediateData?: boolean;
}

/** CHAP response (RFC 1994): MD5(identifier byte ‖ secret ‖ challenge), as 0x-prefixed hex. */
export function chapResponse(identifier: number, secret: string, challengeHex: string): string {
  const challenge = Buffer.from(challengeHex.replace(/^0x/i, ""), "hex");
  return "0x" + createHash("md5").update(Buffer.from([identifier & 0xff])).update(secret, "utf8").update(challenge).digest("hex");
}

interface Pdu {
  header: Buffer;
  data: Buffer;
}

function textSegment(pairs: Record<string, string>): Buffer {
  return Buffer.from(Object.entries(pairs).map(([key, value]) => `${key}=${value}\0`).join(""), "utf8");
}

export function parseTextSegment(data: Buffer): Record<string, string> {
  const result: Record<string, string> = {};
  for (const entry of data.toString("utf8").split("\0")) {
    const equals = entry.indexOf("=");
    if (equals > 0) result[entry.slice(0, equals)] = entry.slice(equals + 1);
  }
  return result;
}

export function encodePdu(header: Buffer, data: Buffer = Buffer.alloc(0)): Buffer {
  header.writeUIntBE(data.length, 5, 3);
  const padding = (4 - (data.length % 4)) % 4;
  return Buffer.concat([header, data, Buffer.alloc(padding)]);
}

/** Splits a byte stream into PDUs; returns the PDUs and the unconsumed rest. */
export function decodePdus(buffer: Buffer): { pdus: Pdu[]; rest: Buffer } {
  const pdus: Pdu[] = [];
  let offset = 0;
  while (buffer.length - offset >= BHS_LENGTH) {
    const ahsLength = buffer[offset + 4]! * 4;
    const dataLength = buffer.readUIntBE(offset + 5, 3);
    if (dataLength > RECEIVE_SEGMENT_MAX) throw new EdgehaError("E_ISCSI_PROTOCOL", `target sent a data segment of ${dataLength} bytes, more than the ${RECEIVE_SEGMENT_MAX} we allow`);
    const padded = dataLength + ((4 - (dataLength % 4)) % 4);
    const total = BHS_LENGTH + ahsLength + padded;
    if (buffer.length - offset < total) break;
    const header = Buffer.from(buffer.subarray(offset, offset + BHS_LENGTH));
    const dataStart = offset + BHS_LENGTH + ahsLength;
    pdus.push({ header, data: Buffer.from(buffer.subarray(dataStart, dataStart + dataLength)) });
    offset += total;
  }
  return { pdus, rest: Buffer.from(buffer.subarray(offset)) };
}

/** Single-level LUN addressing (SAM): LUNs below 256 only, which is all we need. */
export function encodeLun(lun: number): Buffer {
  if (!Number.isInteger(lun) || lun < 0 || lun > 255) throw new EdgehaError("E_ISCSI_LUN", `LUN ${lun} is out of range 0..255`);
  const bytes = Buffer.alloc(8);
  bytes[1] = lun;
  return bytes;
}

export class IscsiSession implements ScsiTransport {
  readonly name: string;
  private socket: Socket | undefined;
  private pending: Buffer = Buffer.alloc(0);
  private waiters: Array<(pdu: Pdu | Error) => void> = [];
  private queued: Pdu[] = [];
  private failure: Error | undefined;
  private commandSequence = 1;
  private expectedStatusSequence = 0;
  private taskTag = 1;
  private readonly isid = randomBytes(6);

  constructor(private readonly target: IscsiTarget) {
    this.name = `iscsi://${target.host}:${target.port}/${target.targetName}/${target.lun}`;
    this.isid[0] = 0x80 | (this.isid[0]! & 0x3f);
  }

  isOpen(): boolean {
    return this.socket !== undefined && this.failure === undefined;
  }

  async open(signal: AbortSignal): Promise<void> {
    const socket = connect({ host: this.target.host, port: this.target.port });
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.receive(chunk));
    socket.on("error", (error) => this.fail(new EdgehaError("E_ISCSI_CONNECT", `iSCSI connection to ${this.target.host}:${this.target.port} failed: ${error.message}`)));
    socket.on("close", () => this.fail(new EdgehaError("E_ISCSI_CONNECT", `iSCSI target ${this.target.host}:${this.target.port} closed the connection`)));
    await this.login(signal);
  }

  private receive(chunk: Buffer): void {
    try {
      const { pdus, rest } = decodePdus(Buffer.concat([this.pending, chunk]));
      this.pending = rest;
      for (const pdu of pdus) this.deliver(pdu);
    } catch (error) {
      this.fail(error as Error);
      this.socket?.destroy();
    }
  }

  private deliver(pdu: Pdu): void {
    const opcode = pdu.header[0]! & 0x3f;
    if (opcode === OPCODE_NOP_IN && pdu.header.readUInt32BE(20) !== 0xffffffff) {
      // The target pings us; answering keeps the session alive during long waits.
      const reply = Buffer.alloc(BHS_LENGTH);
      reply[0] = 0x40 | OPCODE_NOP_OUT;
      reply[1] = 0x80;
      pdu.header.copy(reply, 8, 8, 16);
      reply.writeUInt32BE(0xffffffff, 16);
      pdu.header.copy(reply, 20, 20, 24);
      reply.writeUInt32BE(this.commandSequence, 24);
      reply.writeUInt32BE(pdu.header.readUInt32BE(24) + 1, 28);
      this.socket?.write(encodePdu(reply));
      return;
    }
    const waiter = this.waiters.shift();
    if (waiter) waiter(pdu);
    else this.queued.push(pdu);
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    for (const waiter of this.waiters.splice(0)) waiter(error);
  }

  private next(signal: AbortSignal): Promise<Pdu> {
    const queued = this.queued.shift();
    if (queued) return Promise.resolve(queued);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(new EdgehaError("E_ISCSI_TIMEOUT", `no answer from iSCSI target ${this.name} in time`));
      if (signal.aborted) return onAbort();
      signal.addEventListener("abort", onAbort, { once: true });
      this.waiters.push((pdu) => {
        signal.removeEventListener("abort", onAbort);
        if (pdu instanceof Error) reject(pdu);
        else resolve(pdu);
      });
    });
  }

  private loginHeader(flags: number, tsih: number): Buffer {
    const header = Buffer.alloc(BHS_LENGTH);
    header[0] = 0x40 | OPCODE_LOGIN;
    header[1] = flags;
    this.isid.copy(header, 8);
    header.writeUInt16BE(tsih, 14);
    header.writeUInt32BE(this.taskTag++, 16);
    header.writeUInt32BE(this.commandSequence, 24);
    header.writeUInt32BE(this.expectedStatusSequence, 28);
    return header;
  }

  private async loginStep(flags: number, tsih: number, keys: Record<string, string>, signal: AbortSignal): Promise<Pdu> {
    this.socket!.write(encodePdu(this.loginHeader(flags, tsih), textSegment(keys)));
    const reply = await this.next(signal);
    if ((reply.header[0]! & 0x3f) !== OPCODE_LOGIN_RESPONSE) throw new EdgehaError("E_ISCSI_PROTOCOL", `expected a login response, got opcode 0x${(reply.header[0]! & 0x3f).toString(16)}`);
    const statusClass = reply.header[36]!;
    if (statusClass !== 0) {
      const detail = reply.header[37]!;
      const why = statusClass === 2 && detail === 3 ? "target not found" : statusClass === 2 && detail === 1 ? "authentication failed" : `status class ${statusClass}, detail ${detail}`;
      throw new EdgehaError("E_ISCSI_LOGIN", `iSCSI login to ${this.target.targetName} refused: ${why}`);
    }
    this.expectedStatusSequence = reply.header.readUInt32BE(24) + 1;
    return reply;
  }

  private async login(signal: AbortSignal): Promise<void> {
    const chap = this.target.chap;
    const security = { InitiatorName: this.target.initiatorName, TargetName: this.target.targetName, SessionType: "Normal", AuthMethod: chap ? "CHAP,None" : "None" };
    let reply = await this.loginStep(chap ? 0x01 : 0x81, 0, security, signal);
    let method = parseTextSegment(reply.data)["AuthMethod"];
    if (method === "CHAP" && chap) {
      reply = await this.loginStep(0x01, 0, { CHAP_A: "5" }, signal);
      const offered = parseTextSegment(reply.data);
      if (offered["CHAP_A"] !== "5" || !offered["CHAP_I"] || !offered["CHAP_C"]) throw new EdgehaError("E_ISCSI_LOGIN", `iSCSI target ${this.target.targetName} did not offer a CHAP MD5 challenge`);
      reply = await this.loginStep(0x81, 0, { CHAP_N: chap.user, CHAP_R: chapResponse(Number(offered["CHAP_I"]), chap.secret, offered["CHAP_C"]) }, signal);
      method = "None";
    } else if (chap && (reply.header[1]! & 0x80) === 0) {
      // The target chose no authentication without moving on: ask it to move to the next stage.
      reply = await this.loginStep(0x81, 0, {}, signal);
      method = "None";
    }
    if ((reply.header[1]! & 0x83) !== 0x81 || method !== "None") {
      throw new EdgehaError("E_ISCSI_LOGIN", `iSCSI target ${this.target.targetName} demands authentication ${chap ? "other than CHAP MD5" : "(set chap_user and chap_secret)"}`);
    }
    const operational = {
      HeaderDigest: "None", DataDigest: "None", ImmediateData: this.target.immediateData === false ? "No" : "Yes", InitialR2T: "Yes",
      MaxRecvDataSegmentLength: String(RECEIVE_SEGMENT_MAX), FirstBurstLength: "65536", MaxBurstLength: "262144",
      MaxConnections: "1", ErrorRecoveryLevel: "0",
    };
    reply = await this.loginStep(0x87, 0, operational, signal);
    if ((reply.header[1]! & 0x83) !== 0x83) throw new EdgehaError("E_ISCSI_LOGIN", `iSCSI target ${this.target.targetName} did not move the login to the full feature phase`);
  }

  async execute(command: ScsiCommand, signal: AbortSignal): Promise<ScsiReply> {
    if (this.failure) throw this.failure;
    const header = Buffer.alloc(BHS_LENGTH);
    const tag = this.taskTag++;
    const dataOut = command.dataOut ?? Buffer.alloc(0);
    const dataInLength = command.dataInLength ?? 0;
    header[0] = OPCODE_SCSI_COMMAND;
    header[1] = 0x80 | (dataInLength > 0 ? 0x40 : 0) | (dataOut.length > 0 ? 0x20 : 0) | 0x01;
    encodeLun(this.target.lun).copy(header, 8);
    header.writeUInt32BE(tag, 16);
    header.writeUInt32BE(dataInLength > 0 ? dataInLength : dataOut.length, 20);
    header.writeUInt32BE(this.commandSequence++, 24);
    header.writeUInt32BE(this.expectedStatusSequence, 28);
    command.cdb.copy(header, 32);
    const immediate = this.target.immediateData !== false;
    this.socket!.write(encodePdu(header, immediate ? dataOut : Buffer.alloc(0)));
    return this.collect(tag, dataInLength, immediate ? Buffer.alloc(0) : dataOut, signal);
  }

  /** Answers an R2T with Data-Out PDUs covering the requested range of the pending data. */
  private sendDataOut(r2t: Buffer, pending: Buffer): void {
    const offset = r2t.readUInt32BE(40);
    const length = r2t.readUInt32BE(44);
    if (offset + length > pending.length) throw new EdgehaError("E_ISCSI_PROTOCOL", `iSCSI target asked for bytes ${offset}..${offset + length} of a ${pending.length}-byte Data-Out`);
    let sequence = 0;
    for (let start = offset; start < offset + length; start += RECEIVE_SEGMENT_MAX) {
      const end = Math.min(offset + length, start + RECEIVE_SEGMENT_MAX);
      const header = Buffer.alloc(BHS_LENGTH);
      header[0] = OPCODE_DATA_OUT;
      header[1] = end === offset + length ? 0x80 : 0;
      r2t.copy(header, 8, 8, 24);
      header.writeUInt32BE(this.expectedStatusSequence, 28);
      header.writeUInt32BE(sequence++, 36);
      header.writeUInt32BE(start, 40);
      this.socket!.write(encodePdu(header, pending.subarray(start, end)));
    }
  }

  private async collect(tag: number, dataInLength: number, pendingOut: Buffer, signal: AbortSignal): Promise<ScsiReply> {
    const data = Buffer.alloc(dataInLength);
    let received = 0;
    for (;;) {
      const pdu = await this.next(signal);
      const opcode = pdu.header[0]! & 0x3f;
      if (opcode === OPCODE_REJECT) throw new EdgehaError("E_ISCSI_PROTOCOL", `iSCSI target rejected a command PDU (reason 0x${pdu.header[2]!.toString(16)})`);
      if (pdu.header.readUInt32BE(16) !== tag) continue;
      if (opcode === OPCODE_DATA_IN) {
        const offset = pdu.header.readUInt32BE(40);
        pdu.data.copy(data, offset, 0, Math.max(0, Math.min(pdu.data.length, dataInLength - offset)));
        received = Math.max(received, offset + pdu.data.length);
        if (pdu.header[1]! & 0x01) {
          this.expectedStatusSequence = pdu.header.readUInt32BE(24) + 1;
          return { status: pdu.header[3]!, data: data.subarray(0, Math.min(received, dataInLength)), sense: Buffer.alloc(0) };
        }
      } else if (opcode === OPCODE_SCSI_RESPONSE) {
        this.expectedStatusSequence = pdu.header.readUInt32BE(24) + 1;
        if (pdu.header[2] !== 0) throw new EdgehaError("E_ISCSI_PROTOCOL", `iSCSI target failed the command (response 0x${pdu.header[2]!.toString(16)})`);
        const senseLength = pdu.data.length >= 2 ? pdu.data.readUInt16BE(0) : 0;
        return { status: pdu.header[3]!, data: data.subarray(0, Math.min(received, dataInLength)), sense: pdu.data.subarray(2, 2 + senseLength) };
      } else if (opcode === OPCODE_R2T) {
        this.sendDataOut(pdu.header, pendingOut);
      }
    }
  }

  async close(): Promise<void> {
    const socket = this.socket;
    if (!socket || this.failure) {
      socket?.destroy();
      return;
    }
    const header = Buffer.alloc(BHS_LENGTH);
    header[0] = 0x40 | OPCODE_LOGOUT;
    header[1] = 0x80;
    header.writeUInt32BE(this.taskTag++, 16);
    header.writeUInt32BE(this.commandSequence, 24);
    header.writeUInt32BE(this.expectedStatusSequence, 28);
    socket.write(encodePdu(header));
    const signal = AbortSignal.timeout(2000);
    try {
      for (let count = 0; count < 8; count++) if (((await this.next(signal)).header[0]! & 0x3f) === OPCODE_LOGOUT_RESPONSE) break;
    } catch {
      // A target that does not answer a logout is simply disconnected.
    }
    this.failure ??= new EdgehaError("E_ISCSI_CONNECT", "iSCSI session closed");
    socket.destroy();
  }
}

export async function openIscsiSession(target: IscsiTarget, signal: AbortSignal): Promise<IscsiSession> {
  const session = new IscsiSession(target);
  try {
    await session.open(signal);
  } catch (error) {
    await session.close();
    throw error;
  }
  return session;
}
