// A person's fencing requests through the DC (stonith fence, stonith confirm) and the
// cluster's fence history: kept by the DC, merged at a join, stored by every member.
import { describe, expect, it } from "vitest";
import type { Cib } from "../../../src/cib";
import { checkControllerMessage, mergeFenceHistory, type ClientReply, type ClientRequest, type FenceHistoryEntry } from "../../../src/controller";
import { clusterCib } from "./fixtures";
import { ControllerWorld } from "./harness";

function cluster(names: string[]): Cib {
  return clusterCib(names, { resources: ["vip"], stickiness: "100" });
}

let nextClient = 1;
function ask(world: ControllerWorld, at: string, request: ClientRequest): () => ClientReply | undefined {
  const clientId = nextClient++;
  world.feed(world.node(at), { kind: "client", nowMs: world.nowMs, clientId, request });
  return () => world.replies.get(clientId) as ClientReply | undefined;
}

/** A pair whose vip runs on n2 (not the DC), which then loses power with its BMC: every fencing of it fails or hangs. */
function survivorWaiting(): ControllerWorld {
  const world = new ControllerWorld(["n1", "n2"], cluster(["n1", "n2"]));
  world.node("n2").running.add("vip");
  world.view(1, ["n1", "n2"]);
  world.run(2000);
  expect(world.activeNodes("vip")).toEqual(["n2"]);
  world.autoFence = false;
  world.powerLoss("n2");
  world.view(2, ["n1"]);
  world.run(3000);
  return world;
}

describe("stonith confirm through the DC", () => {
  it("releases a survivor that waits for a fencing that cannot succeed: the fencing stops, the resources start at once", () => {
    const world = survivorWaiting();
    expect(world.fences.map((fence) => fence.target)).toEqual(["n2"]);
    expect(world.activeNodes("vip")).toEqual([]);
    const reply = ask(world, "n1", { kind: "fence-confirm", target: "n2", client: "alice" });
    world.run(0);
    expect(reply()).toMatchObject({ ok: true, fence: { action: "confirm", target: "n2", state: "done", client: "alice", origin: "n1" } });
    expect(world.fences[0]!.cancelled).toBe(true);
    expect(world.activeNodes("vip")).toEqual(["n1"]);
    const history = world.node("n1").controller.fenceHistory;
    expect(history.map((entry) => `${entry.action} ${entry.target} ${entry.state}`)).toEqual(["reboot n2 failed", "confirm n2 done"]);
    expect(history[0]!.reason).toMatch(/stopped: alice on n1 confirmed by hand that n2 is down/);
    expect(world.node("n1").fenceHistory).toEqual(history);
    expect(world.node("n1").controller.summary?.nodes.find((node) => node.name === "n2")?.state).toBe("offline");
  });

  it("after a failed fencing, releases the survivor at once instead of after the retry wait", () => {
    const world = survivorWaiting();
    world.completeFence(world.node("n1"), 0, false);
    world.run(0);
    const fencesBefore = world.fences.length;
    ask(world, "n1", { kind: "fence-confirm", target: "n2", client: "alice" });
    world.run(0);
    expect(world.activeNodes("vip")).toEqual(["n1"]);
    expect(world.fences.length).toBe(fencesBefore);
  });

  it("refuses a member of the cluster and an unknown node, and changes nothing", () => {
    const world = new ControllerWorld(["n1", "n2"], cluster(["n1", "n2"]));
    world.view(1, ["n1", "n2"]);
    world.run(2000);
    const member = ask(world, "n1", { kind: "fence-confirm", target: "n2", client: "alice" });
    const unknown = ask(world, "n1", { kind: "fence-confirm", target: "n9", client: "alice" });
    world.run(200);
    expect(member()).toMatchObject({ ok: false, code: "E_FENCE_TARGET", error: expect.stringMatching(/n2 is a member of the cluster/) });
    expect(unknown()).toMatchObject({ ok: false, code: "E_FENCE_TARGET", error: expect.stringMatching(/"n9" is not a node of this cluster \(nodes: n1, n2\)/) });
    expect(world.node("n1").controller.fenceHistory).toEqual([]);
  });

  it("from a member, goes to the DC; every member stores the history with who confirmed and where", () => {
    const world = new ControllerWorld(["n1", "n2", "n3"], cluster(["n1", "n2", "n3"]));
    world.node("n3").running.add("vip");
    world.view(1, ["n1", "n2", "n3"]);
    world.run(2000);
    world.autoFence = false;
    world.powerLoss("n3");
    world.view(2, ["n1", "n2"]);
    world.run(2000);
    const reply = ask(world, "n2", { kind: "fence-confirm", target: "n3", client: "bob" });
    world.run(300);
    expect(reply()).toMatchObject({ ok: true });
    expect(world.activeNodes("vip")).toHaveLength(1);
    for (const name of ["n1", "n2"]) {
      const confirm = world.node(name).fenceHistory?.find((entry) => entry.action === "confirm");
      expect(confirm).toMatchObject({ target: "n3", origin: "n2", client: "bob", state: "done", reason: "bob on n2 confirmed by hand that n3 is down" });
    }
  });
});

