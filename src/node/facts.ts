// Node facts as node attributes, like Pacemaker's SysInfo agent: CPU count and load,
// memory, free disk per mount and the network interfaces' addresses, from systeminformation.
// Location rules can use them (for example: prefer the node with more free memory).
import { loadavg } from "node:os";
import { loadSystemInformation, sharedInterfaces, type NetworkInterfaceInfo, type SystemInformation } from "../common/sysinfo";

export type Facts = Record<string, string>;

type FactSources = Pick<SystemInformation, "cpu" | "mem" | "fsSize"> & {
  networkInterfaces(): Promise<Array<Omit<NetworkInterfaceInfo, "ip4subnet">> | Omit<NetworkInterfaceInfo, "ip4subnet">>;
};

const MIB = 1024 * 1024;

/** The CPU count is read once (systeminformation runs lscpu and dmidecode for it). */
let cores: ReturnType<SystemInformation["cpu"]> | undefined;

/**
 * systeminformation's sources as the agent uses them every minute: the CPU once, memory and
 * disks each time, the interfaces only when the kernel's changed (src/common/sysinfo.ts).
 */
async function agentSources(): Promise<FactSources> {
  const si = await loadSystemInformation();
  return {
    cpu: () => (cores ??= si.cpu().catch((error: unknown) => { cores = undefined; throw error; })),
    mem: () => si.mem(),
    fsSize: () => si.fsSize(),
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
