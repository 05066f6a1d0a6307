// Command-line face of the differential comparison with Pacemaker (see
// scripts/scheduler-differential.mjs): draws small clusters (test/unit/scheduler/generated-cib.ts),
// schedules each with crm_simulate and with edgeha's scheduler, and prints every case whose
// transition summaries differ (normalized as the corpus's, scheduler-compare.ts). The differing
// inputs are kept in OUT as case-N.xml with Pacemaker's and edgeha's actions beside them.
import fc from "fast-check";
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { importCibXml } from "../../src/cib";
import { schedule } from "../../src/scheduler";
import { shapes, toXml } from "../unit/scheduler/generated-cib";
import { CORPUS_NOW_SECONDS } from "./corpus";
import { normalizeAction, sameActions } from "./scheduler-compare";

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(name);
  return index >= 0 && process.argv[index + 1] !== undefined ? process.argv[index + 1]! : fallback;
}
const seed = Number(option("--seed", "1"));
const runs = Number(option("--runs", "200"));
const out = option("--out", "/tmp/edgeha-differential");
const converter = option("--summary-to-json", "");
if (!Number.isInteger(seed) || !Number.isInteger(runs) || runs < 1 || runs > 100_000 || converter === "") {
  process.stderr.write("usage: scheduler-differential --summary-to-json TOOL [--seed N] [--runs N (1-100000)] [--out DIR]\n");
  process.exit(2);
}
mkdirSync(out, { recursive: true });

let same = 0, differ = 0, pacemakerFailed = 0, edgehaFailed = 0;
const samples = fc.sample(shapes, { seed, numRuns: runs });
samples.forEach((shape, index) => {
  const xml = toXml(shape, { fenceDevice: true, possibleHistories: true });
  const file = join(out, `case-${seed}-${index}.xml`);
  writeFileSync(file, xml);
  const simulated = spawnSync("crm_simulate", ["-x", file, "-S"], { encoding: "utf8", timeout: 30_000, env: { ...process.env, LC_ALL: "C" } });
  if (!simulated.stdout?.includes("Transition Summary:")) {
    pacemakerFailed++;
    process.stdout.write(`PACEMAKER-FAILED ${file}: ${(simulated.stderr ?? "").split("\n")[0]}\n`);
    return;
  }
  const converted = spawnSync("python3", [converter], { input: simulated.stdout, encoding: "utf8", timeout: 30_000 });
  if (converted.status !== 0) throw new Error(`${converter} failed on ${file}: ${converted.stderr}`);
  const expected = JSON.parse(converted.stdout) as Record<string, unknown>[];
  let actual: Record<string, unknown>[];
  try {
    const { cib } = importCibXml(xml, file);
    actual = schedule(cib, { now: CORPUS_NOW_SECONDS }).actions as unknown as Record<string, unknown>[];
  } catch (error) {
    edgehaFailed++;
    process.stdout.write(`EDGEHA-FAILED ${file}: ${String((error as Error).message ?? error).split("\n")[0]}\n`);
    return;
  }
  if (sameActions(actual, expected)) { same++; return; }
  differ++;
  const left = expected.map(normalizeAction);
  const right = actual.map(normalizeAction);
  const missing = left.filter((entry) => !right.includes(entry));
  const extra = right.filter((entry) => !left.includes(entry));
  writeFileSync(file.replace(/\.xml$/, ".pacemaker.json"), JSON.stringify(expected, null, 1));
  writeFileSync(file.replace(/\.xml$/, ".edgeha.json"), JSON.stringify(actual, null, 1));
  process.stdout.write(`DIFF ${file}\n${missing.map((entry) => `  pacemaker only: ${entry}\n`).join("")}${extra.map((entry) => `  edgeha only:    ${entry}\n`).join("")}`);
});
process.stdout.write(`${runs} generated clusters (seed ${seed}): ${same} same, ${differ} differ, ${pacemakerFailed} crm_simulate failed, ${edgehaFailed} edgeha refused or failed\n`);
process.exit(differ + edgehaFailed > 0 ? 1 : 0);
