// Regression seeds: each seed broke an invariant through a bug the simulator found and that is
// fixed now. Each was checked to fail with its fix reverted (the invariant it broke is named) and
// to keep every invariant with it. Unlike the sweeps, these allow no known defect: a regression
// seed must pass whatever known-defects.ts lists. A seed's draw changes when the code under it
// changes; a seed that no longer reaches its bug's situation is replaced by one that does
// (found again by reverting the fix). Scenario scripts that are regressions too:
// test/unit/sim/scenarios/delete-running*.txt (issue 15 defect 1), stall-*.txt (a stall as long
// as the token).
import { describe, expect, it } from "vitest";
import { runSeed } from "../../../src/sim";

const REGRESSIONS: Array<{ seed: number; fixedBy: string; broke: string }> = [
  { seed: 160, fixedBy: "60a3525 reliable channel keeps its sequence after giving up on a peer", broke: "liveness: a member keeps another configuration than the DC (the DC's messages to it were acknowledged and dropped as old)" },
  { seed: 176, fixedBy: "60a3525 reliable channel keeps its sequence after giving up on a peer", broke: "liveness: no DC that every node agrees on after a merge" },
  { seed: 360, fixedBy: "60a3525 reliable channel keeps its sequence after giving up on a peer", broke: "liveness: a group member runs nowhere though it should run" },
  { seed: 296, fixedBy: "a7a8e34 no-quorum-policy=freeze decides per primitive", broke: "quorum-gates-resources: a group member that ran nowhere started without quorum because another member of its group ran" },
];

describe("simulator, regression seeds", () => {
  for (const { seed, fixedBy, broke } of REGRESSIONS) {
    it(`seed ${seed} (once ${broke}; fixed by ${fixedBy})`, () => {
      const result = runSeed(seed);
      expect(result.violation, `${result.replay}\n${result.trace?.join("\n")}`).toBeUndefined();
      expect(result.convergedAfterMs).toBeDefined();
    }, 60_000);
  }
});
