// Failure detection with real agents: kill -9 of one node of a pair, then the time until the
// survivor logs the new view (its own log timestamp), over RUNS runs. As root the two agents
// run in two network namespaces joined by a veth pair; otherwise on loopback addresses.
// Usage: node dist/edgeha.cjs must exist; run via bench/membership/kill-run.sh [RUNS]
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, openSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";

const bundle = process.argv[2]!;
const runs = Number(process.argv[3] ?? 20);
const directory = mkdtempSync(join(tmpdir(), "ehm-bench-"));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const useNamespaces = process.getuid?.() === 0 && spawnSync("ip", ["netns", "list"]).status === 0;
const namespaces = [`ehmk1x${process.pid % 10000}`, `ehmk2x${process.pid % 10000}`];
const addresses = useNamespaces ? ["10.77.0.1", "10.77.0.2"] : ["127.77.0.1", "127.77.0.2"];

function setUpNamespaces(): void {
  for (const name of namespaces) {
    spawnSync("ip", ["netns", "delete", name], { stdio: "ignore" });
    spawnSync("ip", ["netns", "add", name]);
    spawnSync("ip", ["-n", name, "link", "set", "lo", "up"]);
  }
  const device = `ek${process.pid % 10000}`;
  spawnSync("ip", ["link", "add", `${device}a`, "netns", namespaces[0]!, "type", "veth", "peer", "name", `${device}b`, "netns", namespaces[1]!]);
  namespaces.forEach((name, index) => {
    spawnSync("ip", ["-n", name, "addr", "add", `${addresses[index]}/24`, "dev", `${device}${"ab"[index]}`]);
    spawnSync("ip", ["-n", name, "link", "set", `${device}${"ab"[index]}`, "up"]);
  });
}

async function once(run: number): Promise<number> {
  const port = 30600 + run;
  writeFileSync(join(directory, "authkey"), randomBytes(64), { mode: 0o600 });
  writeFileSync(join(directory, "edgeha.yaml"), `cluster_name: ehmbench\ntransport: { port: ${port} }\npaths: { authkey: ${join(directory, "authkey")} }\nnodes:\n  - { name: one, id: 1, links: [${addresses[0]}] }\n  - { name: two, id: 2, links: [${addresses[1]}] }\n`);
  const logFile = join(directory, `one-${run}.log`);
  const start = (name: string, log: string) => spawn(useNamespaces ? "ip" : process.execPath, [...(useNamespaces ? ["netns", "exec", namespaces[name === "one" ? 0 : 1]!, process.execPath] : []), bundle, "agent", "--config", join(directory, "edgeha.yaml"), "--node", name, "--socket", join(directory, `${name}.sock`), "--state-dir", join(directory, `${name}-state-${run}`)], { stdio: ["ignore", openSync(log, "w"), "ignore"] });
  const one = start("one", logFile);
  const two = start("two", join(directory, `two-${run}.log`));
  try {
    for (let waited = 0; ; waited += 100) {
      if (waited > 10_000) throw new Error("pair did not form within 10 s");
      const status = spawnSync(process.execPath, [bundle, "status", "--json", "--socket", join(directory, "one.sock")], { encoding: "utf8", timeout: 3000 });
      if (status.status === 0 && JSON.parse(status.stdout).members.length === 2) break;
      await sleep(100);
    }
    await sleep(300 + Math.random() * 100);
    const killedAtMs = Date.now();
    two.kill("SIGKILL");
    for (let waited = 0; waited < 5000; waited += 20) {
      await sleep(20);
      const view = readFileSync(logFile, "utf8").split("\n").filter((line) => line.includes("new membership view")).map((line) => JSON.parse(line)).filter((entry) => Date.parse(entry.time) >= killedAtMs && entry.members.length === 1)[0];
      if (view) return Date.parse(view.time) - killedAtMs;
    }
    throw new Error("no new view within 5 s");
  } finally {
    one.kill("SIGKILL");
    two.kill("SIGKILL");
    await sleep(100);
  }
}

const times: number[] = [];
if (useNamespaces) setUpNamespaces();
try {
  for (let run = 0; run < runs; run++) times.push(await once(run));
} finally {
  rmSync(directory, { recursive: true, force: true });
  if (useNamespaces) for (const name of namespaces) spawnSync("ip", ["netns", "delete", name], { stdio: "ignore" });
}
times.sort((a, b) => a - b);
console.log(`kill -9 -> new view on the survivor, real agents ${useNamespaces ? "in two network namespaces (veth)" : "on loopback"}, default timing, ${runs} runs: median ${times[Math.floor(runs / 2)]} ms, min ${times[0]} ms, max ${times[runs - 1]} ms`);