describe("stonith fence through the DC", () => {
  it("fences a member at a person's request, answers when it ended, and takes the node offline at once", () => {
    const world = new ControllerWorld(["n1", "n2", "n3"], cluster(["n1", "n2", "n3"]));
    world.node("n3").running.add("vip");
    world.view(1, ["n1", "n2", "n3"]);
    world.run(2000);
    world.autoFence = false;
    const reply = ask(world, "n2", { kind: "fence", target: "n3", action: "off", client: "carol" });
    world.run(200);
    expect(world.fences.map((fence) => [fence.target, fence.by, fence.transition, fence.action])).toEqual([["n3", "n1", 0, "off"]]);
    // A person's request: the fencer applies no priority-fencing-delay to it (test/unit/fencer/person-delay.test.ts).
    expect(world.fences[0]!.byPerson).toBe(true);
    expect(reply()).toBeUndefined();
    world.completeFence(world.node("n1"), 0, true);
    world.run(300);
    expect(reply()).toMatchObject({ ok: true, fence: { target: "n3", action: "off", state: "done", origin: "n2", client: "carol" } });
    // n3 is still in the view (the view changes a moment later), but the cluster takes it for down: its vip starts elsewhere.
    expect(world.node("n1").controller.summary?.nodes.find((node) => node.name === "n3")?.state).toBe("offline");
    expect(world.activeNodes("vip").filter((name) => name !== "n3")).toHaveLength(1);
    expect(world.node("n2").fenceHistory?.at(-1)).toMatchObject({ target: "n3", state: "done", client: "carol" });
  });

  it("a lost node's fencing joins the person's fencing of it that runs, instead of starting another", () => {
    const world = new ControllerWorld(["n1", "n2"], cluster(["n1", "n2"]));
    world.node("n2").running.add("vip");
    world.view(1, ["n1", "n2"]);
    world.run(2000);
    world.autoFence = false;
    ask(world, "n1", { kind: "fence", target: "n2", client: "carol" });
    world.run(0);
    world.powerLoss("n2");
    world.view(2, ["n1"]);
    world.run(2000);
    expect(world.fences).toHaveLength(1);
    expect(world.activeNodes("vip")).toEqual([]);
    world.completeFence(world.node("n1"), 0, true);
    world.run(300);
    expect(world.activeNodes("vip")).toEqual(["n1"]);
  });

  it("reports a failed fencing with its reason", () => {
    const world = new ControllerWorld(["n1", "n2"], cluster(["n1", "n2"]));
    world.view(1, ["n1", "n2"]);
    world.run(2000);
    world.autoFence = false;
    const reply = ask(world, "n1", { kind: "fence", target: "n2", client: "carol" });
    world.run(0);
    world.completeFence(world.node("n1"), 0, false);
    world.run(0);
    expect(reply()).toMatchObject({ ok: false, code: "E_FENCE_FAILED", error: "fencing n2 failed: test", fence: { state: "failed" } });
  });

  it("refuses to fence the DC itself", () => {
    const world = new ControllerWorld(["n1", "n2"], cluster(["n1", "n2"]));
    world.view(1, ["n1", "n2"]);
    world.run(2000);
    const reply = ask(world, "n2", { kind: "fence", target: "n1", client: "carol" });
    world.run(200);
    expect(reply()).toMatchObject({ ok: false, code: "E_FENCE_TARGET", error: expect.stringMatching(/n1 is the DC/) });
    expect(world.fences).toEqual([]);
  });
});

