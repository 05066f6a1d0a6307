// A small CIB written here for the admin tests: two nodes, version 0.5.2.
import { afterAll } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { runInProcess } from "../../support/cli";
import { emptyCib, type Cib } from "../../../src/cib";
import { applyEdit, type AdminEdit, type EditCatalog } from "../../../src/admin";

export function twoNodeCib(): Cib {
  const cib = emptyCib();
  cib.version = { adminEpoch: 0, epoch: 5, numUpdates: 2 };
  cib.nodes = [
    { id: "1", uname: "node1", extra: {}, instance: [], utilization: [] },
    { id: "2", uname: "node2", extra: {}, instance: [], utilization: [] },
  ];
  return cib;
}

/** Applies edits in turn and returns the last result, failing on none. */
export function edits(cib: Cib, list: AdminEdit[], catalog: EditCatalog = {}): ReturnType<typeof applyEdit> {
  let result = { cib, warnings: [] as string[], changed: false };
  for (const edit of list) result = applyEdit(result.cib, edit, catalog);
  return result;
}

export const dummy = (id: string, extra: Partial<Extract<AdminEdit, { kind: "resource-create" }>> = {}): AdminEdit => ({
  kind: "resource-create", id, agent: { class: "ocf", provider: "heartbeat", type: "Dummy" },
  settings: { instance: {}, operations: [], meta: {} }, disabled: false, noDefaultOperations: true, ...extra,
});

/** The EdgehaError a call throws (the test fails when it throws nothing). */
export function failure(call: () => unknown): { code: string; message: string } {
  try {
    call();
  } catch (error) {
    return error as { code: string; message: string };
  }
  throw new Error("expected the call to throw");
}

/**
 * CIB files for offline (-f) CLI tests: a temporary folder removed after the file's tests, and
 * a new file holding `start` at each call; `run` runs the CLI in process on one of them.
 */
export function cibFiles(start: string, prefix: string): { directory: string; newFile: () => string; run: (file: string, ...argv: string[]) => ReturnType<typeof runInProcess> } {
  const directory = mkdtempSync(path.join(os.tmpdir(), prefix));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));
  let counter = 0;
  return {
    directory,
    newFile: () => {
      const file = path.join(directory, `cib-${counter++}.xml`);
      writeFileSync(file, start);
      return file;
    },
    run: (file, ...argv) => runInProcess(["-f", file, ...argv]),
  };
}
