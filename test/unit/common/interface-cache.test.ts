// The interface cache behind the node facts and ipaddr: systeminformation's interface read
// (a hundred processes, blocking) happens only when the kernel's interfaces changed.
import { describe, expect, it } from "vitest";
import { InterfaceCache, kernelInterfaceSignature, type NetworkInterfaceInfo } from "../../../src/common/sysinfo";

const eth0 = (ip4: string, operstate = "up"): NetworkInterfaceInfo => ({ iface: "eth0", ip4, ip4subnet: "255.255.255.0", ip6: "", operstate, internal: false });

describe("interface cache", () => {
  it("reads once while the kernel's interfaces stay the same, again when they change", async () => {
    let signature = "eth0:up eth0=10.0.0.1/24";
    let view = [eth0("10.0.0.1")];
    const cache = new InterfaceCache(() => signature, async () => view);
    expect(await cache.current()).toEqual([eth0("10.0.0.1")]);
    expect(await cache.current()).toEqual([eth0("10.0.0.1")]);
    expect(cache.reads).toBe(1);
    expect(cache.ifUnchanged()).toEqual([eth0("10.0.0.1")]);

    signature = "eth0:down eth0=10.0.0.1/24";
    view = [eth0("10.0.0.1", "down")];
    expect(cache.ifUnchanged()).toBeUndefined();
    expect(await cache.current()).toEqual([eth0("10.0.0.1", "down")]);
    expect(cache.reads).toBe(2);
  });

  it("callers at the same time share one read", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    const cache = new InterfaceCache(() => "same", async () => { await gate; return [eth0("10.0.0.2")]; });
    const both = Promise.all([cache.current(), cache.current()]);
    release();
    expect(await both).toEqual([[eth0("10.0.0.2")], [eth0("10.0.0.2")]]);
    expect(cache.reads).toBe(1);
  });

  it("a read that fails is tried again next time and keeps nothing", async () => {
    let fail = true;
    const cache = new InterfaceCache(() => "same", async () => { if (fail) throw new Error("nmcli hung"); return [eth0("10.0.0.3")]; });
    await expect(cache.current()).rejects.toThrow("nmcli hung");
    expect(cache.ifUnchanged()).toBeUndefined();
    fail = false;
    expect(await cache.current()).toEqual([eth0("10.0.0.3")]);
    expect(cache.reads).toBe(2);
  });

  it("the kernel's signature names this machine's interfaces and their addresses", () => {
    const signature = kernelInterfaceSignature();
    expect(signature).toMatch(/(^| )lo:\S+/);
    expect(signature).toContain("lo=127.0.0.1/8");
    expect(kernelInterfaceSignature()).toBe(signature);
  });

  it("a secondary address (a VIP) leaves the signature alone; the first address of a family or a link state does not", () => {
    const entry = (address: string, family: "IPv4" | "IPv6", prefix: number) => ({ address, cidr: `${address}/${prefix}`, family, netmask: "", mac: "00:00:00:00:00:01", internal: false, ...(family === "IPv6" ? { scopeid: 0 } : {}) }) as import("node:os").NetworkInterfaceInfo;
    const up = () => ["eth0:up"];
    const base = kernelInterfaceSignature({ eth0: [entry("10.0.0.1", "IPv4", 24), entry("fd00::1", "IPv6", 64)] }, up);
    expect(base).toBe("eth0:up eth0=10.0.0.1/24,fd00::1/64");
    expect(kernelInterfaceSignature({ eth0: [entry("10.0.0.1", "IPv4", 24), entry("fd00::1", "IPv6", 64), entry("10.0.0.100", "IPv4", 24)] }, up)).toBe(base);
    expect(kernelInterfaceSignature({ eth0: [entry("10.0.0.2", "IPv4", 24), entry("fd00::1", "IPv6", 64)] }, up)).not.toBe(base);
    expect(kernelInterfaceSignature({ eth0: [entry("10.0.0.1", "IPv4", 24), entry("fd00::1", "IPv6", 64)] }, () => ["eth0:down"])).not.toBe(base);
  });
});
