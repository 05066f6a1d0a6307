// The mutation proof: each rule broken on purpose (src/sim/mutations.ts, injected at the
// controller's seam or as a frame codec, never by a branch in the product) is caught by the
// simulator within the CI's seed budget. Runs go on after a first violation, and a seed counts
// only if the mutated run breaks an invariant expected to catch the mutation while the same seed
// unmutated does not break it (a break caused by another defect is not the mutation's).
import { afterAll, describe, expect, it } from "vitest";
import { MUTATIONS, runSeed, type Invariant } from "../../../src/sim";

/** The CI runs this many seeds (seeds-*.test.ts); every mutation must be caught within them. */
const SEED_BUDGET = 1000;

/** The invariants that may catch each mutation first (one break often shows in more than one way). */
const CAUGHT_BY: Record<string, Invariant[]> = {
  "start-before-fence-confirmation": ["fence-before-start", "no-double-active"],
  "acknowledge-before-replication": ["acked-change-durable"],
  "serve-before-join-completes": ["acked-change-durable", "no-double-active", "fence-before-start"],
  "keep-two-dcs-after-merge": ["one-dc"],
  "run-resources-without-quorum": ["quorum-gates-resources"],
  "accept-replayed-frame": ["bad-frames-change-nothing"],
};

const unmutatedBreaks = new Map<number, Set<Invariant>>();
function brokenUnmutated(seed: number): Set<Invariant> {
  let broken = unmutatedBreaks.get(seed);
  if (broken === undefined) {
    broken = new Set(runSeed(seed, { keepGoing: true }).violations!.map((violation) => violation.invariant));
    unmutatedBreaks.set(seed, broken);
  }
  return broken;
}

const table: string[] = [];

describe("mutation proof", () => {
  for (const mutation of MUTATIONS) {
    it(`catches: ${mutation.rule}`, () => {
      const expected = CAUGHT_BY[mutation.name]!;
      for (let seed = 1; seed <= SEED_BUDGET; seed++) {
        const result = runSeed(seed, { mutation, keepGoing: true });
        const caught = result.violations!.find((violation) => expected.includes(violation.invariant));
        if (caught === undefined || brokenUnmutated(seed).has(caught.invariant)) continue;
        table.push(`| ${mutation.rule} | ${caught.invariant} | ${seed} | ${seed} |`);
        return;
      }
      expect.fail(`${mutation.name} was not caught within ${SEED_BUDGET} seeds`);
    }, 600_000);
  }

  afterAll(() => {
    console.log(["| rule broken | caught by | first seed | seeds needed |", "|---|---|---|---|", ...table].join("\n"));
  });
});
