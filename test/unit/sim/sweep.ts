// One sweep of seeds: every run must keep every invariant and converge, except runs that show a
// known defect another engineer is fixing (known-defects.ts), which are counted and named.
import { expect } from "vitest";
import { runSeed } from "../../../src/sim";
import { knownDefectOf } from "./known-defects";

export function sweep(first: number, last: number): void {
  const unexpected: string[] = [];
  const known = new Map<string, number[]>();
  const totals = { transitions: 0, actions: 0, fences: 0, crashes: 0 };
  for (let seed = first; seed <= last; seed++) {
    const result = runSeed(seed);
    for (const key of Object.keys(totals) as Array<keyof typeof totals>) totals[key] += result[key];
    if (result.ok) continue;
    const defect = knownDefectOf(result);
    if (defect) known.set(defect.name, [...(known.get(defect.name) ?? []), seed]);
    else unexpected.push(`${result.violation!.invariant}: ${result.violation!.message}\n  replay: ${result.replay}\n${result.trace!.map((line) => `    ${line}`).join("\n")}`);
  }
  for (const [name, seeds] of known) console.log(`known defect, ${seeds.length} seeds (${seeds.slice(0, 10).join(" ")}${seeds.length > 10 ? " ..." : ""}): ${name}`);
  expect(unexpected).toEqual([]);
  // Every run forms a cluster and works: the counters are never all zero across a sweep.
  for (const value of Object.values(totals)) expect(value).toBeGreaterThan(0);
}
