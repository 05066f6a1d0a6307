// ipaddr: a virtual IP address. Start adds it with its prefix on the interface (found from
// the subnet when not given), after checking that no other host answers for it (duplicate
// address detection with arping -D, bounded by dad_timeout_ms, skipped when the DC fenced the
// former holder before this start; interfaces and subnets as
// the node facts read them from systeminformation, or the kernel's list), then announces it with
// unsolicited ARP (IPv4) so switches and clients learn the move at once. Monitor checks the
// address is on the interface (no fork: the kernel's list through os.networkInterfaces).
// Stop removes it.
//
// Who tells the neighbours: for IPv4, arping (iputils-arping) sends the gratuitous ARP; for
// IPv6, the kernel sends the unsolicited neighbour advertisement (override flag set) once its
// own duplicate address detection for the new address is done, which it does when the
// interface's ndisc_notify is on: start turns it on. edgeha opens no raw packet socket itself
// (Node has none; a native addon for it would duplicate what arping and the kernel do).
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { networkInterfaces } from "node:os";
import { isIPv4, isIPv6 } from "node:net";
import { OCF, checkParameters, type AgentCall, type AgentOutcome, type BuiltinAgent, type ValueProblem } from "./types";
import { sharedInterfaces } from "../src/common/sysinfo";
import { spawnProgram } from "../src/common/spawn";
import type { ProgramName } from "../src/common/programs";

interface Resolved { ip: string; prefix: number; nic: string; family: 4 | 6 }

function run(program: ProgramName, args: string[], signal: AbortSignal, limitMs?: number): Promise<{ code: number | null; output: string; timedOut: boolean }> {
  return new Promise((resolve) => {
    const child = spawnProgram(program, args, { stdio: ["ignore", "pipe", "pipe"], signal });
    let output = "";
    let timedOut = false;
    const timer = limitMs === undefined ? undefined : setTimeout(() => { timedOut = true; child.kill("SIGKILL"); }, limitMs);
    child.stdout!.on("data", (chunk: Buffer) => { output += chunk.toString(); });
    child.stderr!.on("data", (chunk: Buffer) => { output += chunk.toString(); });
    child.on("error", (error) => { if (timer) clearTimeout(timer); resolve({ code: 127, output: `${output}${error.message}`, timedOut }); });
    child.on("close", (code) => { if (timer) clearTimeout(timer); resolve({ code, output, timedOut }); });
  });
}

function inSubnet(address: string, network: string, prefix: number): boolean {
  if (!isIPv4(address) || !isIPv4(network)) return false;
  const value = (text: string) => text.split(".").reduce((sum, part) => sum * 256 + Number(part), 0);
  const size = 2 ** (32 - prefix);
  return Math.floor(value(address) / size) === Math.floor(value(network) / size);
}

/** The interface and prefix for the address: as given, else the interface whose subnet holds it. */
export function resolveAddress(params: Readonly<Record<string, string>>, interfaces = networkInterfaces()): Resolved | AgentOutcome {
  const ip = params.ip!.trim();
  const family = isIPv4(ip) ? 4 : isIPv6(ip) ? 6 : undefined;
  if (family === undefined) return { rc: OCF.errConfigured, reason: `ip '${ip}' is not an IPv4 or IPv6 address` };
  const givenPrefix = params.cidr_netmask?.trim();
  if (givenPrefix && !(/^\d+$/.test(givenPrefix) && Number(givenPrefix) <= (family === 4 ? 32 : 128))) return { rc: OCF.errConfigured, reason: `cidr_netmask '${givenPrefix}' is not a prefix length` };
  const nic = params.nic?.trim();
  if (nic) {
    if (!interfaces[nic]) return { rc: OCF.errConfigured, reason: `nic '${nic}' does not exist on this node` };
    const own = interfaces[nic]!.find((entry) => entry.family === (family === 4 ? "IPv4" : "IPv6") && entry.address !== ip);
    const prefix = givenPrefix ? Number(givenPrefix) : own ? Number(own.cidr?.split("/")[1] ?? (family === 4 ? 32 : 128)) : family === 4 ? 32 : 128;
    return { ip, prefix, nic, family };
  }
  for (const [name, entries] of Object.entries(interfaces)) {
    for (const entry of entries ?? []) {
      if (entry.internal || entry.family !== "IPv4" || entry.address === ip || !entry.cidr) continue;
      const prefix = Number(entry.cidr.split("/")[1]);
      if (inSubnet(ip, entry.address, prefix)) return { ip, prefix: givenPrefix ? Number(givenPrefix) : prefix, nic: name, family: 4 };
    }
  }
  return { rc: OCF.errConfigured, reason: `no interface on this node has a subnet that holds ${ip}; give nic= and cidr_netmask=` };
}

/**
 * Ends the unsolicited ARP announcements still being sent for an address (started by a
 * recent start), so a quick move does not look like a duplicate to the next holder.
 */
