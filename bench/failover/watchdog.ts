// Failover when the BMC dies with its node, through watchdog self-fencing (issue 17's
// figures), on the namespace pair with an arbiter (test/support/pair.ts, pair-cluster.ts):
// each node feeds the testbed's watchdog stand-in (2 s timeout), stonith-watchdog-timeout
// 5 s, fencing topology level 1 IPMI (shell_timeout 1 s, one try), level 2 watchdog.
//   1. RUNS power losses of the serving node with its BMC silenced: time from the power loss
//      to the first HTTP answer from the survivor through the VIP (client polling every 20 ms).
//   2. One cut cable of the serving node (its BMC silenced): time from the cut to its watchdog
//      powering it off, and whether any 20 ms sample saw the VIP on both nodes.
// Run as root with bench/failover/watchdog-run.sh; prints the figures.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { PairTestbed, type PairNode } from "../../test/support/pair";
import { PairCluster } from "../../test/support/pair-cluster";

const root = process.env.EDGEHA_ROOT ?? process.cwd();
const runs = Number(process.env.RUNS ?? "5");
const testbed = new PairTestbed({ tag: `bw${process.pid % 100}`, subnet: 230 + (process.pid % 20) });
const arbiterPort = 34890;
const device = (node: PairNode) => join(testbed.directory, `watchdog-${node.name}`);
const fence = (node: PairNode, bed: PairTestbed) => `<primitive id="fence-${node.name}" class="stonith" type="fence_ipmilan"><instance_attributes id="fence-${node.name}-i">
  <nvpair id="fence-${node.name}-1" name="ip" value="${node.bmcAddress}"/><nvpair id="fence-${node.name}-2" name="username" value="${bed.bmcUser}"/>
  <nvpair id="fence-${node.name}-3" name="password" value="${bed.bmcPassword}"/><nvpair id="fence-${node.name}-4" name="pcmk_host_list" value="${node.name}"/>
  <nvpair id="fence-${node.name}-5" name="shell_timeout" value="1"/><nvpair id="fence-${node.name}-6" name="retry" value="1"/><nvpair id="fence-${node.name}-7" name="pcmk_off_retries" value="1"/>
</instance_attributes></primitive>`;
const cluster = new PairCluster(testbed, {
  port: 34880, arbiter: `${testbed.clientAddress}:${arbiterPort}`, repositoryRoot: root, fenceDevice: fence, watchdogDevice: device,
  properties: { "stonith-watchdog-timeout": "5s" },
  fencingTopology: ["node1", "node2"].map((name) => `<fencing-level id="fl-${name}-1" target="${name}" index="1" devices="fence-${name}"/><fencing-level id="fl-${name}-2" target="${name}" index="2" devices="watchdog"/>`).join(""),
});
const standins: ChildProcess[] = [];

function standin(node: PairNode): void {
  const bmc = join(testbed.directory, `bmc-${node.name}`);
  standins.push(spawn(process.execPath, [join(root, "test", "support", "watchdog-standin.mjs"), device(node), "2", "--", "sh", join(bmc, "control.sh"), "0x20", "set", "power", "0"], {
    stdio: "ignore", env: { ...process.env, BMC_DIR: bmc, SWITCH: testbed.switchNs, CABLE: node.cable, NODE_NS: node.namespace, NODE_ADDR: node.address },
  }));
}

