// Command-line face of graph-compare.ts (see scripts/scheduler-graph-compare.mjs): for every
// case of FOLDER/cases with a Pacemaker graph in GRAPHS/NAME.xml, compares operations and
// ordering; prints the cases that differ (with -v, how) and the totals.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { importCibXml } from "../../src/cib";
import { schedule, simulationNowSeconds } from "../../src/scheduler";
import { caseNames, CORPUS_NOW_SECONDS, runCase } from "./corpus";
import { anonymousClonePrimitives, compareGraphs, edgehaGraph, pacemakerGraph } from "./graph-compare";

const verbose = process.argv.includes("-v");
const [folder, graphs, ...names] = process.argv.slice(2).filter((argument) => argument !== "-v");
if (folder === undefined || graphs === undefined) {
  process.stderr.write("usage: scheduler-graph-compare [-v] FOLDER GRAPHS [NAME...]\n");
  process.exit(2);
}
let compared = 0, summaryMatches = 0, sameOperations = 0, sameBoth = 0, sameBothOfMatching = 0, sameOperationsOfMatching = 0;
for (const name of names.length > 0 ? names : caseNames(folder)) {
  const graphFile = join(graphs, `${name}.xml`);
  if (!existsSync(graphFile)) continue;
  let ours, anonymous;
  try {
    const { cib } = importCibXml(readFileSync(join(folder, "cases", `${name}.xml`), "utf8"), name);
    ours = schedule(cib, { now: simulationNowSeconds(cib, CORPUS_NOW_SECONDS) });
    anonymous = anonymousClonePrimitives(cib);
  } catch { continue; }
  compared++;
  const matches = runCase(folder, name).status === "pass";
  if (matches) summaryMatches++;
  const difference = compareGraphs(edgehaGraph(ours.operations, anonymous), pacemakerGraph(readFileSync(graphFile, "utf8"), anonymous));
  if (difference.sameOperations) { sameOperations++; if (matches) sameOperationsOfMatching++; }
  if (difference.sameOperations && difference.sameOrdering) { sameBoth++; if (matches) sameBothOfMatching++; continue; }
  process.stdout.write(`DIFF ${name}${matches ? "" : " (summary differs too)"}: ${difference.missingOperations.length}/${difference.extraOperations.length} operations missing/extra, ${difference.missingOrderings.length}/${difference.extraOrderings.length} orderings missing/extra\n`);
  if (verbose) for (const [label, list] of Object.entries(difference)) if (Array.isArray(list)) for (const entry of list.slice(0, 12)) process.stdout.write(`  ${label}: ${entry}\n`);
}
process.stdout.write(`${compared} cases compared; summary matches in ${summaryMatches}\n`);
process.stdout.write(`same operations: ${sameOperations} (${sameOperationsOfMatching} of the ${summaryMatches} whose summary matches)\n`);
process.stdout.write(`same operations and same ordering: ${sameBoth} (${sameBothOfMatching} of the ${summaryMatches} whose summary matches)\n`);
