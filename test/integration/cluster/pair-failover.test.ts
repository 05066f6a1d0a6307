// The proof of the product: a real two-node pair in network namespaces, each node with an
// ipmi_sim BMC whose power-off is a power loss, running edgeha agents with a group of a VIP,
// HAProxy and memcached, stonith enabled with the ipmilan driver. A client in a third
// namespace talks to the VIP. Scenarios run in order on one testbed: power loss of the
// active node, the lost node coming back, HAProxy killed behind the cluster's back, kill -9
// of the active agent, the link cut both ways, and a graceful node stop.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ChildProcess } from "node:child_process";
import { canUseNamespaces, cliBundle, reasonMissing, repositoryRoot } from "../../support/environment";
import { PairTestbed, type PairNode } from "../../support/pair";

const missing = [canUseNamespaces() ? "" : "(needs root and network namespaces)", reasonMissing("ipmi_sim", "ipmitool", "haproxy", "memcached", "curl", "unshare")].filter(Boolean).join(" ");
const tag = `p${process.pid % 1000}`;
const testbed = new PairTestbed({ tag, subnet: 10 + (process.pid % 200) });
const port = 34700 + (process.pid % 100);
const agents = new Map<string, ChildProcess>();

function configFiles(): void {
  const dir = testbed.directory;
  writeFileSync(join(dir, "authkey"), randomBytes(64), { mode: 0o600 });
  writeFileSync(join(dir, "edgeha.yaml"), [
    // A longer token than the default 500 ms: this test proves behaviour, not speed
    // (bench/failover measures that), and test machines run many things at once.
    "cluster_name: ehpair", `transport: { port: ${port} }`, "timing: { token_ms: 1500, consensus_ms: 1800 }", `paths: { authkey: ${join(dir, "authkey")} }`, "nodes:",
    ...testbed.nodes.map((node) => `  - { name: ${node.name}, id: ${node.id}, links: [${node.address}] }`), "",
  ].join("\n"));
  for (const node of testbed.nodes) {
    testbed.nodeFile(node, "haproxy.cfg", [
      "global", "  maxconn 256", "defaults", "  mode http", "  timeout connect 1s", "  timeout client 5s", "  timeout server 5s",
      "frontend web", `  bind ${testbed.vip}:80`, `  http-request return status 200 content-type text/plain string ${node.name}`, "",
    ].join("\n"));
  }
  const fence = (node: PairNode) => `<primitive id="fence-${node.name}" class="stonith" type="fence_ipmilan">
        <instance_attributes id="fence-${node.name}-i">
          <nvpair id="fence-${node.name}-1" name="ip" value="${node.bmcAddress}"/><nvpair id="fence-${node.name}-2" name="username" value="${testbed.bmcUser}"/>
          <nvpair id="fence-${node.name}-3" name="password" value="${testbed.bmcPassword}"/><nvpair id="fence-${node.name}-4" name="lanplus" value="1"/>
          <nvpair id="fence-${node.name}-5" name="pcmk_host_list" value="${node.name}"/>
        </instance_attributes>
      </primitive>`;
  const daemon = (id: string, binfile: string, args: string) => `<primitive id="${id}" class="ocf" provider="edgeha-test" type="Daemon">
          <instance_attributes id="${id}-i"><nvpair id="${id}-1" name="binfile" value="${binfile}"/><nvpair id="${id}-2" name="args" value="${args}"/></instance_attributes>
          <operations><op id="${id}-m" name="monitor" interval="1s" timeout="10s"/></operations>
        </primitive>`;
  writeFileSync(join(dir, "cib.xml"), `<cib admin_epoch="0" epoch="1" num_updates="0" validate-with="pacemaker-3.0">
  <configuration>
    <crm_config><cluster_property_set id="cib-bootstrap-options">
      <nvpair id="o1" name="stonith-enabled" value="true"/><nvpair id="o2" name="priority-fencing-delay" value="2s"/>
    </cluster_property_set></crm_config>
    <nodes/>
    <resources>
      ${fence(testbed.nodes[0]!)}
      ${fence(testbed.nodes[1]!)}
      <group id="edge">
        <meta_attributes id="edge-meta"><nvpair id="edge-p" name="priority" value="10"/></meta_attributes>
        <primitive id="vip" class="ocf" provider="heartbeat" type="IPaddr2">
          <instance_attributes id="vip-i"><nvpair id="vip-1" name="ip" value="${testbed.vip}"/><nvpair id="vip-2" name="cidr_netmask" value="24"/><nvpair id="vip-3" name="nic" value="eth0"/></instance_attributes>
          <operations><op id="vip-m" name="monitor" interval="1s" timeout="10s"/></operations>
        </primitive>
        ${daemon("haproxy", "/usr/sbin/haproxy", "-db -f /run/edgeha/files/haproxy.cfg")}
        ${daemon("memcached", "/usr/bin/memcached", `-p 11211 -l ${testbed.vip} -u nobody -m 16`)}
      </group>
    </resources>
    <constraints/>
    <rsc_defaults><meta_attributes id="rd"><nvpair id="rd1" name="resource-stickiness" value="100"/></meta_attributes></rsc_defaults>
  </configuration>
  <status/>
</cib>`);
}

