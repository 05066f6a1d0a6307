// Property: a valid configuration never reaches the scheduler's "ordering cycle" assertion (which
// ends the DC), on small clusters drawn by generated-cib.ts. The seed is fixed (SEED, 1000 runs,
// about 5 s); with the scheduler before the fixes it came with, this seed fails at run 920 (an
// Unpromoted-role anti-colocation cycle).
// A longer search: EDGEHA_CYCLE_SEED=N EDGEHA_CYCLE_RUNS=3000 npx vitest run <this file>.
// Seeds 25 and 27 at 3000 runs reached the assertion until shift 9. Seed 25 is a loop Pacemaker
// makes too (two promotable clones kept apart in their Unpromoted role, both promoted on one node:
// crm_simulate 2.1.5 ends "An invalid transition was produced"); the scheduler now holds such a
// loop back with a warning, as Pacemaker's controller leaves it unrun (cycles.ts,
// ordering-loop.test.ts). Seed 27 comes from a divergence (a promotable instance kept Promoted where
// crm_simulate moves it Unpromoted) and is held back the same way until that is fixed.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { importCibXml } from "../../../src/cib";
import { schedule } from "../../../src/scheduler";
import { shapes, toXml } from "./generated-cib";

const SEED = Number(process.env.EDGEHA_CYCLE_SEED ?? 2);
const RUNS = Number(process.env.EDGEHA_CYCLE_RUNS ?? 1000);

describe("ordering cycles on valid configurations", () => {
  it(`no generated configuration reaches the ordering-cycle assertion (seed ${SEED}, ${RUNS} runs)`, () => {
    fc.assert(fc.property(shapes, (shape) => {
      const { cib } = importCibXml(toXml(shape), "generated.xml");
      const graph = schedule(cib, { now: 1800000000 });
      expect(graph.operations.every((operation) => operation.after.every((id) => id < graph.operations.length))).toBe(true);
    }), { numRuns: RUNS, seed: SEED });
  });
});
