// front recovers in place; web (a group) is ordered after front, vm (migratable, preferring
// birch) after web. Expected results checked against crm_simulate (Pacemaker 2.1.5), but one.
// - Symmetrical "front then web": web restarts, and vm's stop, bound before web's stop by the
//   inverse of "web then vm", makes the migration a move. Pacemaker blocks a migration on the
//   final requiredness of what it is bound to, whatever made it required
//   (pcmk__ar_then_implies_first). edgeha checked migrations before it added the restarts that
//   orders imply, so vm migrated and the graph had an ordering cycle (web's stop, its start,
//   vm's migrate_to, migrate_from, vm's stop, web's stop) that ended the DC. Found by
//   cycle-property.test.ts. crm_simulate 2.1.5 also keeps the migration here and its graph has
//   the same loop ("An invalid transition was produced"): edgeha moves vm instead, a deliberate
//   difference that follows the rule's intent.
// - Asymmetrical "front then web": Pacemaker gives the order pe_order_asymmetrical instead of
//   implies-then, so front's recovery does not restart web, and vm migrates.
import { describe, expect, it } from "vitest";
import { importCibXml } from "../../../src/cib";
import { schedule } from "../../../src/scheduler";
import { history, record, smallCibXml } from "./small-cib";

const dummy = (id: string, meta = "") => `<primitive id="${id}" class="ocf" provider="heartbeat" type="Dummy">${meta}<operations><op id="${id}-mon" name="monitor" interval="10s"/></operations></primitive>`;
const spec = (symmetrical: boolean) => ({
  resources: dummy("front") + `<group id="web">${dummy("web-ip")}${dummy("web-proxy")}</group>`
    + dummy("vm", `<meta_attributes id="vm-m"><nvpair id="vm-migrate" name="allow-migrate" value="true"/></meta_attributes>`),
  constraints: `<rsc_order id="front-then-web" first="front" then="web" symmetrical="${symmetrical}"/><rsc_order id="web-then-vm" first="web" then="vm"/>`
    + `<rsc_location id="vm-birch" rsc="vm" node="birch" score="100"/><rsc_location id="front-alder" rsc="front" node="alder" score="100"/><rsc_location id="web-alder" rsc="web" node="alder" score="100"/>`,
  history: {
    alder: history("front", [record("front", "start", { call: 2 }), record("front", "monitor", { call: 3, interval: 10000, rc: 1 })])
      + history("web-ip", [record("web-ip", "start", { call: 4 })]) + history("web-proxy", [record("web-proxy", "start", { call: 5 })])
      + history("vm", [record("vm", "start", { call: 6 })]),
  },
});

function summary(symmetrical: boolean): string[] {
  const graph = schedule(importCibXml(smallCibXml(spec(symmetrical)), "implied.xml").cib, { now: 1800000000 });
  return graph.actions.map((action) => [action.action, action.resource, action.node ?? `${action.from}->${action.to}`].join(" ")).sort();
}

describe("a migration behind what an order restarts", () => {
  it("a symmetrical order restarts web, and vm moves by stop and start instead of migrating", () => {
    expect(summary(true)).toEqual(["move vm alder->birch", "recover front alder", "restart web-ip alder", "restart web-proxy alder"]);
  });

  it("an asymmetrical order restarts nothing, and vm migrates", () => {
    expect(summary(false)).toEqual(["migrate vm alder->birch", "recover front alder"]);
  });
});
