// The controller's cluster behaviour in a deterministic world: election, join and probes,
// failover with fencing first, configuration changes acknowledged only when stored on every
// member, and a returning node that does not take the DC role.
import { beforeEach, describe, expect, it } from "vitest";
import { emptyCib, formatVersion, type Cib, type Primitive } from "../../../src/cib";
import { ControllerWorld } from "./harness";
import { nodePriorities } from "../../../src/fencer";

function primitive(id: string): Primitive {
  return { kind: "primitive", id, class: "ocf", provider: "heartbeat", type: "Dummy", extra: {}, instance: [], meta: [], operations: [] };
}

function pairCib(stonith = true): Cib {
  const cib = emptyCib();
  cib.version = { adminEpoch: 0, epoch: 3, numUpdates: 0 };
  cib.properties = [{ id: "cib-bootstrap-options", values: { "stonith-enabled": String(stonith), "no-quorum-policy": "stop" } }];
  cib.nodes = [{ id: "1", uname: "n1", extra: {}, instance: [], utilization: [] }, { id: "2", uname: "n2", extra: {}, instance: [], utilization: [] }];
  cib.resources = [{ kind: "group", id: "web", extra: {}, instance: [], meta: [], members: [primitive("vip"), primitive("proxy")] }];
  cib.rscDefaults = [{ id: "defaults", values: { "resource-stickiness": "100" } }];
  return cib;
}

function formed(world: ControllerWorld): void {
  world.view(1, ["n1", "n2"]);
  world.run(2000);
}

// Every scenario runs twice: ticked every 100 ms, and ticked only when the controller asks
// for it (nextTickMs), as the agent does to keep an idle node asleep. Both must behave alike.
let ticksOnDemand = false;
function newWorld(...args: ConstructorParameters<typeof ControllerWorld>): ControllerWorld {
  const world = new ControllerWorld(...args);
  world.tickOnDemand = ticksOnDemand;
  return world;
}

