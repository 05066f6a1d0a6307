// The built-in ipaddr agent in network namespaces (two nodes and a client on one bridge),
// run as a plain OCF agent (`edgeha ocf ipaddr ACTION`): it adds the VIP and the client
// reaches it; a second node refuses it while the first still answers for it (duplicate
// address detection); moved to the second node, the client's neighbour table follows at
// once (unsolicited ARP); monitor and stop follow OCF; a missing ip is OCF_ERR_CONFIGURED
// naming it; and ocf-tester (resource-agents) passes through a two-line wrapper.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bundleCommand, canUseNamespaces, reasonMissing } from "../../support/environment";
import { PairTestbed, type PairNode } from "../../support/pair";

const missing = [canUseNamespaces() ? "" : "(needs root and network namespaces)", reasonMissing("arping", "unshare")].filter(Boolean).join(" ");
const testbed = new PairTestbed({ tag: `i${process.pid % 1000}`, subnet: 200 + (process.pid % 50), bmcs: false });

function ocf(node: PairNode, action: string, params: Record<string, string>): { status: number | null; stderr: string } {
  const env = Object.entries({ OCF_RESOURCE_INSTANCE: "vip", ...Object.fromEntries(Object.entries(params).map(([key, value]) => [`OCF_RESKEY_${key}`, value])) }).map(([key, value]) => `${key}=${value}`);
  const result = testbed.exec(node.namespace, ["env", ...env, ...bundleCommand, "ocf", "ipaddr", action], 15_000);
  return { status: result.status, stderr: result.stderr };
}

function mac(namespace: string): string {
  return testbed.exec(namespace, ["cat", "/sys/class/net/eth0/address"]).stdout.trim();
}

/** A TCP connection attempt from the client: refused (RST) proves the address answers. */
function reach(address: string): boolean {
  const result = testbed.exec(testbed.clientNs, ["bash", "-c", `exec 3<>/dev/tcp/${address}/9`], 5000);
  return /refused/i.test(result.stderr) || result.status === 0;
}

function clientNeighbour(address: string): string | undefined {
  const line = testbed.exec(testbed.clientNs, ["ip", "neigh", "show", address]).stdout;
  return /lladdr (\S+)/.exec(line)?.[1];
}

async function waitFor(what: string, probe: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  if (!missing) await testbed.create();
}, 30_000);

afterAll(() => {
  if (!missing) testbed.destroy();
});

