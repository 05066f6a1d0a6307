// Unfencing as a step of the graph the DC runs: a node not unfenced yet where a device that
// provides unfencing (fence_scsi) can reach it gets a "fence on" step, ordered before the
// starts there of what needs unfencing (and of fencing devices), not before what says
// requires=quorum nor before anything on other nodes; the DC runs it through the fencer as an
// "on" (the node is let in, not taken down), records it (#node-unfenced) and does not repeat it.
// The scheduler's conditions are Pacemaker's: a node never unfenced where something that needs
// unfencing is still to be probed (here: n2 has not probed web yet), or is to start there (the
// running cluster, where every node has probed: each node that starts the device or a resource
// that needs unfencing is unfenced first).
import { describe, expect, it } from "vitest";
import { importCibXml, type Cib } from "../../../src/cib";
import { compileTransition, readySteps } from "../../../src/controller";
import { schedule } from "../../../src/scheduler";
import { ControllerWorld } from "./harness";

const unfenced = (id: string) => `<transient_attributes id="t${id}"><instance_attributes id="ta${id}"><nvpair id="tn${id}" name="#node-unfenced" value="1700000000"/></instance_attributes></transient_attributes>`;
const state = (id: string, name: string, extra = "") => `<node_state id="${id}" uname="${name}" in_ccm="true" crmd="online" join="member" expected="member">${extra}</node_state>`;

function configuration(status: string): Cib {
  return importCibXml(`<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="1"><configuration><crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="true"/></cluster_property_set></crm_config>
    <nodes><node id="1" uname="n1"/><node id="2" uname="n2"/><node id="3" uname="n3"/></nodes>
    <resources>
      <primitive id="scsi" class="stonith" type="fence_scsi"><instance_attributes id="si"><nvpair id="si1" name="devices" value="/dev/sdz"/><nvpair id="si2" name="pcmk_host_list" value="n1 n2 n3"/></instance_attributes><meta_attributes id="sm"><nvpair id="sm1" name="provides" value="unfencing"/></meta_attributes></primitive>
      <primitive id="web" class="ocf" provider="heartbeat" type="Dummy"/>
      <primitive id="db" class="ocf" provider="heartbeat" type="Dummy"/>
      <primitive id="quorum-only" class="ocf" provider="heartbeat" type="Dummy"><meta_attributes id="qm"><nvpair id="qm1" name="requires" value="quorum"/></meta_attributes></primitive>
    </resources>
    <constraints><rsc_location id="l-scsi" rsc="scsi" node="n1" score="INFINITY"/><rsc_location id="l-web" rsc="web" node="n2" score="INFINITY"/><rsc_location id="l-db" rsc="db" node="n3" score="INFINITY"/><rsc_location id="l-q" rsc="quorum-only" node="n2" score="INFINITY"/></constraints></configuration>
    <status>${status}</status></cib>`, "unfencing").cib;
}

/**
 * Three nodes with no status yet, web not probed on n2, run for 10 s: the DC unfences each
 * node that needs it before what waits for it starts.
 */
function unfencedAtStart(): ControllerWorld {
  const configured = configuration("");
  configured.status = [];
  const world = new ControllerWorld(["n1", "n2", "n3"], configured);
  world.unprobed.add("web@n2");
  world.view(1, ["n1", "n2", "n3"]);
  world.run(10_000);
  return world;
}

