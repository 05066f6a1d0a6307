#!/usr/bin/env node
// Scores the scheduler on a folder of Pacemaker inputs with crm_simulate's summaries beside them:
//   node scripts/scheduler-corpus.mjs ../shared/pcmk-scheduler [NAME...]
// FOLDER holds cases/NAME.xml and expected/NAME.json (made with `crm_simulate -x NAME.xml -S |
// tools/summary-to-json`), so any set of inputs, the corpus's or held-out ones, can be measured.
import { build } from "esbuild";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const directory = mkdtempSync(path.join(tmpdir(), "edgeha-corpus-"));
const outfile = path.join(directory, "corpus.cjs");
await build({ entryPoints: [path.join(root, "test/conformance/corpus-cli.ts")], outfile, bundle: true, platform: "node", format: "cjs", target: "node20", logLevel: "warning", define: { EDGEHA_VERSION: "\"corpus\"" }, external: ["@serialport/bindings-cpp"] });
const result = spawnSync(process.execPath, [outfile, ...process.argv.slice(2)], { stdio: "inherit" });
rmSync(directory, { recursive: true, force: true });
process.exit(result.status ?? 1);