describe.skipIf(missing !== "")(`built-in ipaddr in namespaces ${missing}`, () => { // skipped: without root and network namespaces, arping or unshare; the title names what is missing
  const [node1, node2] = [() => testbed.nodes[0]!, () => testbed.nodes[1]!];

  it("adds the VIP on the interface of its subnet; monitor follows; the client reaches it", () => {
    expect(ocf(node1(), "monitor", { ip: testbed.vip }).status).toBe(7);
    expect(ocf(node1(), "start", { ip: testbed.vip }).status).toBe(0);
    expect(testbed.exec(node1().namespace, ["ip", "-4", "-o", "addr", "show", "dev", "eth0"]).stdout).toContain(`${testbed.vip}/24`);
    expect(ocf(node1(), "monitor", { ip: testbed.vip }).status).toBe(0);
    expect(ocf(node1(), "start", { ip: testbed.vip }).status).toBe(0);
    reach(testbed.vip);
    expect(clientNeighbour(testbed.vip)).toBe(mac(node1().namespace));
  });

  it("another node refuses the VIP while a host answers for it (duplicate address detection)", () => {
    const refused = ocf(node2(), "start", { ip: testbed.vip, dad_timeout_ms: "500" });
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/another host already answers for/);
    expect(testbed.exec(node2().namespace, ["ip", "-4", "-o", "addr", "show", "dev", "eth0"]).stdout).not.toContain(testbed.vip);
  });

  it("moved to the other node, the client's neighbour table follows by unsolicited ARP", async () => {
    expect(ocf(node1(), "stop", { ip: testbed.vip }).status).toBe(0);
    expect(ocf(node1(), "monitor", { ip: testbed.vip }).status).toBe(7);
    expect(ocf(node1(), "stop", { ip: testbed.vip }).status).toBe(0);
    const moved = ocf(node2(), "start", { ip: testbed.vip });
    expect(moved.status, moved.stderr).toBe(0);
    const node2Mac = mac(node2().namespace);
    await waitFor("the client's neighbour entry to name node2", () => clientNeighbour(testbed.vip) === node2Mac);
    expect(reach(testbed.vip)).toBe(true);
  });

  it("an IPv6 VIP moved to the other node: the kernel's unsolicited neighbour advertisement updates the client", async () => {
    // Each machine gets an IPv6 address on the shared link (no DAD, to be quick); the VIP is added with DAD.
    const vip6 = "fd00:77::100";
    for (const [namespace, address] of [[node1().namespace, "fd00:77::1"], [node2().namespace, "fd00:77::2"], [testbed.clientNs, "fd00:77::9"]] as const) {
      testbed.exec(namespace, ["ip", "-6", "addr", "add", `${address}/64`, "dev", "eth0", "nodad"]);
    }
    const params = { ip: vip6, nic: "eth0", cidr_netmask: "64" };
    expect(ocf(node1(), "start", params).status).toBe(0);
    // The client talks to the VIP on node1, so its neighbour table holds node1's address for it.
    await waitFor("the VIP on node1 to pass DAD and answer", () => reach(vip6), 10_000);
    expect(clientNeighbour(vip6)).toBe(mac(node1().namespace));
    expect(ocf(node1(), "stop", params).status).toBe(0);
    expect(ocf(node2(), "start", params).status).toBe(0);
    expect(testbed.exec(node2().namespace, ["cat", "/proc/sys/net/ipv6/conf/eth0/ndisc_notify"]).stdout.trim()).toBe("1");
    // No traffic from the client meanwhile: only the advertisement can change its entry.
    const node2Mac = mac(node2().namespace);
    await waitFor("the client's IPv6 neighbour entry to name node2", () => clientNeighbour(vip6) === node2Mac, 10_000);
    expect(ocf(node2(), "stop", params).status).toBe(0);
  }, 60_000);

  it("a missing ip is OCF_ERR_CONFIGURED naming the parameter; an unknown nic is named too", () => {
    const result = ocf(node1(), "start", {});
    expect(result.status).toBe(6);
    expect(result.stderr).toMatch(/missing required parameter ip/);
    const badNic = ocf(node1(), "start", { ip: "10.77.0.1", nic: "nosuch0" });
    expect(badNic.status).toBe(6);
    expect(badNic.stderr).toMatch(/nic 'nosuch0' does not exist/);
  });

  it.skipIf(reasonMissing("ocf-tester") !== "")("passes ocf-tester through a two-line wrapper", () => { // skipped: without ocf-tester (resource-agents)
    // ocf-tester runs some checks as an unprivileged user: the wrapper's path must be readable.
    const base = mkdtempSync(join(tmpdir(), "eh-ocf-"));
    chmodSync(base, 0o755);
    const root = join(base, "resource.d", "edgeha");
    mkdirSync(root, { recursive: true, mode: 0o755 });
    const wrapper = join(root, "ipaddr");
    writeFileSync(wrapper, `#!/bin/sh\nexec ${bundleCommand.join(" ")} ocf ipaddr "$1"\n`);
    chmodSync(wrapper, 0o755);
    // Another free address of the subnet (node2 holds the VIP after the move above).
    const free = testbed.vip.replace(/\.\d+$/, ".51");
    const result = testbed.exec(node1().namespace, ["ocf-tester", "-n", "vip", "-o", `ip=${free}`, wrapper], 120_000);
    expect(result.stdout + result.stderr).toMatch(/passed all tests/);
    expect(result.status).toBe(0);
    rmSync(base, { recursive: true, force: true });
  }, 150_000);

  it.skipIf(reasonMissing("ping") !== "")("ping publishes how many hosts answer from inside a node's namespace", () => { // skipped: without ping (iputils-ping)
    const result = testbed.exec(node1().namespace, ["env", "OCF_RESOURCE_INSTANCE=uplink", `OCF_RESKEY_host_list=${testbed.clientAddress} ${testbed.vip.replace(/\.\d+$/, ".99")}`, "OCF_RESKEY_multiplier=10", ...bundleCommand, "ocf", "ping", "start"], 15_000);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("attribute pingd=10");
    testbed.exec(node1().namespace, ["env", "OCF_RESOURCE_INSTANCE=uplink", `OCF_RESKEY_host_list=${testbed.clientAddress}`, ...bundleCommand, "ocf", "ping", "stop"]);
  }, 30_000);

  it.skipIf(!existsSync("/usr/lib/ocf/resource.d/heartbeat/IPaddr2"))("the executor runs resource-agents' IPaddr2: start, monitor, a failing monitor after the address is removed, stop", () => { // skipped: without resource-agents' IPaddr2 script
    const address = testbed.vip.replace(/\.\d+$/, ".52");
    const cib = join(testbed.directory, "ipaddr2.xml");
    writeFileSync(cib, `<cib admin_epoch="0" epoch="1" num_updates="0"><configuration><crm_config/><nodes/><resources>
      <primitive id="vip2" class="ocf" provider="heartbeat" type="IPaddr2"><instance_attributes id="i"><nvpair id="a" name="ip" value="${address}"/><nvpair id="b" name="cidr_netmask" value="24"/><nvpair id="c" name="nic" value="eth0"/></instance_attributes></primitive>
      </resources><constraints/></configuration><status/></cib>`);
    const debug = (action: string) => {
      const result = testbed.exec(node1().namespace, [...bundleCommand, "resource", `debug-${action}`, "vip2", "--cib", cib, "--json"], 30_000);
      return JSON.parse(result.stdout) as { rc: number };
    };
    expect(debug("start").rc).toBe(0);
    expect(debug("monitor").rc).toBe(0);
    testbed.exec(node1().namespace, ["ip", "addr", "del", `${address}/24`, "dev", "eth0"]);
    expect(debug("monitor").rc).toBe(7);
    expect(debug("stop").rc).toBe(0);
  }, 60_000);
});
