// A group anti-colocated (-INFINITY) with a migratable resource and ordered before it, both on
// alder, the group's first member failed there: the group recovers on alder, and vm must leave.
// Migrating it would close an ordering cycle: the group's start waits for vm's stop on alder (the
// anti-colocation: what makes one lose its role before what makes the other gain it, Pacemaker's
// anti_colocation_order), vm's stop waits for its migrate_from, which waits for migrate_to,
// which waits for the group's start (the order). crm_simulate 2.1.5 keeps the migration and
// its transition fails ("An invalid transition was produced"); edgeha moves vm by a stop and a
// start instead (schedule's withoutMigrationLoops), and everything else is as crm_simulate has it.
// Found by cycle-property.test.ts.
import { describe, expect, it } from "vitest";
import { importCibXml } from "../../../src/cib";
import { schedule } from "../../../src/scheduler";
import { history, record, smallCibXml } from "./small-cib";

const dummy = (id: string, meta = "") => `<primitive id="${id}" class="ocf" provider="heartbeat" type="Dummy">${meta}<operations><op id="${id}-mon" name="monitor" interval="10s"/></operations></primitive>`;
const spec = {
  resources: `<group id="app">${dummy("app-a")}${dummy("app-b")}</group>`
    + dummy("vm", `<meta_attributes id="vm-m"><nvpair id="vm-migrate" name="allow-migrate" value="true"/></meta_attributes>`),
  constraints: `<rsc_colocation id="app-not-vm" rsc="app" with-rsc="vm" score="-INFINITY"/><rsc_order id="app-then-vm" first="app" then="vm" symmetrical="false"/>`
    + `<rsc_location id="app-alder" rsc="app" node="alder" score="200"/>`,
  history: {
    alder: history("app-a", [record("app-a", "start", { call: 2 }), record("app-a", "monitor", { call: 3, interval: 10000, rc: 1 })])
      + history("app-b", [record("app-b", "start", { call: 4 })]) + history("vm", [record("vm", "start", { call: 5 })]),
  },
};

describe("a live migration that would close an ordering cycle", () => {
  it("becomes a move, and the graph runs to the end", () => {
    const graph = schedule(importCibXml(smallCibXml(spec), "loop.xml").cib, { now: 1800000000 });
    const summary = graph.actions.map((action) => [action.action, action.resource, action.node ?? `${action.from}->${action.to}`].join(" ")).sort();
    expect(summary).toEqual(["move vm alder->birch", "recover app-a alder", "restart app-b alder"]);
    const kinds = graph.operations.filter((operation) => operation.resource === "vm").map((operation) => `${operation.kind} ${operation.node}`);
    expect(kinds.sort()).toEqual(["start birch", "stop alder"]);
  });
});
