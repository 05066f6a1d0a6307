// Failures the seed sweeps accept, each named with its owner and why (owner in brackets). A
// failing seed passes the sweep only if it shows one of these, by its invariant and words; any
// other failure fails the sweep. When a defect is fixed, its entry goes (the sweep then fails on
// any seed that still shows it) and seeds that showed it become regression seeds
// (regressions.test.ts). Issue 15's defects the seeds showed are fixed on main and have no entry
// any more.
import type { SeedResult } from "../../../src/sim";

export interface KnownDefect { name: string; matches(result: SeedResult): boolean }

const is = (result: SeedResult, invariant: string, words?: RegExp): boolean =>
  result.violation?.invariant === invariant && (words === undefined || words.test(result.violation.message));

export const KNOWN_DEFECTS: KnownDefect[] = [
  // Core's fixes of shift 4 (issue 15) removed the entries for the orphan forgotten across an
  // agent restart, A2 and the A3 family, the transition that never ended, the re-planning bursts
  // and the fence without cause; their seeds are regression seeds or pass (regressions.test.ts).
  // Shift 6 removed the last one, the pair without fencing whose halves both took changes in a
  // split: such a half now refuses changes until its lost peer rejoins or is confirmed down
  // (E_PEER_UNCONFIRMED); its seeds are regression seeds.
];

export function knownDefectOf(result: SeedResult): KnownDefect | undefined {
  return result.ok ? undefined : KNOWN_DEFECTS.find((defect) => defect.matches(result));
}
