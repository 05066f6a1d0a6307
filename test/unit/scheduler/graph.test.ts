// The graph the scheduler emits (and the DC runs): the orderings Pacemaker adds between
// operations, each shown on a small cluster of our own.
import { describe, expect, it } from "vitest";
import { importCibXml } from "../../../src/cib";
import { schedule, type GraphOperation } from "../../../src/scheduler";
import { before } from "./small-cib";

const dummy = (id: string, meta = "") => `<primitive id="${id}" class="ocf" provider="heartbeat" type="Dummy">${meta}</primitive>`;
const meta = (id: string, pairs: Record<string, string>) => `<meta_attributes id="${id}-meta">${Object.entries(pairs).map(([name, value]) => `<nvpair id="${id}-${name}" name="${name}" value="${value}"/>`).join("")}</meta_attributes>`;
const started = (rsc: string, call = 1) => `<lrm_resource id="${rsc}" class="ocf" provider="heartbeat" type="Dummy"><lrm_rsc_op id="${rsc}-start" operation="start" call-id="${call}" rc-code="0" op-status="0" interval="0"/></lrm_resource>`;
const node = (id: string, name: string, lrm = "", up = true) => `<node_state id="${id}" uname="${name}" in_ccm="${up}" crmd="${up ? "online" : "offline"}" join="member" expected="member"><lrm id="${id}"><lrm_resources>${lrm}</lrm_resources></lrm></node_state>`;

