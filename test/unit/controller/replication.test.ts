// Join and replication keep every acknowledged configuration change (issue 15, defect 2,
// and the simulator's findings in that family):
// - a DC serves no change before its join is complete and it holds the newest
//   configuration of its partition;
// - two different copies of one version met at a join are a conflict resolved the same way
//   on every node (the copy most nodes hold, then the greater digest), loudly: logged, the other copy kept as a file, shown
//   in the summary; never silently dropped;
// - a write a member missed is covered by a later one it stores, and a member that stores
//   nothing in time is asked to join again (simulator seeds 108/135/202/227);
// - a two-node pair split (both halves quorate) refuses changes until the lost peer is
//   fenced (simulator seed 4);
// - after two partitions merge, a bystander stays with the DC whose claim wins, whichever
//   join reached it last (defect 3, simulator seed 6).
import { describe, expect, it } from "vitest";
import { chooseNewer, cibDigest, emptyCib, formatVersion, type Cib, type Primitive } from "../../../src/cib";
import { Controller, CONTROLLER_DEFAULTS } from "../../../src/controller";
import { ControllerWorld } from "./harness";

function primitive(id: string): Primitive {
  return { kind: "primitive", id, class: "ocf", provider: "heartbeat", type: "Dummy", extra: {}, instance: [], meta: [], operations: [] };
}

function baseCib(names: string[], stonith: boolean): Cib {
  const cib = emptyCib();
  cib.version = { adminEpoch: 0, epoch: 3, numUpdates: 0 };
  cib.properties = [{ id: "cib-bootstrap-options", values: { "stonith-enabled": String(stonith), "no-quorum-policy": "stop" } }];
  cib.nodes = names.map((uname, index) => ({ id: String(index + 1), uname, extra: {}, instance: [], utilization: [] }));
  cib.resources = [primitive("vip")];
  return cib;
}

/** The configuration `cib` with one more resource, at version 0.`epoch`.0. */
function withResource(cib: Cib, id: string, epoch: number): Cib {
  const next = structuredClone(cib);
  next.resources.push(primitive(id));
  next.version = { adminEpoch: 0, epoch, numUpdates: 0 };
  return next;
}

/** Gives node `name` a fresh controller that starts from `cib` (what it stored before a restart). */
function startFrom(world: ControllerWorld, names: string[], name: string, cib: Cib): void {
  const node = world.node(name);
  node.controller = new Controller({ ...CONTROLLER_DEFAULTS, localId: node.id, nodes: names.map((each, index) => ({ id: index + 1, name: each })) }, cib, world.report(node));
}

function change(world: ControllerWorld, via: string, clientId: number, base: string, cib: Cib): void {
  world.feed(world.node(via), { kind: "client", nowMs: world.nowMs, clientId, request: { kind: "cib-replace", base, cib: JSON.parse(JSON.stringify(cib)) } });
}

function resourcesOf(cib: Cib): string[] {
  return cib.resources.map((resource) => resource.id).sort();
}

describe("a DC serves no change before its join is complete", () => {
  it("a stale DC holds a change until the member with the newer configuration joined; the acknowledged change survives", () => {
    const names = ["n1", "n2"];
    const old = baseCib(names, false);
    const world = new ControllerWorld(names, old);
    // n2 holds 0.4.0 with "acked" (a change acknowledged while n1 was down); n1 restarted with 0.3.0.
    const acked = withResource(old, "acked", 4);
    startFrom(world, names, "n2", acked);
    // n2's answers to n1's join are late: n1 becomes DC and is still joining when a client asks.
    world.dropIf = (from) => from === "n2";
    world.view(1, names);
    world.run(1500);
    expect(world.node("n1").controller.role).toBe("dc-joining");
    change(world, "n1", 1, "0.3.0", withResource(old, "mine", 3));
    world.run(0);
    expect(world.replies.has(1)).toBe(false);
    world.dropIf = undefined;
    world.run(1000);
    // The join brought 0.4.0: the change made on 0.3.0 is refused, nothing acknowledged is lost.
    expect(world.replies.get(1)).toMatchObject({ ok: false, code: "E_CIB_CONFLICT" });
    for (const node of world.nodes) expect(resourcesOf(node.controller.configuration)).toEqual(["acked", "vip"]);
    expect(world.keptConflicts).toEqual([]);
  });

  it("requests that waited are served in order once the join completes", () => {
    const names = ["n1", "n2"];
    const world = new ControllerWorld(names, baseCib(names, false));
    world.dropIf = (from) => from === "n2";
    world.view(1, names);
    world.run(1500);
    change(world, "n1", 1, "0.3.0", withResource(baseCib(names, false), "a", 3));
    world.feed(world.node("n1"), { kind: "client", nowMs: world.nowMs, clientId: 2, request: { kind: "placement", resources: ["vip"] } });
    world.run(0);
    expect([...world.replies.keys()]).toEqual([]);
    world.dropIf = undefined;
    world.run(500);
    expect(world.replies.get(1)).toMatchObject({ ok: true, version: "0.4.0" });
    expect(world.replies.get(2)).toMatchObject({ ok: true });
    for (const node of world.nodes) expect(resourcesOf(node.controller.configuration)).toEqual(["a", "vip"]);
  });
});