for (const onDemand of [false, true]) describe(onDemand ? "controller, ticked only on demand" : "controller", () => {
  beforeEach(() => { ticksOnDemand = onDemand; });

  it("elects one DC, probes both nodes, then starts the group on one node in order", () => {
    const world = newWorld(["n1", "n2"], pairCib());
    formed(world);
    expect(world.nodes.map((node) => node.controller.dcName)).toEqual(["n1", "n1"]);
    expect(world.nodes.every((node) => node.probedVersion === "0.3.0")).toBe(true);
    const holder = world.activeNodes("vip");
    expect(holder).toHaveLength(1);
    expect(world.activeNodes("proxy")).toEqual(holder);
    expect(world.starts.map((start) => start.resource)).toEqual(["vip", "proxy"]);
    expect(world.node("n2").controller.summary?.resources.map((resource) => [resource.id, resource.role, resource.nodes])).toEqual([["vip", "Started", holder], ["proxy", "Started", holder]]);
  });

  it("does not start what a probe found already running, and stops a second copy", () => {
    const world = newWorld(["n1", "n2"], pairCib());
    world.node("n2").running.add("vip");
    world.node("n2").running.add("proxy");
    formed(world);
    expect(world.starts).toEqual([]);
    expect(world.activeNodes("vip")).toEqual(["n2"]);
  });

  it("fences a lost active node before starting its resources on the survivor", () => {
    const world = newWorld(["n1", "n2"], pairCib());
    formed(world);
    const active = world.activeNodes("vip")[0]!;
    const survivor = active === "n1" ? "n2" : "n1";
    world.autoFence = false;
    const startsBefore = world.starts.length;
    world.powerLoss(active);
    world.view(2, [survivor]);
    world.run(1000);
    expect(world.fences.map((fence) => [fence.target, fence.by])).toEqual([[active, survivor]]);
    // The fencing of a lost node is the cluster's own: priority-fencing-delay applies to it (not marked byPerson).
    expect(world.fences[0]!.byPerson).toBeUndefined();
    expect(world.starts.length).toBe(startsBefore);
    world.completeFence(world.node(survivor), 0, true);
    world.run(1000);
    expect(world.activeNodes("vip")).toEqual([survivor]);
    expect(world.activeNodes("proxy")).toEqual([survivor]);
    for (const start of world.starts.slice(startsBefore)) expect(start.fencedBefore).toContain(active);
    expect(world.node(survivor).controller.summary?.fencing.at(-1)).toMatchObject({ target: active, state: "done" });
  });

  it("after a split, each side's fence request knows what the other side ran (for priority-fencing-delay)", () => {
    const cib = pairCib();
    cib.resources[0]!.meta = [{ id: "web-meta", values: { priority: "10" } }];
    const world = newWorld(["n1", "n2"], cib);
    formed(world);
    const holder = world.activeNodes("vip")[0]!;
    const other = holder === "n1" ? "n2" : "n1";
    world.autoFence = false;
    world.dropMessages = true;
    world.feed(world.node("n1"), { kind: "view", nowMs: world.nowMs, ringId: 2, members: [1], quorate: true });
    world.feed(world.node("n2"), { kind: "view", nowMs: world.nowMs, ringId: 2, members: [2], quorate: true });
    world.run(500);
    const byTarget = new Map(world.fences.map((fence) => [fence.target, fence]));
    expect([...byTarget.keys()].sort()).toEqual(["n1", "n2"]);
    // The side without resources sees the holder as the more important node, and vice versa.
    expect(nodePriorities(byTarget.get(holder)!.cib)[holder]).toBeGreaterThan(nodePriorities(byTarget.get(holder)!.cib)[other] ?? 0);
    expect(nodePriorities(byTarget.get(other)!.cib)[other] ?? 0).toBe(0);
  });

  it("keeps the resources blocked while fencing fails, and retries", () => {
    const world = newWorld(["n1", "n2"], pairCib());
    formed(world);
    const active = world.activeNodes("vip")[0]!;
    const survivor = active === "n1" ? "n2" : "n1";
    world.autoFence = false;
    world.powerLoss(active);
    world.view(2, [survivor]);
    world.run(200);
    world.completeFence(world.node(survivor), 0, false);
    world.run(5000);
    expect(world.activeNodes("vip")).toEqual([]);
    expect(world.fences.length).toBeGreaterThan(1);
    world.completeFence(world.node(survivor), world.fences.length - 1, true);
    world.run(500);
    expect(world.activeNodes("vip")).toEqual([survivor]);
  });

  it("without stonith, a lost node's resources start on the survivor without fencing", () => {
    const world = newWorld(["n1", "n2"], pairCib(false));
    formed(world);
    const active = world.activeNodes("vip")[0]!;
    const survivor = active === "n1" ? "n2" : "n1";
    world.powerLoss(active);
    world.view(2, [survivor]);
    world.run(500);
    expect(world.fences).toEqual([]);
    expect(world.activeNodes("vip")).toEqual([survivor]);
  });

  it("answers a configuration change only after every member stored it, and refuses a stale base", () => {
    const world = newWorld(["n1", "n2"], pairCib());
    formed(world);
    const next = pairCib();
    next.resources.push(primitive("cache"));
    const client = world.node("n2");
    world.feed(client, { kind: "client", nowMs: world.nowMs, clientId: 7, request: { kind: "cib-replace", base: "0.3.0", cib: JSON.parse(JSON.stringify(next)) } });
    expect(world.replies.has(7)).toBe(false);
    world.run(0);
    expect(world.replies.get(7)).toMatchObject({ ok: true, version: "0.4.0" });
    for (const node of world.nodes) expect(formatVersion(node.stored.at(-1)!.version)).toBe("0.4.0");
    world.run(500);
    expect(world.activeNodes("cache")).toHaveLength(1);
    world.feed(client, { kind: "client", nowMs: world.nowMs, clientId: 8, request: { kind: "cib-replace", base: "0.3.0", cib: JSON.parse(JSON.stringify(next)) } });
    world.run(0);
    expect(world.replies.get(8)).toMatchObject({ ok: false, code: "E_CIB_CONFLICT" });
  });

  it("adds the cluster's nodes to a configuration that lacks them, as one versioned change on every member", () => {
    const cib = pairCib();
    cib.nodes = [];
    const world = newWorld(["n1", "n2"], cib);
    formed(world);
    for (const node of world.nodes) {
      expect(node.controller.configuration.nodes.map((each) => each.uname)).toEqual(["n1", "n2"]);
      expect(formatVersion(node.stored.at(-1)!.version)).toBe("0.4.0");
    }
  });

  for (const leaver of ["holder", "other"] as const) {
    it(`a graceful stop of the ${leaver} node moves what it runs, lets it exit, and does not fence it`, () => {
      const world = newWorld(["n1", "n2"], pairCib());
      formed(world);
      const holder = world.activeNodes("vip")[0]!;
      const name = leaver === "holder" ? holder : holder === "n1" ? "n2" : "n1";
      const staying = name === "n1" ? "n2" : "n1";
      world.requestShutdown(name);
      world.run(1000);
      expect(world.node(name).exited).toBe(true);
      expect(world.activeNodes("vip")).toEqual([staying]);
      world.powerLoss(name);
      world.view(2, [staying]);
      world.run(2000);
      expect(world.fences).toEqual([]);
      expect(world.activeNodes("vip")).toEqual([staying]);
      expect(world.node(staying).controller.summary?.nodes.find((node) => node.name === name)?.state).toBe("offline");
    });
  }

  it("after losing quorum it holds what runs for the grace period, then applies no-quorum-policy", () => {
    const world = newWorld(["n1", "n2"], pairCib(false), { quorumGraceMs: 3000 });
    formed(world);
    const holder = world.activeNodes("vip")[0]!;
    const holderNode = world.node(holder);
    world.feed(holderNode, { kind: "quorum", nowMs: world.nowMs, quorate: false });
    world.run(2500);
    expect(world.activeNodes("vip")).toEqual([holder]);
    world.run(1500);
    expect(world.activeNodes("vip")).toEqual([]);
  });

  it("regaining quorum within the grace period keeps everything running", () => {
    const world = newWorld(["n1", "n2"], pairCib(false), { quorumGraceMs: 3000 });
    formed(world);
    const holder = world.activeNodes("vip")[0]!;
    const startsBefore = world.starts.length;
    world.feed(world.node(holder), { kind: "quorum", nowMs: world.nowMs, quorate: false });
    world.run(1000);
    world.feed(world.node(holder), { kind: "quorum", nowMs: world.nowMs, quorate: true });
    world.run(5000);
    expect(world.activeNodes("vip")).toEqual([holder]);
    expect(world.starts.length).toBe(startsBefore);
  });

  it("a failed stop with fencing on: the node is fenced before the resource starts elsewhere", () => {
    const world = newWorld(["n1", "n2"], pairCib());
    formed(world);
    const holder = world.activeNodes("vip")[0]!;
    const other = holder === "n1" ? "n2" : "n1";
    world.failStop.add(`proxy@${holder}`);
    // Move the group away: proxy's stop fails on the holder.
    const moved = pairCib();
    moved.version = { adminEpoch: 0, epoch: 4, numUpdates: 0 };
    moved.constraints = [{ kind: "location", id: "away", rsc: "web", node: holder, score: "-INFINITY", rules: [], extra: {} }];
    world.feed(world.node(holder), { kind: "client", nowMs: world.nowMs, clientId: 1, request: { kind: "cib-replace", base: "0.3.0", cib: JSON.parse(JSON.stringify(moved)) } });
    world.run(2000);
    expect(world.fences.map((fence) => fence.target)).toContain(holder);
    // The fenced node is gone from the other's view (when it was the DC, the other takes over).
    world.view(2, [other]);
    world.run(2000);
    expect(world.activeNodes("proxy")).toEqual([other]);
    const proxyStart = world.starts.find((start) => start.resource === "proxy" && start.node === other)!;
    expect(proxyStart.fencedBefore).toContain(holder);
  });

  it("a failed stop with fencing off blocks the resource where it is", () => {
    const world = newWorld(["n1", "n2"], pairCib(false));
    formed(world);
    const holder = world.activeNodes("vip")[0]!;
    world.failStop.add(`proxy@${holder}`);
    const moved = pairCib(false);
    moved.version = { adminEpoch: 0, epoch: 4, numUpdates: 0 };
    moved.constraints = [{ kind: "location", id: "away", rsc: "web", node: holder, score: "-INFINITY", rules: [], extra: {} }];
    world.feed(world.node(holder), { kind: "client", nowMs: world.nowMs, clientId: 1, request: { kind: "cib-replace", base: "0.3.0", cib: JSON.parse(JSON.stringify(moved)) } });
    world.run(3000);
    expect(world.fences).toEqual([]);
    expect(world.activeNodes("proxy")).toEqual([holder]);
    expect(world.starts.filter((start) => start.resource === "proxy").length).toBe(1);
    expect(world.node(holder).controller.summary?.resources.find((resource) => resource.id === "proxy")?.managed).toBe(false);
  });

  it("refuses a configuration change without quorum", () => {
    const world = newWorld(["n1", "n2"], pairCib());
    world.view(1, ["n1"], false);
    world.run(2000);
    world.feed(world.node("n1"), { kind: "client", nowMs: world.nowMs, clientId: 1, request: { kind: "cib-replace", base: "0.3.0", cib: JSON.parse(JSON.stringify(pairCib())) } });
    expect(world.replies.get(1)).toMatchObject({ ok: false, code: "E_NO_QUORUM" });
    expect(world.starts).toEqual([]);
  });

  it("a node that comes back does not take the DC role from the healthy DC", () => {
    const world = newWorld(["n1", "n2"], pairCib());
    formed(world);
    world.powerLoss("n1");
    world.view(2, ["n2"]);
    world.run(1000);
    expect(world.node("n2").controller.dcName).toBe("n2");
    world.boot("n1");
    world.view(3, ["n1", "n2"]);
    world.run(3000);
    expect(world.nodes.map((node) => node.controller.dcName)).toEqual(["n2", "n2"]);
    expect(world.activeNodes("vip")).toEqual(["n2"]);
  });

  it("when a returning node elected itself before it heard the DC, the older DC keeps the role", () => {
    const world = newWorld(["n1", "n2"], pairCib());
    formed(world);
    world.powerLoss("n1");
    world.view(2, ["n2"]);
    world.run(1000);
    world.boot("n1");
    world.dropMessages = true;
    world.view(3, ["n1", "n2"]);
    world.run(1500);
    expect(world.node("n1").controller.dcName).toBe("n1");
    world.dropMessages = false;
    world.run(1000);
    expect(world.nodes.map((node) => node.controller.dcName)).toEqual(["n2", "n2"]);
    expect(world.activeNodes("vip")).toEqual(["n2"]);
  });

  it("a newer configuration held by a returning member wins at join", () => {
    const world = newWorld(["n1", "n2"], pairCib());
    const newer = pairCib();
    newer.version = { adminEpoch: 0, epoch: 9, numUpdates: 0 };
    newer.resources.push(primitive("extra"));
    world.node("n2").controller = new (world.node("n1").controller.constructor as typeof import("../../../src/controller").Controller)(
      { electionWaitMs: 1000, joinTimeoutMs: 5000, fenceRetryMs: 2000, recheckMs: 60_000, localId: 2, nodes: [{ id: 1, name: "n1" }, { id: 2, name: "n2" }] }, newer, world.report(world.node("n2")));
    formed(world);
    for (const node of world.nodes) expect(formatVersion(node.controller.configuration.version)).toBe("0.9.0");
    expect(world.activeNodes("extra")).toHaveLength(1);
  });
});

