import { describe, expect, it } from "vitest";
import { importCibXml } from "../../../src/cib";
import { schedule } from "../../../src/scheduler";
import { sameActions } from "../../conformance/scheduler-compare";
import { history, record, smallCibXml } from "./small-cib";

// Fencing on, no quorum, no-quorum-policy=freeze; three nodes. On alder db's stop failed (so
// alder is fenced) and web runs. Under freeze Pacemaker forbids a start only for a resource
// that is not active, and counts a resource on an unclean node as active (native_active): what
// ran on the node being fenced is recovered or moved elsewhere. Where that node cannot be fenced
// (it left the cluster, and without quorum it cannot be fenced) the stops there are blocked.
// Expectations checked against crm_simulate 2.1.5 with the same CIBs.
function run(aldersLost: boolean): Record<string, unknown>[] {
  const monitored = (id: string) => `<primitive id="${id}" class="ocf" provider="heartbeat" type="Dummy"><operations><op id="${id}-mon" name="monitor" interval="10s"/></operations></primitive>`;
  const xml = smallCibXml({
    nodes: ["alder", "birch", "cedar"],
    properties: `<nvpair id="o2" name="no-quorum-policy" value="freeze"/>`,
    resources: `<primitive id="fencer" class="stonith" type="fence_acme"/>${monitored("db")}${monitored("web")}`,
    history: {
      alder: history("db", [record("db", "start", { call: 1 }), record("db", "stop", { call: 2, rc: 1 })]) + history("web", [record("web", "start", { call: 3 })]),
      birch: history("fencer", [record("fencer", "start", { call: 1 })], `class="stonith" type="fence_acme"`),
    },
  }).replace(`name="stonith-enabled" value="false"`, `name="stonith-enabled" value="true"`).replace(`have-quorum="1"`, `have-quorum="0"`);
  const final = aldersLost ? xml.replace(`uname="alder" in_ccm="true" crmd="online"`, `uname="alder" in_ccm="false" crmd="offline"`) : xml;
  return schedule(importCibXml(final, "freeze").cib, { now: 1800000000 }).actions as never as Record<string, unknown>[];
}

describe("no-quorum-policy=freeze and a node being fenced", () => {
  it("recovers or moves what ran on the fenced node to the others", () => {
    expect(sameActions(run(false), [
      { action: "fence", node: "alder", kind: "reboot" },
      { action: "recover", resource: "db", from: "alder", to: "cedar" },
      { action: "move", resource: "web", from: "alder", to: "birch" },
    ])).toBe(true);
  });

  it("only lists blocked stops on a lost node that cannot be fenced", () => {
    expect(sameActions(run(true), [
      { action: "stop", resource: "db", node: "alder", blocked: true },
      { action: "stop", resource: "web", node: "alder", blocked: true },
    ])).toBe(true);
  });
});