/** An OCF root with resource-agents' heartbeat agents and this repository's test agents. */
function ocfRoot(): string {
  const root = join(testbed.directory, "ocf");
  mkdirSync(join(root, "resource.d"), { recursive: true });
  if (!existsSync(join(root, "lib"))) symlinkSync("/usr/lib/ocf/lib", join(root, "lib"));
  if (!existsSync(join(root, "resource.d", "heartbeat"))) symlinkSync("/usr/lib/ocf/resource.d/heartbeat", join(root, "resource.d", "heartbeat"));
  if (!existsSync(join(root, "resource.d", "edgeha-test"))) symlinkSync(join(repositoryRoot, "test", "fixtures", "ocf", "resource.d", "edgeha-test"), join(root, "resource.d", "edgeha-test"));
  return root;
}

function startAgent(node: PairNode): void {
  const dir = testbed.directory;
  agents.set(node.name, testbed.spawn(node, [process.execPath, cliBundle, "agent", "--config", join(dir, "edgeha.yaml"), "--node", node.name, "--socket", join(dir, `${node.name}.sock`), "--state-dir", join(dir, `state-${node.name}`), "--initial-cib", join(dir, "cib.xml")], `${node.name}.log`, { OCF_ROOT: ocfRoot() }));
}

interface Status { dc: string | null; cluster_state: { nodes: Array<{ name: string; state: string }>; resources: Array<{ id: string; role: string; nodes: string[] }>; fencing: Array<{ target: string; state: string; by?: string }> } | null }

function status(node: PairNode): Status | undefined {
  const result = testbed.exec(node.namespace, [process.execPath, cliBundle, "status", "--json", "--socket", join(testbed.directory, `${node.name}.sock`)]);
  if (result.status !== 0) return undefined;
  try { return JSON.parse(result.stdout) as Status; } catch { return undefined; }
}

/** One HTTP request to the VIP from the client: the name of the node that answered. */
function ask(): string | undefined {
  const result = testbed.exec(testbed.clientNs, ["curl", "-s", "-m", "0.5", `http://${testbed.vip}/`], 3000);
  return result.status === 0 && /^node\d$/.test(result.stdout.trim()) ? result.stdout.trim() : undefined;
}

/** A real memcached `version` request to the VIP from the client. */
function memcachedVersion(): string | undefined {
  const result = testbed.exec(testbed.clientNs, ["bash", "-c", `exec 3<>/dev/tcp/${testbed.vip}/11211 && printf 'version\\r\\n' >&3 && read -t 2 line <&3 && echo "$line"`], 4000);
  return result.status === 0 && result.stdout.startsWith("VERSION") ? result.stdout.trim() : undefined;
}

