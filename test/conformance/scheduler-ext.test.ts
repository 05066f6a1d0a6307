// The extension corpus (../shared/pcmk-scheduler-ext): Pacemaker inputs that use features
// beyond the core. Those edgeha leaves out of scope (tickets, Pacemaker Remote and guest
// nodes, bundles, the container meta attribute) must be refused with E_CIB_UNSUPPORTED (or
// match); the in-scope ones count toward a ratchet that never goes down.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { sharedPath } from "../support/environment";
import { runCorpus, type CaseOutcome } from "./corpus";

const CORPUS = sharedPath("pcmk-scheduler-ext", "INDEX.tsv") === undefined ? undefined : sharedPath("pcmk-scheduler-ext")!;
const ratchet = JSON.parse(readFileSync(join(__dirname, "scheduler-ext-ratchet.json"), "utf8")) as { passed: number; inScopePassed: number };
const OUT_OF_SCOPE = ["tickets", "remote", "bundle", "container"];

if (CORPUS === undefined) console.log("extension conformance skipped: ../shared/pcmk-scheduler-ext is absent");

describe.skipIf(CORPUS === undefined)("scheduler on the extension corpus", () => { // skipped: without ../shared/pcmk-scheduler-ext; the test prints that it is absent
  let outcomes: CaseOutcome[] = [];
  let outOfScope = new Set<string>();
  const load = () => {
    if (outcomes.length > 0) return;
    const rows = readFileSync(join(CORPUS!, "INDEX.tsv"), "utf8").trim().split("\n").slice(1).map((line) => line.split("\t"));
    outOfScope = new Set(rows.filter((row) => (row[1] ?? "").split(",").some((feature) => OUT_OF_SCOPE.includes(feature))).map((row) => row[0]!));
    outcomes = runCorpus(CORPUS!);
  };

  it("refuses every case that uses a feature outside edgeha's scope (or matches Pacemaker)", () => {
    load();
    const silent = outcomes.filter((outcome) => outOfScope.has(outcome.name) && outcome.status !== "pass" && !(outcome.status === "refused" && outcome.code === "E_CIB_UNSUPPORTED"));
    expect(outOfScope.size).toBeGreaterThan(0);
    expect(silent.map((outcome) => `${outcome.name}: ${outcome.status}`)).toEqual([]);
  }, 120_000);

  it("passes at least the recorded number of cases, in scope and overall", () => {
    load();
    const passed = outcomes.filter((outcome) => outcome.status === "pass");
    const inScope = outcomes.filter((outcome) => !outOfScope.has(outcome.name));
    const inScopePassed = passed.filter((outcome) => !outOfScope.has(outcome.name)).length;
    console.log(`extension: ${passed.length} of ${outcomes.length} pass; in scope ${inScopePassed} of ${inScope.length}\nin scope, not passing: ${inScope.filter((outcome) => outcome.status !== "pass").map((outcome) => outcome.name).join(" ")}`);
    expect(passed.length).toBeGreaterThanOrEqual(ratchet.passed);
    expect(inScopePassed).toBeGreaterThanOrEqual(ratchet.inScopePassed);
  }, 120_000);
});