describe("conflicts: two copies of one version", () => {
  it("are resolved alike on every node, logged, the other copy kept, shown in the summary", () => {
    const names = ["n1", "n2"];
    const old = baseCib(names, false);
    const world = new ControllerWorld(names, old);
    // Each side of an earlier split accepted its own change as 0.4.0.
    const left = withResource(old, "left", 4);
    const right = withResource(old, "right", 4);
    startFrom(world, names, "n1", left);
    startFrom(world, names, "n2", right);
    world.view(1, names);
    world.run(2000);
    const winner = chooseNewer(left, right);
    const loser = winner === left ? right : left;
    for (const node of world.nodes) expect(cibDigest(node.controller.configuration)).toBe(cibDigest(winner));
    // The losing copy is kept as a file on the node whose copy it was, and said at error level.
    const loserNode = loser === left ? "n1" : "n2";
    expect(world.keptConflicts.map((each) => ({ node: each.node, version: each.version, digest: cibDigest(each.cib) }))).toContainEqual({ node: loserNode, version: "0.4.0", digest: cibDigest(loser) });
    expect(world.log.some((line) => line.includes("configuration conflict"))).toBe(true);
    const summary = world.node("n1").controller.summary;
    expect(summary?.conflicts).toEqual([expect.objectContaining({ version: "0.4.0", keptDigest: cibDigest(winner), lostDigest: cibDigest(loser), lostFrom: loserNode })]);
    expect(world.node("n2").controller.summary?.conflicts).toEqual(summary?.conflicts);
  });
});

describe("writes a member missed", () => {
  it("a member that missed a write and stored a later one acknowledges both", () => {
    const names = ["n1", "n2", "n3"];
    const cib = baseCib(names, false);
    const world = new ControllerWorld(names, cib);
    world.view(1, names);
    world.run(2500);
    expect(world.node("n1").controller.role).toBe("dc");
    // The first change's configuration never reaches n3.
    let dropped = 0;
    world.dropIf = (from, to, message) => to === "n3" && message.t === "cib" && dropped++ === 0;
    const first = withResource(cib, "a", 3);
    change(world, "n1", 1, "0.3.0", first);
    world.run(0);
    expect(world.replies.has(1)).toBe(false);
    const second = withResource(first, "b", 4);
    change(world, "n1", 2, "0.4.0", second);
    world.run(0);
    expect(world.replies.get(2)).toMatchObject({ ok: true, version: "0.5.0" });
    expect(world.replies.get(1)).toMatchObject({ ok: true, version: "0.4.0" });
  });

  it("a member that stores nothing in time is asked to join again; the write completes and planning goes on", () => {
    const names = ["n1", "n2", "n3"];
    const cib = baseCib(names, false);
    const world = new ControllerWorld(names, cib);
    world.view(1, names);
    world.run(2500);
    let dropped = 0;
    world.dropIf = (from, to, message) => to === "n3" && message.t === "cib" && dropped++ === 0;
    change(world, "n1", 1, "0.3.0", withResource(cib, "a", 3));
    world.run(3000);
    expect(world.replies.has(1)).toBe(false);
    world.run(3000);
    expect(world.replies.get(1)).toMatchObject({ ok: true, version: "0.4.0" });
    expect(world.log.some((line) => line.includes("asking it to join again"))).toBe(true);
    for (const node of world.nodes) expect(formatVersion(node.controller.configuration.version)).toBe("0.4.0");
    world.run(1000);
    expect(world.activeNodes("a")).toHaveLength(1);
  });
});

