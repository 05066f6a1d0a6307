// Runs the scheduler over a folder of Pacemaker inputs (cases/NAME.xml) and scores it against
// crm_simulate's transition summaries (expected/NAME.json), with the corpus README's rules.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { importCibXml } from "../../src/cib";
import { schedule, simulationNowSeconds } from "../../src/scheduler";
import { sameActions } from "./scheduler-compare";

// An input with an execution-date is scheduled at that moment, as crm_simulate does; for the others the corpora were
// made with "now" at several dates from 2024 to 2040 and did not change: a fixed one keeps runs identical.
export const CORPUS_NOW_SECONDS = Date.UTC(2027, 0, 1) / 1000;

export type CaseOutcome = { name: string; status: "pass" | "fail" | "refused" | "error"; code?: string; message?: string };

export function caseNames(folder: string): string[] {
  return readdirSync(join(folder, "cases")).filter((name) => name.endsWith(".xml")).map((name) => name.slice(0, -4)).sort();
}

/** One case: "refused" when the import or the scheduler throws an error with an E_ code, "error" for any other throw. */
export function runCase(folder: string, name: string): CaseOutcome {
  const expectedFile = join(folder, "expected", `${name}.json`);
  if (!existsSync(expectedFile)) return { name, status: "error", message: "no expected output" };
  const expected = JSON.parse(readFileSync(expectedFile, "utf8")) as Record<string, unknown>[];
  try {
    const { cib } = importCibXml(readFileSync(join(folder, "cases", `${name}.xml`), "utf8"), `${name}.xml`);
    const actual = schedule(cib, { now: simulationNowSeconds(cib, CORPUS_NOW_SECONDS, `${name}.xml`) }).actions as unknown as Record<string, unknown>[];
    return { name, status: sameActions(actual, expected) ? "pass" : "fail" };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === "string" && code.startsWith("E_")) return { name, status: "refused", code, message: (error as Error).message };
    return { name, status: "error", message: String((error as Error).stack ?? error) };
  }
}

export function runCorpus(folder: string, names: string[] = caseNames(folder)): CaseOutcome[] {
  return names.map((name) => runCase(folder, name));
}
