// The live part of ./scripts/demo: a two-node pair in network namespaces, each node with an
// ipmi_sim BMC, running the edgeha executable with a VIP, HAProxy and memcached and IPMI
// fencing. It shows `edgeha status`, pulls the power of the active node, prints what
// happens as it happens, the measured failover time, and `edgeha status` after.
// Everything it creates is removed at the end (also on Ctrl-C).
// `bmc-dead` (./scripts/demo bmc-dead, issue 17): the same pair with an arbiter on the client's
// host, each node feeding a watchdog (the testbed's stand-in, 2 s, test/support/watchdog-
// standin.mjs), fencing level 1 IPMI and level 2 the watchdog, stonith-watchdog-timeout 5 s;
// the active node loses power together with its BMC. IPMI fails; the survivor takes the node
// for fenced once stonith-watchdog-timeout has passed, and takes over.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { PairTestbed, type PairNode } from "../test/support/pair";
import { PairCluster } from "../test/support/pair-cluster";

const root = resolve(process.env.EDGEHA_ROOT ?? process.cwd());
const executable = process.env.EDGEHA ?? join(root, "dist", "edgeha");
const bold = (text: string) => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text);
const step = (text: string) => console.log(`\n${bold(`== ${text}`)}`);

const POLLER = `
const http = require("node:http");
const [vip, file] = process.argv.slice(1);
const out = require("node:fs").createWriteStream(file, { flags: "a" });
const deadline = Date.now() + 10 * 60 * 1000;
(function ask() {
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
})();
`;

interface LogLine { time: string; msg: string; [key: string]: unknown }

function logLines(text: string): LogLine[] {
  return text.split("\n").filter((line) => line.startsWith("{")).map((line) => { try { return JSON.parse(line) as LogLine; } catch { return undefined; } }).filter((line): line is LogLine => line !== undefined);
}

const WATCHDOG_SECONDS = 2;
const STONITH_WATCHDOG_TIMEOUT = "5s";

