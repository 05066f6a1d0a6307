// fence-agents programs in the running cluster (issue 17, point 1), on the namespace pair:
// node1 is fenced by the real fence_ipmilan of the Debian package fence-agents against its
// ipmi_sim BMC (meta external=true: the program, not edgeha's built-in driver of that name;
// its ipmitool_path points at a wrapper that logs each call, which only the real program
// uses), node2 by the real fence_dummy. A BMC that stops answering fails its device's monitor
// (pcmk_monitor_timeout), which `status` shows before a fence needs the device. A third device names a program that does not exist:
// its start fails with the reason in `status` instead of showing "Started".
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { canUseNamespaces, reasonMissing, repositoryRoot } from "../../support/environment";
import { PairTestbed, type PairNode } from "../../support/pair";
import { PairCluster } from "../../support/pair-cluster";

const missing = [canUseNamespaces() ? "" : "(needs root and network namespaces)", reasonMissing("ipmi_sim", "ipmitool", "haproxy", "memcached", "curl", "iptables", "fence_ipmilan", "fence_dummy")].filter(Boolean).join(" ");
const testbed = new PairTestbed({ tag: `q${process.pid % 1000}`, subnet: 10 + ((process.pid + 7) % 200) });
const ipmitoolLog = () => join(testbed.directory, "ipmitool-calls.log");
const dummyStatus = () => join(testbed.directory, "fence_dummy.status");

function fenceDevice(node: PairNode, bed: PairTestbed): string {
  const id = `fence-${node.name}`;
  const pairs = (values: Record<string, string>) => Object.entries(values).map(([name, value], index) => `<nvpair id="${id}-${index}" name="${name}" value="${value}"/>`).join("");
  if (node.name === "node1") {
    return `<primitive id="${id}" class="stonith" type="fence_ipmilan">
        <instance_attributes id="${id}-i">${pairs({ ip: node.bmcAddress, username: bed.bmcUser, password: bed.bmcPassword, lanplus: "1", cipher: "3", ipmitool_path: join(bed.directory, "ipmitool-wrapper"), pcmk_host_list: node.name, pcmk_monitor_timeout: "6s" })}</instance_attributes>
        <meta_attributes id="${id}-m"><nvpair id="${id}-m1" name="external" value="true"/></meta_attributes>
        <operations><op id="${id}-mon" name="monitor" interval="3s" timeout="20s"/></operations>
      </primitive>
      <primitive id="fence-missing" class="stonith" type="fence_nosuchagent">
        <instance_attributes id="fence-missing-i"><nvpair id="fence-missing-1" name="pcmk_host_list" value="nowhere"/></instance_attributes>
      </primitive>`;
  }
  return `<primitive id="${id}" class="stonith" type="fence_dummy">
        <instance_attributes id="${id}-i">${pairs({ type: "file", status_file: dummyStatus(), pcmk_host_list: node.name })}</instance_attributes>
      </primitive>`;
}

const cluster = new PairCluster(testbed, { port: 34800 + (process.pid % 100), tokenMs: 1500, consensusMs: 1800, preferredNode: "node1", repositoryRoot, fenceDevice });

beforeAll(async () => {
  if (missing) return;
  await testbed.create();
  writeFileSync(join(testbed.directory, "ipmitool-wrapper"), `#!/bin/sh\necho "$*" >> ${ipmitoolLog()}\nexec ipmitool "$@"\n`);
  chmodSync(join(testbed.directory, "ipmitool-wrapper"), 0o755);
  writeFileSync(dummyStatus(), "on"); // fence_dummy compares the whole file with "on"/"off"
  cluster.writeConfig();
  for (const node of testbed.nodes) cluster.startAgent(node);
}, 60_000);

afterAll(() => {
  if (!missing) testbed.destroy();
});