describe("the cluster's fence history", () => {
  it("a node that was down gets the history at its join, and its own entries join the cluster's", () => {
    const world = survivorWaiting();
    ask(world, "n1", { kind: "fence-confirm", target: "n2", client: "alice" });
    world.run(0);
    const own: FenceHistoryEntry = { id: "fence-n2-5-1", target: "n1", action: "reboot", state: "failed", origin: "n2", requestedAtMs: 5000, completedAtMs: 6000, reason: "an old fencing n2 ran alone" };
    world.boot("n2", [own]);
    world.view(3, ["n1", "n2"]);
    world.run(2000);
    const ids = (name: string) => world.node(name).controller.fenceHistory.map((entry) => `${entry.action} ${entry.target}`);
    expect(ids("n1")).toEqual(["reboot n1", "reboot n2", "confirm n2"]);
    expect(ids("n2")).toEqual(ids("n1"));
  });

  it("a fencing the agent ran when it stopped is not pending after its restart", () => {
    const world = new ControllerWorld(["n1", "n2"], cluster(["n1", "n2"]));
    const pending: FenceHistoryEntry = { id: "fence-n1-1-1", target: "n2", action: "reboot", state: "pending", origin: "n1", requestedAtMs: 1000, reason: "lost" };
    const theirs: FenceHistoryEntry = { ...pending, id: "fence-n2-1-1", origin: "n2", target: "n1" };
    expect(world.boot("n1", [pending, theirs]).controller.fenceHistory.map((entry) => [entry.origin, entry.state, entry.reason])).toEqual([
      ["n1", "failed", "lost; the agent on n1 restarted before it ended"], ["n2", "pending", "lost"],
    ]);
  });

  it("merges by id, a finished entry replacing a pending one, oldest first and bounded", () => {
    const entry = (id: string, atMs: number, state: FenceHistoryEntry["state"]): FenceHistoryEntry => ({ id, target: "n2", action: "off", state, origin: "n1", requestedAtMs: atMs, reason: id });
    expect(mergeFenceHistory([entry("a", 2, "pending"), entry("b", 1, "done")], [entry("a", 2, "done")]).map((each) => `${each.id}:${each.state}`)).toEqual(["b:done", "a:done"]);
    expect(mergeFenceHistory([entry("a", 2, "done")], [entry("a", 2, "pending")]).map((each) => each.state)).toEqual(["done"]);
    const many = Array.from({ length: 300 }, (_, index) => entry(`e${index}`, index, "done"));
    const kept = mergeFenceHistory(many, []);
    expect(kept).toHaveLength(200);
    expect(kept[0]!.id).toBe("e100");
  });

  it("a history message is checked like every other message", () => {
    const good = { t: "fence-history", ringId: 1, records: [{ id: "x", target: "n2", action: "confirm", state: "done", origin: "n1", client: "alice", requestedAtMs: 1, completedAtMs: 1, reason: "r" }] };
    expect(checkControllerMessage(good).ok).toBe(true);
    expect(checkControllerMessage({ ...good, records: [{ ...good.records[0], action: "on" }] }).ok).toBe(true);
    expect(checkControllerMessage({ ...good, records: [{ ...good.records[0], action: "shoot" }] })).toMatchObject({ ok: false, problem: expect.stringMatching(/records\[0\]\.action: not one of off, reboot, on, confirm/) });
    expect(checkControllerMessage({ ...good, records: Array.from({ length: 300 }, () => good.records[0]) })).toMatchObject({ ok: false, problem: expect.stringMatching(/more than 256 entries/) });
    expect(checkControllerMessage({ t: "request", requestId: 1, request: { kind: "fence-confirm", target: "n2" } })).toMatchObject({ ok: false, problem: expect.stringMatching(/client: not a string/) });
  });
});