describe("a two-node pair split", () => {
  it("refuses changes while the lost peer is not fenced, and accepts them once it is (simulator seed 4)", () => {
    const names = ["n1", "n2"];
    const cib = baseCib(names, true);
    const world = new ControllerWorld(names, cib);
    world.view(1, names);
    world.run(2500);
    world.autoFence = false;
    world.powerLoss("n2");
    // two_node: the survivor keeps quorum alone.
    world.view(2, ["n1"]);
    world.run(500);
    expect(world.fences.map((fence) => fence.target)).toContain("n2");
    change(world, "n1", 1, "0.3.0", withResource(cib, "a", 3));
    world.run(0);
    expect(world.replies.get(1)).toMatchObject({ ok: false, code: "E_FENCE_PENDING" });
    expect(formatVersion(world.node("n1").controller.configuration.version)).toBe("0.3.0");
    world.completeFence(world.node("n1"), world.fences.findIndex((fence) => fence.target === "n2"), true);
    world.run(500);
    change(world, "n1", 2, formatVersion(world.node("n1").controller.configuration.version), withResource(cib, "a", 3));
    world.run(0);
    expect(world.replies.get(2)).toMatchObject({ ok: true });
  });

  it("a person's stonith confirm of the lost peer (its BMC died with it) accepts changes again", () => {
    const names = ["n1", "n2"];
    const cib = baseCib(names, true);
    const world = new ControllerWorld(names, cib);
    world.view(1, names);
    world.run(2500);
    world.autoFence = false;
    world.powerLoss("n2");
    world.view(2, ["n1"]);
    world.run(500);
    change(world, "n1", 1, "0.3.0", withResource(cib, "a", 3));
    world.run(0);
    expect(world.replies.get(1)).toMatchObject({ ok: false, code: "E_FENCE_PENDING" });
    world.feed(world.node("n1"), { kind: "client", nowMs: world.nowMs, clientId: 100, request: { kind: "fence-confirm", target: "n2", client: "alice" } });
    world.run(500);
    expect(world.replies.get(100)).toMatchObject({ ok: true });
    change(world, "n1", 2, formatVersion(world.node("n1").controller.configuration.version), withResource(cib, "a", 3));
    world.run(0);
    expect(world.replies.get(2)).toMatchObject({ ok: true });
  });

  it("with fencing off, outside two_node without an arbiter (a lone half is not quorate, or the arbiter chose it), nothing is waited for", () => {
    const names = ["n1", "n2"];
    const cib = baseCib(names, false);
    const world = new ControllerWorld(names, cib);
    world.view(1, names);
    world.run(2500);
    world.powerLoss("n2");
    world.view(2, ["n1"]);
    world.run(500);
    change(world, "n1", 1, "0.3.0", withResource(cib, "a", 3));
    world.run(0);
    expect(world.replies.get(1)).toMatchObject({ ok: true });
  });
});

