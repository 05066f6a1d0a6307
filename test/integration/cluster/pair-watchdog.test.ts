// Watchdog self-fencing on the namespace pair with an arbiter (issue 17, point 4): every
// node feeds a watchdog (the testbed's stand-in, test/support/watchdog-standin.mjs, timeout
// 2 s, which powers its machine off when not fed: every process killed, cable unplugged);
// stonith-watchdog-timeout is 5 s; each node's fencing topology is level 1 its BMC (IPMI),
// level 2 the watchdog.
// - Power loss of the serving node together with its BMC (its ipmi_sim silenced): IPMI
//   fails, the watchdog level takes the node for fenced 5 s after the request, the survivor
//   takes over.
// - The serving node's cable cut (its BMC silenced too, so only its watchdog can stop it):
//   it loses quorum with resources active, stops feeding, and its watchdog powers it off
//   within its timeout; the other node, holding the arbiter's vote, takes over only after
//   stonith-watchdog-timeout; sampled every 20 ms, no moment has the VIP on both nodes.
// - Between the two, stonith-watchdog-timeout set live to 4 s (not longer than twice the
//   2 s watchdog): a fencing by hand with the BMC silent fails, the watchdog level refused
//   with the reason in the history.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { bundleCommand, canUseNamespaces, reasonMissing, repositoryRoot } from "../../support/environment";
import { PairTestbed, type PairNode } from "../../support/pair";
import { PairCluster } from "../../support/pair-cluster";

const missing = [canUseNamespaces() ? "" : "(needs root and network namespaces)", reasonMissing("ipmi_sim", "ipmitool", "haproxy", "memcached", "curl", "iptables", "mkfifo")].filter(Boolean).join(" ");
const testbed = new PairTestbed({ tag: `w${process.pid % 1000}`, subnet: 10 + ((process.pid + 29) % 200) });
const arbiterPort = 34850 + ((process.pid + 7) % 50);
const WATCHDOG_SECONDS = 2;
const device = (node: PairNode) => join(testbed.directory, `watchdog-${node.name}`);
const fenceDevice = (node: PairNode, bed: PairTestbed) => `<primitive id="fence-${node.name}" class="stonith" type="fence_ipmilan">
        <instance_attributes id="fence-${node.name}-i">
          <nvpair id="fence-${node.name}-1" name="ip" value="${node.bmcAddress}"/><nvpair id="fence-${node.name}-2" name="username" value="${bed.bmcUser}"/>
          <nvpair id="fence-${node.name}-3" name="password" value="${bed.bmcPassword}"/><nvpair id="fence-${node.name}-4" name="pcmk_host_list" value="${node.name}"/>
          <nvpair id="fence-${node.name}-5" name="shell_timeout" value="1"/><nvpair id="fence-${node.name}-6" name="retry" value="1"/><nvpair id="fence-${node.name}-7" name="pcmk_off_retries" value="1"/>
        </instance_attributes>
      </primitive>`;
const cluster = new PairCluster(testbed, {
  port: 34950 + (process.pid % 40), tokenMs: 1500, consensusMs: 1800, arbiter: `${testbed.clientAddress}:${arbiterPort}`, repositoryRoot, fenceDevice,
  watchdogDevice: device,
  properties: { "stonith-watchdog-timeout": "5s" },
  fencingTopology: ["node1", "node2"].map((name) => `<fencing-level id="fl-${name}-1" target="${name}" index="1" devices="fence-${name}"/><fencing-level id="fl-${name}-2" target="${name}" index="2" devices="watchdog"/>`).join(""),
});
const standins = new Map<string, ChildProcess>();

function startStandin(node: PairNode): void {
  const bmc = join(testbed.directory, `bmc-${node.name}`);
  const child = spawn(process.execPath, [join(repositoryRoot, "test", "support", "watchdog-standin.mjs"), device(node), String(WATCHDOG_SECONDS), "--", "sh", join(bmc, "control.sh"), "0x20", "set", "power", "0"], {
    stdio: "ignore", env: { ...process.env, BMC_DIR: bmc, SWITCH: testbed.switchNs, CABLE: node.cable, NODE_NS: node.namespace, NODE_ADDR: node.address },
  });
  standins.set(node.name, child);
}

