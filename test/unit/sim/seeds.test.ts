import { describe, expect, it } from "vitest";
import { runSeed, replayCommand } from "../../../src/sim";

// 500 seeds over 2..5 nodes (the node count comes from the seed), split in two files so
// vitest runs them in parallel; seeds-large.test.ts runs the other half and 16-node runs.
describe("simulator, seeds 1-250", () => {
  it("keeps every safety invariant and converges after faults heal", () => {
    const failures: string[] = [];
    let settledRuns = 0;
    for (let seed = 1; seed <= 250; seed++) {
      const result = runSeed(seed);
      if (result.violation) failures.push(`${result.violation.message} — replay: ${replayCommand(result, false)}`);
      if (result.settledAfterMs !== undefined) settledRuns++;
    }
    expect(failures).toEqual([]);
    expect(settledRuns).toBe(250);
  }, 600_000);
});
