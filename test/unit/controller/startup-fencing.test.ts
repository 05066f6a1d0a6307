// Startup fencing (Pacemaker's startup-fencing=true, the default): with fencing on, a DC
// that has learned nothing of a node since its own agent started takes it for unclean and
// fences it before starting anything that node might run.
//
// Scenario (simulator seed 393): three nodes, fencing on; vip runs on n1. n1's agent is
// killed (vip keeps running there) while n2 reboots; n2 becomes DC of {n2, n3} without ever
// having seen n1. vip must not start on n2 or n3 before n1 is fenced.
import { describe, expect, it } from "vitest";
import { emptyCib, type Cib } from "../../../src/cib";
import { ControllerWorld } from "./harness";

function trioCib(startupFencing?: boolean): Cib {
  const cib = emptyCib();
  cib.version = { adminEpoch: 0, epoch: 3, numUpdates: 0 };
  cib.properties = [{ id: "cib-bootstrap-options", values: { "stonith-enabled": "true", ...(startupFencing === undefined ? {} : { "startup-fencing": String(startupFencing) }) } }];
  cib.nodes = ["n1", "n2", "n3"].map((uname, index) => ({ id: String(index + 1), uname, extra: {}, instance: [], utilization: [] }));
  cib.resources = [{ kind: "primitive", id: "vip", class: "ocf", provider: "heartbeat", type: "Dummy", extra: {}, instance: [], meta: [], operations: [] }];
  cib.constraints = [{ kind: "location", id: "prefer-n1", rsc: "vip", node: "n1", score: "100", rules: [], extra: {} }];
  return cib;
}

function scenario(cib: Cib): ControllerWorld {
  const world = new ControllerWorld(["n1", "n2", "n3"], cib);
  world.view(1, ["n1", "n2", "n3"]);
  world.run(2000);
  expect(world.activeNodes("vip")).toEqual(["n1"]);
  world.autoFence = false;
  world.agentCrash("n1");
  world.boot("n2");
  world.view(2, ["n2", "n3"]);
  world.run(3000);
  return world;
}

describe("startup fencing", () => {
  it("a DC that never saw a node fences it before starting what it might run", () => {
    const world = scenario(trioCib());
    expect(world.node("n2").controller.isDc).toBe(true);
    expect(world.fences.map((fence) => [fence.target, fence.by])).toEqual([["n1", "n2"]]);
    // Nothing started elsewhere meanwhile: vip still runs on n1 only (its agent is dead).
    expect(world.starts).toHaveLength(1);
    world.completeFence(world.node("n2"), 0, true);
    world.run(1000);
    expect(world.activeNodes("vip")).toHaveLength(1);
    expect(world.node("n1").running.has("vip")).toBe(false);
    for (const start of world.starts.slice(1)) expect(start.fencedBefore).toContain("n1");
    expect(world.node("n3").controller.summary?.nodes.find((node) => node.name === "n1")?.state).toBe("offline");
  });

  it("with startup-fencing=false the unseen node is taken for down (the operator's choice)", () => {
    const world = scenario(trioCib(false));
    expect(world.fences).toEqual([]);
    expect(world.activeNodes("vip")).toHaveLength(1);
  });
});
