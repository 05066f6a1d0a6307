// Executor figures: (1) the overhead per operation: an OCF agent that only exits 0, run
// through the executor (environment, process group, timeout, output capture, exit mapping)
// against the same program spawned bare; (2) the CPU cost of 100 resources with a 10 s
// monitor on one node, through LocalResources, for OCF shell agents and for built-ins.
// Run with bench/executor/run.sh. Prints figures; asserts nothing.
import { spawn } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { runOcfAction } from "../../src/executor";
import { emptyCib, type Cib, type Primitive } from "../../src/cib";
import { createLogger } from "../../src/common/log";
import { LocalResources } from "../../src/node/local-resources";
import { createActionRunner } from "../../src/node/agent";

const quiet = createLogger({ destination: new Writable({ write: (_chunk, _encoding, done) => done() }) });
const directory = mkdtempSync(join(tmpdir(), "eh-bench-executor-"));
const ocfRoot = join(directory, "ocf");
mkdirSync(join(ocfRoot, "resource.d", "bench"), { recursive: true });
const agent = join(ocfRoot, "resource.d", "bench", "Noop");
writeFileSync(agent, "#!/bin/sh\n[ \"$1\" = monitor ] && [ ! -e \"$OCF_RESKEY_state\" ] && exit 7\nexit 0\n");
chmodSync(agent, 0o755);

const median = (values: number[]) => [...values].sort((left, right) => left - right)[Math.floor(values.length / 2)]!;

function bare(): Promise<number> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(agent, ["start"], { stdio: "ignore" });
    child.on("close", () => resolve(performance.now() - started));
  });
}

function cpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

function childrenCpuMs(): number {
  const fields = readFileSync("/proc/self/stat", "utf8").split(") ")[1]!.split(" ");
  const ticks = Number(fields[13]) + Number(fields[14]);
  return (ticks / 100) * 1000;
}

async function monitorCost(kind: "ocf" | "builtin", seconds: number): Promise<{ self: number; children: number }> {
  const cib: Cib = emptyCib();
  cib.version = { adminEpoch: 0, epoch: 1, numUpdates: 0 };
  cib.resources = Array.from({ length: 100 }, (_, index): Primitive => ({
    kind: "primitive", id: `r${index}`, class: kind, provider: kind === "ocf" ? "bench" : undefined, type: kind === "ocf" ? "Noop" : "dummy", extra: {},
    instance: [{ id: `r${index}-i`, values: { state: join(directory, `r${index}.state`) } }], meta: [],
    operations: [{ id: `r${index}-m`, name: "monitor", interval: "10s", intervalMs: 10_000, extra: {}, meta: [], instance: [] }],
  }));
  const resources = new LocalResources("bench", createActionRunner("bench", ocfRoot), quiet, () => Math.floor(Date.now() / 1000));
  resources.configure(cib);
  while (!resources.report().probed) await new Promise((resolve) => setTimeout(resolve, 50));
  for (const primitive of cib.resources) await resources.operate(primitive.id, "start");
  const [self0, children0] = [cpuMs(), childrenCpuMs()];
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const result = { self: ((cpuMs() - self0) / (seconds * 1000)) * 100, children: ((childrenCpuMs() - children0) / (seconds * 1000)) * 100 };
  resources.close();
  return result;
}

async function main(): Promise<void> {
  const runs = 200;
  const bareTimes: number[] = [];
  const executorTimes: number[] = [];
  for (let index = 0; index < runs; index++) {
    bareTimes.push(await bare());
    const started = performance.now();
    await runOcfAction({ id: "noop", provider: "bench", type: "Noop", params: {} }, { action: "start", timeoutMs: 5000, intervalMs: 0, ocfRoot });
    executorTimes.push(performance.now() - started);
  }
  console.log(`operation: bare spawn of the agent ${median(bareTimes).toFixed(2)} ms median; through the executor ${median(executorTimes).toFixed(2)} ms median; overhead ${(median(executorTimes) - median(bareTimes)).toFixed(2)} ms per operation (${runs} runs)`);
  const seconds = Number(process.env.SECONDS_PER_KIND ?? 30);
  for (const kind of ["ocf", "builtin"] as const) {
    const cost = await monitorCost(kind, seconds);
    console.log(`100 ${kind === "ocf" ? "OCF shell" : "built-in"} resources, 10 s monitors, ${seconds} s: executor process ${cost.self.toFixed(2)} % of one CPU, agent processes ${cost.children.toFixed(2)} %`);
  }
  rmSync(directory, { recursive: true, force: true });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
