import { describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { decodeHostRecord, digest, encodeHostRecord, encodeRequest, verifyRequest, parseHash } from "../../../../fence-drivers/xvm/protocol";

const key = Buffer.from("a key written for this test, not random at all");
const request = { operation: "status" as const, hash: "sha256" as const, domain: "vm-one", domainIsUuid: false, address: "10.1.2.3", port: 1229, random: Buffer.from([1, 2, 3, 4, 5, 6]), sequence: 0x01020304 };

describe("fence_xvm request", () => {
  it("lays out the 176 bytes little-endian with the callback address in network order", () => {
    const bytes = encodeRequest(request, key);
    expect(bytes.length).toBe(176);
    expect([...bytes.subarray(0, 4)]).toEqual([4, 2, 4, 0]);
    expect(bytes.subarray(4, 10).toString()).toBe("vm-one");
    expect(bytes[10]).toBe(0);
    expect([...bytes.subarray(68, 72)]).toEqual([10, 1, 2, 3]);
    expect(bytes.subarray(96, 98).toString("hex")).toBe("cd04");
    expect(bytes.subarray(104, 108).toString("hex")).toBe("04030201");
    expect(bytes.readUInt32LE(108)).toBe(2);
  });
  it("is signed with sha256(key ‖ request with a zero hash field), zero-padded", () => {
    const bytes = encodeRequest(request, key);
    const unsigned = Buffer.from(bytes);
    unsigned.fill(0, 112);
    const expected = createHash("sha256").update(Buffer.concat([key, unsigned])).digest();
    expect(bytes.subarray(112, 144).equals(expected)).toBe(true);
    expect(bytes.subarray(144).every((byte) => byte === 0)).toBe(true);
    expect(verifyRequest(bytes, key)).toBe(true);
    expect(verifyRequest(bytes, Buffer.from("another key"))).toBe(false);
  });
  it("marks a UUID domain with flag 1 and refuses long names and bad addresses", () => {
    expect(encodeRequest({ ...request, domainIsUuid: true }, key)[3]).toBe(1);
    expect(() => encodeRequest({ ...request, domain: "x".repeat(64) }, key)).toThrow(/longer than 63/);
    expect(() => encodeRequest({ ...request, address: "10.1.2" }, key)).toThrow(/not an IPv4/);
  });
  it("leaves the hash field empty for hash none, and digests are 64 bytes for every hash", () => {
    expect(encodeRequest({ ...request, hash: "none" }, key).subarray(112).every((byte) => byte === 0)).toBe(true);
    for (const hash of ["sha1", "sha256", "sha512"] as const) expect(digest(hash, key, Buffer.from("c")).length).toBe(64);
    expect(() => parseHash("md5")).toThrow(/not a fence_xvm hash/);
  });
});

describe("host list records", () => {
  it("round-trip name, uuid and state, and the zero record ends the list", () => {
    const host = { domain: "vm-two", uuid: "11111111-2222-3333-4444-555555555555", state: 1 };
    expect(decodeHostRecord(encodeHostRecord(host))).toEqual(host);
    expect(decodeHostRecord(Buffer.alloc(130))).toBeUndefined();
  });
});
