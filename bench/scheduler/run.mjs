// Scheduler benchmark: generated CIBs with 100/1,000/5,000 primitives on 2 and 16 nodes
// (location, colocation and order constraints, a status section with running resources), timed as
// whole processes: `edgeha simulate` (dist/edgeha, the single executable, when built; else dist/edgeha.cjs
// under node, or always that with EDGEHA_BENCH_BUNDLE=1) and, when installed, crm_simulate.
// Usage: node bench/scheduler/run.mjs [--sizes 100,1000,5000] [--nodes 2,16] [--runs N] [--no-crm-simulate]
// --runs N times each process N times and prints the fastest run's wall time and the largest
// peak RSS (the machine is shared: the minimum is the least disturbed figure); --no-crm-simulate
// leaves Pacemaker's leg out (crm_simulate takes about 6-10 minutes on 5,000 x 16).
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

function argument(name, fallback) {
  const index = process.argv.indexOf(name);
  return index > 0 ? process.argv[index + 1].split(",").map(Number) : fallback;
}

export function generateCib(primitives, nodeCount) {
  const nodes = Array.from({ length: nodeCount }, (_, index) => `node${index + 1}`);
  const resources = [];
  const constraints = [];
  const running = new Map(nodes.map((node) => [node, []]));
  for (let index = 0; index < primitives; index++) {
    const id = `rsc${index}`;
    resources.push(`<primitive id="${id}" class="ocf" provider="heartbeat" type="Dummy"/>`);
    if (index % 10 === 0) constraints.push(`<rsc_location id="loc-${id}" rsc="${id}" node="${nodes[index % nodeCount]}" score="${50 + (index % 7)}"/>`);
    if (index % 20 === 5) constraints.push(`<rsc_colocation id="col-${id}" rsc="${id}" with-rsc="rsc${index - 5}" score="INFINITY"/>`);
    if (index % 20 === 10) constraints.push(`<rsc_order id="ord-${id}" first="rsc${index - 10}" then="${id}"/>`);
    if (index % 3 !== 0) running.get(nodes[(index * 7) % nodeCount]).push(id);
  }
  const status = nodes.map((node, position) => {
    const history = running.get(node).map((id, call) => `<lrm_resource id="${id}" class="ocf" provider="heartbeat" type="Dummy"><lrm_rsc_op id="${id}_last_0" operation="start" operation_key="${id}_start_0" call-id="${call + 1}" rc-code="0" op-status="0" interval="0" crm-debug-origin="bench" transition-key="1:1:0:00000000-0000-0000-0000-000000000000" transition-magic="0:0;1:1:0:00000000-0000-0000-0000-000000000000" exec-time="0" queue-time="0"/></lrm_resource>`);
    return `<node_state id="${position + 1}" uname="${node}" in_ccm="true" crmd="online" join="member" expected="member"><lrm id="${position + 1}"><lrm_resources>${history.join("")}</lrm_resources></lrm></node_state>`;
  });
  return `<cib crm_feature_set="3.16.2" validate-with="pacemaker-3.8" epoch="1" num_updates="0" admin_epoch="0" have-quorum="1" dc-uuid="1"><configuration><crm_config><cluster_property_set id="opts"><nvpair id="opts-stonith" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>`
    + `<nodes>${nodes.map((node, position) => `<node id="${position + 1}" uname="${node}"/>`).join("")}</nodes><resources>${resources.join("")}</resources><constraints>${constraints.join("")}</constraints>`
    + `<rsc_defaults><meta_attributes id="defaults"><nvpair id="defaults-stickiness" name="resource-stickiness" value="10"/></meta_attributes></rsc_defaults></configuration><status>${status.join("")}</status></cib>\n`;
}

/** Wall time and peak resident memory of one process, via GNU time when present. */
function timeProcess(command, args) {
  const useGnuTime = existsSync("/usr/bin/time");
  const started = process.hrtime.bigint();
  const result = useGnuTime
    ? spawnSync("/usr/bin/time", ["-f", "%M", command, ...args], { encoding: "utf8", maxBuffer: 1 << 28, timeout: 600_000 })
    : spawnSync(command, args, { encoding: "utf8", maxBuffer: 1 << 28, timeout: 600_000 });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const peakKib = useGnuTime ? Number(result.stderr.trim().split("\n").pop()) : NaN;
  return { seconds, peakMib: peakKib / 1024, ok: result.status === 0 };
}

/** The fastest of `runs` runs (wall time) with the largest peak RSS of them; not ok if any run failed. */
function timeRuns(runs, command, args) {
  const results = Array.from({ length: runs }, () => timeProcess(command, args));
  return { seconds: Math.min(...results.map((result) => result.seconds)), peakMib: Math.max(...results.map((result) => result.peakMib)), ok: results.every((result) => result.ok) };
}

const sizes = argument("--sizes", [100, 1000, 5000]);
const nodeCounts = argument("--nodes", [2, 16]);
const [runs] = argument("--runs", [1]);
if (!Number.isInteger(runs) || runs < 1) throw new Error("--runs takes a whole number of at least 1");
const crmSimulate = process.argv.includes("--no-crm-simulate") ? "" : spawnSync("sh", ["-c", "command -v crm_simulate"], { encoding: "utf8" }).stdout.trim();
const directory = mkdtempSync(join(tmpdir(), "edgeha-bench-scheduler-"));
// The shipped single executable when it is built (what users run), else the bundle under this node.
const useExecutable = existsSync("dist/edgeha") && process.env.EDGEHA_BENCH_BUNDLE === undefined;
if (!useExecutable && !existsSync("dist/edgeha.cjs")) execFileSync("node", ["scripts/bundle.mjs"], { stdio: "inherit" });
const edgeha = useExecutable ? ["dist/edgeha", []] : ["node", ["dist/edgeha.cjs"]];
console.log(`runs per figure: ${runs} (fastest wall time, largest peak RSS)${crmSimulate ? "" : "; crm_simulate: not run"}`);
console.log(`edgeha: ${useExecutable ? "dist/edgeha (the single executable, Node 24)" : `node ${process.version} dist/edgeha.cjs`}`);
const rows = [["primitives", "nodes", "edgeha s", "edgeha MiB", "crm_simulate s", "crm_simulate MiB", "speedup"]];
for (const primitives of sizes) {
  for (const nodeCount of nodeCounts) {
    const file = join(directory, `cib-${primitives}-${nodeCount}.xml`);
    writeFileSync(file, generateCib(primitives, nodeCount));
    const ours = timeRuns(runs, edgeha[0], [...edgeha[1], "simulate", "--xml", file, "--json"]);
    const theirs = crmSimulate ? timeRuns(runs, crmSimulate, ["-x", file, "-R", "-Q"]) : undefined;
    rows.push([primitives, nodeCount, ours.ok ? ours.seconds.toFixed(2) : "failed", ours.peakMib.toFixed(0),
      theirs ? (theirs.ok ? theirs.seconds.toFixed(2) : "failed") : "n/a", theirs ? theirs.peakMib.toFixed(0) : "n/a",
      theirs && theirs.ok ? `${(theirs.seconds / ours.seconds).toFixed(1)}x` : "n/a"].map(String));
  }
}
rmSync(directory, { recursive: true, force: true });
for (const row of rows) console.log(`| ${row.join(" | ")} |`);