async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n--- node1 ---\n${testbed.log("node1.log").slice(-3000)}\n--- node2 ---\n${testbed.log("node2.log").slice(-3000)}`);
}

function other(name: string): PairNode {
  return testbed.nodes.find((node) => node.name !== name)!;
}

beforeAll(async () => {
  if (missing) return;
  await testbed.create();
  configFiles();
  for (const node of testbed.nodes) startAgent(node);
}, 60_000);

afterAll(() => {
  if (!missing) testbed.destroy();
});

describe.skipIf(missing !== "")(`a two-node pair in namespaces with ipmi_sim BMCs ${missing}`, () => {
  let active = "";

  it("starts the VIP, HAProxy and memcached on one node; the client reaches both services", async () => {
    active = await waitFor("an answer through the VIP", ask, 60_000);
    expect(await waitFor("memcached through the VIP", memcachedVersion)).toMatch(/^VERSION /);
    const view = await waitFor("status with the group", () => {
      const seen = status(testbed.node(active));
      return seen?.cluster_state?.resources.filter((resource) => ["vip", "haproxy", "memcached"].includes(resource.id)).every((resource) => resource.role === "Started" && resource.nodes.join() === active) && seen;
    });
    expect(view.cluster_state!.nodes.map((node) => node.state)).toEqual(["online", "online"]);
  }, 90_000);

  it("power loss of the active node: the survivor fences it through its BMC, then serves the VIP", async () => {
    const victim = testbed.node(active);
    const survivor = other(active);
    const before = testbed.bmcEvents(victim).length;
    testbed.powerLoss(victim);
    const answeredBy = await waitFor("the survivor to answer", () => ask() === survivor.name && survivor.name);
    expect(answeredBy).toBe(survivor.name);
    expect(await waitFor("memcached on the survivor", memcachedVersion)).toMatch(/^VERSION /);
    // After our power loss, the survivor's fencing through the BMC (a reboot: the node comes back on).
    const events = testbed.bmcEvents(victim).slice(before);
    expect(events[0]).toMatch(/ power 0$/);
    expect(events.slice(1).some((event) => / power 1$/.test(event))).toBe(true);
    const view = await waitFor("the fencing in the status", () => { const seen = status(survivor); return seen?.cluster_state?.fencing.some((record) => record.target === victim.name && record.state === "done") && seen; });
    expect(view.dc).toBe(survivor.name);
    active = survivor.name;
  }, 60_000);

  it("the fenced node boots, its agent rejoins; the group stays where it is and the DC keeps its role", async () => {
    const returning = other(active);
    expect(testbed.ipmitool(returning, "chassis", "power", "status").stdout).toMatch(/on/);
    startAgent(returning);
    await waitFor("both nodes online", () => status(returning)?.cluster_state?.nodes.every((node) => node.state === "online"));
    expect(status(returning)?.dc).toBe(active);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(ask()).toBe(active);
  }, 60_000);

  it("HAProxy killed behind the cluster's back is recovered in place", async () => {
    const node = testbed.node(active);
    expect(testbed.kill(node, /^\/usr\/sbin\/haproxy /)).toBe(1);
    await waitFor("the failure in the status", () => status(node)?.cluster_state?.resources.some((resource) => resource.id === "haproxy" && resource.role !== "Started") || ask() === undefined);
    expect(await waitFor("HAProxy back on the same node", () => ask() === active && active)).toBe(active);
    const view = status(node)!;
    expect((view.cluster_state as unknown as { failedActions: Array<{ resource: string }> }).failedActions.some((failure) => failure.resource === "haproxy")).toBe(true);
  }, 60_000);

  it("kill -9 of the active node's agent: it is fenced, the other node takes over", async () => {
    const victim = testbed.node(active);
    const survivor = other(active);
    const before = testbed.bmcEvents(victim).length;
    expect(testbed.kill(victim, /edgeha\.cjs agent/)).toBe(1);
    expect(await waitFor("the survivor to answer", () => ask() === survivor.name && survivor.name)).toBe(survivor.name);
    expect(testbed.bmcEvents(victim).slice(before).some((event) => / power 0$/.test(event))).toBe(true);
    active = survivor.name;
    startAgent(victim);
    await waitFor("both nodes online", () => status(survivor)?.cluster_state?.nodes.every((node) => node.state === "online"));
  }, 60_000);

  it("the link between the nodes cut both ways: the node with the group fences the other and keeps serving", async () => {
    const holder = testbed.node(active);
    const loser = other(active);
    const answers = new Set<string>();
    const before = testbed.bmcEvents(loser).length;
    // Cluster traffic between the nodes is dropped both ways; the client and the BMCs stay reachable.
    testbed.exec(holder.namespace, ["ip", "route", "add", "blackhole", `${loser.address}/32`]);
    testbed.exec(loser.namespace, ["ip", "route", "add", "blackhole", `${holder.address}/32`]);
    await waitFor("the loser to be fenced", () => {
      const answer = ask();
      if (answer) answers.add(answer);
      return testbed.bmcEvents(loser).slice(before).some((event) => / power 0$/.test(event));
    });
    for (let probe = 0; probe < 10; probe++) { const answer = ask(); if (answer) answers.add(answer); }
    expect([...answers]).toEqual([holder.name]);
    expect(testbed.bmcEvents(holder).filter((event) => / power 0$/.test(event)).length).toBe(testbed.bmcEvents(holder).filter((event) => / power 0$/.test(event)).length);
    testbed.exec(holder.namespace, ["ip", "route", "del", "blackhole", `${loser.address}/32`]);
    testbed.exec(loser.namespace, ["ip", "route", "del", "blackhole", `${holder.address}/32`]);
    startAgent(loser);
    await waitFor("both nodes online", () => status(holder)?.cluster_state?.nodes.every((node) => node.state === "online"));
  }, 90_000);

  it("a graceful node stop moves the group without fencing, and the agent exits", async () => {
    const leaving = testbed.node(active);
    const staying = other(active);
    const fencesBefore = testbed.bmcEvents(leaving).length;
    const agent = agents.get(leaving.name)!;
    const exited = new Promise<number | null>((resolve) => agent.once("exit", resolve));
    const stop = testbed.exec(leaving.namespace, [process.execPath, cliBundle, "node", "stop", "--socket", join(testbed.directory, `${leaving.name}.sock`)]);
    expect(stop.status).toBe(0);
    expect(await waitFor("the other node to answer", () => ask() === staying.name && staying.name)).toBe(staying.name);
    expect(await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve("still running"), 15_000))])).not.toBe("still running");
    expect(testbed.bmcEvents(leaving).length).toBe(fencesBefore);
    await waitFor("the leaver shown offline", () => status(staying)?.cluster_state?.nodes.find((node) => node.name === leaving.name)?.state === "offline");
  }, 60_000);
});