function watchdogEvents(node: PairNode): Array<{ atMs: number; event: string }> {
  const file = `${device(node)}.events`;
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8").trim().split("\n").map((line) => ({ atMs: Number(line.split(" ")[0]), event: line.split(" ")[1]! }));
}

function silenceBmc(node: PairNode, silent: boolean): void {
  spawnSync("ip", ["netns", "exec", testbed.bmcNs, "iptables", "-w", silent ? "-I" : "-D", "INPUT", "-d", node.bmcAddress, "-p", "udp", "-j", "DROP"]);
}

/** Samples which nodes hold the VIP every 20 ms (bounded): lines "<ms> <node1 0|1> <node2 0|1>". */
function sampleVip(durationMs: number): Promise<string[]> {
  return new Promise((resolve) => {
    const script = `end=$(( $(date +%s%3N) + ${durationMs} )); while [ $(date +%s%3N) -lt $end ]; do a=0; b=0; ip -n ${testbed.nodes[0]!.namespace} -br addr | grep -q '${testbed.vip}/' && a=1; ip -n ${testbed.nodes[1]!.namespace} -br addr | grep -q '${testbed.vip}/' && b=1; echo "$(date +%s%3N) $a $b"; sleep 0.02; done`;
    const child = spawn("bash", ["-c", script], { stdio: ["ignore", "pipe", "ignore"] });
    let text = "";
    child.stdout.on("data", (chunk: Buffer) => { text += chunk.toString("utf8"); });
    child.on("close", () => resolve(text.trim().split("\n")));
  });
}

beforeAll(async () => {
  if (missing) return;
  await testbed.create();
  cluster.writeConfig();
  for (const node of testbed.nodes) startStandin(node);
  await new Promise((resolve) => setTimeout(resolve, 500));
  testbed.spawnIn(testbed.clientNs, [...bundleCommand, "arbiter", "--listen", `${testbed.clientAddress}:${arbiterPort}`, "--authkey", join(testbed.directory, "authkey"), "--cluster", "ehpair"], "arbiter.log");
  for (const node of testbed.nodes) cluster.startAgent(node);
}, 60_000);

afterAll(() => {
  for (const child of standins.values()) child.kill("SIGKILL");
  if (!missing) testbed.destroy();
});