function stopAnnouncing(ip: string): void {
  let entries: string[];
  try { entries = readdirSync("/proc"); } catch { return; }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let argv: string[];
    try { argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0"); } catch { continue; }
    if (argv[0]?.endsWith("arping") && argv.includes("-U") && argv.includes(ip)) {
      try { process.kill(Number(entry), "SIGTERM"); } catch { /* gone */ }
    }
  }
}

/**
 * Turns on net.ipv6.conf.NIC.ndisc_notify, so the kernel sends an unsolicited neighbour
 * advertisement for an address once it has passed duplicate address detection (and when the
 * link comes up or its address changes): the IPv6 counterpart of gratuitous ARP. Left on.
 */
function enableNeighbourNotify(nic: string): void {
  if (!/^[\w.:-]+$/.test(nic)) return;
  try {
    writeFileSync(`/proc/sys/net/ipv6/conf/${nic}/ndisc_notify`, "1\n");
  } catch {
    // No IPv6 on this interface or no /proc/sys: the address still works; peers learn it on their next solicitation.
  }
}

function present(ip: string, nic: string): boolean {
  return (networkInterfaces()[nic] ?? []).some((entry) => entry.address === ip);
}

/**
 * Where the address is configured, whatever the link state: Node's networkInterfaces() (libuv)
 * leaves out interfaces without carrier, so an address on an unplugged interface looks absent.
 * Asked of `ip` only when networkInterfaces() does not show the address (after a failure).
 */
async function holders(ip: string, signal: AbortSignal): Promise<Array<{ nic: string; cidr: string }>> {
  const listed = await run("ip", ["-o", ip.includes(":") ? "-6" : "-4", "addr", "show", "to", ip], signal, 2000);
  if (listed.code !== 0) return [];
  return listed.output.split("\n").map((line) => /^\d+:\s+(\S+)\s+inet6?\s+(\S+)/.exec(line)).filter((match): match is RegExpExecArray => match !== null)
    .map((match) => ({ nic: match[1]!.replace(/@.*$/, ""), cidr: match[2]! }));
}

type Interfaces = ReturnType<typeof networkInterfaces>;

/**
 * The node's interfaces as systeminformation reported them for the node facts (the same data),
 * in os.networkInterfaces' shape. That view is only used while the kernel's interfaces are still
 * as they were when it was read; otherwise, or before the facts first read it, the kernel's own
 * list is taken. Never reads systeminformation itself: a start in a failover must not wait for
 * (or block on) its hundred processes.
 */
function interfacesForSubnets(): Interfaces {
  const entries = sharedInterfaces.ifUnchanged();
  if (entries === undefined) return networkInterfaces();
  const prefixOf = (mask: string) => mask.split(".").reduce((bits, part) => bits + (Number(part) >>> 0).toString(2).split("1").length - 1, 0);
  const result: Interfaces = {};
  for (const entry of entries) {
    if (!entry.ip4) continue;
    result[entry.iface] = [{ address: entry.ip4, netmask: entry.ip4subnet, family: "IPv4", mac: "", internal: entry.internal, cidr: `${entry.ip4}/${prefixOf(entry.ip4subnet)}` }];
  }
  // Interfaces without an IPv4 address still exist (nic= may name them).
  for (const [name, list] of Object.entries(networkInterfaces())) if (!result[name]) result[name] = list;
  return result;
}

/**
 * How long start waits for another host to answer for the address (duplicate address
 * detection), in ms; 0 skips the check. Skipped when the DC confirmed every former holder off
 * (fenced) before this start: the holder that could answer is powered off, so the wait would
 * only add dad_timeout_ms to the failover. A host outside the cluster that took the address
 * is then found by the next start elsewhere, as without the check.
 */
export function dadWaitMs(call: Pick<AgentCall, "params" | "formerHolderFenced">): number {
  if (call.formerHolderFenced === true) return 0;
  const value = Number(call.params.dad_timeout_ms ?? 100);
  return Number.isFinite(value) && value > 0 ? value : 0;
}

async function prepare(call: AgentCall): Promise<Resolved | AgentOutcome> {
  const problem = checkParameters(ipaddr, call.params);
  if (problem) return problem;
  return resolveAddress(call.params, interfacesForSubnets());
}

