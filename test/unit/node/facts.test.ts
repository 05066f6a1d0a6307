// Node facts from systeminformation-shaped sources: names, units, and a failing source
// leaving only its own facts out.
import { describe, expect, it } from "vitest";
import { collectNodeFacts, keptFor } from "../../../src/node/facts";
import { isNodeFact } from "../../../src/controller";

describe("node facts", () => {
  it("publishes CPU, memory, free disk per mount and interfaces as attributes", async () => {
    const facts = await collectNodeFacts({
      cpu: async () => ({ cores: 4 }),
      mem: async () => ({ total: 8 * 1024 ** 3, available: 3 * 1024 ** 3 }),
      fsSize: async () => [{ mount: "/", available: 10 * 1024 ** 3 }, { mount: "/var", available: 512 * 1024 ** 2 }],
      networkInterfaces: async () => [{ iface: "eth0", ip4: "10.0.0.1", ip6: "", operstate: "up", internal: false }, { iface: "lo", ip4: "127.0.0.1", ip6: "::1", operstate: "up", internal: true }],
    });
    expect(facts).toMatchObject({ cpu_cores: "4", ram_total_mb: "8192", ram_free_mb: "3072", "disk_free_mb:/": "10240", "disk_free_mb:/var": "512", "nic:eth0": "10.0.0.1", "nic_up:eth0": "true" });
    expect(Number(facts.cpu_load)).toBeGreaterThanOrEqual(0);
    expect(facts["nic:lo"]).toBeUndefined();
  });

  it("every fact is known to the DC as one (it plans again for a fact only when a rule reads it)", async () => {
    const facts = await collectNodeFacts({
      cpu: async () => ({ cores: 4 }),
      mem: async () => ({ total: 8 * 1024 ** 3, available: 3 * 1024 ** 3 }),
      fsSize: async () => [{ mount: "/srv/data", available: 10 * 1024 ** 3 }],
      networkInterfaces: async () => [{ iface: "eth0", ip4: "10.0.0.1", ip6: "", operstate: "up", internal: false }],
    });
    expect(Object.keys(facts).length).toBeGreaterThan(6);
    expect(Object.keys(facts).filter((name) => !isNodeFact(name))).toEqual([]);
    expect(["fail-count-vip#start_0", "standby", "pingd", "#health-disk"].filter(isNodeFact)).toEqual([]);
  });

  it("a source that fails leaves only its facts out", async () => {
    const facts = await collectNodeFacts({
      cpu: async () => ({ cores: 2 }),
      mem: async () => { throw new Error("no /proc/meminfo"); },
      fsSize: async () => [],
      networkInterfaces: async () => [],
    });
    expect(facts.cpu_cores).toBe("2");
    expect(facts.ram_total_mb).toBeUndefined();
  });

  it("keptFor keeps a good read for its age, reads again after it, and never keeps a failure", async () => {
    let nowMs = 0;
    let reads = 0;
    let fail = false;
    const read = keptFor(1000, async () => { reads++; if (fail) throw new Error("df hung"); return reads; }, () => nowMs);
    expect(await read()).toBe(1);
    nowMs = 999;
    expect(await read()).toBe(1);
    nowMs = 1000;
    expect(await read()).toBe(2);
    fail = true;
    nowMs = 2500;
    await expect(read()).rejects.toThrow("df hung");
    fail = false;
    expect(await read()).toBe(4);
    expect(reads).toBe(4);
  });
});