describe.skipIf(missing !== "")(`fence-agents programs fencing the namespace pair ${missing}`, () => { // skipped: without root and namespaces, ipmi_sim, ipmitool, haproxy, memcached, curl, iptables, fence_ipmilan or fence_dummy; the title names what is missing
  const [node1, node2] = [testbed.nodes[0]!, testbed.nodes[1]!];

  it("a device whose program is not installed fails its start with the reason; the others start", async () => {
    expect(await cluster.waitFor("the group on node1", () => cluster.ask() === "node1" && "node1", 60_000)).toBe("node1");
    const view = await cluster.waitFor("the failed start of fence-missing", () => {
      const seen = cluster.status(node1);
      return seen?.cluster_state?.failedActions.some((failure) => failure.resource === "fence-missing" && failure.operation === "start") && seen;
    });
    expect(view.cluster_state!.resources.find((resource) => resource.id === "fence-missing")?.role).not.toBe("Started");
    expect(cluster.statusText(node1)).toMatch(/fence-missing.*fence agent fence_nosuchagent is not installed/);
    for (const id of ["fence-node1", "fence-node2"]) expect(view.cluster_state!.resources.find((resource) => resource.id === id)?.role).toBe("Started");
  }, 90_000);

  it("a device whose BMC stops answering fails its monitor: status shows it before a fence needs it", async () => {
    const block = ["ip", "netns", "exec", testbed.bmcNs, "iptables", "-w"];
    const rule = ["INPUT", "-d", node1.bmcAddress, "-p", "udp", "-j", "DROP"];
    expect(testbed.exec(testbed.clientNs, [...block, "-I", ...rule]).status).toBe(0);
    try {
      await cluster.waitFor("the failed monitor of fence-node1", () => cluster.status(node1)?.cluster_state?.failedActions.some((failure) => failure.resource === "fence-node1" && failure.operation === "monitor"));
      expect(cluster.statusText(node1)).toMatch(/fence-node1 monitor \(interval 3s\) on node\d returned rc 1 'fence device fence-node1 monitor failed: /);
    } finally {
      testbed.exec(testbed.clientNs, [...block, "-D", ...rule]);
    }
    expect(testbed.exec(node1.namespace, [...cluster.command, "resource", "cleanup", "fence-node1", "--socket", cluster.socket(node1)]).status).toBe(0);
    await cluster.waitFor("fence-node1 started again, no failure left", () => {
      const seen = cluster.status(node1)?.cluster_state;
      return seen && seen.failedActions.every((failure) => failure.resource !== "fence-node1") && seen.resources.find((resource) => resource.id === "fence-node1")?.role === "Started";
    });
  }, 90_000);

  it("power loss of node1: the survivor fences it with the real fence_ipmilan through its BMC, then serves", async () => {
    const before = testbed.bmcEvents(node1).length;
    testbed.powerLoss(node1);
    expect(await cluster.waitFor("node2 to answer", () => cluster.ask() === "node2" && "node2")).toBe("node2");
    const events = testbed.bmcEvents(node1).slice(before);
    expect(events[0]).toMatch(/ power 0$/);
    expect(events.some((event) => / power 1$/.test(event))).toBe(true);
    // Only the real fence_ipmilan runs ipmitool, through the wrapper its ipmitool_path names (the node
    // is already off after the power loss, so its reboot powers it on).
    const calls = readFileSync(ipmitoolLog(), "utf8");
    expect(calls, calls).toMatch(/-I lanplus .*chassis power (off|on|cycle)/);
    await cluster.waitFor("the fencing in the status", () => cluster.status(node2)?.cluster_state?.fencing.some((record) => record.target === "node1" && record.state === "done"));
  }, 90_000);

  it("node1 back; power loss of node2 (now serving): fenced by the real fence_dummy, node1 takes over", async () => {
    cluster.startAgent(node1);
    await cluster.waitFor("both nodes online", () => cluster.status(node2)?.cluster_state?.nodes.every((node) => node.state === "online"));
    testbed.powerLoss(node2);
    expect(await cluster.waitFor("node1 to answer", () => cluster.ask() === "node1" && "node1")).toBe("node1");
    await cluster.waitFor("the fencing in the status", () => cluster.status(node1)?.cluster_state?.fencing.some((record) => record.target === "node2" && record.state === "done"));
    // fence_dummy (type=file) keeps the plug's state in its status file: the reboot left it on.
    expect(existsSync(dummyStatus())).toBe(true);
    expect(cluster.testbed.log("node1.log")).toMatch(/"target":"node2"/);
  }, 90_000);
});
