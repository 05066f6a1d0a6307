import { describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import {
  decodeSense, describeSense, nodeKey, parseKey, parseReadKeys, parseReadReservation,
  reserveInCommand, reserveOutCommand, reserveOutParameters, isIllegalRequest, isUnitAttention,
} from "../../../../fence-drivers/scsi/protocol";
import { chapResponse, encodeLun, decodePdus, encodePdu, parseTextSegment } from "../../../../fence-drivers/scsi/iscsi";

describe("scsi reservation keys", () => {
  it("are the first 4 hex digits of md5(cluster) and the node id in 4 decimal digits", () => {
    const prefix = createHash("md5").update("storage-pair").digest("hex").slice(0, 4);
    expect(nodeKey("storage-pair", 2)).toBe(`${prefix}0002`);
    expect(nodeKey("storage-pair", 417)).toBe(`${prefix}0417`);
  });
  it("differ between nodes and between clusters", () => {
    expect(nodeKey("a", 1)).not.toBe(nodeKey("a", 2));
    expect(nodeKey("alpha", 1).slice(0, 4)).not.toBe(nodeKey("beta", 1).slice(0, 4));
  });
  it("refuse node ids that do not fit 4 digits and empty cluster names", () => {
    expect(() => nodeKey("a", 0)).toThrow(/node id 0/);
    expect(() => nodeKey("a", 10000)).toThrow(/1 to 9999/);
    expect(() => nodeKey("", 1)).toThrow(/empty/);
  });
  it("parse with or without 0x and refuse zero and garbage", () => {
    expect(parseKey("0xA1B20003")).toBe(0xa1b20003n);
    expect(parseKey("a1b20003")).toBe(0xa1b20003n);
    expect(() => parseKey("0")).toThrow(/unregistered/);
    expect(() => parseKey("xyz")).toThrow(/not a reservation key/);
    expect(() => parseKey("12345678901234567")).toThrow(/1 to 16 hex/);
  });
});

describe("persistent reserve command blocks", () => {
  it("encode PERSISTENT RESERVE IN with service action and allocation length", () => {
    expect(reserveInCommand("read-keys", 0x2000).toString("hex")).toBe("5e000000000000200000");
    expect(reserveInCommand("read-reservation", 24).toString("hex")).toBe("5e010000000000001800");
    expect(() => reserveInCommand("read-keys", 4)).toThrow(RangeError);
  });
  it("encode PERSISTENT RESERVE OUT with type only where the service action uses it", () => {
    expect(reserveOutCommand("register-and-ignore", 5).toString("hex")).toBe("5f060000000000001800");
    expect(reserveOutCommand("reserve", 5).toString("hex")).toBe("5f010500000000001800");
    expect(reserveOutCommand("preempt-and-abort", 5).toString("hex")).toBe("5f050500000000001800");
    expect(reserveOutCommand("preempt", 5).toString("hex")).toBe("5f040500000000001800");
  });
  it("encode the 24-byte parameter list with both keys big-endian and no flags", () => {
    const list = reserveOutParameters(0xa1a1n, 0xb2b2_0000_0001n);
    expect(list.length).toBe(24);
    expect(list.toString("hex")).toBe("000000000000a1a1" + "0000b2b200000001" + "00".repeat(8));
  });
});

describe("persistent reserve replies", () => {
  it("read the generation and every key", () => {
    const reply = Buffer.from("00000007" + "00000010" + "000000000000a1a1" + "000000000000b2b2", "hex");
    expect(parseReadKeys(reply)).toEqual({ generation: 7, keys: [0xa1a1n, 0xb2b2n], truncated: false });
  });
  it("say when the allocation length cut keys off", () => {
    const reply = Buffer.from("00000001" + "00000018" + "000000000000a1a1", "hex");
    expect(parseReadKeys(reply)).toMatchObject({ keys: [0xa1a1n], truncated: true });
  });
  it("read a reservation's holder and type, or none", () => {
    const held = Buffer.from("00000003" + "00000010" + "000000000000c3c3" + "00000000" + "00" + "05" + "0000", "hex");
    expect(parseReadReservation(held)).toEqual({ generation: 3, holder: { key: 0xc3c3n, type: 5 } });
    expect(parseReadReservation(Buffer.from("0000000900000000", "hex"))).toEqual({ generation: 9 });
  });
  it("refuse replies shorter than their header", () => {
    expect(() => parseReadKeys(Buffer.alloc(4))).toThrow(/shorter/);
    expect(() => parseReadReservation(Buffer.from("0000000100000010", "hex"))).toThrow(/only 8 bytes/);
  });
});

describe("sense data", () => {
  it("decodes fixed format", () => {
    const sense = Buffer.alloc(18);
    sense[0] = 0x70; sense[2] = 0x05; sense[7] = 10; sense[12] = 0x24; sense[13] = 0x00;
    const decoded = decodeSense(sense);
    expect(decoded).toEqual({ key: 5, asc: 0x24, ascq: 0 });
    expect(isIllegalRequest(decoded)).toBe(true);
    expect(describeSense(decoded!)).toBe("ILLEGAL REQUEST (24/00 invalid field in CDB)");
  });
  it("decodes descriptor format", () => {
    const decoded = decodeSense(Buffer.from([0x72, 0x06, 0x2a, 0x03, 0, 0, 0, 0]));
    expect(decoded).toEqual({ key: 6, asc: 0x2a, ascq: 3 });
    expect(isUnitAttention(decoded)).toBe(true);
    expect(describeSense(decoded!)).toContain("reservations preempted");
  });
  it("returns nothing for empty or unknown sense", () => {
    expect(decodeSense(Buffer.alloc(0))).toBeUndefined();
    expect(decodeSense(Buffer.from([0x7f, 0, 0, 0]))).toBeUndefined();
  });
});

describe("iscsi framing", () => {
  it("pads data segments to 4 bytes and splits a stream back into PDUs", () => {
    const header = Buffer.alloc(48); header[0] = 0x23;
    const wire = Buffer.concat([encodePdu(header, Buffer.from("A=1\0")), encodePdu(Buffer.alloc(48), Buffer.from("xyzzy"))]);
    expect(wire.length).toBe(48 + 4 + 48 + 8);
    const { pdus, rest } = decodePdus(Buffer.concat([wire, Buffer.alloc(10)]));
    expect(pdus.map((pdu) => pdu.data.toString())).toEqual(["A=1\0", "xyzzy"]);
    expect(rest.length).toBe(10);
  });
  it("parses text keys and addresses single-level LUNs", () => {
    expect(parseTextSegment(Buffer.from("AuthMethod=None\0TargetPortalGroupTag=1\0"))).toEqual({ AuthMethod: "None", TargetPortalGroupTag: "1" });
    expect(encodeLun(3).toString("hex")).toBe("0003000000000000");
    expect(() => encodeLun(300)).toThrow(/out of range/);
  });
});

describe("chap", () => {
  it("answers md5(identifier ‖ secret ‖ challenge) in 0x hex, per RFC 1994", () => {
    const challenge = Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x01]);
    const expected = createHash("md5").update(Buffer.concat([Buffer.from([7]), Buffer.from("s3"), challenge])).digest("hex");
    expect(chapResponse(7, "s3", "0xDEADBEEF01")).toBe(`0x${expected}`);
    expect(chapResponse(7, "s3", "deadbeef01")).toBe(`0x${expected}`);
  });
});