async function main(mode: string): Promise<void> {
  const bmcDead = mode === "bmc-dead";
  const testbed = new PairTestbed({ tag: "demo", subnet: 99 });
  const arbiter = `${testbed.clientAddress}:34998`;
  const watchdogDevice = (node: PairNode) => join(testbed.directory, `watchdog-${node.name}`);
  const cluster = new PairCluster(testbed, {
    port: 34999, repositoryRoot: root, command: [executable],
    ...(bmcDead ? {
      arbiter, watchdogDevice,
      properties: { "stonith-watchdog-timeout": STONITH_WATCHDOG_TIMEOUT },
      // IPMI gives up after one try of 1 s per attempt (its BMC is gone): level 2 is reached quickly.
      fenceDevice: (node: PairNode, bed: PairTestbed) => `<primitive id="fence-${node.name}" class="stonith" type="fence_ipmilan">
        <instance_attributes id="fence-${node.name}-i">
          <nvpair id="fence-${node.name}-1" name="ip" value="${node.bmcAddress}"/><nvpair id="fence-${node.name}-2" name="username" value="${bed.bmcUser}"/>
          <nvpair id="fence-${node.name}-3" name="password" value="${bed.bmcPassword}"/><nvpair id="fence-${node.name}-4" name="lanplus" value="1"/>
          <nvpair id="fence-${node.name}-5" name="pcmk_host_list" value="${node.name}"/><nvpair id="fence-${node.name}-6" name="shell_timeout" value="1"/>
          <nvpair id="fence-${node.name}-7" name="retry" value="1"/><nvpair id="fence-${node.name}-8" name="pcmk_off_retries" value="1"/>
        </instance_attributes>
      </primitive>`,
      fencingTopology: testbed.nodes.map((node) => `<fencing-level id="fl-${node.name}-1" target="${node.name}" index="1" devices="fence-${node.name}"/><fencing-level id="fl-${node.name}-2" target="${node.name}" index="2" devices="watchdog"/>`).join(""),
    } : {}),
  });
  const standins: ChildProcess[] = [];
  const cleanup = () => { for (const child of standins) child.kill("SIGKILL"); testbed.destroy(); };
  process.once("SIGINT", () => { cleanup(); process.exit(130); });
  try {
    step("the testbed: namespaces for node1, node2, a client, a switch, and an ipmi_sim BMC per node");
    await testbed.create();
    for (const node of testbed.nodes) console.log(`  ${node.name}: ${node.address} (BMC ${node.bmcAddress}, IPMI over LAN)`);
    console.log(`  client: ${testbed.clientAddress}    VIP: ${testbed.vip}`);
    cluster.writeConfig();
    console.log(`\n  bootstrap config (${join(testbed.directory, "edgeha.yaml")}):`);
    console.log(readFileSync(join(testbed.directory, "edgeha.yaml"), "utf8").replace(/^/gm, "    "));

    if (bmcDead) {
      step(`watchdogs (the testbed's stand-in, ${WATCHDOG_SECONDS} s) and an arbiter (${arbiter}, on the client's host)`);
      for (const node of testbed.nodes) {
        const bmc = join(testbed.directory, `bmc-${node.name}`);
        // Not fed in time, the stand-in powers its machine off as the BMC would (every process killed, cable unplugged).
        standins.push(spawn(process.execPath, [join(root, "test", "support", "watchdog-standin.mjs"), watchdogDevice(node), String(WATCHDOG_SECONDS), "--", "sh", join(bmc, "control.sh"), "0x20", "set", "power", "0"], {
          stdio: "ignore", env: { ...process.env, BMC_DIR: bmc, SWITCH: testbed.switchNs, CABLE: node.cable, NODE_NS: node.namespace, NODE_ADDR: node.address },
        }));
      }
      for (let wait = 0; wait < 100 && !testbed.nodes.every((node) => existsSync(`${watchdogDevice(node)}.timeout`)); wait++) await new Promise((resolve) => setTimeout(resolve, 50));
      await new Promise((resolve) => setTimeout(resolve, 300));
      testbed.spawnIn(testbed.clientNs, [executable, "arbiter", "--listen", arbiter, "--authkey", join(testbed.directory, "authkey"), "--cluster", "ehpair"], "arbiter.log");
      console.log(`  fencing topology: level 1 IPMI (each node's BMC), level 2 the watchdog; stonith-watchdog-timeout ${STONITH_WATCHDOG_TIMEOUT}`);
    }

    step("starting `edgeha agent` on both nodes");
    for (const node of testbed.nodes) cluster.startAgent(node);
    const started = Date.now();
    const active = await cluster.waitFor("the VIP to answer", () => cluster.ask(), 60_000);
    console.log(`  the cluster formed, elected a DC, probed both nodes and started the group in ${Date.now() - started} ms`);
    await cluster.waitFor("a settled status", () => cluster.status(testbed.node(active))?.cluster_state?.resources.every((resource) => resource.role === "Started"), 30_000);
    if (bmcDead) await cluster.waitFor("both nodes to hold the arbiter's vote", () => testbed.nodes.every((node) => (cluster.status(node) as unknown as { quorum?: { flags: string[] } })?.quorum?.flags.includes("Arbiter(vote)")), 30_000);

    step(`edgeha status (on ${active})`);
    process.stdout.write(cluster.statusText(testbed.node(active)) ?? "(no answer)\n");
    console.log(`  client -> http://${testbed.vip}/ answered by: ${cluster.ask()}`);
    console.log(`  client -> memcached ${testbed.vip}:11211 'version': ${cluster.memcachedVersion()}`);

    const victim = testbed.node(active);
    const survivor = cluster.other(active);
    const pollLog = join(testbed.directory, "poll.jsonl");
    writeFileSync(pollLog, "");
    const poller = spawn("ip", ["netns", "exec", testbed.clientNs, process.execPath, "-e", POLLER, testbed.vip, pollLog], { stdio: "ignore" });
    await new Promise((resolve) => setTimeout(resolve, 1500));

    step(bmcDead ? `pulling the power of ${victim.name} and of its BMC (one feed: all its processes killed, its cable unplugged, its BMC silent)` : `pulling the power of ${victim.name} (all its processes killed, its cable unplugged)`);
    const killedAt = Date.now();
    if (bmcDead) testbed.bmcDown(victim);
    testbed.powerLoss(victim);
    const first = await cluster.waitFor("the survivor to answer", () => {
      const lines = readFileSync(pollLog, "utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line) as { t: number; started: number; body: string });
      return lines.find((line) => line.started >= killedAt && line.body === survivor.name);
    }, 60_000);
    poller.kill("SIGKILL");
    const at = (time: number) => `+${String(time - killedAt).padStart(5)} ms`;
    console.log(`  ${at(killedAt)}  power lost on ${victim.name}`);
    const interesting = /new membership view|quorum gained|elected the DC|fencing|node fenced|fence attempt|transition planned|transition finished/;
    for (const line of logLines(testbed.log(`${survivor.name}.log`))) {
      const time = Date.parse(line.time);
      if (time < killedAt || !interesting.test(line.msg)) continue;
      const detail = line.msg === "new membership view" ? `members ${JSON.stringify(line.members)}, quorate ${String(line.quorate)}`
        : line.msg === "fencing" ? `${String(line.target)} ${bmcDead ? "(level 1 its BMC, level 2 its watchdog)" : "via its BMC"} (${String(line.action)})`
        : line.msg === "node fenced" ? String(line.reason)
        : line.msg === "quorum gained" ? (bmcDead ? "the arbiter's vote (it votes for this side once the lost node's lease ran out)" : "")
        : line.msg === "fence attempt failed" || line.msg === "fence attempt succeeded" ? `${String(line.device)} ${String(line.action)}: ${String(line.message)}`
        : line.msg.startsWith("fencing through the watchdog") ? `IPMI failed; ${victim.name} is taken for fenced at +${Date.parse(String(line.until)) - killedAt} ms`
        : Array.isArray(line.steps) ? (line.steps as string[]).map((each) => each.replace(/^\d+:/, "").replace(/ after [\d,]+/, "")).join("; ") : "";
      console.log(`  ${at(time)}  ${survivor.name}: ${line.msg}${detail ? ` — ${detail}` : ""}`);
    }
    console.log(`  ${at(first.t)}  client: first answer through the VIP, from ${first.body}`);
    console.log(`\n  ${bold(`failover time: ${first.t - killedAt} ms`)} (power loss -> first request served by the survivor, fencing included)`);

    step(`edgeha status (on ${survivor.name}) after the failover`);
    await cluster.waitFor("a settled status", () => cluster.status(survivor)?.cluster_state?.resources.every((resource) => resource.role === "Started"), 30_000);
    process.stdout.write(cluster.statusText(survivor) ?? "(no answer)\n");
    console.log(`  client -> memcached 'version': ${cluster.memcachedVersion()}`);
  } finally {
    step("cleaning up: agents, BMCs, namespaces");
    cleanup();
    console.log("  done");
  }
}

const mode = process.argv[2] ?? "";
if (mode !== "" && mode !== "bmc-dead") {
  console.error(`demo: unknown scenario '${mode}' (known: bmc-dead)`);
  process.exit(2);
}
main(mode).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
