// The four parts of systeminformation that edgeha uses (node facts and ipaddr's interface
// lookup), loaded one by one. Its index module loads every area it knows (graphics, docker,
// bluetooth, printers, ...): ~420 KiB of source that the agent would keep in memory for good.
import { readdirSync, readFileSync } from "node:fs";
import { networkInterfaces, type NetworkInterfaceInfo as NetworkInterfaceInfoOs } from "node:os";

export interface NetworkInterfaceInfo {
  iface: string;
  ip4: string;
  ip4subnet: string;
  ip6: string;
  operstate: string;
  internal: boolean;
}

export interface SystemInformation {
  cpu(): Promise<{ cores: number }>;
  mem(): Promise<{ total: number; available: number }>;
  fsSize(): Promise<Array<{ mount: string; available: number }>>;
  networkInterfaces(): Promise<NetworkInterfaceInfo[] | NetworkInterfaceInfo>;
}

let loaded: Promise<SystemInformation> | undefined;

export function loadSystemInformation(): Promise<SystemInformation> {
  loaded ??= (async () => {
    const [cpu, memory, filesystem, network] = await Promise.all([
      import("systeminformation/lib/cpu"), import("systeminformation/lib/memory"),
      import("systeminformation/lib/filesystem"), import("systeminformation/lib/network"),
    ]);
    return { cpu: cpu.cpu, mem: memory.mem, fsSize: filesystem.fsSize, networkInterfaces: network.networkInterfaces } as SystemInformation;
  })();
  return loaded;
}

/**
 * systeminformation's view of the interfaces, read again only when the kernel's changes.
 * Reading it forks about a hundred processes (a shell per interface, nmcli, ip) and blocks the
 * event loop while it does (execSync): 0.1 s on an idle node, nearly a second on a loaded one,
 * long enough to delay heartbeats. What it reports of an interface (its addresses, whether it is
 * up) is all in the kernel's own list and /sys/class/net/NAME/operstate, which cost no process to
 * read; so those are compared first (the signature), and an idle node reads it once.
 */
export class InterfaceCache {
  private kept: { signature: string; interfaces: NetworkInterfaceInfo[] } | undefined;
  private reading: Promise<NetworkInterfaceInfo[]> | undefined;
  reads = 0;

  constructor(
    private readonly signature: () => string = kernelInterfaceSignature,
    private readonly read: () => Promise<NetworkInterfaceInfo[]> = async () => [await (await loadSystemInformation()).networkInterfaces()].flat(),
  ) {}

  /** The interfaces, read again only if the kernel's list or a link state changed. */
  current(): Promise<NetworkInterfaceInfo[]> {
    const signature = this.signature();
    if (this.kept?.signature === signature) return Promise.resolve(this.kept.interfaces);
    this.reading ??= (async () => {
      try {
        this.reads++;
        const interfaces = await this.read();
        this.kept = { signature, interfaces };
        return interfaces;
      } finally {
        this.reading = undefined;
      }
    })();
    return this.reading;
  }

  /** The last read, if the kernel's interfaces are still as they were then; never reads. */
  ifUnchanged(): NetworkInterfaceInfo[] | undefined {
    return this.kept !== undefined && this.kept.signature === this.signature() ? this.kept.interfaces : undefined;
  }
}

/**
 * Every interface's name and link state, and the addresses systeminformation reports of it,
 * from the kernel, with no process. systeminformation reports the first IPv4 and the first IPv6
 * address of an interface, so only those count: a secondary address (a VIP that ipaddr adds or
 * removes at every failover) changes nothing it would report and costs no new read.
 */
export function kernelInterfaceSignature(interfaces: NodeJS.Dict<NetworkInterfaceInfoOs[]> = networkInterfaces(), linkStates: () => string[] = readLinkStates): string {
  const parts = linkStates();
  for (const [name, entries] of Object.entries(interfaces).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const first = (family: string) => entries?.find((entry) => entry.family === family);
    parts.push(`${name}=${[first("IPv4"), first("IPv6")].filter((entry) => entry !== undefined).map((entry) => entry.cidr ?? entry.address).join(",")}`);
  }
  return parts.join(" ");
}

/** NAME:OPERSTATE of every interface in /sys/class/net, sorted by name (none without sysfs). */
function readLinkStates(): string[] {
  let names: string[] = [];
  try { names = readdirSync("/sys/class/net"); } catch { /* no sysfs: addresses only */ }
  return names.sort().map((name) => {
    let state = "?";
    try { state = readFileSync(`/sys/class/net/${name}/operstate`, "utf8").trim(); } catch { /* gone meanwhile */ }
    return `${name}:${state}`;
  });
}

/** The one cache the node facts and the ipaddr agent share (one agent process, one view). */
export const sharedInterfaces = new InterfaceCache();