describe("unfencing in the transition", () => {
  it("is a fence-on step before the starts there of what needs it, and before nothing else", () => {
    const cib = configuration(state("1", "n1", unfenced("1")) + state("2", "n2") + state("3", "n3", unfenced("3")));
    const transition = compileTransition(1, schedule(cib, { now: 0 }));
    const describe = (id: number) => { const step = transition.steps[id]!; return `${step.kind} ${step.resource ?? ""} ${step.node} ${step.fenceAction ?? ""}`.replace(/\s+/g, " ").trim(); };
    const unfence = transition.steps.filter((step) => step.kind === "fence");
    expect(unfence.map((step) => describe(step.id))).toEqual(["fence n2 on"]);
    const startOf = (resource: string) => transition.steps.find((step) => step.kind === "start" && step.resource === resource)!;
    expect(startOf("web").after).toContain(unfence[0]!.id);
    expect(startOf("web").node).toBe("n2");
    expect(startOf("db").after).not.toContain(unfence[0]!.id);
    expect(startOf("quorum-only").after).not.toContain(unfence[0]!.id);
    // Ready at once: the unfencing, and what does not wait for it (db on n3, quorum-only on n2, the device on n1).
    expect(readySteps(transition).map((step) => describe(step.id)).sort()).toEqual(["fence n2 on", "start db n3", "start quorum-only n2", "start scsi n1"]);
  });

  it("is not planned for a node unfenced already", () => {
    const cib = configuration(state("1", "n1", unfenced("1")) + state("2", "n2", unfenced("2")) + state("3", "n3", unfenced("3")));
    expect(compileTransition(1, schedule(cib, { now: 0 })).steps.filter((step) => step.kind === "fence")).toEqual([]);
  });

  it("the DC runs it through the fencer as 'on', starts what waits for it afterwards, keeps the node up, and records it", () => {
    const world = unfencedAtStart();
    // Each node is unfenced once, by an "on" (nobody is fenced, nobody goes down): n2 for web, n1
    // for the device, n3 for db; not for quorum-only.
    expect(world.fences.map((fence) => `${fence.action} ${fence.target}`).sort()).toEqual(["on n1", "on n2", "on n3"]);
    expect(world.fenced).toEqual([]);
    expect(world.nodes.every((node) => node.up)).toBe(true);
    // What needs unfencing started after its node's unfencing; quorum-only did not wait for it.
    const start = (resource: string) => world.starts.find((each) => each.resource === resource)!;
    expect(start("web")).toMatchObject({ node: "n2" });
    expect(start("web").unfencedBefore).toContain("n2");
    expect(start("db").unfencedBefore).toContain("n3");
    expect(start("scsi").unfencedBefore).toContain("n1");
    expect(world.node("n1").controller.summary?.resources.find((resource) => resource.id === "web")).toMatchObject({ nodes: ["n2"] });
    // Recorded: later transitions do not unfence again, and the history says "on".
    world.run(20_000);
    expect(world.fences).toHaveLength(3);
    expect(world.node("n1").fenceHistory?.filter((entry) => entry.action === "on" && entry.state === "done").map((entry) => entry.target).sort()).toEqual(["n1", "n2", "n3"]);
  });

  it("a new DC does not unfence again the nodes the old DC unfenced (the summary carries #node-unfenced)", () => {
    const world = unfencedAtStart();
    expect(world.fences.map((fence) => `${fence.action} ${fence.target}`).sort()).toEqual(["on n1", "on n2", "on n3"]);
    const dc = world.nodes.find((node) => node.controller.dcName === node.name)!;
    const survivors = world.nodes.filter((node) => node !== dc).map((node) => node.name);
    expect(world.node(survivors[0]!).controller.summary?.nodes.filter((node) => node.unfencedAt !== undefined).map((node) => node.name).sort()).toEqual(["n1", "n2", "n3"]);
    // The DC is lost: the survivors elect another, which fences it and moves what ran there (the device among them).
    dc.up = false;
    world.view(2, survivors);
    world.run(20_000);
    const newDc = world.nodes.find((node) => node.up && node.controller.dcName === node.name)!;
    expect(newDc.name).not.toBe(dc.name);
    expect(world.fences.filter((fence) => fence.action !== "on").map((fence) => fence.target)).toEqual([dc.name]);
    // The survivors were unfenced once, by the old DC; the new one did not do it again.
    expect(world.fences.filter((fence) => fence.action === "on").map((fence) => fence.target).sort()).toEqual(["n1", "n2", "n3"]);
    expect(world.starts.filter((each) => each.resource === "scsi").map((each) => each.node)).toContain(newDc.controller.summary?.resources.find((resource) => resource.id === "scsi")?.nodes[0]);
  });

  it("a failed unfencing holds back what waits for it, and is tried again", () => {
    const configured = configuration("");
    configured.status = [];
    const world = new ControllerWorld(["n1", "n2", "n3"], configured);
    world.unprobed.add("web@n2");
    world.autoFence = false;
    world.view(1, ["n1", "n2", "n3"]);
    world.run(3000);
    const first = world.fences.findIndex((fence) => fence.target === "n2" && fence.action === "on");
    expect(first).toBeGreaterThanOrEqual(0);
    // The other nodes' unfencing succeeds; n2's fails.
    world.fences.forEach((fence, index) => { if (index !== first) world.completeFence(world.node("n1"), index, true); });
    world.completeFence(world.node("n1"), first, false);
    world.run(3000);
    expect(world.starts.some((each) => each.resource === "web")).toBe(false);
    expect(world.nodes.every((node) => node.up)).toBe(true);
    world.run(60_000);
    expect(world.fences.filter((fence) => fence.target === "n2" && fence.action === "on").length).toBeGreaterThan(1);
  });
});