describe("controller ticks", () => {
  it("an idle pair asks for no tick before the DC's recheck; a member that knows its DC asks for none", () => {
    const world = new ControllerWorld(["n1", "n2"], pairCib());
    world.tickOnDemand = true;
    formed(world);
    world.run(3000);
    const dc = world.node("n1");
    expect(dc.controller.isDc).toBe(true);
    expect(world.node("n2").controller.nextTickMs(100)).toBeUndefined();
    const recheckAt = dc.controller.nextTickMs(100)!;
    expect(recheckAt).toBeGreaterThan(world.nowMs + 50_000);
    const before = new Map(world.ticks);
    world.run(40_000);
    expect(world.ticks).toEqual(before);
    // The recheck still comes: the DC plans again once it is due.
    world.run(30_000);
    expect(world.ticks.get("n1")).toBe((before.get("n1") ?? 0) + 1);
    expect(world.ticks.get("n2")).toBe(before.get("n2"));
  });

  it("asks for ticks while a fence it waits for keeps failing, and again once idle for none", () => {
    const world = new ControllerWorld(["n1", "n2"], pairCib());
    world.tickOnDemand = true;
    formed(world);
    const active = world.activeNodes("vip")[0]!;
    const survivor = world.node(active === "n1" ? "n2" : "n1");
    world.autoFence = false;
    world.powerLoss(active);
    world.view(2, [survivor.name]);
    world.run(200);
    expect(survivor.controller.nextTickMs(100)).toBeLessThanOrEqual(world.nowMs + 100);
    world.completeFence(survivor, 0, true);
    world.run(2000);
    expect(world.activeNodes("vip")).toEqual([survivor.name]);
    expect(survivor.controller.nextTickMs(100)).toBeGreaterThan(world.nowMs + 50_000);
  });
});