describe("a two-node pair without fencing and without an arbiter (both halves keep quorum in a split)", () => {
  function splitPair(): { world: ControllerWorld; cib: Cib } {
    const names = ["n1", "n2"];
    const cib = baseCib(names, false);
    const world = new ControllerWorld(names, cib, { twoNodeWithoutArbiter: true });
    world.view(1, names);
    world.run(2500);
    // A split (or n2's death: n1 cannot tell which): n1 keeps quorum alone.
    world.powerLoss("n2");
    world.view(2, ["n1"]);
    world.run(500);
    return { world, cib };
  }

  it("refuses changes while the lost peer is not confirmed down, says why in the summary, and takes them again when it rejoins", () => {
    const { world, cib } = splitPair();
    expect(world.fences).toEqual([]);
    change(world, "n1", 1, "0.3.0", withResource(cib, "a", 3));
    world.run(0);
    expect(world.replies.get(1)).toMatchObject({ ok: false, code: "E_PEER_UNCONFIRMED" });
    expect((world.replies.get(1) as { error: string }).error).toContain("edgeha stonith confirm n2");
    expect(formatVersion(world.node("n1").controller.configuration.version)).toBe("0.3.0");
    // The DC's own summary keeps the reason (it does not take the lost peer for cleanly down).
    world.run(2000);
    expect(world.node("n1").controller.summary?.unconfirmed).toEqual(["n2"]);
    change(world, "n1", 2, "0.3.0", withResource(cib, "a", 3));
    world.run(0);
    expect(world.replies.get(2)).toMatchObject({ ok: false, code: "E_PEER_UNCONFIRMED" });
    // The peer comes back: changes go through again.
    world.boot("n2");
    world.view(3, ["n1", "n2"]);
    world.run(2500);
    expect(world.node("n1").controller.summary?.unconfirmed).toBeUndefined();
    change(world, "n1", 3, formatVersion(world.node("n1").controller.configuration.version), withResource(cib, "a", 3));
    world.run(500);
    expect(world.replies.get(3)).toMatchObject({ ok: true });
  });

  it("a person's stonith confirm of the lost peer works with fencing off and accepts changes again", () => {
    const { world, cib } = splitPair();
    change(world, "n1", 1, "0.3.0", withResource(cib, "a", 3));
    world.run(0);
    expect(world.replies.get(1)).toMatchObject({ ok: false, code: "E_PEER_UNCONFIRMED" });
    world.feed(world.node("n1"), { kind: "client", nowMs: world.nowMs, clientId: 100, request: { kind: "fence-confirm", target: "n2", client: "alice" } });
    world.run(500);
    expect(world.replies.get(100)).toMatchObject({ ok: true });
    expect(world.node("n1").controller.summary?.unconfirmed).toBeUndefined();
    change(world, "n1", 2, "0.3.0", withResource(cib, "a", 3));
    world.run(0);
    expect(world.replies.get(2)).toMatchObject({ ok: true, message: "configuration 0.4.0 is stored on every member" });
  });

  it("a forced change is stored on this half only, and the answer says so", () => {
    const { world, cib } = splitPair();
    world.feed(world.node("n1"), { kind: "client", nowMs: world.nowMs, clientId: 1, request: { kind: "cib-replace", base: "0.3.0", cib: JSON.parse(JSON.stringify(withResource(cib, "a", 3))), force: true } });
    world.run(0);
    expect(world.replies.get(1)).toMatchObject({ ok: true, version: "0.4.0" });
    expect((world.replies.get(1) as { message: string }).message).toMatch(/stored on this half only .*n2.*may be set aside if the other half is alive/);
    expect(resourcesOf(world.node("n1").controller.configuration)).toEqual(["a", "vip"]);
    // Only that one change: the next one waits again.
    change(world, "n1", 2, "0.4.0", withResource(withResource(cib, "a", 4), "b", 4));
    world.run(0);
    expect(world.replies.get(2)).toMatchObject({ ok: false, code: "E_PEER_UNCONFIRMED" });
  });

  it("a clean leave of the peer (node stop, SIGTERM) does not make changes wait", () => {
    const names = ["n1", "n2"];
    const cib = baseCib(names, false);
    const world = new ControllerWorld(names, cib, { twoNodeWithoutArbiter: true });
    world.view(1, names);
    world.run(2500);
    world.requestShutdown("n2");
    world.run(1000);
    expect(world.node("n2").exited).toBe(true);
    world.powerLoss("n2");
    world.view(2, ["n1"]);
    world.run(500);
    change(world, "n1", 1, "0.3.0", withResource(cib, "a", 3));
    world.run(0);
    expect(world.replies.get(1)).toMatchObject({ ok: true });
    expect(world.node("n1").controller.summary?.unconfirmed).toBeUndefined();
    // The same peer lost without a clean stop does.
    world.boot("n2");
    world.view(3, names);
    world.run(2500);
    world.powerLoss("n2");
    world.view(4, ["n1"]);
    world.run(500);
    change(world, "n1", 2, "0.4.0", withResource(withResource(cib, "a", 4), "b", 4));
    world.run(0);
    expect(world.replies.get(2)).toMatchObject({ ok: false, code: "E_PEER_UNCONFIRMED" });
  });

  it("the DC leaving cleanly does not make the survivor's changes wait either", () => {
    const names = ["n1", "n2"];
    const cib = baseCib(names, false);
    const world = new ControllerWorld(names, cib, { twoNodeWithoutArbiter: true });
    world.view(1, names);
    world.run(2500);
    expect(world.node("n1").controller.isDc).toBe(true);
    world.requestShutdown("n1");
    world.run(1000);
    expect(world.node("n1").exited).toBe(true);
    world.powerLoss("n1");
    world.view(2, ["n2"]);
    world.run(2500);
    expect(world.node("n2").controller.isDc).toBe(true);
    change(world, "n2", 1, "0.3.0", withResource(cib, "a", 3));
    world.run(0);
    expect(world.replies.get(1)).toMatchObject({ ok: true });
    // The same DC lost without a clean stop does.
    world.boot("n1");
    world.view(3, names);
    world.run(2500);
    world.powerLoss(world.node("n1").controller.isDc ? "n1" : "n2");
    const survivor = world.node("n1").up ? "n1" : "n2";
    world.view(4, [survivor]);
    world.run(2500);
    change(world, survivor, 2, formatVersion(world.node(survivor).controller.configuration.version), withResource(withResource(cib, "a", 4), "b", 4));
    world.run(0);
    expect(world.replies.get(2)).toMatchObject({ ok: false, code: "E_PEER_UNCONFIRMED" });
  });
});

