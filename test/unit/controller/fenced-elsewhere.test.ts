// A node where a stop failed is fenced for it. When the DC that saw the failure could not fence
// (it lost quorum) and the other partition's DC fenced that node meanwhile, the first DC learns
// of that fencing at the next join: the rebooted node is not fenced a second time when the
// partitions meet again (simulator seed 98 at the 500 ms default heartbeat).
import { describe, expect, it } from "vitest";
import type { Cib } from "../../../src/cib";
import { clusterCib } from "./fixtures";
import { ControllerWorld } from "./harness";

function cibOf(names: string[], epoch: number, vipOn: string): Cib {
  const cib = clusterCib(names, { epoch, resources: ["vip"] });
  cib.constraints = [{ kind: "location", id: "prefer", rsc: "vip", node: vipOn, score: "INFINITY", rules: [], extra: {} }];
  return cib;
}

describe("a failed stop whose node another DC fenced meanwhile", () => {
  it("does not fence the rebooted node again when the partitions meet", () => {
    const names = ["n1", "n2", "n3"];
    const world = new ControllerWorld(names, cibOf(names, 3, "n3"));
    world.view(1, names);
    world.run(3000);
    expect(world.node("n1").controller.isDc).toBe(true);
    expect(world.activeNodes("vip")).toEqual(["n3"]);
    // vip is moved to n2; its stop fails on n3. n1 asks for n3's fencing, which fails: n1 is cut
    // off alone (without quorum).
    world.autoFence = false;
    world.failStop.add("vip@n3");
    world.feed(world.node("n1"), { kind: "client", nowMs: world.nowMs, clientId: 1, request: { kind: "cib-replace", base: "0.3.0", cib: JSON.parse(JSON.stringify(cibOf(names, 3, "n2"))) } });
    world.run(1000);
    expect(world.fences.map((fence) => `${fence.by}>${fence.target}`)).toEqual(["n1>n3"]);
    world.view(2, ["n1"], false);
    world.completeFence(world.node("n1"), 0, false);
    world.view(2, ["n2", "n3"], false);
    world.run(3000);
    // n2, DC of the quorate half, fences n3 for the failed stop n3 reports; n3 reboots.
    const byN2 = world.fences.findIndex((fence) => fence.by === "n2" && fence.target === "n3");
    expect(byN2).toBeGreaterThanOrEqual(0);
    world.completeFence(world.node("n2"), byN2, true);
    world.view(3, ["n2"], false);
    world.run(1000);
    world.boot("n3");
    world.failStop.clear();
    // n1 and n2 meet (n1 stays the DC and learns of n2's fencing; without quorum yet, as in the
    // simulator's run), then n3 comes back and the three are quorate.
    world.view(4, ["n1", "n2"], false);
    world.run(3000);
    expect(world.node("n1").controller.isDc).toBe(true);
    const fencesBefore = world.fences.length;
    world.view(5, names, true);
    world.run(3000);
    expect(world.fences.slice(fencesBefore).map((fence) => `${fence.by}>${fence.target}`)).toEqual([]);
    expect(world.activeNodes("vip")).toEqual(["n2"]);
  });
});
