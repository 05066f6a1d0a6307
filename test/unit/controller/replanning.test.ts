// Issue 15, defect 1 (the DC's side): deleting a resource whose stop fails must neither
// fence (fencing off) nor re-plan that stop in a loop, and re-planning is bounded in rate
// whatever happens: a transition that did nothing but fail, planned again with the same
// steps, waits (1 s, then twice as long each time), said once at error level.
//
// Scenario "delete a running resource whose stop fails": a pair, fencing off, group web
// (vip, proxy) on one node; the stop of proxy fails there; `resource delete proxy`.
// Scenario "a start that can never succeed": vip's start fails on its node and nothing in
// the status changes (no fail count), so the scheduler plans the same start again and again.
import { describe, expect, it } from "vitest";
import { emptyCib, type Cib, type Primitive } from "../../../src/cib";
import type { Context } from "../../../src/controller/context";
import { drive } from "../../../src/controller/execution";
import { ControllerWorld } from "./harness";

function primitive(id: string): Primitive {
  return { kind: "primitive", id, class: "ocf", provider: "heartbeat", type: "Dummy", extra: {}, instance: [], meta: [], operations: [] };
}

function pairCib(members: string[], epoch = 3): Cib {
  const cib = emptyCib();
  cib.version = { adminEpoch: 0, epoch, numUpdates: 0 };
  cib.properties = [{ id: "cib-bootstrap-options", values: { "stonith-enabled": "false", "no-quorum-policy": "stop" } }];
  cib.nodes = [{ id: "1", uname: "n1", extra: {}, instance: [], utilization: [] }, { id: "2", uname: "n2", extra: {}, instance: [], utilization: [] }];
  cib.resources = [{ kind: "group", id: "web", extra: {}, instance: [], meta: [], members: members.map(primitive) }];
  cib.rscDefaults = [{ id: "defaults", values: { "resource-stickiness": "100" } }];
  return cib;
}

const planned = (world: ControllerWorld) => world.log.filter((line) => line.includes("transition planned")).length;

describe("re-planning is bounded", () => {
  for (const how of ["fails", "is refused without a record"] as const) it(`a deleted resource whose stop ${how} (fencing off) is blocked where it is: one stop, no fence, no loop`, () => {
    const world = new ControllerWorld(["n1", "n2"], pairCib(["vip", "proxy"]));
    world.view(1, ["n1", "n2"]);
    world.run(2000);
    const holder = world.activeNodes("proxy")[0]!;
    (how === "fails" ? world.failStop : world.refuseStop).add(`proxy@${holder}`);
    const before = planned(world);
    world.feed(world.node("n2"), { kind: "client", nowMs: world.nowMs, clientId: 1, request: { kind: "cib-replace", base: "0.3.0", cib: JSON.parse(JSON.stringify(pairCib(["vip"]))) } });
    world.run(60_000);
    expect(world.replies.get(1)).toMatchObject({ ok: true });
    expect(world.fences).toEqual([]);
    expect(world.activeNodes("proxy")).toEqual([holder]);
    // The stop was tried once; the orphan is then shown blocked (unmanaged), and nothing more is planned.
    expect(world.log.filter((line) => line.includes("operation failed") && line.includes("proxy")).length).toBe(1);
    expect(planned(world) - before).toBeLessThanOrEqual(2);
    const shown = world.node(holder).controller.summary?.resources.find((resource) => resource.id === "proxy");
    expect(shown).toMatchObject({ orphan: true, managed: false, nodes: [holder] });
  });

  it("a start that can never succeed is retried with a doubling pause, said once, not in a loop", () => {
    const world = new ControllerWorld(["n1", "n2"], pairCib(["vip"]));
    world.failStart.add("vip@n1");
    world.failStart.add("vip@n2");
    world.view(1, ["n1", "n2"]);
    world.run(60_000);
    // Pauses of 1, 2, 4, 8, 16 and 32 s fit in a minute: about eight attempts, not thousands.
    expect(world.starts.length).toBeGreaterThanOrEqual(3);
    expect(world.starts.length).toBeLessThanOrEqual(10);
    expect(world.log.filter((line) => line.includes("the same transition failed again")).length).toBe(1);
  });

  it("whatever asks for plans, the DC plans at most 30 times in 10 s", () => {
    const world = new ControllerWorld(["n1", "n2"], pairCib(["vip"]));
    world.view(1, ["n1", "n2"]);
    world.run(2000);
    const context = (world.node("n1").controller as unknown as { context: Context }).context;
    const state = context.role.kind === "dc" ? context.role.state : undefined;
    const plans = new Set<number>();
    const out: Parameters<typeof drive>[4] = [];
    for (let index = 0; index < 1000; index++) {
      state!.needPlan = true;
      const nowMs = world.nowMs + index;
      drive(context, state!, true, nowMs, out);
      plans.add(state!.lastPlanMs);
    }
    expect(plans.size).toBeLessThanOrEqual(31);
    expect(out.filter((effect) => effect.kind === "log" && effect.message.startsWith("planning too often")).length).toBe(1);
  });
});