describe("after two partitions merge", () => {
  it("a bystander stays with the DC whose claim wins, whichever join reached it last (simulator seed 6)", () => {
    const names = ["n1", "n2", "n3"];
    const cib = baseCib(names, false);
    const world = new ControllerWorld(names, cib);
    world.view(1, names);
    world.run(2500);
    expect(world.node("n1").controller.isDc).toBe(true);
    // A split: n1 and n3 on one side, n2 alone (quorate as far as it knows, e.g. by the arbiter's vote).
    world.view(2, ["n1", "n3"]);
    world.view(2, ["n2"]);
    world.run(1000);
    expect(world.node("n2").controller.isDc).toBe(true);
    // The merge: n1's join reaches n3 first, n2's last.
    world.view(3, names);
    world.run(500);
    expect(world.nodes.map((node) => node.controller.dcName)).toEqual(["n1", "n1", "n1"]);
    change(world, "n3", 1, "0.3.0", withResource(cib, "a", 3));
    world.run(0);
    expect(world.replies.get(1)).toMatchObject({ ok: true, version: "0.4.0" });
    for (const node of world.nodes) expect(formatVersion(node.controller.configuration.version)).toBe("0.4.0");
  });
});

describe("a follower whose DC stopped being one in a view the follower did not see", () => {
  it("is not asked to join the next view, so it elects again and the cluster agrees on one DC (simulator seed 95)", () => {
    const names = ["n1", "n2", "n3", "n4"];
    const cib = baseCib(names, false);
    const world = new ControllerWorld(names, cib);
    // Claims by age: n4 led a quorate partition first (ring 1), then n3 (ring 2), then n1 (ring 3).
    world.view(1, ["n4"]);
    world.run(1500);
    world.view(2, ["n3"]);
    world.run(1500);
    world.view(3, ["n1", "n2"]);
    world.run(1500);
    // n1 yields to n3, whose claim is older.
    world.view(4, ["n1", "n2", "n3"]);
    world.run(500);
    expect(world.node("n1").controller.dcName).toBe("n3");
    // n1 misses ring 5 (it lags behind): there n3 yields to n4 and follows it.
    world.view(5, ["n2", "n3", "n4"]);
    world.run(500);
    expect(world.node("n3").controller.dcName).toBe("n4");
    // n4 goes. In ring 6 n2 and n3 lost their DC and elect the lowest member, n1; n1 still sees
    // its DC n3 in the view, but n3 is no DC and never asks n1 to join.
    world.node("n4").up = false;
    world.view(6, ["n1", "n2", "n3"]);
    world.run(500);
    expect([world.node("n2").controller.dcName, world.node("n3").controller.dcName, world.node("n1").controller.dcName]).toEqual(["n1", "n1", "n3"]);
    // After joinTimeoutMs without a join from n3 in this view, n1 elects again: itself.
    world.run(CONTROLLER_DEFAULTS.joinTimeoutMs + 500);
    expect(world.node("n1").controller.isDc).toBe(true);
    expect(["n1", "n2", "n3"].map((name) => world.node(name).controller.dcName)).toEqual(["n1", "n1", "n1"]);
    expect(world.log.some((line) => line.startsWith("n1: the DC did not ask this node to join the new view: electing again"))).toBe(true);
    change(world, "n2", 1, "0.3.0", withResource(cib, "a", 3));
    world.run(0);
    expect(world.replies.get(1)).toMatchObject({ ok: true, version: "0.4.0" });
  });

  it("a follower whose DC asks again in the new view stays with it (no election)", () => {
    const names = ["n1", "n2", "n3"];
    const world = new ControllerWorld(names, baseCib(names, false));
    world.view(1, names);
    world.run(2500);
    world.view(2, ["n1", "n2"]);
    world.run(CONTROLLER_DEFAULTS.joinTimeoutMs + 1000);
    expect(world.node("n2").controller.dcName).toBe("n1");
    expect(world.log.some((line) => line.includes("electing again"))).toBe(false);
  });
});

