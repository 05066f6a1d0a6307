// Idle cost of real agents: N agents on 127.0.x addresses inside a network namespace of their
// own (so its loopback counters hold their traffic and nothing else), measured over a window
// after the view formed: CPU (utime + stime from /proc) per agent, and bytes per second on
// the wire. Needs root (namespaces). Usage: bench/membership/idle-run.sh [NODES ...]
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { requestApi } from "../../src/api";

const bundle = process.argv[2]!;
const counts = process.argv.slice(3).map(Number);
const WINDOW_MS = 10_000;
/** TOKEN_MS=2000 idle-run.sh 16: a longer token, as corosync scales its token with the node count. */
const tokenMs = process.env.TOKEN_MS === undefined ? undefined : Number(process.env.TOKEN_MS);
const SETTLE_MS = 2000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ticksPerSecond = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim() || "100");

function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat)
}

function loopbackBytes(namespace: string): number {
  const text = spawnSync("ip", ["-n", namespace, "-s", "-j", "link", "show", "lo"], { encoding: "utf8" }).stdout;
  return (JSON.parse(text) as Array<{ stats64: { tx: { bytes: number } } }>)[0]!.stats64.tx.bytes;
}

async function measure(count: number): Promise<void> {
  const namespace = `ehmidle${process.pid % 10000}`;
  const directory = mkdtempSync(join(tmpdir(), "ehm-idle-"));
  const agents: ChildProcess[] = [];
  spawnSync("ip", ["netns", "delete", namespace], { stdio: "ignore" });
  spawnSync("ip", ["netns", "add", namespace]);
  spawnSync("ip", ["-n", namespace, "link", "set", "lo", "up"]);
  try {
    writeFileSync(join(directory, "authkey"), randomBytes(64), { mode: 0o600 });
    const nodes = Array.from({ length: count }, (_, index) => `  - { name: n${index + 1}, id: ${index + 1}, links: [127.0.1.${index + 1}, 127.0.2.${index + 1}] }`);
    writeFileSync(join(directory, "edgeha.yaml"), `cluster_name: ehidle\ntransport: { port: 30800 }\n${tokenMs === undefined ? "" : `timing: { token_ms: ${tokenMs} }\n`}paths: { authkey: ${join(directory, "authkey")} }\nnodes:\n${nodes.join("\n")}\n`);
    for (let index = 1; index <= count; index++) {
      const args = ["netns", "exec", namespace, process.execPath, bundle, "agent", "--config", join(directory, "edgeha.yaml"), "--node", `n${index}`, "--socket", join(directory, `n${index}.sock`), "--state-dir", join(directory, `n${index}`)];
      agents.push(spawn("ip", args, { stdio: ["ignore", openSync(join(directory, `n${index}.log`), "w"), "ignore"] }));
    }
    const startedAtMs = Date.now();
    const rings = async () => {
      const all = await Promise.all(agents.map((_, index) => requestApi(join(directory, `n${index + 1}.sock`), { command: "status" }, 3000).catch(() => undefined))) as Array<{ ringId: number; members: unknown[] } | undefined>;
      return all.every((status) => status?.members.length === count) ? new Set(all.map((status) => status!.ringId)) : undefined;
    };
    for (;;) {
      if (Date.now() - startedAtMs > 90_000) throw new Error(`${count} agents did not form one view within 90 s`);
      if ((await rings())?.size === 1) break;
      await sleep(250);
    }
    const formedMs = Date.now() - startedAtMs;
    await sleep(SETTLE_MS);
    const ringBefore = [...((await rings()) ?? [])];
    const cpuBefore = agents.map((agent) => cpuTicks(agent.pid!));
    const bytesBefore = loopbackBytes(namespace);
    await sleep(WINDOW_MS);
    const cpuPercent = agents.map((agent, index) => ((cpuTicks(agent.pid!) - cpuBefore[index]!) / ticksPerSecond / (WINDOW_MS / 1000)) * 100);
    // Loopback counts each datagram once (sent = received), IPv4 and UDP headers included.
    const bytesPerSecond = (loopbackBytes(namespace) - bytesBefore) / (WINDOW_MS / 1000);
    const mean = cpuPercent.reduce((sum, value) => sum + value, 0) / count;
    const ringAfter = [...((await rings()) ?? [])];
    const stable = ringBefore.length === 1 && ringAfter.length === 1 && ringBefore[0] === ringAfter[0];
    console.log(`${count} agents formed one view ${(formedMs / 1000).toFixed(1)} s after start; view ${stable ? "unchanged" : "CHANGED"} during the window`);
    console.log(`idle, ${count} real agents, 2 links, token ${tokenMs ?? "default"} ms, ${WINDOW_MS / 1000} s window: CPU ${mean.toFixed(2)} % of one core per agent (max ${Math.max(...cpuPercent).toFixed(2)} %), ` +
      `traffic ${(bytesPerSecond / 1000).toFixed(1)} kB/s for the cluster, ${(bytesPerSecond / count / 1000).toFixed(2)} kB/s sent per node`);
  } finally {
    for (const agent of agents) agent.kill("SIGKILL");
    await sleep(200);
    spawnSync("ip", ["netns", "delete", namespace], { stdio: "ignore" });
    rmSync(directory, { recursive: true, force: true });
  }
}

for (const count of counts.length > 0 ? counts : [2, 16]) await measure(count);
