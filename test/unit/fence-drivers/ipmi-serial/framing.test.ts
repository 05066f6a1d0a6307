// IPMI serial framings (IPMI v2.0 chapter 14): checksums, Basic Mode escaping and
// packets, Terminal Mode lines, and the streaming decoders' handling of garbage.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  createDecoder, encodeBasic, encodeTerminal, escapeBasic, ipmiChecksum, parseTerminalBody, unescapeBasic, MAX_FRAME_BYTES, type IpmiMessage,
} from "../../../../fence-drivers/ipmi-serial/framing";

const getChassisStatus: IpmiMessage = { netFn: 0x00, lun: 0, seq: 5, cmd: 0x01, data: Buffer.alloc(0) };
const statusOn: IpmiMessage = { netFn: 0x01, lun: 0, seq: 5, cmd: 0x01, completionCode: 0, data: Buffer.from([0x01, 0x00, 0x00]) };

describe("IPMI checksum", () => {
  it("is the two's complement of the byte sum, so bytes plus checksum sum to 0 mod 256", () => {
    expect(ipmiChecksum(Uint8Array.from([0x20, 0x18]))).toBe(0xc8);
    expect(ipmiChecksum(Uint8Array.from([]))).toBe(0);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
      const sum = [...bytes, ipmiChecksum(bytes)].reduce((total, byte) => (total + byte) & 0xff, 0);
      expect(sum).toBe(0);
    }));
  });
});

describe("Basic Mode escaping", () => {
  it("escapes the five special bytes as 0xAA followed by byte + 0x10", () => {
    expect([...escapeBasic(Uint8Array.from([0xa0, 0xa5, 0xa6, 0xaa, 0x1b, 0x42]))]).toEqual([0xaa, 0xb0, 0xaa, 0xb5, 0xaa, 0xb6, 0xaa, 0xba, 0xaa, 0x3b, 0x42]);
  });

  it("leaves no start, stop, handshake or ESC byte in the output, and unescaping gives the input back", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      const escaped = escapeBasic(bytes);
      expect([...escaped].some((byte) => [0xa0, 0xa5, 0xa6, 0x1b].includes(byte))).toBe(false);
      const back = unescapeBasic(escaped);
      expect(back.ok && [...back.bytes]).toEqual([...bytes]);
    }));
  });

  it("rejects an unknown escape and an escape at the end", () => {
    expect(unescapeBasic(Uint8Array.from([0x01, 0xaa, 0x42]))).toEqual({ ok: false, reason: "unknown escape 0xAA 0x42" });
    expect(unescapeBasic(Uint8Array.from([0x01, 0xaa]))).toMatchObject({ ok: false, reason: expect.stringMatching(/at the end/) });
  });
});

describe("Basic Mode packets", () => {
  it("a request is an IPMB message from the console (0x81) to the BMC (0x20) with both checksums", () => {
    // rsSA, netFn<<2, chk1, rqSA, seq<<2, cmd, chk2
    const packet = encodeBasic(getChassisStatus);
    expect([...packet]).toEqual([0xa0, 0x20, 0x00, 0xe0, 0x81, 0x14, 0x01, ipmiChecksum(Uint8Array.from([0x81, 0x14, 0x01])), 0xa5]);
  });

  it("a response decodes back to the same message on the console side", () => {
    const events = createDecoder("basic", true).feed(encodeBasic(statusOn));
    expect(events).toEqual([{ kind: "message", message: statusOn }]);
  });

  it("round-trips any message, whatever bytes its data holds, fed in arbitrary pieces", () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 0x3f }), fc.integer({ min: 0, max: 63 }), fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 30 }), fc.integer({ min: 1, max: 7 }), (netFn, seq, cmd, data, piece) => {
      const message: IpmiMessage = { netFn, lun: 0, seq, cmd, completionCode: 0, data: Buffer.from(data) };
      const bytes = encodeBasic(message);
      const decoder = createDecoder("basic", true);
      const events = [];
      for (let offset = 0; offset < bytes.length; offset += piece) events.push(...decoder.feed(bytes.subarray(offset, offset + piece)));
      expect(events).toEqual([{ kind: "message", message }]);
    }));
  });

  it("reports the handshake byte between packets", () => {
    const events = createDecoder("basic", true).feed(Buffer.concat([Buffer.from([0xa6]), encodeBasic(statusOn)]));
    expect(events.map((event) => event.kind)).toEqual(["handshake", "message"]);
  });

  it("a flipped byte is a checksum error, never a message", () => {
    const bytes = encodeBasic(statusOn);
    for (let index = 1; index < bytes.length - 1; index++) {
      const damaged = Buffer.from(bytes);
      damaged[index] = damaged[index]! ^ 0x04;
      const events = createDecoder("basic", true).feed(damaged);
      expect(events.some((event) => event.kind === "message")).toBe(false);
      expect(events.some((event) => event.kind === "garbled")).toBe(true);
    }
    const damaged = Buffer.from(bytes);
    damaged[damaged.length - 2] = damaged[damaged.length - 2]! + 1;
    expect(createDecoder("basic", true).feed(damaged)).toEqual([{ kind: "garbled", reason: expect.stringMatching(/data checksum mismatch/) }]);
  });

  it("a start byte inside a packet drops the partial packet with a framing error and keeps the new one", () => {
    const events = createDecoder("basic", true).feed(Buffer.concat([Buffer.from([0xa0, 0x81, 0x04]), encodeBasic(statusOn)]));
    expect(events).toEqual([{ kind: "garbled", reason: expect.stringMatching(/restarted/) }, { kind: "message", message: statusOn }]);
  });

  it("bounds a packet that never stops", () => {
    const events = createDecoder("basic", true).feed(Buffer.concat([Buffer.from([0xa0]), Buffer.alloc(MAX_FRAME_BYTES + 10, 0x11)]));
    expect(events).toEqual([{ kind: "garbled", reason: expect.stringMatching(/longer than/) }]);
  });
});