describe("stale reads", () => {
  it("a node's copy is stale until it joined a DC and stored what the DC sent; the DC's until its join is complete", () => {
    const names = ["n1", "n2"];
    const world = new ControllerWorld(names, baseCib(names, false));
    for (const node of world.nodes) expect(node.controller.staleness).toContain("knows no DC yet");
    world.dropIf = (from) => from === "n2";
    world.view(1, names);
    world.run(1500);
    expect(world.node("n1").controller.staleness).toContain("still collecting");
    expect(world.node("n2").controller.staleness).toContain("has not yet received the configuration from its DC (n1)");
    world.dropIf = undefined;
    world.run(500);
    for (const node of world.nodes) expect(node.controller.staleness).toBeUndefined();
    // A new view: the member is stale again until the DC's join brought it the configuration.
    world.dropIf = (from) => from === "n1";
    world.view(2, names);
    world.run(200);
    expect(world.node("n2").controller.staleness).toContain("has not yet received");
    world.dropIf = undefined;
    world.run(1000);
    for (const node of world.nodes) expect(node.controller.staleness).toBeUndefined();
  });
});

describe("a member that answers the join late", () => {
  it("changes wait until it joined: its newer configuration is adopted and no acknowledged change is overtaken", () => {
    const names = ["n1", "n2", "n3"];
    const old = baseCib(names, false);
    const world = new ControllerWorld(names, old);
    const late = withResource(withResource(old, "x", 4), "late", 5);
    startFrom(world, names, "n3", late);
    // n3 hears nothing from n1 for longer than the join timeout: the join completes without it.
    world.dropIf = (from, to) => from === "n1" && to === "n3";
    world.view(1, names);
    world.run(7000);
    expect(world.node("n1").controller.role).toBe("dc");
    change(world, "n2", 1, "0.3.0", withResource(old, "mine", 3));
    world.run(0);
    expect(world.replies.get(1)).toMatchObject({ ok: false, code: "E_DC_JOINING" });
    world.dropIf = undefined;
    world.run(1000);
    for (const node of world.nodes) expect(resourcesOf(node.controller.configuration)).toEqual(["late", "vip", "x"]);
  });
});

