// Imports every CIB of Pacemaker's scheduler corpus (../shared/pcmk-scheduler,
// when present), exports it to XML, imports that again, and checks the model is
// unchanged; also checks the native JSON form of each passes the published schema.
import { describe, expect, it } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { applyCibPatch, diffCibs, exportCibXml, importCibXml, parseNativeCib, serializeNativeCib, type Cib } from "../../src/cib";
import { sharedPath } from "../support/environment";

const casesDirectory = sharedPath("pcmk-scheduler", "cases");

// The corpus lives outside the repository (../shared); without it there is nothing to compare.
const title = casesDirectory ? "CIB round trip on Pacemaker's corpus" : "CIB round trip on Pacemaker's corpus (skipped: ../shared/pcmk-scheduler/cases is absent)";
describe.skipIf(!casesDirectory)(title, () => { // skipped: without ../shared/pcmk-scheduler (the corpus)
  it("every case survives import, export and import unchanged, and its JSON form is valid", () => {
    const names = readdirSync(casesDirectory!).filter((name) => name.endsWith(".xml")).sort();
    const failures: string[] = [];
    for (const name of names) {
      try {
        const first = importCibXml(readFileSync(path.join(casesDirectory!, name), "utf8"), name).cib;
        const second = importCibXml(exportCibXml(first), name).cib;
        expect(second).toEqual(first);
        expect(parseNativeCib(serializeNativeCib(first), `${name}.json`)).toEqual(first);
      } catch (error) {
        failures.push(`${name}: ${(error as Error).message.split("\n")[0]}`);
      }
    }
    console.log(`CIB round trip: ${names.length - failures.length} passed, ${failures.length} failed`);
    expect(failures).toEqual([]);
    expect(names.length).toBeGreaterThan(0);
  });

  it("a patch from each case to the next turns the one into the other", () => {
    const names = readdirSync(casesDirectory!).filter((name) => name.endsWith(".xml")).sort();
    const cibs: Cib[] = names.map((name) => importCibXml(readFileSync(path.join(casesDirectory!, name), "utf8"), name).cib);
    let patched = 0;
    for (let index = 1; index < cibs.length; index += 1) {
      expect(applyCibPatch(cibs[index - 1]!, diffCibs(cibs[index - 1]!, cibs[index]!))).toEqual(cibs[index]);
      patched += 1;
    }
    console.log(`CIB patches between consecutive cases: ${patched} applied`);
    expect(patched).toBe(names.length - 1);
  });
});