describe("Terminal Mode lines", () => {
  it("a request is [netFn/LUN seq/bridge cmd data] in hex, ended by CR LF", () => {
    expect(encodeTerminal({ ...getChassisStatus, seq: 3 }).toString("latin1")).toBe("[00 0C 01]\r\n");
    expect(encodeTerminal({ netFn: 0x2c, lun: 0, seq: 1, cmd: 0, data: Buffer.from([0]) }, false).toString("latin1")).toBe("[B0040000]\r\n");
  });

  it("parses upper or lower case, with or without single spaces", () => {
    const expected = { kind: "message", message: statusOn };
    expect(parseTerminalBody("04 14 01 00 01 00 00", true)).toEqual(expected);
    expect(parseTerminalBody("04140100010000", true)).toEqual(expected);
    expect(parseTerminalBody("04 14 01 00 01 00 00".toLowerCase(), true)).toEqual(expected);
  });

  it("round-trips any response through the streaming decoder, skipping bytes between lines", () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 0x1f }), fc.integer({ min: 0, max: 63 }), fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 30 }), (half, seq, cmd, data) => {
      // Responses carry odd network functions.
      const message: IpmiMessage = { netFn: half * 2 + 1, lun: 0, seq, cmd, completionCode: 0, data: Buffer.from(data) };
      const events = createDecoder("terminal", true).feed(Buffer.concat([Buffer.from("\r\nnoise "), encodeTerminal(message)]));
      expect(events).toEqual([{ kind: "message", message }]);
    }));
  });

  it("a line that is not hex pairs is garbled, and so is an unclosed one", () => {
    expect(parseTerminalBody("04 14 01 00 0G 00 00", true)).toEqual({ kind: "garbled", reason: expect.stringMatching(/not hex byte pairs/) });
    expect(parseTerminalBody("04 14 0", true)).toMatchObject({ kind: "garbled" });
    expect(parseTerminalBody("04 14", true)).toEqual({ kind: "garbled", reason: expect.stringMatching(/shorter than 4/) });
    expect(createDecoder("terminal", true).feed(Buffer.from("[04 14 01\r\n"))).toEqual([{ kind: "garbled", reason: expect.stringMatching(/no closing/) }]);
  });

  it("on the console side a request (even netFn), as an echoing BMC repeats it, is an echo", () => {
    expect(createDecoder("terminal", true).feed(encodeTerminal(getChassisStatus))).toEqual([{ kind: "echo" }]);
    expect(createDecoder("terminal", true).feed(encodeTerminal({ netFn: 0x00, lun: 0, seq: 2, cmd: 0x02, data: Buffer.from([0]) }))).toEqual([{ kind: "echo" }]);
  });

  it("text answers such as [OK] are text, not messages", () => {
    expect(createDecoder("terminal", true).feed(Buffer.from("[OK TMODE]\r\n"))).toEqual([{ kind: "text", text: "OK TMODE" }]);
  });

  it("on the BMC side a request has no completion code", () => {
    expect(createDecoder("terminal", false).feed(Buffer.from("[000c01]\r\n"))).toEqual([{ kind: "message", message: { ...getChassisStatus, seq: 3 } }]);
  });
});
