// Defects of issue 15 that the simulator finds and that are being fixed elsewhere (owner in
// brackets). A failing seed is accepted by the seed sweeps only if it shows one of these, by
// its invariant and words; any other failure fails the sweep. When a defect is fixed, its entry
// goes (the sweep then fails on any seed that still shows it) and its seeds become regression
// seeds (regressions.test.ts).
import type { SeedResult } from "../../../src/sim";

export interface KnownDefect { name: string; matches(result: SeedResult): boolean }

const is = (result: SeedResult, invariant: string, words?: RegExp): boolean =>
  result.violation?.invariant === invariant && (words === undefined || words.test(result.violation.message));

export const KNOWN_DEFECTS: KnownDefect[] = [
  {
    name: "A1, what is left [core]: a resource deleted while its start still runs is forgotten by the executor (configure() sees only the probe's 'not running'), so its stop then fails: with fencing its node is fenced; without, it keeps running unseen",
    matches: (result) => is(result, "fence-only-for-cause") || is(result, "liveness", /it should run on 0 nodes/),
  },
  {
    name: "A2 [core]: an acknowledged change is lost (a DC serves or distributes a configuration without it: stale DC, a write completed after its members left, two_node halves each taking changes)",
    matches: (result) => is(result, "acked-change-durable"),
  },
  {
    name: "A3 [core]: after partitions merge a member keeps following the DC that yielded; the DC's writes that member dropped stay pending for good and nothing is planned any more",
    matches: (result) => is(result, "liveness", /no DC that every node agrees on|runs on no node; it should run on 1 node/),
  },
  {
    name: "no startup-fencing [core]: a DC that has not seen a node since its agent started does not take it for unclean and starts what that node may still run without fencing it",
    matches: (result) => is(result, "fence-before-start", /has not seen .* since its agent started/),
  },
];

export function knownDefectOf(result: SeedResult): KnownDefect | undefined {
  return result.ok ? undefined : KNOWN_DEFECTS.find((defect) => defect.matches(result));
}
