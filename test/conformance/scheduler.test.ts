import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { sharedPath } from "../support/environment";
import { runCorpus } from "./corpus";

// The corpus is shared data beside the repository (../shared), wherever the checkout is.
const CORPUS = sharedPath("pcmk-scheduler", "cases") === undefined ? undefined : sharedPath("pcmk-scheduler")!;
const ratchet = JSON.parse(readFileSync(join(__dirname, "scheduler-ratchet.json"), "utf8")) as { passed: number };

// Where the corpus is absent the runner skips and says so.
if (CORPUS === undefined) console.log("scheduler conformance skipped: ../shared/pcmk-scheduler is absent");

describe.skipIf(CORPUS === undefined)("scheduler conformance against Pacemaker 2.1.5", () => { // skipped: without ../shared/pcmk-scheduler (the corpus); the test prints that it is absent
  it("passes at least the recorded number of corpus cases", () => {
    const outcomes = runCorpus(CORPUS!);
    const failing = outcomes.filter((outcome) => outcome.status !== "pass").map((outcome) => outcome.name);
    const passed = outcomes.length - failing.length;
    console.log(`${passed} passed, ${failing.length} failed\nfailing: ${failing.join(" ")}`);
    expect(passed).toBeGreaterThanOrEqual(ratchet.passed);
  }, 120_000);
});
