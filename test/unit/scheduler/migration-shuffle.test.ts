// A migration behind a clone whose instances shuffle (one stops, another starts) in the same
// transition: the clone's stop comes before its start, which comes before the migration's
// migrate_to, while the migrating resource's stop (after its migrate_from) comes before the
// clone's stop (the inverse of "clone start then resource start"). The resource must move by
// a stop and a start instead, or the graph would have an ordering cycle (an assertion that
// ends the DC). Here a third instance starts on cedar; the scheduler does not stop another one in
// the same transition on its own inputs today, so that stop is added by hand, as a later pass
// could produce it.
import { describe, expect, it } from "vitest";
import { importCibXml } from "../../../src/cib";
import { deriveActions } from "../../../src/scheduler/actions";
import { buildGraph } from "../../../src/scheduler/graph";
import { unpackHistory } from "../../../src/scheduler/history";
import { place } from "../../../src/scheduler/placement";
import { addImpliedActions } from "../../../src/scheduler/restarts";
import { checkRunnability } from "../../../src/scheduler/runnability";
import type { Decisions, ScheduledAction } from "../../../src/scheduler/types";
import { unpack } from "../../../src/scheduler/unpack";
import { history, record, smallCibXml } from "./small-cib";

const dummy = (id: string, meta = "") => `<primitive id="${id}" class="ocf" provider="heartbeat" type="Dummy">${meta}</primitive>`;
const spec = {
  nodes: ["alder", "birch", "cedar"],
  resources: `<clone id="pool"><meta_attributes id="pool-m"><nvpair id="pm1" name="clone-max" value="3"/></meta_attributes>${dummy("cell")}</clone>`
    + dummy("vm", `<meta_attributes id="vm-m"><nvpair id="vm1" name="allow-migrate" value="true"/></meta_attributes>`),
  constraints: `<rsc_order id="pool-then-vm" first="pool" then="vm" kind="Mandatory"/><rsc_location id="vm-cedar" rsc="vm" node="cedar" score="100"/>`,
  history: {
    alder: history("cell", [record("cell", "start", { call: 2 })]) + history("vm", [record("vm", "start", { call: 3 })]),
    birch: history("cell", [record("cell", "start", { call: 2 })]),
  },
};

function decisionsAndActions(): { decisions: Decisions; actions: ScheduledAction[] } {
  const unpacked = unpack(importCibXml(smallCibXml(spec), "shuffle.xml").cib, 1800000000);
  const historyPass = unpackHistory(unpacked);
  const placement = place(unpacked.model, historyPass);
  const decisions: Decisions = { ...unpacked.model, ...historyPass, ...placement, ...checkRunnability(unpacked.model, historyPass, placement) };
  return { decisions, actions: deriveActions(decisions, placement.completed) };
}

describe("a migration behind a clone whose instances shuffle", () => {
  it("migrates when the clone is left alone", () => {
    const { decisions, actions } = decisionsAndActions();
    const vm = addImpliedActions(decisions, actions).find((action) => action.resource === "vm");
    expect(vm).toMatchObject({ action: "migrate", from: "alder", to: "cedar" });
  });

  it("moves instead when another instance stops in the same transition", () => {
    const { decisions, actions } = decisionsAndActions();
    expect(actions.filter((action) => action.resource?.startsWith("cell")).map((action) => `${action.action} ${action.node}`)).toEqual(["start cedar"]);
    const alder = [...decisions.states.entries()].find(([id, state]) => id.startsWith("cell") && state.activeOn.includes("alder"))![0];
    const completed = addImpliedActions(decisions, [...actions, { action: "stop", resource: alder, node: "alder", reason: "a shuffle" }]);
    expect(completed.find((action) => action.resource === "vm")).toMatchObject({ action: "move", from: "alder", to: "cedar" });
    // The graph the DC runs has no ordering cycle (buildGraph asserts that).
    expect(() => buildGraph(decisions, completed)).not.toThrow();
  });
});