describe("a write whose members leave before storing it", () => {
  for (const stonith of [true, false]) it(`in a pair, the half that alone holds it does not call it stored (fencing ${stonith ? "on" : "off"}): the other half may take changes of its own`, () => {
    const names = ["n1", "n2"];
    const cib = baseCib(names, stonith);
    const world = new ControllerWorld(names, cib);
    world.autoFence = false;
    world.view(1, names);
    world.run(2500);
    world.dropIf = (_from, to, message) => to === "n2" && message.t === "cib";
    change(world, "n1", 1, "0.3.0", withResource(cib, "a", 3));
    world.run(0);
    expect(world.replies.has(1)).toBe(false);
    world.powerLoss("n2");
    world.view(2, ["n1"]);
    world.run(0);
    expect(world.replies.get(1)).toMatchObject({ ok: false, code: "E_CIB_UNCERTAIN" });
  });

  it("in three nodes, a majority that holds it does", () => {
    const names = ["n1", "n2", "n3"];
    const cib = baseCib(names, false);
    const world = new ControllerWorld(names, cib);
    world.view(1, names);
    world.run(2500);
    world.dropIf = (_from, to, message) => to === "n3" && message.t === "cib";
    change(world, "n1", 1, "0.3.0", withResource(cib, "a", 3));
    world.run(0);
    world.powerLoss("n3");
    world.view(2, ["n1", "n2"]);
    world.run(0);
    expect(world.replies.get(1)).toMatchObject({ ok: true, version: "0.4.0" });
  });
});

describe("a cleanup", () => {
  it("waits for the DC's join, and names a member it could not reach (simulator seed 260)", () => {
    const names = ["n1", "n2", "n3"];
    const world = new ControllerWorld(names, baseCib(names, false));
    world.dropIf = (from, to) => from === "n1" && to === "n3";
    world.view(1, names);
    world.run(1500);
    world.feed(world.node("n1"), { kind: "client", nowMs: world.nowMs, clientId: 1, request: { kind: "cleanup", resource: "vip" } });
    world.run(0);
    // Held while the join runs (n3 has not answered yet).
    expect(world.replies.has(1)).toBe(false);
    world.run(5000);
    expect(world.replies.get(1)).toMatchObject({ ok: true, message: expect.stringContaining("not on n3, which has not joined the DC yet") });
  });

  it("limited to one operation (resource failcount reset ... operation=) reaches the node named with that operation and interval only", () => {
    const names = ["n1", "n2", "n3"];
    const world = new ControllerWorld(names, baseCib(names, false));
    world.view(1, names);
    world.run(1500);
    world.feed(world.node("n2"), { kind: "client", nowMs: world.nowMs, clientId: 1, request: { kind: "cleanup", resource: "vip", node: "n3", operation: "monitor", intervalMs: 10_000 } });
    world.run(1000);
    expect(world.replies.get(1)).toMatchObject({ ok: true, message: "cleaned up vip (fail counts of monitor every 10000 ms) on n3" });
    expect(world.cleanups).toEqual([{ node: "n3", resource: "vip", operation: "monitor", intervalMs: 10_000 }]);
  });
});

describe("a conflict between a copy a majority holds and one only its maker holds", () => {
  it("keeps the majority's copy (acknowledged there), whatever the digests say (simulator seed 219)", () => {
    const names = ["n1", "n2", "n3"];
    const old = baseCib(names, false);
    const acked = withResource(old, "acked", 4);
    // n1's copy of 0.4.0 was never acknowledged (its write reached nobody); pick one whose
    // digest is the greater, so that the digest alone would keep it.
    let unacked = withResource(old, "u0", 4);
    for (let index = 1; cibDigest(unacked) <= cibDigest(acked); index++) unacked = withResource(old, `u${index}`, 4);
    const world = new ControllerWorld(names, old);
    startFrom(world, names, "n1", unacked);
    startFrom(world, names, "n2", acked);
    startFrom(world, names, "n3", acked);
    world.view(1, names);
    world.run(2500);
    for (const node of world.nodes) expect(resourcesOf(node.controller.configuration)).toEqual(["acked", "vip"]);
    expect(world.keptConflicts.map((each) => each.node)).toContain("n1");
    expect(world.node("n1").controller.summary?.conflicts).toEqual([expect.objectContaining({ lostFrom: "n1", keptDigest: cibDigest(acked), lostDigest: cibDigest(unacked) })]);
  });
});