describe("controller roles", () => {
  it("a node is electing until it knows a DC, the DC joins then plans, the others follow", () => {
    const world = new ControllerWorld(["n1", "n2"], pairCib());
    expect(world.nodes.map((node) => node.controller.role)).toEqual(["electing", "electing"]);
    world.view(1, ["n1", "n2"]);
    world.run(900);
    expect(world.nodes.map((node) => node.controller.role)).toEqual(["electing", "electing"]);
    // The election wait is over: n1 elects itself and asks n2 to join (not answered yet).
    world.feed(world.node("n1"), { kind: "tick", nowMs: world.nowMs, epochSeconds: 1_001 });
    expect(world.node("n1").controller.role).toBe("dc-joining");
    world.run(500);
    expect(world.nodes.map((node) => node.controller.role)).toEqual(["dc", "follower"]);
    // The DC leaves: the follower elects itself at once and joins alone.
    world.powerLoss("n1");
    world.view(2, ["n2"]);
    expect(world.node("n2").controller.role).toBe("dc");
  });
});

describe("DC claims", () => {
  it("a node that restarts alone without quorum and elects itself yields to the DC that led the quorate side, though both numbered their rings alike", () => {
    const world = new ControllerWorld(["n1", "n2"], pairCib(false));
    formed(world);
    expect(world.node("n1").controller.isDc).toBe(true);
    world.powerLoss("n1");
    // n2 carries on alone with quorum (two_node) and becomes DC in ring 3.
    world.view(3, ["n2"]);
    world.run(1000);
    expect(world.activeNodes("vip")).toEqual(["n2"]);
    // n1 restarts, forms ring 3 alone (its own numbering), without quorum, and elects itself.
    world.boot("n1");
    world.view(3, ["n1"], false);
    world.run(2000);
    expect(world.node("n1").controller.isDc).toBe(true);
    world.view(4, ["n1", "n2"]);
    world.run(3000);
    expect(world.nodes.map((node) => node.controller.dcName)).toEqual(["n2", "n2"]);
    expect(world.activeNodes("vip")).toEqual(["n2"]);
  });
});

