// A small CIB written here for the admin tests: two nodes, version 0.5.2.
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
