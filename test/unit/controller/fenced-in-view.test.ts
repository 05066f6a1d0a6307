// A member fenced while it is still in the view counts as offline until it leaves the view; one
// that reboots and is back in the view as a new process (a larger incarnation) before this node
// ever saw a view without it is a member again, as corosync's CPG reports a process that left
// and joined. Found by the simulator (seed 666 with op-digest in the reports, regressions.test.ts):
// the DC kept such a node offline, took it for unclean and fenced it again without cause.
import { describe, expect, it } from "vitest";
import type { Cib } from "../../../src/cib";
import type { ClientRequest } from "../../../src/controller";
import { clusterCib } from "./fixtures";
import { ControllerWorld } from "./harness";

function cluster(names: string[]): Cib {
  return clusterCib(names, { resources: ["vip"], stickiness: "100" });
}

/** The view on every up member, with each member's incarnation as membership agreed it. */
function view(world: ControllerWorld, ringId: number, incarnations: Record<string, number>): void {
  const names = Object.keys(incarnations);
  const members = names.map((name) => world.node(name).id);
  const byId = Object.fromEntries(names.map((name) => [world.node(name).id, incarnations[name]!]));
  for (const name of names) if (world.node(name).up) world.feed(world.node(name), { kind: "view", nowMs: world.nowMs, ringId, members, quorate: true, incarnations: byId });
}

/** n3 (running vip) is fenced by a person's request while in the view; it reboots at once. */
function fencedAndBack(): ControllerWorld {
  const world = new ControllerWorld(["n1", "n2", "n3"], cluster(["n1", "n2", "n3"]));
  world.node("n3").running.add("vip");
  view(world, 1, { n1: 1, n2: 1, n3: 1 });
  world.run(2000);
  world.autoFence = false;
  const request: ClientRequest = { kind: "fence", target: "n3", action: "reboot", client: "carol" };
  world.feed(world.node("n2"), { kind: "client", nowMs: world.nowMs, clientId: 1, request });
  world.run(200);
  world.completeFence(world.node("n1"), 0, true);
  world.run(300);
  expect(world.node("n1").controller.summary?.nodes.find((node) => node.name === "n3")?.state).toBe("offline");
  world.boot("n3");
  return world;
}

const stateOf = (world: ControllerWorld, name: string) => world.node("n1").controller.summary?.nodes.find((node) => node.name === name)?.state;

describe("a node fenced while in the view", () => {
  it("is a member again once it is in the view as a new process, and is not fenced again", () => {
    const world = fencedAndBack();
    // The DC never sees a view without n3: the next one has n3's new process.
    view(world, 2, { n1: 1, n2: 1, n3: 2 });
    world.run(5000);
    expect(stateOf(world, "n3")).toBe("online");
    expect(world.fences.map((fence) => fence.target)).toEqual(["n3"]);
  });

  it("is no member while the same process is in the view (its fencing did not take it down)", () => {
    const world = fencedAndBack();
    view(world, 2, { n1: 1, n2: 1, n3: 1 });
    world.run(3000);
    expect(stateOf(world, "n3")).not.toBe("online");
  });
});
