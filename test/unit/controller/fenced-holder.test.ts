// A start tells its agent when every node the resource last ran on was fenced (and confirmed)
// before it: ipaddr then skips its duplicate address detection (issue 21). Only then: an
// initial start, a move of a running group, a failover without fencing and a fence only
// confirmed by hand are not marked. The mark reaches another node's agent through the "op"
// message.
import { describe, expect, it } from "vitest";
import { emptyCib, type Cib, type Primitive } from "../../../src/cib";
import { ControllerWorld } from "./harness";

function primitive(id: string): Primitive {
  return { kind: "primitive", id, class: "ocf", provider: "heartbeat", type: "Dummy", extra: {}, instance: [], meta: [], operations: [] };
}

function clusterCib(names: string[], stonith = true): Cib {
  const cib = emptyCib();
  cib.version = { adminEpoch: 0, epoch: 3, numUpdates: 0 };
  cib.properties = [{ id: "cib-bootstrap-options", values: { "stonith-enabled": String(stonith), "no-quorum-policy": "stop" } }];
  cib.nodes = names.map((name, index) => ({ id: String(index + 1), uname: name, extra: {}, instance: [], utilization: [] }));
  cib.resources = [{ kind: "group", id: "web", extra: {}, instance: [], meta: [], members: [primitive("vip"), primitive("proxy")] }];
  cib.rscDefaults = [{ id: "defaults", values: { "resource-stickiness": "100" } }];
  return cib;
}

function formed(world: ControllerWorld, names: string[]): void {
  world.view(1, names);
  world.run(2000);
}

describe("starts after the former holder was fenced", () => {
  it("a pair's failover marks the survivor's starts; the first start was not marked", () => {
    const world = new ControllerWorld(["n1", "n2"], clusterCib(["n1", "n2"]));
    formed(world, ["n1", "n2"]);
    expect(world.starts.map((start) => [start.resource, start.formerHolderFenced])).toEqual([["vip", false], ["proxy", false]]);
    const holder = world.activeNodes("vip")[0]!;
    const survivor = holder === "n1" ? "n2" : "n1";
    world.powerLoss(holder);
    world.view(2, [survivor]);
    world.run(2000);
    expect(world.fenced).toContain(holder);
    const after = world.starts.slice(2);
    expect(after.map((start) => [start.resource, start.node, start.formerHolderFenced])).toEqual([["vip", survivor, true], ["proxy", survivor, true]]);
  });

  it("without fencing, a lost holder's resources start unmarked (nothing confirmed it off)", () => {
    const world = new ControllerWorld(["n1", "n2"], clusterCib(["n1", "n2"], false));
    formed(world, ["n1", "n2"]);
    const holder = world.activeNodes("vip")[0]!;
    const survivor = holder === "n1" ? "n2" : "n1";
    world.powerLoss(holder);
    world.view(2, [survivor]);
    world.run(1000);
    expect(world.activeNodes("vip")).toEqual([survivor]);
    expect(world.starts.slice(2).map((start) => start.formerHolderFenced)).toEqual([false, false]);
  });

  it("a group moved by a constraint (stopped, not fenced) starts unmarked", () => {
    const world = new ControllerWorld(["n1", "n2"], clusterCib(["n1", "n2"]));
    formed(world, ["n1", "n2"]);
    const holder = world.activeNodes("vip")[0]!;
    const moved = clusterCib(["n1", "n2"]);
    moved.version = { adminEpoch: 0, epoch: 4, numUpdates: 0 };
    moved.constraints = [{ kind: "location", id: "away", rsc: "web", node: holder, score: "-INFINITY", rules: [], extra: {} }];
    world.feed(world.node(holder), { kind: "client", nowMs: world.nowMs, clientId: 1, request: { kind: "cib-replace", base: "0.3.0", cib: JSON.parse(JSON.stringify(moved)) } });
    world.run(2000);
    expect(world.fences).toEqual([]);
    expect(world.activeNodes("vip")).not.toContain(holder);
    expect(world.starts.slice(2).map((start) => [start.resource, start.formerHolderFenced])).toEqual([["vip", false], ["proxy", false]]);
  });

  it("a fence confirmed by hand is a promise, not a reading: the start is not marked", () => {
    const world = new ControllerWorld(["n1", "n2"], clusterCib(["n1", "n2"]));
    world.node("n2").running.add("vip");
    world.node("n2").running.add("proxy");
    formed(world, ["n1", "n2"]);
    expect(world.activeNodes("vip")).toEqual(["n2"]);
    world.autoFence = false;
    world.powerLoss("n2");
    world.view(2, ["n1"]);
    world.run(1000);
    expect(world.fences.map((fence) => fence.target)).toEqual(["n2"]);
    world.feed(world.node("n1"), { kind: "client", nowMs: world.nowMs, clientId: 1, request: { kind: "fence-confirm", target: "n2", client: "alice" } });
    world.run(1000);
    expect(world.activeNodes("vip")).toEqual(["n1"]);
    expect(world.starts.map((start) => [start.resource, start.node, start.formerHolderFenced])).toEqual([["vip", "n1", false], ["proxy", "n1", false]]);
  });

  it("the mark reaches another node's agent in the DC's op message", () => {
    const names = ["n1", "n2", "n3"];
    const cib = clusterCib(names);
    // The group runs on n2 and, once n2 is gone, prefers n3 over n1 (the DC).
    cib.constraints = [
      { kind: "location", id: "on-n2", rsc: "web", node: "n2", score: "200", rules: [], extra: {} },
      { kind: "location", id: "then-n3", rsc: "web", node: "n3", score: "100", rules: [], extra: {} },
    ];
    const world = new ControllerWorld(names, cib);
    formed(world, names);
    expect(world.activeNodes("vip")).toEqual(["n2"]);
    expect(world.node("n1").controller.dcName).toBe("n1");
    world.powerLoss("n2");
    world.view(2, ["n1", "n3"]);
    world.run(2000);
    expect(world.fenced).toContain("n2");
    expect(world.starts.slice(2).map((start) => [start.resource, start.node, start.formerHolderFenced])).toEqual([["vip", "n3", true], ["proxy", "n3", true]]);
  });
});