export const ipaddr: BuiltinAgent = {
  name: "ipaddr",
  description: "A virtual IP address that moves between nodes. Adds the address on the interface of its subnet, refuses one that another host answers for, and announces it: unsolicited ARP for IPv4 (arping), an unsolicited neighbour advertisement for IPv6 (the kernel's, with ndisc_notify turned on for the interface).",
  parameters: [
    { name: "ip", required: true, description: "The address: an IPv4 or IPv6 address (192.0.2.10, 2001:db8::10)." },
    { name: "cidr_netmask", type: "integer", description: "Its prefix length: 0-32 for IPv4, 0-128 for IPv6. Default: that of the interface whose subnet holds the address." },
    { name: "nic", description: "The interface. Default: the one whose subnet holds the address." },
    { name: "arp_count", type: "integer", default: "2", description: "Unsolicited ARP announcements after start (IPv4)." },
    { name: "dad_timeout_ms", type: "integer", default: "100", description: "How long to wait for another host to answer for the address before adding it (0: no check). Not waited when the cluster has just fenced the node that held it (confirmed off)." },
  ],
  validate(params) {
    const ip = (params.ip ?? "").trim();
    const family = isIPv4(ip) ? 4 : isIPv6(ip) ? 6 : undefined;
    const problems: ValueProblem[] = [];
    if (ip !== "" && family === undefined) problems.push({ parameter: "ip", value: ip, expected: "an IPv4 or IPv6 address" });
    const prefix = (params.cidr_netmask ?? "").trim();
    const prefixMax = family === 4 ? 32 : 128;
    if (prefix !== "" && /^\d+$/.test(prefix) && Number(prefix) > prefixMax) problems.push({ parameter: "cidr_netmask", value: prefix, expected: `a prefix length from 0 to ${prefixMax}${family === undefined ? "" : ` for an IPv${family} address`}` });
    return problems;
  },
  async start(call: AgentCall): Promise<AgentOutcome> {
    const target = await prepare(call);
    if ("rc" in target) return target;
    if (present(target.ip, target.nic)) return { rc: OCF.success };
    const dadMs = dadWaitMs(call);
    if (target.family === 4 && dadMs > 0) {
      // arping -D exits 1 as soon as another host answers; silence until our limit means free.
      const dad = await run("arping", ["-D", "-q", "-c", "1", "-w", "1", "-I", target.nic, target.ip], call.signal, dadMs);
      if (!dad.timedOut && dad.code === 1) return { rc: OCF.errGeneric, reason: `another host already answers for ${target.ip} on ${target.nic} (duplicate address); not adding it` };
      if (!dad.timedOut && dad.code === 127) return { rc: OCF.errInstalled, reason: `arping is not installed (Debian package iputils-arping): ${dad.output.trim()}` };
    }
    // IPv6: the kernel announces the address (an unsolicited NA after its DAD) when ndisc_notify is on.
    if (target.family === 6) enableNeighbourNotify(target.nic);
    const added = await run("ip", [target.family === 6 ? "-6" : "-4", "addr", "add", `${target.ip}/${target.prefix}`, "dev", target.nic], call.signal);
    if (added.code !== 0 && !/File exists/.test(added.output)) return { rc: OCF.errGeneric, reason: `ip addr add ${target.ip}/${target.prefix} dev ${target.nic} failed: ${added.output.trim()}` };
    if (target.family === 4) {
      // Announce in the background: the address is usable now; the announcements only speed up others' caches.
      const count = String(Math.max(1, Math.min(10, Number(call.params.arp_count ?? 2) || 2)));
      const announce = spawnProgram("arping", ["-U", "-q", "-c", count, "-w", count, "-I", target.nic, target.ip], { stdio: "ignore", detached: true });
      announce.on("error", () => {});
      announce.unref();
    }
    return { rc: OCF.success };
  },
  async stop(call: AgentCall): Promise<AgentOutcome> {
    const target = await prepare(call);
    if ("rc" in target || !present(target.ip, target.nic)) {
      if ("rc" in target && !(target.rc === OCF.errConfigured && call.params.ip)) return target;
      // Not where networkInterfaces() looks: still removed from an interface without carrier.
      const ip = call.params.ip!.trim();
      stopAnnouncing(ip);
      for (const holder of await holders(ip, call.signal)) {
        const removed = await run("ip", [ip.includes(":") ? "-6" : "-4", "addr", "del", holder.cidr, "dev", holder.nic], call.signal);
        if (removed.code !== 0) return { rc: OCF.errGeneric, reason: `ip addr del ${holder.cidr} dev ${holder.nic} failed: ${removed.output.trim()}` };
      }
      return { rc: OCF.success };
    }
    stopAnnouncing(target.ip);
    const removed = await run("ip", [target.family === 6 ? "-6" : "-4", "addr", "del", `${target.ip}/${target.prefix}`, "dev", target.nic], call.signal);
    if (removed.code !== 0 && present(target.ip, target.nic)) return { rc: OCF.errGeneric, reason: `ip addr del ${target.ip} dev ${target.nic} failed: ${removed.output.trim()}` };
    return { rc: OCF.success };
  },
  async monitor(call: AgentCall): Promise<AgentOutcome> {
    const problem = checkParameters(ipaddr, call.params);
    if (problem) return problem;
    const ip = call.params.ip!.trim();
    const found = Object.values(networkInterfaces()).some((entries) => (entries ?? []).some((entry) => entry.address === ip));
    if (found) return { rc: OCF.success };
    // Still configured on an interface without carrier: it runs here (and must be stopped here).
    return (await holders(ip, call.signal)).length > 0 ? { rc: OCF.success } : { rc: OCF.notRunning };
  },
};
