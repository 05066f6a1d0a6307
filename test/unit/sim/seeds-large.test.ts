import { describe, expect, it } from "vitest";
import { runSeed, replayCommand } from "../../../src/sim";

describe("simulator, seeds 251-500 and 16 nodes", () => {
  it("keeps every safety invariant and converges after faults heal", () => {
    const failures: string[] = [];
    for (let seed = 251; seed <= 500; seed++) {
      const result = runSeed(seed);
      if (result.violation) failures.push(`${result.violation.message} — replay: ${replayCommand(result, false)}`);
    }
    expect(failures).toEqual([]);
  }, 600_000);

  it("16-node clusters converge after partitions, crashes and loss", () => {
    for (const seed of [1001, 1002]) {
      const result = runSeed(seed, 16);
      expect(result.violation, result.violation && replayCommand(result, true)).toBeUndefined();
      expect(result.viewChanges).toBeGreaterThan(16);
    }
  }, 600_000);
});