describe("DC claims when a pair forms", () => {
  it("a node that started alone without quorum and elected itself lets the lowest member take the role when the pair forms", () => {
    const world = new ControllerWorld(["n1", "n2"], pairCib());
    world.feed(world.node("n2"), { kind: "view", nowMs: world.nowMs, ringId: 1, members: [2], quorate: false });
    world.run(2000);
    expect(world.node("n2").controller.isDc).toBe(true);
    world.view(2, ["n1", "n2"]);
    world.run(3000);
    expect(world.nodes.map((node) => node.controller.dcName)).toEqual(["n1", "n1"]);
    expect(world.activeNodes("vip")).toHaveLength(1);
  });
});

describe("graceful stop with unmanaged resources", () => {
  it("a node whose only resources here are unmanaged may leave; they keep running, nothing is fenced", () => {
    const cib = pairCib(false);
    cib.resources[0]!.meta = [{ id: "web-meta", values: { "is-managed": "false" } }];
    const world = new ControllerWorld(["n1", "n2"], cib);
    world.node("n2").running.add("vip");
    world.node("n2").running.add("proxy");
    world.view(1, ["n1", "n2"]);
    world.run(2000);
    world.requestShutdown("n2");
    world.run(2000);
    expect(world.node("n2").exited).toBe(true);
    expect(world.activeNodes("vip")).toEqual(["n2"]);
    expect(world.fences).toEqual([]);
  });
});
