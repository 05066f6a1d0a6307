// The live part of ./scripts/demo: a two-node pair in network namespaces, each node with an
// ipmi_sim BMC, running the edgeha executable with a VIP, HAProxy and memcached and IPMI
// fencing. It shows `edgeha status`, pulls the power of the active node, prints what
// happens as it happens, the measured failover time, and `edgeha status` after.
// Everything it creates is removed at the end (also on Ctrl-C).
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { PairTestbed } from "../test/support/pair";
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

async function main(): Promise<void> {
  const testbed = new PairTestbed({ tag: "demo", subnet: 99 });
  const cluster = new PairCluster(testbed, { port: 34999, repositoryRoot: root, command: [executable] });
  const cleanup = () => { testbed.destroy(); };
  process.once("SIGINT", () => { cleanup(); process.exit(130); });
  try {
    step("the testbed: namespaces for node1, node2, a client, a switch, and an ipmi_sim BMC per node");
    await testbed.create();
    for (const node of testbed.nodes) console.log(`  ${node.name}: ${node.address} (BMC ${node.bmcAddress}, IPMI over LAN)`);
    console.log(`  client: ${testbed.clientAddress}    VIP: ${testbed.vip}`);
    cluster.writeConfig();
    console.log(`\n  bootstrap config (${join(testbed.directory, "edgeha.yaml")}):`);
    console.log(readFileSync(join(testbed.directory, "edgeha.yaml"), "utf8").replace(/^/gm, "    "));

    step("starting `edgeha agent` on both nodes");
    for (const node of testbed.nodes) cluster.startAgent(node);
    const started = Date.now();
    const active = await cluster.waitFor("the VIP to answer", () => cluster.ask(), 60_000);
    console.log(`  the cluster formed, elected a DC, probed both nodes and started the group in ${Date.now() - started} ms`);
    await cluster.waitFor("a settled status", () => cluster.status(testbed.node(active))?.cluster_state?.resources.every((resource) => resource.role === "Started"), 30_000);

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

    step(`pulling the power of ${victim.name} (all its processes killed, its cable unplugged)`);
    const killedAt = Date.now();
    testbed.powerLoss(victim);
    const first = await cluster.waitFor("the survivor to answer", () => {
      const lines = readFileSync(pollLog, "utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line) as { t: number; started: number; body: string });
      return lines.find((line) => line.started >= killedAt && line.body === survivor.name);
    }, 60_000);
    poller.kill("SIGKILL");
    const at = (time: number) => `+${String(time - killedAt).padStart(5)} ms`;
    console.log(`  ${at(killedAt)}  power lost on ${victim.name}`);
    const interesting = /new membership view|elected the DC|fencing|node fenced|transition planned|transition finished/;
    for (const line of logLines(testbed.log(`${survivor.name}.log`))) {
      const time = Date.parse(line.time);
      if (time < killedAt || !interesting.test(line.msg)) continue;
      const detail = line.msg === "new membership view" ? `members ${JSON.stringify(line.members)}, quorate ${String(line.quorate)}`
        : line.msg === "fencing" ? `${String(line.target)} via its BMC (${String(line.action)})`
        : line.msg === "node fenced" ? String(line.reason)
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

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