function graphOf(resources: string, constraints: string, status: string, options: Record<string, string> = { "stonith-enabled": "false" }, nodes = ["a", "b"]): GraphOperation[] {
  const properties = Object.entries(options).map(([name, value]) => `<nvpair id="o-${name}" name="${name}" value="${value}"/>`).join("");
  const xml = `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="1" dc-uuid="1"><configuration><crm_config><cluster_property_set id="o">${properties}</cluster_property_set></crm_config>
    <nodes>${nodes.map((name, index) => `<node id="${index + 1}" uname="${name}"/>`).join("")}</nodes><resources>${resources}</resources><constraints>${constraints}</constraints></configuration><status>${status}</status></cib>`;
  return schedule(importCibXml(xml, "graph").cib, { now: 0 }).operations;
}
const find = (operations: GraphOperation[], kind: string, resource: string, node?: string) => {
  const found = operations.find((operation) => operation.kind === kind && operation.resource === resource && (node === undefined || operation.node === node));
  expect(found, `${kind} ${resource} ${node ?? ""}`).toBeDefined();
  return found!;
};
describe("the scheduler's graph", () => {
  it("an optional order puts then's start after first's start when both start", () => {
    const operations = graphOf(dummy("A") + dummy("B"), `<rsc_order id="o" first="A" then="B" kind="Optional"/>`, node("1", "a") + node("2", "b"));
    expect(before(operations, find(operations, "start", "A"), find(operations, "start", "B"))).toBe(true);
  });

  it("an optional order binds nothing when first does not act", () => {
    const operations = graphOf(dummy("A") + dummy("B"), `<rsc_order id="o" first="A" then="B" kind="Optional"/><rsc_location id="l" rsc="A" node="a" score="100"/>`, node("1", "a", started("A")) + node("2", "b"));
    expect(operations.map((operation) => `${operation.kind} ${operation.resource}`)).toEqual(["start B"]);
    expect(find(operations, "start", "B").after).toEqual([]);
  });

  it("a symmetrical order stops then before first; symmetrical=false does not", () => {
    const status = node("1", "a", started("A") + started("B", 2)) + node("2", "b");
    const away = `<rsc_location id="la" rsc="A" node="a" score="-INFINITY"/><rsc_location id="lb" rsc="B" node="a" score="-INFINITY"/>`;
    const symmetric = graphOf(dummy("A") + dummy("B"), `<rsc_order id="o" first="A" then="B"/>${away}`, status);
    expect(before(symmetric, find(symmetric, "stop", "B"), find(symmetric, "stop", "A"))).toBe(true);
    const asymmetric = graphOf(dummy("A") + dummy("B"), `<rsc_order id="o" first="A" then="B" symmetrical="false"/>${away}`, status);
    expect(before(asymmetric, find(asymmetric, "stop", "B"), find(asymmetric, "stop", "A"))).toBe(false);
    expect(before(asymmetric, find(asymmetric, "start", "A"), find(asymmetric, "start", "B"))).toBe(true);
  });

  // crm_simulate 2.1.5 on this cluster: B-clone's start pseudo-action waits for A-clone's running
  // one with interleave too, so B:0 on a starts after A:1 on b has started.
  it("clone to clone, interleaved or not: every instance of then starts after every instance of first that starts", () => {
    const clone = (id: string, interleave: boolean) => `<clone id="${id}-clone">${meta(`${id}-clone`, { interleave: String(interleave) })}${dummy(id)}</clone>`;
    for (const interleave of [true, false]) {
      const operations = graphOf(clone("A", interleave) + clone("B", interleave), `<rsc_order id="o" first="A-clone" then="B-clone"/>`, node("1", "a") + node("2", "b"));
      const startA = (name: string) => operations.find((operation) => operation.kind === "start" && operation.resource?.startsWith("A:") && operation.node === name)!;
      const startB = (name: string) => operations.find((operation) => operation.kind === "start" && operation.resource?.startsWith("B:") && operation.node === name)!;
      expect(before(operations, startA("a"), startB("a"))).toBe(true);
      expect(before(operations, startA("b"), startB("a"))).toBe(true);
    }
  });

  it("a clone stops every instance before it starts any", () => {
    const clone = `<clone id="C-clone">${meta("C-clone", { "clone-max": "1" })}${dummy("C")}</clone>`;
    const operations = graphOf(clone + dummy("X"), `<rsc_location id="l" rsc="C-clone" node="a" score="-INFINITY"/>`, node("1", "a", started("C")) + node("2", "b"));
    expect(before(operations, find(operations, "stop", "C:0", "a"), find(operations, "start", "C:0", "b"))).toBe(true);
  });

  // crm_simulate 2.1.5 on this cluster: A:2's stop on c comes before A:0's on a, though A:1 on b does nothing.
  it("an ordered clone stops its instances in reverse number order, passing over those with nothing to do", () => {
    const clone = `<clone id="C">${meta("C", { ordered: "true" })}${dummy("A")}</clone>`;
    const away = `<rsc_location id="la" rsc="C" node="a" score="-INFINITY"/><rsc_location id="lc" rsc="C" node="c" score="-INFINITY"/>`;
    const operations = graphOf(clone, away, node("1", "a", started("A")) + node("2", "b", started("A")) + node("3", "c", started("A")), { "stonith-enabled": "false" }, ["a", "b", "c"]);
    const stopOn = (name: string) => operations.find((operation) => operation.kind === "stop" && operation.node === name)!;
    expect(operations.filter((operation) => operation.kind === "stop").map((operation) => `${operation.resource} ${operation.node}`).sort()).toEqual(["A:0 a", "A:2 c"]);
    expect(before(operations, stopOn("c"), stopOn("a"))).toBe(true);
  });

  it("a group stops all its members before it starts any, and starts them in order", () => {
    const operations = graphOf(`<group id="G">${dummy("G1")}${dummy("G2")}</group>`, `<rsc_location id="l" rsc="G" node="a" score="-INFINITY"/>`, node("1", "a", started("G1") + started("G2", 2)) + node("2", "b"));
    expect(before(operations, find(operations, "stop", "G2"), find(operations, "stop", "G1"))).toBe(true);
    expect(before(operations, find(operations, "stop", "G1"), find(operations, "start", "G1"))).toBe(true);
    expect(before(operations, find(operations, "start", "G1"), find(operations, "start", "G2"))).toBe(true);
  });

  // crm_simulate 2.1.5 on this cluster: with ordered=false G1, G2 and G3 stop at once and start at once, every
  // start after every stop; with ordered=true G3 stops before G2, G1 starts before G2.
  it("a group with ordered=false does not chain its members, but still stops them all before starting any", () => {
    for (const ordered of ["false", "true"]) {
      const group = `<group id="G">${meta("G", { ordered })}${dummy("G1")}${dummy("G2")}${dummy("G3")}</group>`;
      const operations = graphOf(group, `<rsc_location id="l" rsc="G" node="a" score="-INFINITY"/>`, node("1", "a", started("G1") + started("G2", 2) + started("G3", 3)) + node("2", "b"));
      expect(before(operations, find(operations, "stop", "G3"), find(operations, "stop", "G2")), ordered).toBe(ordered === "true");
      expect(before(operations, find(operations, "start", "G1"), find(operations, "start", "G2")), ordered).toBe(ordered === "true");
      expect(before(operations, find(operations, "stop", "G1"), find(operations, "start", "G3")), ordered).toBe(true);
    }
  });

  // crm_simulate 2.1.5 on this cluster: only G2 and G4 run; G1 and G3 start, so G2 and G4 restart, and G4 stops before G2.
  it("a partly active group stops its active members in reverse order across inactive ones", () => {
    const group = `<group id="G">${dummy("G1")}${dummy("G2")}${dummy("G3")}${dummy("G4")}</group>`;
    const operations = graphOf(group, `<rsc_location id="l" rsc="G" node="a" score="100"/>`, node("1", "a", started("G2") + started("G4", 2)) + node("2", "b"));
    expect(before(operations, find(operations, "stop", "G4", "a"), find(operations, "stop", "G2", "a"))).toBe(true);
  });

  // crm_simulate 2.1.5 on this cluster: S is found Promoted on a and running on b; it moves to c, demoted on a and on b first.
  it("a primitive found Promoted on one of several nodes is demoted on every node before it stops", () => {
    const probed = (rc: number) => `<lrm_resource id="S" class="ocf" provider="pacemaker" type="Stateful"><lrm_rsc_op id="S-probe" operation="monitor" call-id="1" rc-code="${rc}" op-status="0" interval="0"/></lrm_resource>`;
    const stateful = `<primitive id="S" class="ocf" provider="pacemaker" type="Stateful"/>`;
    const operations = graphOf(stateful, `<rsc_location id="l" rsc="S" node="c" score="100"/>`, node("1", "a", probed(8)) + node("2", "b", probed(0)) + node("3", "c", probed(7)), { "stonith-enabled": "false" }, ["a", "b", "c"]);
    expect(operations.filter((operation) => operation.kind === "demote").map((operation) => operation.node).sort()).toEqual(["a", "b"]);
    expect(before(operations, find(operations, "demote", "S", "b"), find(operations, "stop", "S", "b"))).toBe(true);
  });

  // crm_simulate 2.1.5 on this cluster: "Promote S:1 (Stopped -> Promoted a) (blocked)" in the summary, and "S:1 start on a" in the graph.
  it("an instance whose promotion a colocation with an unrunnable primary blocks still starts", () => {
    const promotable = `<clone id="P">${meta("P", { promotable: "true" })}<primitive id="S" class="ocf" provider="pacemaker" type="Stateful"/></clone>`;
    const constraints = `<rsc_location id="l3a" rsc="R3" node="a" score="-INFINITY"/><rsc_location id="l3b" rsc="R3" node="b" score="-INFINITY"/><rsc_order id="o" first="R3" then="R1"/>
      <rsc_colocation id="c" rsc="P" rsc-role="Promoted" with-rsc="R1" score="INFINITY"/><rsc_location id="l1" rsc="R1" node="a" score="10"/>`;
    const graph = schedule(importCibXml(`<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="1"><configuration><crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
      <nodes><node id="1" uname="a"/><node id="2" uname="b"/></nodes><resources>${dummy("R1")}${dummy("R3")}${promotable}</resources><constraints>${constraints}</constraints></configuration><status>${node("1", "a") + node("2", "b")}</status></cib>`, "graph").cib, { now: 0 });
    expect(graph.actions.find((action) => action.action === "promote")?.blocked).toBe(true);
    expect(graph.operations.filter((operation) => operation.kind === "start").map((operation) => operation.node).sort()).toEqual(["a", "b"]);
    expect(graph.operations.some((operation) => operation.kind === "promote")).toBe(false);
  });

  it("fences one after another, the DC's last, and every start that requires fencing after all of them", () => {
    const operations = graphOf(dummy("A") + dummy("B"), "", node("1", "a", "", false) + node("2", "b", started("A"), false) + node("3", "c"), { "stonith-enabled": "true" }, ["a", "b", "c"]);
    const fences = operations.filter((operation) => operation.kind === "fence");
    expect(fences.map((fence) => fence.node)).toEqual(["a", "b"]);
    expect(before(operations, find(operations, "fence" as never, undefined as never, "b"), fences.find((fence) => fence.node === "a")!)).toBe(true);
    for (const start of operations.filter((operation) => operation.kind === "start")) for (const fence of fences) expect(before(operations, fence, start)).toBe(true);
    // The stop of A on the fenced node is done by the fence: it is no operation.
    expect(operations.some((operation) => operation.kind === "stop")).toBe(false);
  });

  // crm_simulate 2.1.5 on this cluster: A's stop on a is a pseudo-action after the fence, and B's stop waits for it.
  it("what waits for a stop that fencing implies waits for the fence", () => {
    const device = `<primitive id="fence" class="stonith" type="fence_dummy"/>`;
    const orders = `<rsc_order id="o" first="A" first-action="stop" then="B" then-action="stop"/><rsc_location id="l" rsc="B" node="b" score="100"/>`;
    const operations = graphOf(device + dummy("A") + dummy("B"), orders, node("1", "a", started("A"), false) + node("2", "b", started("B") + started("fence", 2)) + node("3", "c"), { "stonith-enabled": "true" }, ["a", "b", "c"]);
    const fence = operations.find((operation) => operation.kind === "fence" && operation.node === "a")!;
    expect(before(operations, fence, find(operations, "stop", "B", "b"))).toBe(true);
  });

  // crm_simulate 2.1.5 on these clusters: A:1's stop on b waits for the fence of a through the clone's stop
  // pseudo-action; with requires=quorum the implied stop is not ordered after the fence, nor is anything else.
  it("a clone's stop on a healthy node waits for the fencing of a node where an instance that requires fencing ran", () => {
    const device = `<primitive id="fence" class="stonith" type="fence_dummy"/>`;
    for (const requires of ["fencing", "quorum"]) {
      const clone = `<clone id="C">${dummy("A", meta("A", { requires }))}</clone>`;
      const constraints = `<rsc_location id="l" rsc="C" node="b" score="-INFINITY"/><rsc_location id="f" rsc="fence" node="c" score="100"/>`;
      const operations = graphOf(device + clone, constraints, node("1", "a", started("A"), false) + node("2", "b", started("A")) + node("3", "c", started("A") + started("fence", 2)), { "stonith-enabled": "true" }, ["a", "b", "c"]);
      const fence = operations.find((operation) => operation.kind === "fence" && operation.node === "a")!;
      const stop = operations.find((operation) => operation.kind === "stop" && operation.resource?.startsWith("A:") && operation.node === "b")!;
      expect(stop, requires).toBeDefined();
      expect(before(operations, fence, stop), requires).toBe(requires === "fencing");
    }
  });

  it("concurrent-fencing lets fences run together (the DC's still last)", () => {
    const operations = graphOf(dummy("A"), "", node("1", "a") + node("2", "b", "", false) + node("3", "c", "", false), { "stonith-enabled": "true", "concurrent-fencing": "true" }, ["a", "b", "c"]);
    expect(operations.filter((operation) => operation.kind === "fence").map((fence) => fence.after)).toEqual([[], []]);
  });

  // crm_simulate 2.1.5 on this cluster: no summary line for A, but "A start on a" in the graph, before B's start.
  it("runs a start still pending in the history again where the resource stays, and what follows it waits for it", () => {
    const pending = `<lrm_resource id="A" class="ocf" provider="heartbeat" type="Dummy"><lrm_rsc_op id="A-start" operation="start" call-id="-1" rc-code="193" op-status="-1" interval="0"/></lrm_resource>`;
    const xml = (status: string) => `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="1"><configuration><crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
      <nodes><node id="1" uname="a"/><node id="2" uname="b"/></nodes><resources>${dummy("A")}${dummy("B")}</resources><constraints><rsc_order id="o" first="A" then="B"/></constraints></configuration><status>${status}</status></cib>`;
    const graph = schedule(importCibXml(xml(node("1", "a", pending) + node("2", "b")), "graph").cib, { now: 0 });
    expect(graph.actions.filter((action) => action.resource === "A")).toEqual([]);
    expect(before(graph.operations, find(graph.operations, "start", "A", "a"), find(graph.operations, "start", "B"))).toBe(true);
  });

  // crm_simulate 2.1.5 on this cluster: "Restart A (a)" in the summary, but only "A stop on b" runs; A's start on a is a pseudo-action.
  it("multiple-active=stop_unexpected stops only the unexpected copies, and what follows the restart waits for them", () => {
    const a = dummy("A", meta("A", { "multiple-active": "stop_unexpected" }));
    const constraints = `<rsc_location id="la" rsc="A" node="a" score="100"/><rsc_location id="lb" rsc="B" node="a" score="100"/><rsc_order id="o" first="A" then="B"/>`;
    const operations = graphOf(a + dummy("B"), constraints, node("1", "a", started("A") + started("B", 2)) + node("2", "b", started("A")));
    expect(operations.filter((operation) => operation.resource === "A").map((operation) => `${operation.kind} ${operation.node}`)).toEqual(["stop b"]);
    expect(before(operations, find(operations, "stop", "A", "b"), find(operations, "start", "B", "a"))).toBe(true);
  });

  // crm_simulate 2.1.5 on this cluster: with placement-strategy=utilization, B's start on a waits for
  // load_stopped_a, which waits for A's stop on a; with the default strategy it waits for nothing.
  it("with a placement strategy, what stops on a node frees its capacity before what starts there", () => {
    const used = (id: string) => `<primitive id="${id}" class="ocf" provider="heartbeat" type="Dummy"><utilization id="${id}-u"><nvpair id="${id}-u1" name="cpu" value="1"/></utilization></primitive>`;
    const constraints = `<rsc_location id="la" rsc="A" node="a" score="-INFINITY"/><rsc_location id="lb" rsc="B" node="a" score="100"/>`;
    for (const strategy of ["utilization", "default"]) {
      const properties = `<cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="false"/><nvpair id="o2" name="placement-strategy" value="${strategy}"/></cluster_property_set>`;
      const capacity = (id: string, name: string) => `<node id="${id}" uname="${name}"><utilization id="u${id}"><nvpair id="u${id}-1" name="cpu" value="1"/></utilization></node>`;
      const xml = `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="1"><configuration><crm_config>${properties}</crm_config><nodes>${capacity("1", "a")}${capacity("2", "b")}</nodes>
        <resources>${used("A")}${used("B")}</resources><constraints>${constraints}</constraints></configuration><status>${node("1", "a", started("A")) + node("2", "b")}</status></cib>`;
      const operations = schedule(importCibXml(xml, "graph").cib, { now: 0 }).operations;
      expect(before(operations, find(operations, "stop", "A", "a"), find(operations, "start", "B", "a")), strategy).toBe(strategy !== "default");
    }
  });

  it("a mandatory anti-colocation stops one before the other starts on the same node", () => {
    const operations = graphOf(dummy("A") + dummy("B"), `<rsc_colocation id="c" rsc="A" with-rsc="B" score="-INFINITY"/><rsc_location id="la" rsc="A" node="a" score="100"/><rsc_location id="lb" rsc="B" node="a" score="200"/>`, node("1", "a", started("A")) + node("2", "b"));
    expect(before(operations, find(operations, "stop", "A", "a"), find(operations, "start", "B", "a"))).toBe(true);
  });
});

