// The CIB's execution-date: the moment a saved scheduler input was computed (an attribute of
// the <cib> element, seconds since the epoch, written by Pacemaker's scheduler into each
// pe-input file). A simulation of such an input takes it as "now", as crm_simulate does
// (Pacemaker 2.1.5, pcmk_simulate.c set_effective_date), so date rules, failure-timeout and
// ruled defaults are evaluated at the moment the input stands for. The live DC never reads it.
// Pure.
import type { Cib } from "../cib";
import { EdgehaError } from "../common/errors";

/** The CIB's execution-date in seconds since the epoch; undefined when it is not set. A value that is not a whole number of seconds is refused (Pacemaker would silently fall back to the wall clock). */
export function executionDateSeconds(cib: Cib, where = "cib"): number | undefined {
  const text = cib.attributes["execution-date"];
  if (text === undefined) return undefined;
  if (!/^\s*-?\d{1,15}\s*$/.test(text)) throw new EdgehaError("E_CIB_INVALID", `${where}: execution-date "${text.slice(0, 64)}" is not a number of seconds since the epoch`);
  return Number(text);
}

/** "now" for a simulation of this CIB: its execution-date when it has one, else the clock's. */
export function simulationNowSeconds(cib: Cib, clockSeconds: number, where?: string): number {
  return executionDateSeconds(cib, where) ?? clockSeconds;
}
