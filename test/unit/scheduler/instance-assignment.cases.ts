// Small CIBs for test/unit/scheduler/instance-assignment.test.ts, each with the transition
// summary crm_simulate (Pacemaker 2.1.5, crm_simulate -x FILE -S) gives for it: which instance
// number of a clone goes to which node when the clone is placed again.
import { history, record, type SmallCib } from "./small-cib";

const STATEFUL = `class="ocf" provider="pacemaker" type="Stateful"`;
const nodes = ["alder", "birch", "cedar"];

/** A promotable clone of one Stateful primitive, or of a group of them. */
function promotable(cloneId: string, members: string[], group?: string): string {
  const primitives = members.map((id) => `<primitive id="${id}" ${STATEFUL}/>`).join("");
  const child = group === undefined ? primitives : `<group id="${group}">${primitives}</group>`;
  return `<clone id="${cloneId}"><meta_attributes id="${cloneId}-meta"><nvpair id="${cloneId}-promotable" name="promotable" value="true"/></meta_attributes>${child}</clone>`;
}

/** History of members running on a node (Promoted or not), or of a probe that found them stopped. */
const running = (members: string[], promoted: boolean) => members.map((id) => history(id, [record(id, "start", { call: 10 }), ...(promoted ? [record(id, "promote", { call: 11 })] : [])], STATEFUL)).join("");
const probed = (members: string[]) => members.map((id) => history(id, [record(id, "monitor", { call: 5, rc: 7, expected: 7 })], STATEFUL)).join("");
const promotionScores = (members: string[], value: number) => Object.fromEntries(members.map((id) => [`master-${id}`, String(value)]));

export const CASES: Record<string, { spec: SmallCib; expected: Record<string, unknown>[] }> = {
  // alder's Unpromoted copy is found first (ledger:0); birch's probe and cedar's Promoted copy go
  // to ledger:1. birch has the best promotion score, and it counts for ledger:0 there too.
  "probed-elsewhere": {
    spec: {
      nodes,
      resources: promotable("ledger-clone", ["ledger"]),
      history: { alder: running(["ledger"], false), birch: probed(["ledger"]), cedar: running(["ledger"], true) },
      transient: { alder: promotionScores(["ledger"], 5), birch: promotionScores(["ledger"], 15), cedar: promotionScores(["ledger"], 10) },
    },
    expected: [
      { action: "move", resource: "ledger:0", from: "alder", to: "birch", from_role: "Unpromoted", to_role: "Promoted" },
      { action: "demote", resource: "ledger:1", node: "cedar", from_role: "Promoted", to_role: "Unpromoted" },
      { action: "start", resource: "ledger:2", node: "alder" },
    ],
  },
};
