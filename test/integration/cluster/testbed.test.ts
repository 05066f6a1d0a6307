// The namespace testbed itself (test/support/testbed): the namespaces come up, the nodes
// and the client reach each other, a link can be cut one way and healed, the client probe
// sees which node answers, a real `ipmitool -I lanplus chassis power off` against a node's
// ipmi_sim BMC kills every process of that node and takes its link down, power on brings
// it back, and destroy() leaves no namespace and no process behind.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canUseNamespaces, reasonMissing } from "../../support/environment";
import { Testbed, type NodeName } from "../../support/testbed";

// Skips without root (network namespaces) or without the programs the testbed runs.
const missing = [canUseNamespaces() ? "" : "(needs root and network namespaces)", reasonMissing("ipmi_sim", "ipmitool", "haproxy", "iptables", "nsenter", "unshare")].filter(Boolean).join(" ");
// Cluster area ports 34000-34999; the responder of this test.
const PORT = 34000 + (process.pid % 500);

// A killed process is gone or a zombie nobody has reaped yet.
function alive(pid: number): boolean {
  try { return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8")); } catch { return false; }
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe.skipIf(Boolean(missing))(`namespace testbed ${missing}`, () => { // skipped: without root and namespaces, ipmi_sim, ipmitool, haproxy, iptables, nsenter or unshare; the title names what is missing
  let testbed: Testbed;
  // Reachability by a real TCP request to the responder on the other side (there is no ping here).
  const answer = (from: NodeName, to: string) => testbed.exec(from, ["curl", "-s", "-m", "1", `http://${to}:${PORT}/`]).stdout.trim();
  const at = (name: NodeName, link = 0) => testbed.host(name).addresses[link] ?? "";
  const ping = (from: NodeName, to: string) => answer(from, to) !== "";
  const bmcPower = (from: NodeName, node: NodeName) => testbed.exec(from, ["ipmitool", "-I", "lanplus", "-C", "3", "-H", testbed.host(node).bmcAddress!, "-U", testbed.bmcUser, "-E", "-N", "1", "-R", "2", "chassis", "power", "status"], { env: { IPMI_PASSWORD: testbed.bmcPassword } }).stdout;

  beforeAll(async () => {
    testbed = await Testbed.create({ prefix: "tb", secondLink: true, arbiter: true });
    for (const name of ["node1", "node2", "arbiter"] as const) testbed.startResponder(name, PORT);
    await waitFor("the responders", () => ["node1", "node2", "arbiter"].every((name) => answer("client", at(name as NodeName, 0)) === name));
  }, 30_000);
  afterAll(() => testbed?.destroy());

  it("brings up the machines, both links and the BMCs", () => {
    for (const name of ["node1", "node2", "arbiter"] as const) {
      // Each machine has its own hostname (own uts namespace) and its own /run.
      expect(testbed.exec(name, ["hostname"]).stdout.trim()).toBe(name);
      expect(testbed.exec(name, ["test", "-e", "/run/eh-node-ready"]).status).toBe(0);
    }
    expect(answer("node1", at("node2", 0))).toBe("node2");
    expect(answer("node1", at("node2", 1))).toBe("node2");
    expect(answer("node2", at("node1", 1))).toBe("node1");
    expect(answer("node2", at("arbiter", 0))).toBe("arbiter");
    // Both nodes reach both BMCs.
    for (const from of ["node1", "node2"] as const) {
      for (const node of ["node1", "node2"] as const) expect(bmcPower(from, node)).toMatch(/Chassis Power is on/);
    }
    expect(testbed.ipmitool("node1", "chassis", "power", "status").stdout).toMatch(/Chassis Power is on/);
  });

  it("cuts a link one way and heals it", () => {
    testbed.cutLink("node1", "node2", { oneWay: true });
    expect(ping("node1", at("node2", 0))).toBe(false);
    expect(ping("client", at("node1", 0))).toBe(true);
    testbed.heal();
    expect(ping("node1", at("node2", 0))).toBe(true);
  });

  it("the client probe sees the node holding the VIP", async () => {
    testbed.exec("node2", ["ip", "addr", "add", `${testbed.vip}/24`, "dev", "eth0"]);
    testbed.exec("node2", ["arping", "-c", "1", "-U", "-I", "eth0", testbed.vip]);
    const probe = testbed.startProbe(PORT, { durationMs: 20_000 });
    try {
      const answers = await waitFor("an answer through the VIP", () => { const all = probe.answers(); return all.length >= 3 && all; });
      expect(new Set(answers.map((answer) => answer.body))).toEqual(new Set(["node2"]));
    } finally {
      probe.stop();
    }
  });

  it("a real ipmitool power off is a power loss of that node; power on brings it back", async () => {
    const before = testbed.pids("node2");
    expect(before.length).toBeGreaterThan(1);
    const off = testbed.ipmitool("node2", "chassis", "power", "off");
    expect(off.status, off.stderr).toBe(0);
    // A killed process leaves the namespace before it has finished exiting: wait for both.
    await waitFor("node2 to lose its processes", () => testbed.pids("node2").length === 0 && before.filter(alive).length === 0);
    expect(before.filter(alive)).toEqual([]);
    expect(testbed.bmcEvents("node2").some((line) => / power 0$/.test(line))).toBe(true);
    expect(testbed.ipmitool("node2", "chassis", "power", "status").stdout).toMatch(/Chassis Power is off/);
    // Link down: node1 no longer reaches node2 on link 1, and the VIP is gone with the power.
    expect(ping("node1", at("node2", 0))).toBe(false);
    expect(ping("node1", at("node2", 1))).toBe(false);
    expect(testbed.exec("client", ["ip", "-n", testbed.host("node2").namespace, "addr"]).stdout).not.toContain(testbed.vip);
    // node1 is untouched.
    expect(testbed.exec("node1", ["hostname"]).stdout.trim()).toBe("node1");

    const on = testbed.ipmitool("node2", "chassis", "power", "on");
    expect(on.status, on.stderr).toBe(0);
    await waitFor("node2 to boot", () => testbed.exec("node2", ["hostname"]).stdout.trim() === "node2");
    // The BMC still answers after the boot it started (the machine holds none of its pipes).
    expect(testbed.ipmitool("node2", "chassis", "power", "status").stdout).toMatch(/Chassis Power is on/);
    // Its link is back: the BMC answers from node2 itself.
    await waitFor("node2's link back", () => /Chassis Power is on/.test(bmcPower("node2", "node1")));
  }, 30_000);

  it("destroy leaves nothing behind", () => {
    const pids = testbed.pids("node1");
    const namespaces = Testbed.leftovers(testbed.tag);
    expect(namespaces.length).toBe(5);
    testbed.destroy();
    expect(Testbed.leftovers(testbed.tag)).toEqual([]);
    expect(pids.filter(alive)).toEqual([]);
  });
});
