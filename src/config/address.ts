// Link and arbiter addresses: IPv4 or IPv6 literals only. Host names are refused on
// purpose: resolving them would put DNS on the failover path.
import { isIP } from "node:net";
import { DEFAULT_ARBITER_PORT, LIMITS } from "./defaults";
import type { ArbiterAddress } from "./types";

export interface ParsedAddress {
  family: 4 | 6;
  /** A form two spellings of the same address share (IPv6 fully expanded, lower case, no zone). */
  canonical: string;
}

export type AddressResult = { ok: true; address: ParsedAddress } | { ok: false; reason: string };

/** Parses a unicast IPv4 or IPv6 address usable as a link address. */
export function parseLinkAddress(text: string): AddressResult {
  const detected = isIP(text);
  if (detected === 0) return { ok: false, reason: `'${text}' is not an IPv4 or IPv6 address (host names are not accepted)` };
  const family: 4 | 6 = detected === 4 ? 4 : 6;
  const canonical = family === 4 ? text : expandIpv6(text);
  const unusable = unusableReason(family, canonical);
  if (unusable) return { ok: false, reason: `'${text}' is ${unusable}, not an address of this node` };
  return { ok: true, address: { family, canonical } };
}

/** True when both texts name the same address (e.g. "::1" and "0:0::1"). */
export function sameAddress(left: string, right: string): boolean {
  const a = parseLinkAddress(left);
  const b = parseLinkAddress(right);
  if (a.ok && b.ok) return a.address.canonical === b.address.canonical;
  return left === right;
}

function unusableReason(family: 4 | 6, canonical: string): string | undefined {
  if (family === 4) {
    const first = Number(canonical.split(".")[0]);
    if (canonical === "0.0.0.0") return "the unspecified address";
    if (canonical === "255.255.255.255") return "the broadcast address";
    if (first >= 224 && first <= 239) return "a multicast address";
    return undefined;
  }
  if (canonical === "0000:0000:0000:0000:0000:0000:0000:0000") return "the unspecified address";
  if (canonical.startsWith("ff")) return "a multicast address";
  return undefined;
}

/** "fe80::1%eth0" -> "fe80:0000:0000:0000:0000:0000:0000:0001" (isIP has already accepted it). */
export function expandIpv6(text: string): string {
  let address = text.toLowerCase().split("%")[0]!;
  const lastColon = address.lastIndexOf(":");
  const tail = address.slice(lastColon + 1);
  if (tail.includes(".")) {
    // An embedded IPv4 address (::ffff:10.0.0.1) becomes the last two groups.
    const octets = tail.split(".").map(Number);
    const high = ((octets[0]! << 8) | octets[1]!).toString(16);
    const low = ((octets[2]! << 8) | octets[3]!).toString(16);
    address = `${address.slice(0, lastColon + 1)}${high}:${low}`;
  }
  const [head, rest] = address.split("::") as [string, string | undefined];
  const headGroups = head === "" ? [] : head.split(":");
  const restGroups = rest === undefined || rest === "" ? [] : rest.split(":");
  const missing = 8 - headGroups.length - restGroups.length;
  const groups = rest === undefined ? headGroups : [...headGroups, ...Array<string>(missing).fill("0"), ...restGroups];
  return groups.map((group) => group.padStart(4, "0")).join(":");
}

export type ArbiterResult = { ok: true; arbiter: ArbiterAddress } | { ok: false; reason: string };

/** Parses "host:port", "[ipv6]:port", or a bare host (then the default arbiter port). */
export function parseArbiter(text: string): ArbiterResult {
  let host: string;
  let portText: string | undefined;
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    if (close === -1) return { ok: false, reason: `'${text}' opens '[' without a closing ']'` };
    host = text.slice(1, close);
    const after = text.slice(close + 1);
    if (after !== "" && !after.startsWith(":")) return { ok: false, reason: `'${text}' has '${after}' after ']' (expected ':PORT')` };
    portText = after === "" ? undefined : after.slice(1);
    if (isIP(host) !== 6) return { ok: false, reason: `'${host}' in brackets is not an IPv6 address` };
  } else {
    const colons = text.split(":").length - 1;
    if (colons > 1) return { ok: false, reason: `'${text}' looks like an IPv6 address: write it in brackets, as [ADDRESS]:PORT` };
    [host, portText] = text.split(":") as [string, string | undefined];
    if (isIP(host) !== 4) return { ok: false, reason: `'${host}' is not an IPv4 address (host names are not accepted; IPv6 goes in brackets)` };
  }
  const port = portText === undefined ? DEFAULT_ARBITER_PORT : parsePort(portText);
  if (port === undefined) return { ok: false, reason: `'${portText}' is not a port from ${LIMITS.portMin} to ${LIMITS.portMax}` };
  const checked = parseLinkAddress(host);
  if (!checked.ok) return { ok: false, reason: checked.reason.replace("not an address of this node", "not an arbiter address") };
  return { ok: true, arbiter: { host, port } };
}

function parsePort(text: string): number | undefined {
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const port = Number(text);
  return port >= LIMITS.portMin && port <= LIMITS.portMax ? port : undefined;
}

export type ListenResult = { ok: true; host: string; port: number } | { ok: false; reason: string };

/** A listening address: "ADDR:PORT" or "[IPV6]:PORT" with an IP literal (0.0.0.0 and :: included) and a port. */
export function parseListenAddress(text: string): ListenResult {
  const bracketed = /^\[([^\]]+)\]:(\d+)$/.exec(text);
  const plain = /^([^:[\]]+):(\d+)$/.exec(text);
  const match = bracketed ?? plain;
  if (!match) return { ok: false, reason: `'${text}' is not ADDRESS:PORT (IPv6 in brackets, e.g. "127.0.0.1:9664" or "[::1]:9664")` };
  const host = match[1]!;
  if (isIP(host) !== (bracketed ? 6 : 4)) return { ok: false, reason: `'${host}' is not an IPv${bracketed ? 6 : 4} address (host names are not accepted)` };
  const port = parsePort(match[2]!);
  if (port === undefined) return { ok: false, reason: `'${match[2]}' is not a port from ${LIMITS.portMin} to ${LIMITS.portMax}` };
  return { ok: true, host, port };
}
