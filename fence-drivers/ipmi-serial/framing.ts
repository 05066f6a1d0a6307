// IPMI serial framings (IPMI v2.0 chapter 14), both directions, pure code:
//
// Terminal Mode: one message per line, `[` hex bytes `]`, netFn/LUN, seq/bridge,
//   command, (completion code,) data; no addresses and no checksum. Hex digits may
//   be upper or lower case with single spaces between pairs.
// Basic Mode: binary packets between 0xA0 (start) and 0xA5 (stop) holding an IPMB
//   message with its two checksums; 0xA6 is the handshake a receiver sends after it
//   took a packet in; the special bytes and ESC (0x1B) are escaped as 0xAA, byte+0x10
//   (A0->AA B0, A5->AA B5, A6->AA B6, AA->AA BA, 1B->AA 3B).
//
// The driver and the test BMC share these codecs; the test BMC is proven against
// ipmitool's serial-terminal and serial-basic interfaces.

/** One IPMI message: a request (no completionCode) or a response. */
export interface IpmiMessage {
  netFn: number;
  lun: number;
  seq: number;
  cmd: number;
  /** Responses only. */
  completionCode?: number;
  data: Buffer;
}

export type SerialMode = "terminal" | "basic";

/** What a decoder found in the bytes it was fed. */
export type DecodedEvent =
  | { kind: "message"; message: IpmiMessage }
  | { kind: "text"; text: string }
  | { kind: "handshake" }
  /** A request seen on the console side: a Terminal Mode BMC with echo on repeats what it receives. */
  | { kind: "echo" }
  | { kind: "garbled"; reason: string };

export const BASIC = { start: 0xa0, stop: 0xa5, handshake: 0xa6, escape: 0xaa, esc: 0x1b } as const;
/** Slave address of the BMC and software ID of a remote console (as ipmitool uses). */
export const BMC_ADDRESS = 0x20;
export const CONSOLE_ADDRESS = 0x81;
/** Longest line or packet a decoder keeps; longer input is garbage (bounded buffers). */
export const MAX_FRAME_BYTES = 256;

/** Two's complement of the byte sum: the covered bytes plus the checksum sum to 0 mod 256. */
export function ipmiChecksum(bytes: Uint8Array): number {
  let sum = 0;
  for (const byte of bytes) sum = (sum + byte) & 0xff;
  return (0x100 - sum) & 0xff;
}

const ESCAPED = new Map<number, number>([[0xa0, 0xb0], [0xa5, 0xb5], [0xa6, 0xb6], [0xaa, 0xba], [0x1b, 0x3b]]);
const UNESCAPED = new Map<number, number>([...ESCAPED].map(([plain, code]) => [code, plain]));

export function escapeBasic(bytes: Uint8Array): Buffer {
  const out: number[] = [];
  for (const byte of bytes) {
    const code = ESCAPED.get(byte);
    if (code === undefined) out.push(byte);
    else out.push(BASIC.escape, code);
  }
  return Buffer.from(out);
}

/** Undoes escapeBasic; a lone or unknown escape is a framing error. */
export function unescapeBasic(bytes: Uint8Array): { ok: true; bytes: Buffer } | { ok: false; reason: string } {
  const out: number[] = [];
  for (let index = 0; index < bytes.length; index++) {
    const byte = bytes[index]!;
    if (byte !== BASIC.escape) {
      out.push(byte);
      continue;
    }
    const code = bytes[index + 1];
    const plain = code === undefined ? undefined : UNESCAPED.get(code);
    if (plain === undefined) return { ok: false, reason: code === undefined ? "escape byte 0xAA at the end of the packet" : `unknown escape 0xAA 0x${hex(code)}` };
    out.push(plain);
    index++;
  }
  return { ok: true, bytes: Buffer.from(out) };
}

function hex(byte: number): string {
  return byte.toString(16).toUpperCase().padStart(2, "0");
}

function header(message: IpmiMessage): number[] {
  return [((message.netFn & 0x3f) << 2) | (message.lun & 3), (message.seq & 0x3f) << 2, message.cmd & 0xff];
}

function body(message: IpmiMessage): Buffer {
  const head = header(message);
  if (message.completionCode !== undefined) head.push(message.completionCode & 0xff);
  return Buffer.concat([Buffer.from(head), message.data]);
}

/** `[18 04 01]` style; `spaced` false gives ipmitool's `[180401]`. Ends with CR LF. */
export function encodeTerminal(message: IpmiMessage, spaced = true): Buffer {
  const pairs = [...body(message)].map(hex);
  return Buffer.from(`[${pairs.join(spaced ? " " : "")}]\r\n`, "latin1");
}

/**
 * A Basic Mode packet. A request goes from the console (rqSA 0x81) to the BMC
 * (rsSA 0x20); a response (completionCode set) the other way.
 */
export function encodeBasic(message: IpmiMessage): Buffer {
  const isResponse = message.completionCode !== undefined;
  const [netFnLun, seqLun, cmd] = header(message);
  const first = Buffer.from([isResponse ? CONSOLE_ADDRESS : BMC_ADDRESS, netFnLun!]);
  const second = Buffer.from([isResponse ? BMC_ADDRESS : CONSOLE_ADDRESS, seqLun!, cmd!, ...(isResponse ? [message.completionCode! & 0xff] : []), ...message.data]);
  const ipmb = Buffer.concat([first, Buffer.from([ipmiChecksum(first)]), second, Buffer.from([ipmiChecksum(second)])]);
  return Buffer.concat([Buffer.from([BASIC.start]), escapeBasic(ipmb), Buffer.from([BASIC.stop])]);
}

