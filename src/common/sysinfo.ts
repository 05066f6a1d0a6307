// The four parts of systeminformation that edgeha uses (node facts and ipaddr's interface
// lookup), loaded one by one. Its index module loads every area it knows (graphics, docker,
// bluetooth, printers, ...): ~420 KiB of source that the agent would keep in memory for good.
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