describe("fencing devices, which require only quorum", () => {
  // crm_simulate 2.1.5 on these clusters: the instance that starts on c is not the one whose history is on a.
  // A cloned primitive counts as known where any instance is; a member of a cloned group only by its own
  // instance's history, so its start waits for the fence of a.
  it("start after the fencing of a node where their own instance's state is unknown", () => {
    const device = (id: string) => `<primitive id="${id}" class="stonith" type="fence_dummy"/>`;
    const probed = (rsc: string) => `<lrm_resource id="${rsc}" class="stonith" type="fence_dummy"><lrm_rsc_op id="${rsc}-probe" operation="monitor" call-id="1" rc-code="7" op-status="0" interval="0"/></lrm_resource>`;
    for (const grouped of [true, false]) {
      const members = grouped ? ["D1", "D2"] : ["D1"];
      const child = grouped ? `<group id="G">${members.map(device).join("")}</group>` : device("D1");
      const clone = `<clone id="C">${meta("C", { "clone-max": "2" })}${child}</clone>`;
      const running = members.map((id, index) => started(id, index + 2)).join("");
      const operations = graphOf(clone, "", node("1", "a", running, false) + node("2", "b", running) + node("3", "c", members.map(probed).join("")), { "stonith-enabled": "true" }, ["a", "b", "c"]);
      const fence = operations.find((operation) => operation.kind === "fence" && operation.node === "a")!;
      const start = operations.find((operation) => operation.kind === "start" && operation.resource?.startsWith("D1:") && operation.node === "c")!;
      expect(start, `grouped ${grouped}`).toBeDefined();
      expect(before(operations, fence, start), `grouped ${grouped}`).toBe(grouped);
    }
  });
});

describe("fencing first, whatever a resource requires", () => {
  it("a resource with requires=nothing or quorum still starts only after every fence (DESIGN invariant 5)", () => {
    const relaxed = (id: string, requires: string) => `<primitive id="${id}" class="ocf" provider="heartbeat" type="Dummy"><meta_attributes id="${id}-m"><nvpair id="${id}-m1" name="requires" value="${requires}"/></meta_attributes></primitive>`;
    const operations = graphOf(relaxed("N", "nothing") + relaxed("Q", "quorum"), "", node("1", "a") + node("2", "b", started("N") + started("Q", 2), false) + node("3", "c"), { "stonith-enabled": "true" }, ["a", "b", "c"]);
    const fence = operations.find((operation) => operation.kind === "fence")!;
    for (const start of operations.filter((operation) => operation.kind === "start")) expect(before(operations, fence, start)).toBe(true);
  });
});