/** Parses the hex inside one `[...]`; `response` says whether a completion code follows the command. */
export function parseTerminalBody(inner: string, response: boolean): DecodedEvent {
  const text = inner.trim();
  if (/^[0-9a-fA-F]{2}( ?[0-9a-fA-F]{2})*$/.test(text)) {
    const bytes = Buffer.from(text.replace(/ /g, ""), "hex");
    // Requests have even network functions, responses odd ones.
    if (response && ((bytes[0]! >> 2) & 1) === 0) return { kind: "echo" };
    const least = response ? 4 : 3;
    if (bytes.length < least) return { kind: "garbled", reason: `terminal-mode message of ${bytes.length} bytes is shorter than ${least}` };
    return { kind: "message", message: fromHeader(bytes, response) };
  }
  if (/^[A-Za-z]/.test(text) && /^[\x20-\x7e]*$/.test(text)) return { kind: "text", text };
  return { kind: "garbled", reason: `terminal-mode line "[${printable(inner)}]" is not hex byte pairs` };
}

function fromHeader(bytes: Buffer, response: boolean): IpmiMessage {
  const message: IpmiMessage = { netFn: bytes[0]! >> 2, lun: bytes[0]! & 3, seq: bytes[1]! >> 2, cmd: bytes[2]!, data: bytes.subarray(response ? 4 : 3) };
  if (response) message.completionCode = bytes[3]!;
  return message;
}

function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, (char) => `\\x${hex(char.charCodeAt(0))}`).slice(0, 80);
}

/** Checks both IPMB checksums of an unescaped Basic Mode packet and parses it. */
export function parseBasicPacket(ipmb: Buffer, response: boolean): DecodedEvent {
  const least = response ? 8 : 7;
  if (ipmb.length < least) return { kind: "garbled", reason: `basic-mode packet of ${ipmb.length} bytes is shorter than ${least}` };
  if (ipmiChecksum(ipmb.subarray(0, 3)) !== 0) return { kind: "garbled", reason: `basic-mode header checksum mismatch (0x${hex(ipmb[2]!)})` };
  if (ipmiChecksum(ipmb) !== 0) return { kind: "garbled", reason: `basic-mode data checksum mismatch (0x${hex(ipmb[ipmb.length - 1]!)})` };
  // rsSA | netFn/LUN | chk1 | rqSA | seq/LUN | cmd | [cc] | data | chk2
  const netFnLun = ipmb[1]!;
  const seqLun = ipmb[4]!;
  const message: IpmiMessage = {
    netFn: netFnLun >> 2, lun: response ? seqLun & 3 : netFnLun & 3, seq: seqLun >> 2, cmd: ipmb[5]!,
    data: ipmb.subarray(response ? 7 : 6, ipmb.length - 1),
  };
  if (response) message.completionCode = ipmb[6]!;
  return { kind: "message", message };
}

/**
 * A streaming decoder: feed it bytes as they arrive, it returns the events they
 * complete. `response` is true on the console side (it decodes responses) and
 * false on the BMC side (it decodes requests).
 */
export interface Decoder {
  feed(chunk: Uint8Array): DecodedEvent[];
}

export function createDecoder(mode: SerialMode, response: boolean): Decoder {
  return mode === "terminal" ? terminalDecoder(response) : basicDecoder(response);
}

function terminalDecoder(response: boolean): Decoder {
  let line: string | undefined;
  return {
    feed(chunk) {
      const events: DecodedEvent[] = [];
      for (const byte of chunk) {
        const char = String.fromCharCode(byte);
        if (char === "[") {
          if (line !== undefined && line.trim() !== "") events.push({ kind: "garbled", reason: `terminal-mode message "[${printable(line)}" has no closing ]` });
          line = "";
        } else if (line === undefined) {
          // Bytes between messages (line endings, echo, noise) carry nothing.
        } else if (char === "]") {
          events.push(parseTerminalBody(line, response));
          line = undefined;
        } else if (char === "\r" || char === "\n" || line.length >= MAX_FRAME_BYTES) {
          events.push({ kind: "garbled", reason: `terminal-mode message "[${printable(line)}" has no closing ]` });
          line = undefined;
        } else line += char;
      }
      return events;
    },
  };
}

function basicDecoder(response: boolean): Decoder {
  let packet: number[] | undefined;
  return {
    feed(chunk) {
      const events: DecodedEvent[] = [];
      for (const byte of chunk) {
        if (byte === BASIC.start) {
          if (packet !== undefined && packet.length > 0) events.push({ kind: "garbled", reason: "basic-mode packet restarted before its stop byte" });
          packet = [];
        } else if (byte === BASIC.handshake && packet === undefined) {
          events.push({ kind: "handshake" });
        } else if (packet === undefined) {
          // Bytes outside a packet are line noise.
        } else if (byte === BASIC.stop) {
          const unescaped = unescapeBasic(Uint8Array.from(packet));
          events.push(unescaped.ok ? parseBasicPacket(unescaped.bytes, response) : { kind: "garbled", reason: `basic-mode ${unescaped.reason}` });
          packet = undefined;
        } else if (packet.length >= MAX_FRAME_BYTES) {
          events.push({ kind: "garbled", reason: `basic-mode packet longer than ${MAX_FRAME_BYTES} bytes` });
          packet = undefined;
        } else packet.push(byte);
      }
      return events;
    },
  };
}

/** Encodes one message in the given mode. */
export function encodeMessage(mode: SerialMode, message: IpmiMessage): Buffer {
  return mode === "terminal" ? encodeTerminal(message) : encodeBasic(message);
}
