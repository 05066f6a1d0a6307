// A colocation with node-attribute= places the dependent by the value of that node attribute
// instead of by node: it holds on every node whose value equals the value on the primary's node
// (compared without case), and the primary weighs the dependent's best score among the nodes
// sharing each node's value. Expectations checked against crm_simulate (Pacemaker 2.1.5) on
// these CIBs.
import { describe, expect, it } from "vitest";
import { sameActions } from "../../conformance/scheduler-compare";
import { history, record, scheduleSmall } from "./small-cib";

const nodes = ["alder", "birch", "cedar", "dahlia"];
const resources = `<primitive id="db" class="ocf" provider="heartbeat" type="Dummy"/><primitive id="app" class="ocf" provider="heartbeat" type="Dummy"/>`;
const location = (rsc: string, node: string, score: string) => `<rsc_location id="${rsc}-${node}" rsc="${rsc}" node="${node}" score="${score}"/>`;
const byRack = (score: string) => `<rsc_colocation id="app-with-db" rsc="app" with-rsc="db" node-attribute="rack" score="${score}"/>`;

function run(constraints: string, southOfDahlia = "south"): Record<string, unknown>[] {
  return scheduleSmall({
    nodes, resources, constraints,
    transient: { alder: { rack: "north" }, birch: { rack: "north" }, cedar: { rack: "south" }, dahlia: { rack: southOfDahlia } },
  });
}

describe("a colocation by node attribute", () => {
  it("lets the dependent run on another node with the primary's value (mandatory)", () => {
    const actual = run(location("db", "alder", "INFINITY") + location("app", "alder", "-INFINITY") + location("app", "dahlia", "20") + byRack("INFINITY"));
    expect(sameActions(actual, [{ action: "start", resource: "db", node: "alder" }, { action: "start", resource: "app", node: "birch" }]), JSON.stringify(actual)).toBe(true);
  });

  it("adds an optional score on every node with the primary's value", () => {
    const actual = run(location("db", "alder", "INFINITY") + location("app", "alder", "-INFINITY") + location("app", "dahlia", "20") + byRack("100"));
    expect(sameActions(actual, [{ action: "start", resource: "db", node: "alder" }, { action: "start", resource: "app", node: "birch" }]), JSON.stringify(actual)).toBe(true);
  });

  it("takes the primary to a node whose value the dependent can run with, comparing values without case", () => {
    const appOnlyOnDahlia = location("app", "dahlia", "INFINITY") + ["alder", "birch", "cedar"].map((node) => location("app", node, "-INFINITY")).join("");
    const actual = run(location("db", "alder", "10") + location("db", "dahlia", "-INFINITY") + appOnlyOnDahlia + byRack("INFINITY"), "South");
    expect(sameActions(actual, [{ action: "start", resource: "db", node: "cedar" }, { action: "start", resource: "app", node: "dahlia" }]), JSON.stringify(actual)).toBe(true);
  });

  it("promotes, for a Promoted role colocated with a primitive, an instance on a node with the primary's value", () => {
    const stateful = `class="ocf" provider="pacemaker" type="Stateful"`;
    const promotable = `<clone id="P"><meta_attributes id="pm"><nvpair id="pm1" name="promotable" value="true"/><nvpair id="pm2" name="promoted-max" value="1"/><nvpair id="pm3" name="clone-max" value="2"/></meta_attributes><primitive id="p" ${stateful}/></clone>`;
    const actual = scheduleSmall({
      nodes: ["alder", "birch", "cedar"],
      resources: `<primitive id="db" class="ocf" provider="heartbeat" type="Dummy"/>${promotable}`,
      constraints: location("db", "alder", "INFINITY") + location("P", "alder", "-INFINITY") + `<rsc_colocation id="promoted-with-db" rsc="P" rsc-role="Promoted" with-rsc="db" node-attribute="rack" score="INFINITY"/>`,
      history: { alder: history("db", [record("db", "start", { call: 1 })]), birch: history("p", [record("p", "start", { call: 1 })], stateful), cedar: history("p", [record("p", "start", { call: 1 })], stateful) },
      transient: { alder: { rack: "north" }, birch: { rack: "north", "master-p": "5" }, cedar: { rack: "south", "master-p": "10" } },
    });
    expect(sameActions(actual, [{ action: "promote", resource: "p:0", node: "birch", from_role: "Unpromoted", to_role: "Promoted" }]), JSON.stringify(actual)).toBe(true);
  });
});