describe.skipIf(missing !== "")(`watchdog self-fencing on the pair with an arbiter ${missing}`, () => { // skipped: without root and namespaces, ipmi_sim, ipmitool, haproxy, memcached, curl, iptables or mkfifo; the title names what is missing
  let active = "";

  it("both nodes feed their watchdogs; the group runs", async () => {
    active = await cluster.waitFor("an answer through the VIP", () => cluster.ask(), 60_000);
    await cluster.waitFor("both nodes see the arbiter's vote", () => testbed.nodes.every((node) => (cluster.status(node) as unknown as { quorum?: { flags: string[] } })?.quorum?.flags.includes("Arbiter(vote)")));
    for (const node of testbed.nodes) expect(watchdogEvents(node).map((entry) => entry.event).slice(0, 2)).toEqual(["armed", "fed"]);
  }, 90_000);

  it("power loss with the BMC dead: IPMI fails, the watchdog level waits stonith-watchdog-timeout, then the survivor takes over", async () => {
    const victim = testbed.node(active);
    const survivor = cluster.other(active);
    silenceBmc(victim, true);
    const lostAtMs = Date.now();
    testbed.powerLoss(victim);
    expect(await cluster.waitFor("the survivor to answer", () => cluster.ask() === survivor.name && survivor.name, 60_000)).toBe(survivor.name);
    const failoverMs = Date.now() - lostAtMs;
    expect(failoverMs).toBeGreaterThan(5000);
    const fencing = cluster.status(survivor)!.cluster_state!.fencing.filter((record) => record.target === victim.name);
    expect(fencing.at(-1)).toMatchObject({ state: "done" });
    expect(cluster.testbed.log(`${survivor.name}.log`)).toMatch(/watchdog: node\d has reset itself \(stonith-watchdog-timeout of 5 s passed/);
    console.log(`failover with the BMC dead (stonith-watchdog-timeout 5 s): ${failoverMs} ms`);
    // Back: the BMC answers again, the machine gets power (its watchdog's stand-in is still there), its agent starts.
    silenceBmc(victim, false);
    expect(testbed.ipmitool(victim, "chassis", "power", "on").status).toBe(0);
    cluster.startAgent(victim);
    await cluster.waitFor("both nodes online", () => cluster.status(survivor)?.cluster_state?.nodes.every((node) => node.state === "online"), 60_000);
    active = survivor.name;
  }, 120_000);

  it("a stonith-watchdog-timeout not longer than twice the watchdog's is refused: with IPMI dead the fencing fails with the reason, and the node is not taken for fenced", async () => {
    const dc = cluster.status(testbed.node(active))!.dc!;
    const target = cluster.other(dc);
    const edgeha = (...args: string[]) => testbed.exec(testbed.node(dc).namespace, [...cluster.command, ...args, "--socket", cluster.socket(testbed.node(dc))], 60_000);
    expect(edgeha("property", "set", "stonith-watchdog-timeout=4s").status).toBe(0);
    silenceBmc(target, true);
    try {
      const askedAtMs = Date.now();
      const fenced = edgeha("stonith", "fence", target.name, "--off");
      expect(fenced.status).not.toBe(0);
      const history = JSON.parse(edgeha("stonith", "history", "--json").stdout) as Array<{ target: string; action: string; state: string; reason: string }>;
      const last = history.filter((entry) => entry.target === target.name).at(-1)!;
      expect(last).toMatchObject({ action: "off", state: "failed" });
      expect(last.reason).toMatch(/watchdog: stonith-watchdog-timeout \(4 s\) is not longer than twice the node's watchdog timeout \(2 s\)/);
      // The node was not taken for fenced: it is still a member, and its watchdog never fired.
      expect(cluster.status(testbed.node(dc))?.cluster_state?.nodes.find((node) => node.name === target.name)?.state).toBe("online");
      expect(watchdogEvents(target).some((entry) => entry.event === "expired" && entry.atMs >= askedAtMs)).toBe(false);
    } finally {
      silenceBmc(target, false);
      expect(edgeha("property", "set", "stonith-watchdog-timeout=5s").status).toBe(0);
    }
  }, 90_000);

  it("a cut cable with the arbiter: the cut-off node resets itself within its watchdog timeout; the VIP is never on both", async () => {
    const cut = testbed.node(active);
    const other = cluster.other(active);
    await cluster.waitFor("the arbiter's vote again", () => (cluster.status(other) as unknown as { quorum?: { flags: string[] } })?.quorum?.flags.includes("Arbiter(vote)"));
    silenceBmc(cut, true);
    const sampling = sampleVip(25_000);
    const cutAtMs = Date.now();
    testbed.cable(cut, false);
    try {
      expect(await cluster.waitFor("the other node to answer", () => cluster.ask() === other.name && other.name, 60_000)).toBe(other.name);
      const samples = await sampling;
      expect(samples.length).toBeGreaterThan(100);
      expect(samples.filter((line) => / 1 1$/.test(line))).toEqual([]);
      const expired = watchdogEvents(cut).find((entry) => entry.event === "expired" && entry.atMs >= cutAtMs);
      expect(expired).toBeDefined();
      // Quorum goes when the arbiter's lease (2 s) runs out; the watchdog then fires within its timeout (and a feeding interval).
      const resetAfterMs = expired!.atMs - cutAtMs;
      console.log(`cut-off node reset by its watchdog ${resetAfterMs} ms after its cable was cut`);
      expect(resetAfterMs).toBeLessThan(2000 + WATCHDOG_SECONDS * 1000 + 3000);
      expect(cluster.testbed.log(`${cut.name}.log`)).toMatch(/no longer feeding the watchdog: this machine resets within its timeout/);
    } finally {
      silenceBmc(cut, false);
    }
  }, 120_000);
});
