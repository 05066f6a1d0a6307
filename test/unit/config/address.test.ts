import { describe, expect, it } from "vitest";
import { parseArbiter, parseLinkAddress, sameAddress } from "../../../src/config/index";

describe("link addresses", () => {
  it("accepts IPv4 and IPv6, including link-local with a zone", () => {
    expect(parseLinkAddress("192.0.2.7")).toMatchObject({ ok: true, address: { family: 4 } });
    expect(parseLinkAddress("fe80::7%eth1")).toMatchObject({ ok: true, address: { family: 6 } });
  });

  it("refuses the unspecified and broadcast addresses", () => {
    expect(parseLinkAddress("0.0.0.0")).toMatchObject({ ok: false, reason: expect.stringContaining("unspecified") });
    expect(parseLinkAddress("::")).toMatchObject({ ok: false, reason: expect.stringContaining("unspecified") });
    expect(parseLinkAddress("255.255.255.255")).toMatchObject({ ok: false, reason: expect.stringContaining("broadcast") });
  });

  it("refuses IPv6 multicast", () => {
    expect(parseLinkAddress("ff02::1")).toMatchObject({ ok: false, reason: expect.stringContaining("multicast") });
  });

  it("refuses IPv4 with leading zeros, which could be read as octal", () => {
    expect(parseLinkAddress("010.0.0.1").ok).toBe(false);
  });

  it("treats an IPv4-mapped IPv6 address written two ways as the same", () => {
    expect(sameAddress("::ffff:192.0.2.1", "::ffff:c000:201")).toBe(true);
    expect(sameAddress("2001:db8::1", "2001:db8::2")).toBe(false);
  });
});

describe("arbiter addresses", () => {
  it("reads host:port", () => {
    expect(parseArbiter("192.0.2.9:7001")).toEqual({ ok: true, arbiter: { host: "192.0.2.9", port: 7001 } });
  });

  it("reads [ipv6]:port and a bracketed IPv6 without a port", () => {
    expect(parseArbiter("[2001:db8::9]:7001")).toEqual({ ok: true, arbiter: { host: "2001:db8::9", port: 7001 } });
    expect(parseArbiter("[2001:db8::9]")).toEqual({ ok: true, arbiter: { host: "2001:db8::9", port: 5406 } });
  });

  it("refuses an unclosed bracket", () => {
    expect(parseArbiter("[2001:db8::9:7001")).toMatchObject({ ok: false, reason: expect.stringContaining("without a closing ']'") });
  });

  it("refuses text after the closing bracket that is not a port", () => {
    expect(parseArbiter("[2001:db8::9]7001").ok).toBe(false);
  });

  it("refuses an IPv4 address in brackets", () => {
    expect(parseArbiter("[192.0.2.9]:7001")).toMatchObject({ ok: false, reason: expect.stringContaining("is not an IPv6 address") });
  });

  it("refuses a non-numeric port", () => {
    expect(parseArbiter("192.0.2.9:qdevice")).toMatchObject({ ok: false, reason: expect.stringContaining("is not a port") });
  });

  it("refuses port 0", () => {
    expect(parseArbiter("192.0.2.9:0").ok).toBe(false);
  });
});
