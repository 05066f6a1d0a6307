// What the systemd integration costs an idle agent: CPU time (from /proc/PID/schedstat, in ns,
// so differences of a few hundredths of a percent show) and wake-ups (voluntary context
// switches) of `edgeha agent` run by the packaged edgeha.service on a machine of our own
// making (test/support/machine.ts), alone in a one-node cluster, in three ways:
//   watchdog  the unit as shipped: Type=notify, WatchdogSec=10s (a check and ping every 2.5 s)
//   notify    Type=notify without the watchdog (READY, then a STATUS= refresh every 10 s)
//   plain     Type=simple: no NOTIFY_SOCKET, nothing sent
// Each variant runs WINDOW_SECONDS (default 120), ROUNDS times (default 2) in turn.
// Run through bench/service/run.sh (root; builds the package first if needed).
import { readFileSync, writeFileSync, mkdirSync, copyFileSync } from "node:fs";
import path from "node:path";
import { startMachine, type Machine } from "../../test/support/machine";
import { ensurePackages } from "../../test/support/build";

const windowSeconds = Number(process.env.WINDOW_SECONDS ?? 120);
const rounds = Number(process.env.ROUNDS ?? 2);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const VARIANTS: Record<string, string> = {
  watchdog: "",
  notify: "[Service]\nWatchdogSec=0\n",
  plain: "[Service]\nType=simple\nWatchdogSec=0\n",
};

function sample(machine: Machine): { cpuNs: number; wakeups: number; pid: number } {
  const pid = Number(machine.exec(["systemctl", "show", "-p", "MainPID", "--value", "edgeha.service"]).stdout.trim());
  // The PID is the machine's; its /proc (mounted inside) is read from inside.
  const schedstat = machine.exec(["cat", `/proc/${pid}/schedstat`]).stdout.trim().split(" ");
  const status = machine.exec(["cat", `/proc/${pid}/status`]).stdout;
  const wakeups = Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? NaN);
  // Every thread's time: schedstat of the process is its main thread only; sum the tasks.
  const tasks = machine.exec(["sh", "-c", `cat /proc/${pid}/task/*/schedstat`]).stdout.trim().split("\n");
  const cpuNs = tasks.reduce((sum, line) => sum + Number(line.split(" ")[0]), 0) || Number(schedstat[0]);
  return { cpuNs, wakeups, pid };
}

async function main(): Promise<void> {
  const deb = ensurePackages().amd64;
  const machine = await startMachine("bench1");
  try {
    mkdirSync(path.join(machine.root, "root"), { recursive: true });
    copyFileSync(deb, path.join(machine.root, "root/edgeha.deb"));
    const installed = machine.exec(["dpkg", "-i", "/root/edgeha.deb"], { timeoutMs: 180_000 });
    if (installed.status !== 0) throw new Error(`dpkg -i: ${installed.stderr}`);
    machine.exec(["ip", "link", "set", "lo", "up"]);
    writeFileSync(path.join(machine.root, "etc/edgeha/edgeha.yaml"), "cluster_name: ehbench\nnodes:\n  - { name: bench1, id: 1, links: [127.0.0.1] }\n");
    machine.exec(["edgeha", "keygen"]);
    mkdirSync(path.join(machine.root, "etc/systemd/system/edgeha.service.d"), { recursive: true });
    const results: Record<string, Array<{ cpuPercent: number; wakeupsPerSecond: number }>> = {};
    for (let round = 0; round < rounds; round++) {
      for (const [name, dropIn] of Object.entries(VARIANTS)) {
        writeFileSync(path.join(machine.root, "etc/systemd/system/edgeha.service.d/bench.conf"), dropIn);
        machine.exec(["systemctl", "daemon-reload"]);
        const restarted = machine.exec(["systemctl", "restart", "edgeha.service"], { timeoutMs: 150_000 });
        if (restarted.status !== 0) throw new Error(`${name}: systemctl restart: ${restarted.stderr}`);
        await sleep(10_000); // start-up work (CIB, facts, first probes) out of the way
        const before = sample(machine);
        await sleep(windowSeconds * 1000);
        const after = sample(machine);
        if (after.pid !== before.pid) throw new Error(`${name}: the agent restarted during the window`);
        const cpuPercent = ((after.cpuNs - before.cpuNs) / 1e9 / windowSeconds) * 100;
        const wakeupsPerSecond = (after.wakeups - before.wakeups) / windowSeconds;
        (results[name] ??= []).push({ cpuPercent, wakeupsPerSecond });
        console.log(`round ${round + 1} ${name.padEnd(8)} CPU ${cpuPercent.toFixed(3)} %  wake-ups ${wakeupsPerSecond.toFixed(2)}/s`);
      }
    }
    const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
    console.log(`\n| variant | CPU % (mean of ${rounds} x ${windowSeconds} s) | wake-ups per s |\n|---|---|---|`);
    for (const [name, runs] of Object.entries(results)) console.log(`| ${name} | ${mean(runs.map((run) => run.cpuPercent)).toFixed(3)} (${runs.map((run) => run.cpuPercent.toFixed(3)).join(", ")}) | ${mean(runs.map((run) => run.wakeupsPerSecond)).toFixed(2)} |`);
    console.log(`\nload average at the end: ${readFileSync("/proc/loadavg", "utf8").trim()}`);
  } finally {
    machine.stop();
  }
}

void main().catch((error: unknown) => { console.error(error instanceof Error ? error.message : error); process.exit(1); });