function silenceBmc(node: PairNode, silent: boolean): void {
  spawnSync("ip", ["netns", "exec", testbed.bmcNs, "iptables", "-w", silent ? "-I" : "-D", "INPUT", "-d", node.bmcAddress, "-p", "udp", "-j", "DROP"]);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function firstAnswerFrom(name: string, sinceMs: number, limitMs: number): Promise<number> {
  while (Date.now() - sinceMs < limitMs) {
    const result = spawnSync("ip", ["netns", "exec", testbed.clientNs, "curl", "-s", "-m", "0.15", `http://${testbed.vip}/`], { encoding: "utf8" });
    if (result.stdout.trim() === name) return Date.now() - sinceMs;
    await sleep(20);
  }
  throw new Error(`no answer from ${name} within ${limitMs} ms`);
}

async function bothOnline(): Promise<string> {
  return cluster.waitFor("both nodes online and serving", () => {
    const status = cluster.status(testbed.nodes[0]!);
    return status?.cluster_state?.nodes.every((node) => node.state === "online") && cluster.ask();
  }, 90_000);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length % 2 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
}

async function main(): Promise<void> {
  await testbed.create();
  try {
    cluster.writeConfig();
    for (const node of testbed.nodes) standin(node);
    await sleep(500);
    testbed.spawnIn(testbed.clientNs, [process.execPath, join(root, "dist", "edgeha.cjs"), "arbiter", "--listen", `${testbed.clientAddress}:${arbiterPort}`, "--authkey", join(testbed.directory, "authkey"), "--cluster", "ehpair"], "arbiter.log");
    for (const node of testbed.nodes) cluster.startAgent(node);
    const times: number[] = [];
    for (let run = 0; run < runs; run++) {
      const active = await bothOnline();
      await sleep(3000);
      const victim = testbed.node(active);
      const survivor = cluster.other(active);
      silenceBmc(victim, true);
      const lostAtMs = Date.now();
      testbed.powerLoss(victim);
      const failoverMs = await firstAnswerFrom(survivor.name, lostAtMs, 60_000);
      times.push(failoverMs);
      console.log(`run ${run + 1}: power loss of ${victim.name} with its BMC dead -> ${survivor.name} answers after ${failoverMs} ms`);
      silenceBmc(victim, false);
      testbed.ipmitool(victim, "chassis", "power", "on");
      cluster.startAgent(victim);
    }
    console.log(`failover with the BMC dead, stonith-watchdog-timeout 5 s: median ${median(times)} ms, min ${Math.min(...times)} ms, max ${Math.max(...times)} ms (n=${times.length})`);
    const active = await bothOnline();
    await sleep(3000);
    const cut = testbed.node(active);
    silenceBmc(cut, true);
    const sampler = spawn("bash", ["-c", `end=$(( $(date +%s%3N) + 20000 )); while [ $(date +%s%3N) -lt $end ]; do a=0; b=0; ip -n ${testbed.nodes[0]!.namespace} -br addr | grep -q '${testbed.vip}/' && a=1; ip -n ${testbed.nodes[1]!.namespace} -br addr | grep -q '${testbed.vip}/' && b=1; echo "$a$b"; sleep 0.02; done`], { stdio: ["ignore", "pipe", "ignore"] });
    let samples = "";
    sampler.stdout.on("data", (chunk: Buffer) => { samples += chunk.toString("utf8"); });
    const cutAtMs = Date.now();
    testbed.cable(cut, false);
    const takeoverMs = await firstAnswerFrom(cluster.other(active).name, cutAtMs, 60_000);
    await new Promise((resolve) => sampler.on("close", resolve));
    const events = existsSync(`${device(cut)}.events`) ? readFileSync(`${device(cut)}.events`, "utf8").trim().split("\n").map((line) => line.split(" ")) : [];
    const expired = events.find(([atMs, event]) => event === "expired" && Number(atMs) >= cutAtMs);
    const lines = samples.trim().split("\n");
    console.log(`cut cable of ${cut.name}: its watchdog powered it off ${expired ? Number(expired[0]) - cutAtMs : "never"} ms after the cut; the other node answered after ${takeoverMs} ms; VIP on both nodes in ${lines.filter((line) => line === "11").length} of ${lines.length} samples (20 ms apart)`);
    silenceBmc(cut, false);
  } finally {
    for (const child of standins) child.kill("SIGKILL");
    testbed.destroy();
  }
}

main().catch((error: unknown) => { console.error(error); for (const child of standins) child.kill("SIGKILL"); testbed.destroy(); process.exit(1); });
