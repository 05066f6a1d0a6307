// A promotable clone's Unpromoted role kept away (-INFINITY) from another resource: Pacemaker
// gives the clone's colocations below 0 to each instance and places the instance by them
// whatever the dependent role below Promoted (append_parent_colocation, pcmk__colocation_affects),
// so an instance cannot be placed where the other resource runs, in either role. Expected results
// checked against crm_simulate (Pacemaker 2.1.5) on the same CIBs.
import { describe, expect, it } from "vitest";
import { importCibXml } from "../../../src/cib";
import { schedule } from "../../../src/scheduler";
import { history, record, smallCibXml, type SmallCib } from "./small-cib";

const stateful = (id: string) => `<primitive id="${id}" class="ocf" provider="pacemaker" type="Stateful"><operations><op id="${id}-mu" name="monitor" interval="10s" role="Unpromoted"/><op id="${id}-mp" name="monitor" interval="11s" role="Promoted"/></operations></primitive>`;
const meta = (id: string, pairs: Record<string, string>) => `<meta_attributes id="${id}-m">${Object.entries(pairs).map(([name, value]) => `<nvpair id="${id}-${name}" name="${name}" value="${value}"/>`).join("")}</meta_attributes>`;
const RESOURCES = `<clone id="pool">${meta("pool", { "clone-max": "2" })}<primitive id="cell" class="ocf" provider="heartbeat" type="Dummy"><operations><op id="cell-mon" name="monitor" interval="10s"/></operations></primitive></clone>`
  + `<clone id="db">${meta("db", { promotable: "true", "promoted-max": "1", "clone-max": "2" })}${stateful("store")}</clone>`;
const AWAY = `<rsc_colocation id="db-away" rsc="db" rsc-role="Unpromoted" with-rsc="pool" score="-INFINITY"/>`;
const stateful_ = `class="ocf" provider="pacemaker" type="Stateful"`;

function summary(spec: SmallCib): string[] {
  const graph = schedule(importCibXml(smallCibXml(spec), "away.xml").cib, { now: 1800000000 });
  return graph.actions.map((action) => [action.action, action.resource, action.node ?? `${action.from}->${action.to}`, action.role ?? action.to_role ?? ""].join(" ")).sort();
}

describe("a promotable clone's Unpromoted role anti-colocated at -INFINITY", () => {
  it("keeps its instances off the nodes where the primary runs, promoted or not", () => {
    // pool runs on both nodes; db is promoted on alder and unpromoted on birch. crm_simulate:
    // Stop store:0 (Promoted alder), Stop store:1 (Unpromoted birch), due to node availability.
    const actions = summary({
      resources: RESOURCES, constraints: AWAY,
      transient: { alder: { "master-store": "10" }, birch: { "master-store": "5" } },
      history: {
        alder: history("cell", [record("cell", "start", { call: 2 })]) + history("store", [record("store", "start", { call: 3 }), record("store", "promote", { call: 4 })], stateful_),
        birch: history("cell", [record("cell", "start", { call: 2 })]) + history("store", [record("store", "start", { call: 3 })], stateful_),
      },
    });
    expect(actions).toEqual(["stop store:0 alder Promoted", "stop store:1 birch Unpromoted"]);
  });

  it("does not start and promote an instance where the primary recovers (an ordering cycle that ended the DC)", () => {
    // Found by cycle-property.test.ts: pool recovers on both nodes, db is ordered after pool;
    // placing db's instance with pool and promoting it ordered its promote before pool's start
    // (anti-colocation), pool's start before db's start (the order) and db's start before its
    // promote. crm_simulate: Recover cell:0 and cell:1, Stop store:0 and store:1.
    const actions = summary({
      resources: RESOURCES, constraints: AWAY + `<rsc_order id="pool-then-db" first="pool" then="db" symmetrical="false"/>`,
      transient: { alder: { "master-store": "10" }, birch: { "master-store": "5" } },
      history: {
        alder: history("cell", [record("cell", "start", { call: 2, rc: 1 })]) + history("store", [record("store", "start", { call: 3 }), record("store", "promote", { call: 4 }), record("store", "monitor", { call: 5, interval: 11000, rc: 1 })], stateful_),
        birch: history("cell", [record("cell", "start", { call: 2, rc: 1 })]) + history("store", [record("store", "start", { call: 3 }), record("store", "monitor", { call: 5, interval: 10000, rc: 1 })], stateful_),
      },
    });
    expect(actions).toEqual(["recover cell:0 alder ", "recover cell:1 birch ", "stop store:0 alder Promoted", "stop store:1 birch Unpromoted"]);
  });
});
