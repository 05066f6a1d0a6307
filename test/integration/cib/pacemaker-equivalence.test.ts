// Runs Pacemaker's own scheduler (crm_simulate, Pacemaker 2.1.5 on Debian 12) on
// every CIB of the corpus and on the same CIB after edgeha's import and export,
// and checks both give the same transition. This proves the model keeps all
// that Pacemaker's scheduling depends on, and that the exported XML passes
// Pacemaker's schema.
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { exportCibXml, importCibXml } from "../../../src/cib";
import { hasCommand, reasonMissing, sharedPath } from "../../support/environment";

const casesDirectory = sharedPath("pcmk-scheduler", "cases");
// Needs the corpus (../shared/pcmk-scheduler, outside the repository) and crm_simulate (Debian package pacemaker-cli-utils).
const missing = !casesDirectory ? "../shared/pcmk-scheduler/cases is absent" : !hasCommand("crm_simulate") ? reasonMissing("crm_simulate") : undefined;

function transition(file: string): string {
  const result = spawnSync("crm_simulate", ["-x", file, "-S"], { encoding: "utf8", timeout: 20_000, env: { ...process.env, LC_ALL: "C" } });
  const output = `${result.stdout ?? ""}${result.stderr ?? ""}`;
  const start = output.indexOf("Transition Summary:");
  const end = output.indexOf("Executing Cluster Transition:");
  // Without a summary (schema error, crash) the whole output is compared, so a difference shows.
  return start < 0 ? `no transition (exit ${result.status}): ${output.slice(0, 400)}` : output.slice(start, end < 0 ? undefined : end);
}

describe.skipIf(missing !== undefined)(`Pacemaker schedules exported CIBs as the originals${missing ? ` (skipped: ${missing})` : ""}`, () => { // skipped: without ../shared's Pacemaker cases or crm_simulate; the title says which
  it("gives the same transition for every corpus CIB after import and export", () => {
    const directory = mkdtempSync(path.join(os.tmpdir(), "edgeha-cib-pcmk-"));
    const names = readdirSync(casesDirectory!).filter((name) => name.endsWith(".xml")).sort();
    const differences: string[] = [];
    try {
      for (const name of names) {
        const original = path.join(casesDirectory!, name);
        const exported = path.join(directory, name);
        writeFileSync(exported, exportCibXml(importCibXml(readFileSync(original, "utf8"), name).cib));
        const expected = transition(original);
        const actual = transition(exported);
        if (actual !== expected) differences.push(`${name}:\n--- original\n${expected}\n--- exported\n${actual}`);
      }
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
    console.log(`Pacemaker on exported CIBs: ${names.length - differences.length} of ${names.length} give the original's transition`);
    expect(differences.slice(0, 3)).toEqual([]);
    expect(names.length).toBeGreaterThan(0);
  }, 240_000);
});
