#!/usr/bin/env node
// Compares the scheduler's graph with Pacemaker's on a folder of inputs (cases/NAME.xml):
//   node scripts/scheduler-graph-compare.mjs [-v] ../shared/pcmk-scheduler [NAME...]
// Needs crm_simulate (Debian package pacemaker-cli-utils); Pacemaker's graphs are written
// to a temporary folder with `crm_simulate -x NAME.xml -S -G NAME.xml` and read back.
// What is compared, and the differences of modelling the comparison leaves out, are stated in
// test/conformance/graph-compare.ts: pseudo-events, probes, recurring monitors, cancels and
// notifications are not compared; orderings are taken transitively through everything but
// probes; an anonymous clone's instance is named by its primitive's id (the name the executor
// runs it by), a unique clone's by its instance name. One counted difference is edgeha's own
// choice: every start waits for every fence (DESIGN.md's safety invariant 5).
import { build } from "esbuild";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const argumentsGiven = process.argv.slice(2);
const folder = argumentsGiven.find((argument) => argument !== "-v");
if (folder === undefined) { process.stderr.write("usage: scheduler-graph-compare.mjs [-v] FOLDER [NAME...]\n"); process.exit(2); }
if (spawnSync("sh", ["-c", "command -v crm_simulate"]).status !== 0) { process.stderr.write("crm_simulate is not installed (Debian package pacemaker-cli-utils)\n"); process.exit(2); }
const names = argumentsGiven.filter((argument) => argument !== "-v" && argument !== folder);
const directory = mkdtempSync(path.join(tmpdir(), "edgeha-graphs-"));
const graphs = path.join(directory, "graphs");
mkdirSync(graphs);
const cases = names.length > 0 ? names : readdirSync(path.join(folder, "cases")).filter((name) => name.endsWith(".xml")).map((name) => name.slice(0, -4));
for (const name of cases) spawnSync("crm_simulate", ["-x", path.join(folder, "cases", `${name}.xml`), "-S", "-G", path.join(graphs, `${name}.xml`)], { stdio: "ignore", env: { ...process.env, LC_ALL: "C" }, timeout: 60_000 });
const outfile = path.join(directory, "compare.cjs");
await build({ entryPoints: [path.join(root, "test/conformance/graph-compare-cli.ts")], outfile, bundle: true, platform: "node", format: "cjs", target: "node20", logLevel: "warning", define: { EDGEHA_VERSION: "\"compare\"" }, external: ["@serialport/bindings-cpp"] });
const result = spawnSync(process.execPath, [outfile, ...argumentsGiven.filter((argument) => argument === "-v"), folder, graphs, ...names], { stdio: "inherit" });
rmSync(directory, { recursive: true, force: true });
process.exit(result.status ?? 1);
