// Node facts as node attributes, like Pacemaker's SysInfo agent: CPU count and load,
// memory, free disk per mount and the network interfaces' addresses, from systeminformation.
// Location rules can use them (for example: prefer the node with more free memory).
import { loadavg } from "node:os";
import { loadSystemInformation, sharedInterfaces, type NetworkInterfaceInfo, type SystemInformation } from "../common/sysinfo";
import { monotonicMs } from "../common/clock";

export type Facts = Record<string, string>;

type FactSources = Pick<SystemInformation, "cpu" | "mem" | "fsSize"> & {
  networkInterfaces(): Promise<Array<Omit<NetworkInterfaceInfo, "ip4subnet">> | Omit<NetworkInterfaceInfo, "ip4subnet">>;
};

const MIB = 1024 * 1024;

/** The CPU count is read once (systeminformation runs lscpu and dmidecode for it). */
let cores: ReturnType<SystemInformation["cpu"]> | undefined;

/**
 * Free disk is read at most every 5 minutes: for it systeminformation forks `cat /proc/mounts`
 * (waiting for it, event loop blocked) and df, and free space changes slowly.
 */
const DISKS_MAX_AGE_MS = 5 * 60_000;

/** A reader whose last good result is kept for maxAgeMs; a failed read is tried again next time. */
export function keptFor<T>(maxAgeMs: number, read: () => Promise<T>, nowMs: () => number = () => monotonicMs()): () => Promise<T> {
  let kept: { atMs: number; value: Promise<T> } | undefined;
  return () => {
    if (kept !== undefined && nowMs() - kept.atMs < maxAgeMs) return kept.value;
    const entry = { atMs: nowMs(), value: read() };
    kept = entry;
    entry.value.catch(() => { if (kept === entry) kept = undefined; });
    return entry.value;
  };
}

let disks: (() => ReturnType<SystemInformation["fsSize"]>) | undefined;

/**
 * systeminformation's sources as the agent uses them every minute: the CPU once, memory each
 * time, disks every 5 minutes, the interfaces only when the kernel's changed (src/common/sysinfo.ts).
 */
async function agentSources(): Promise<FactSources> {
  const si = await loadSystemInformation();
  disks ??= keptFor(DISKS_MAX_AGE_MS, () => si.fsSize());
  return {
    cpu: () => (cores ??= si.cpu().catch((error: unknown) => { cores = undefined; throw error; })),
    mem: () => si.mem(),
    fsSize: disks,
    networkInterfaces: () => sharedInterfaces.current(),
  };
}

/** The facts; a source that fails leaves its facts out rather than failing the rest. */
export async function collectNodeFacts(sources?: FactSources): Promise<Facts> {
  const si: FactSources = sources ?? (await agentSources());
  const facts: Facts = {};
  const [cpu, mem, disks, interfaces] = await Promise.allSettled([si.cpu(), si.mem(), si.fsSize(), si.networkInterfaces()]);
  if (cpu.status === "fulfilled") facts.cpu_cores = String(cpu.value.cores);
  facts.cpu_load = loadavg()[0]!.toFixed(2);
  if (mem.status === "fulfilled") {
    facts.ram_total_mb = String(Math.round(mem.value.total / MIB));
    facts.ram_free_mb = String(Math.round(mem.value.available / MIB));
  }
  if (disks.status === "fulfilled") for (const disk of disks.value) facts[`disk_free_mb:${disk.mount}`] = String(Math.floor(disk.available / MIB));
  if (interfaces.status === "fulfilled") {
    for (const entry of [interfaces.value].flat()) {
      if (entry.internal) continue;
      facts[`nic:${entry.iface}`] = [entry.ip4, entry.ip6].filter(Boolean).join(",");
      facts[`nic_up:${entry.iface}`] = entry.operstate === "up" ? "true" : "false";
    }
  }
  return facts;
}
