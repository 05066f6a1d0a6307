// Placement strategies with utilization: capacities of nodes, what resources use, and how
// nodes of equal score are ranked.
import { describe, expect, it } from "vitest";
import { importCibXml } from "../../../src/cib";
import { schedule } from "../../../src/scheduler";

const uses = (id: string, cpu: number, extra = "") => `<primitive id="${id}" class="ocf" provider="heartbeat" type="Dummy">${extra}<utilization id="${id}-u"><nvpair id="${id}-u1" name="cpu" value="${cpu}"/></utilization></primitive>`;
const node = (id: string, name: string, cpu: number) => `<node id="${id}" uname="${name}"><utilization id="${name}-u"><nvpair id="${name}-u1" name="cpu" value="${cpu}"/></utilization></node>`;
const state = (id: string, name: string) => `<node_state id="${id}" uname="${name}" in_ccm="true" crmd="online" join="member" expected="member"/>`;
function run(strategy: string, resources: string, capacities: [number, number], constraints = "") {
  const xml = `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="1"><configuration><crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="false"/><nvpair id="o2" name="placement-strategy" value="${strategy}"/></cluster_property_set></crm_config>
    <nodes>${node("1", "a", capacities[0])}${node("2", "b", capacities[1])}</nodes><resources>${resources}</resources><constraints>${constraints}</constraints></configuration><status>${state("1", "a")}${state("2", "b")}</status></cib>`;
  return Object.fromEntries(schedule(importCibXml(xml, "utilization").cib, { now: 0 }).actions.map((action) => [action.resource, action.blocked ? "blocked" : action.node]));
}

describe("placement-strategy", () => {
  it("utilization: a resource goes only where its capacity is left; one that fits nowhere stays stopped", () => {
    expect(run("utilization", uses("big", 3) + uses("huge", 5), [4, 2])).toEqual({ big: "a" });
  });

  it("a dependent places its primaries by their priority (the higher first), whatever order its colocations are written in", () => {
    const priority = (value: number) => `<meta_attributes id="p${value}"><nvpair id="p${value}-1" name="priority" value="${value}"/></meta_attributes>`;
    const group = `<group id="g"><meta_attributes id="gm"><nvpair id="gm1" name="priority" value="10"/></meta_attributes><primitive id="m1" class="ocf" provider="heartbeat" type="Dummy"/><primitive id="m2" class="ocf" provider="heartbeat" type="Dummy"/></group>`;
    const colocations = `<rsc_colocation id="c1" rsc="m1" with-rsc="low" score="500"/><rsc_colocation id="c2" rsc="g" with-rsc="high" score="500"/>`;
    // Both primaries need all of a's cpu and do not fit on b: only the one placed first runs.
    expect(run("utilization", group + uses("low", 2, priority(1)) + uses("high", 2, priority(5)), [2, 1], colocations)).toEqual({ m1: "a", m2: "a", high: "a" });
  });

  it("default ignores utilization", () => {
    expect(run("default", uses("big", 3) + uses("huge", 5), [4, 2])).toEqual({ big: "a", huge: "b" });
  });

  it("balanced: equal scores go to the node with the most free capacity", () => {
    expect(run("balanced", uses("r1", 1) + uses("r2", 1) + uses("r3", 1), [2, 8])).toEqual({ r1: "b", r2: "b", r3: "b" });
  });

  it("minimal: equal scores fill the first node (by name) before using another", () => {
    expect(run("minimal", uses("r1", 1) + uses("r2", 1) + uses("r3", 1), [2, 8])).toEqual({ r1: "a", r2: "a", r3: "b" });
  });

  it("utilization: a group needs room for all its members on one node", () => {
    expect(run("utilization", `<group id="g">${uses("g1", 2)}${uses("g2", 2)}</group>`, [3, 4])).toEqual({ g1: "b", g2: "b" });
  });

  it("higher priority is placed first and takes the room", () => {
    const priority = `<meta_attributes id="p-m"><nvpair id="p-m1" name="priority" value="10"/></meta_attributes>`;
    expect(run("utilization", uses("low", 3) + uses("high", 3, priority), [3, 0])).toEqual({ high: "a" });
  });
});
