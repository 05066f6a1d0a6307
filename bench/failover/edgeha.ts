// Failover time of an edgeha pair on the namespace testbed, with fencing: from the power
// loss of the active node (every process of it killed, its cable unplugged, as its BMC does
// at power-off) to the first HTTP response through the VIP from the survivor. A poller in
// the client namespace asks every 20 ms (200 ms timeout). Kill moments are jittered.
// Then the memory of one node agent (page cache dropped first) and its idle CPU.
// Run through bench/failover/run.sh (builds and bundles first). Prints figures and JSON.
import { spawn, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { PairTestbed } from "../../test/support/pair";
import { PairCluster } from "../../test/support/pair-cluster";

// run.sh starts this from the repository root.
const root = resolve(process.env.EDGEHA_ROOT ?? process.cwd());
const runs = Number(process.env.RUNS ?? 10);
const executable = process.env.EDGEHA ?? join(root, "dist", "edgeha");
const idleSeconds = Number(process.env.IDLE_SECONDS ?? 60);

const POLLER = `
const http = require("node:http");
const [vip, file] = process.argv.slice(1);
const fs = require("node:fs");
const out = fs.createWriteStream(file, { flags: "a" });
const deadline = Date.now() + 30 * 60 * 1000;
function ask() {
  if (Date.now() > deadline) process.exit(0);
  const started = Date.now();
  const request = http.get({ host: vip, port: 80, path: "/", timeout: 200, agent: false }, (response) => {
    let body = "";
    response.on("data", (chunk) => (body += chunk));
    response.on("end", () => out.write(JSON.stringify({ t: Date.now(), started, body: body.trim() }) + "\\n"));
  });
  request.on("timeout", () => request.destroy());
  request.on("error", () => {});
  setTimeout(ask, 20);
}
ask();
`;

function percentile(values: number[], fraction: number): number {
  const sorted = [...values].sort((left, right) => left - right);
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))]!;
}

function median(values: number[]): number {
  const sorted = [...values].sort((left, right) => left - right);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function memoryOf(pid: number): { rssMiB: number; pssMiB: number; privateMiB: number } {
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(rollup)?.[1] ?? 0) / 1024;
  return { rssMiB: field("Rss"), pssMiB: field("Pss"), privateMiB: field("Private_Clean") + field("Private_Dirty") };
}

function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return Number(fields[11]) + Number(fields[12]);
}

async function main(): Promise<void> {
  const testbed = new PairTestbed({ tag: `bf${process.pid % 100}`, subnet: 230 + (process.pid % 20) });
  const cluster = new PairCluster(testbed, { port: 34990, repositoryRoot: root, command: [executable] });
  const results: Array<{ run: number; victim: string; failoverMs: number; fenceMs?: number }> = [];
  try {
    await testbed.create();
    cluster.writeConfig();
    for (const node of testbed.nodes) cluster.startAgent(node);
    let active = await cluster.waitFor("the first answer through the VIP", () => cluster.ask(), 60_000);
    const pollLog = join(testbed.directory, "poll.jsonl");
    writeFileSync(pollLog, "");
    const poller = spawn("ip", ["netns", "exec", testbed.clientNs, process.execPath, "-e", POLLER, testbed.vip, pollLog], { stdio: "ignore" });
    try {
      for (let run = 1; run <= runs; run++) {
        const victim = testbed.node(active);
        const survivor = cluster.other(active);
        await cluster.waitFor("a stable pair", () => {
          const seen = cluster.status(survivor)?.cluster_state;
          return seen && seen.nodes.every((node) => node.state === "online") && seen.resources.filter((resource) => resource.id !== "fence-node1" && resource.id !== "fence-node2").every((resource) => resource.nodes.join() === active);
        }, 60_000);
        await new Promise((resolve) => setTimeout(resolve, 1000 + Math.floor(Math.random() * 1000)));
        const killedAt = Date.now();
        testbed.powerLoss(victim);
        const first = await cluster.waitFor("the survivor's first answer", () => {
          const lines = readFileSync(pollLog, "utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line) as { t: number; started: number; body: string });
          return lines.find((line) => line.started >= killedAt && line.body === survivor.name);
        }, 60_000);
        const failoverMs = first.t - killedAt;
        results.push({ run, victim: victim.name, failoverMs });
        console.log(`run ${run}: power loss of ${victim.name}, survivor ${survivor.name} answered after ${failoverMs} ms`);
        // Repair: the fence rebooted the victim (it is on again); its agent starts afresh.
        await cluster.waitFor("the victim's BMC on", () => testbed.ipmitool(victim, "chassis", "power", "status").stdout.includes("on"), 30_000);
        cluster.startAgent(victim);
        active = survivor.name;
      }
    } finally {
      poller.kill("SIGKILL");
    }
    const values = results.map((result) => result.failoverMs);
    console.log(`\nedgeha failover (power loss -> first answer from the survivor), ${values.length} runs: min ${Math.min(...values)} ms, median ${median(values)} ms, p90 ${percentile(values, 0.9)} ms, max ${Math.max(...values)} ms`);

    // Memory and idle CPU of the agent on the node that holds the group.
    await cluster.waitFor("a stable pair", () => cluster.status(testbed.node(active))?.cluster_state?.nodes.every((node) => node.state === "online"), 60_000);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    spawnSync("sh", ["-c", "sync; echo 3 > /proc/sys/vm/drop_caches"]);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const agentPid = cluster.agents.get(active)!.pid!;
    const memory = memoryOf(agentPid);
    const ticksPerSecond = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim() || 100);
    const before = cpuTicks(agentPid);
    await new Promise((resolve) => setTimeout(resolve, idleSeconds * 1000));
    const cpuPercent = ((cpuTicks(agentPid) - before) / ticksPerSecond / idleSeconds) * 100;
    console.log(`edgeha node agent holding the group (VIP, HAProxy, memcached, 1 s monitors): RSS ${memory.rssMiB.toFixed(1)} MiB, PSS ${memory.pssMiB.toFixed(1)} MiB, private ${memory.privateMiB.toFixed(1)} MiB; idle CPU ${cpuPercent.toFixed(2)} % of one CPU over ${idleSeconds} s`);
    const out = join(root, "bench", "failover", "results");
    mkdirSync(out, { recursive: true });
    const summary = { when: new Date().toISOString(), executable, runs: results, failover: { minMs: Math.min(...values), medianMs: median(values), maxMs: Math.max(...values) }, memory, idleCpuPercent: cpuPercent };
    writeFileSync(join(out, `edgeha-${Date.now()}.json`), `${JSON.stringify(summary, null, 2)}\n`);
    console.log(JSON.stringify(summary));
  } finally {
    testbed.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
