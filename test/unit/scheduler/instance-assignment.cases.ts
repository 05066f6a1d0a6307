// Small CIBs for test/unit/scheduler/instance-assignment.test.ts, each with the transition
// summary crm_simulate (Pacemaker 2.1.5, crm_simulate -x FILE -S) gives for it: which instance
// number of a clone goes to which node when the clone is placed again.
import { history, record, type SmallCib } from "./small-cib";

const STATEFUL = `class="ocf" provider="pacemaker" type="Stateful"`;
const DUMMY = `class="ocf" provider="heartbeat" type="Dummy"`;
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
/** An anonymous clone of Dummy primitives (a group of them when `group` is given), with meta attributes. */
function clone(cloneId: string, members: string[], meta: Record<string, string>, group?: string): string {
  const primitives = members.map((id) => `<primitive id="${id}" ${DUMMY}/>`).join("");
  const child = group === undefined ? primitives : `<group id="${group}">${primitives}</group>`;
  const pairs = Object.entries(meta).map(([name, value]) => `<nvpair id="${cloneId}-${name}" name="${name}" value="${value}"/>`).join("");
  return `<clone id="${cloneId}"><meta_attributes id="${cloneId}-meta">${pairs}</meta_attributes>${child}</clone>`;
}
const started = (members: string[]) => members.map((id) => history(id, [record(id, "start", { call: 10 })])).join("");
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
  // cache:0 runs on alder, which a location now bans; cache:1 runs nowhere. The instance on a
  // banned node is placed last, so cache:1 takes birch and cache:0 only stops.
  "banned-instance-last": {
    spec: {
      resources: clone("cache-clone", ["cache"], {}),
      constraints: `<rsc_location id="cache-not-alder" rsc="cache-clone" node="alder" score="-INFINITY"/>`,
      history: { alder: started(["cache"]) },
    },
    expected: [
      { action: "stop", resource: "cache:0", node: "alder" },
      { action: "start", resource: "cache:1", node: "birch" },
    ],
  },
  // A cloned group preferring alder (100) runs on birch and cedar. In the first round each copy's
  // members choose alder over their own node (stickiness 1); Pacemaker 2.1.5 leaves such a group
  // copy where its members went, without counting it against alder's one copy (clone-node-max),
  // so the third copy is placed on alder too.
  "cloned-group-first-round": {
    spec: {
      nodes,
      resources: clone("pair-clone", ["front", "back"], { "clone-node-max": "1" }, "pair"),
      constraints: `<rsc_location id="pair-prefers-alder" rsc="pair-clone" node="alder" score="100"/>`,
      history: { birch: started(["front", "back"]), cedar: started(["front", "back"]) },
    },
    expected: [
      { action: "move", resource: "front:0", from: "birch", to: "alder" },
      { action: "move", resource: "back:0", from: "birch", to: "alder" },
      { action: "move", resource: "front:1", from: "cedar", to: "alder" },
      { action: "move", resource: "back:1", from: "cedar", to: "alder" },
      { action: "start", resource: "front:2", node: "alder" },
      { action: "start", resource: "back:2", node: "alder" },
    ],
  },
  // A promotable cloned group: copy 0 runs on alder, copy 1 Promoted on cedar, birch was probed
  // and has the best promotion scores. The scores rank the copies but do not move their members:
  // both copies stay, copy 2 starts on birch and is promoted there, copy 1 is demoted.
  "cloned-group-promotion-scores": {
    spec: {
      nodes,
      resources: promotable("duo-clone", ["left", "right"], "duo"),
      history: { alder: running(["left", "right"], false), birch: probed(["left", "right"]), cedar: running(["left", "right"], true) },
      transient: { alder: promotionScores(["left", "right"], 5), birch: promotionScores(["left", "right"], 15), cedar: promotionScores(["left", "right"], 10) },
    },
    expected: [
      { action: "demote", resource: "left:1", node: "cedar", from_role: "Promoted", to_role: "Unpromoted" },
      { action: "demote", resource: "right:1", node: "cedar", from_role: "Promoted", to_role: "Unpromoted" },
      { action: "promote", resource: "left:2", node: "birch", from_role: "Stopped", to_role: "Promoted" },
      { action: "promote", resource: "right:2", node: "birch", from_role: "Stopped", to_role: "Promoted" },
    ],
  },
};
