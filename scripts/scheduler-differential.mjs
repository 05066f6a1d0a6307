#!/usr/bin/env node
// Differential comparison of the scheduler with Pacemaker's on generated clusters:
//   node scripts/scheduler-differential.mjs [--seed N] [--runs N] [--out DIR]
// Draws small clusters (test/unit/scheduler/generated-cib.ts: primitives, groups, clones,
// promotable clones, constraints, state, failures, fencing, quorum), runs crm_simulate -S on each
// (Debian package pacemaker-cli-utils) and edgeha's scheduler, and prints those whose transition
// summaries differ. Needs ../shared/pcmk-scheduler/tools/summary-to-json (python3) to read
// crm_simulate's summary. Exit 1 when any case differs.
import { build } from "esbuild";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const converter = path.join(root, "..", "shared", "pcmk-scheduler", "tools", "summary-to-json");
if (!existsSync(converter)) { process.stderr.write(`${converter} is missing (../shared beside the project)\n`); process.exit(2); }
if (spawnSync("sh", ["-c", "command -v crm_simulate"]).status !== 0) { process.stderr.write("crm_simulate is not installed (Debian package pacemaker-cli-utils)\n"); process.exit(2); }
const directory = mkdtempSync(path.join(tmpdir(), "edgeha-differential-"));
const outfile = path.join(directory, "differential.cjs");
await build({ entryPoints: [path.join(root, "test/conformance/differential-cli.ts")], outfile, bundle: true, platform: "node", format: "cjs", target: "node20", logLevel: "warning", define: { EDGEHA_VERSION: "\"differential\"" }, external: ["@serialport/bindings-cpp"] });
const result = spawnSync(process.execPath, [outfile, "--summary-to-json", converter, ...process.argv.slice(2)], { stdio: "inherit" });
rmSync(directory, { recursive: true, force: true });
process.exit(result.status ?? 1);
