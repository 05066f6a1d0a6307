// The controller's invariants are assertions: a broken one throws AssertionFailure (the
// agent then ends itself). Each case breaks one rule on purpose, as a bug would.
import { describe, expect, it } from "vitest";
import { emptyCib, type Cib } from "../../../src/cib";
import { AssertionFailure } from "../../../src/common/errors";
import { Controller, CONTROLLER_DEFAULTS, type ControllerEffect, type NodeReport } from "../../../src/controller";
import type { Context } from "../../../src/controller/context";
import { checkInvariants, snapshot } from "../../../src/controller/invariants";
import { drive } from "../../../src/controller/execution";
import { ControllerWorld } from "./harness";

function cib(epoch: number): Cib {
  const value = emptyCib();
  value.version = { adminEpoch: 0, epoch, numUpdates: 0 };
  return value;
}

const report: NodeReport = { node: "n1", probed: true, cibVersion: "0.3.0", busy: false, resources: {}, attributes: {}, shutdown: false };

function contextOf(controller: Controller): Context {
  return (controller as unknown as { context: Context }).context;
}

function fresh(): Context {
  return contextOf(new Controller({ ...CONTROLLER_DEFAULTS, localId: 1, nodes: [{ id: 1, name: "n1" }, { id: 2, name: "n2" }] }, cib(3), report));
}

const tick = { kind: "tick", nowMs: 0, epochSeconds: 0 } as const;

describe("controller invariants", () => {
  it("the configuration in force never goes back", () => {
    const context = fresh();
    const before = snapshot(context);
    context.cib = cib(2);
    expect(() => checkInvariants(context, before, tick, [{ kind: "persist", cib: context.cib }])).toThrow(AssertionFailure);
  });

  it("a configuration put in force is persisted, and persisted before it is acknowledged", () => {
    const context = fresh();
    const before = snapshot(context);
    context.cib = cib(4);
    expect(() => checkInvariants(context, before, tick, [])).toThrow(/without being persisted/);
    const ack: ControllerEffect = { kind: "send", to: 2, message: { t: "cib-ack", ringId: 1, writeId: 1 } };
    expect(() => checkInvariants(context, before, tick, [ack, { kind: "persist", cib: context.cib }])).toThrow(/acknowledged before it was persisted/);
    const reply: ControllerEffect = { kind: "reply", clientId: 1, reply: { ok: true, version: "0.4.0" } };
    expect(() => checkInvariants(context, before, tick, [reply, { kind: "persist", cib: context.cib }])).toThrow(/acknowledged before it was persisted/);
    expect(() => checkInvariants(context, before, tick, [{ kind: "persist", cib: context.cib }, ack, reply])).not.toThrow();
  });

  it("a node never follows itself, nor a DC outside its view", () => {
    const context = fresh();
    context.members = [1, 2];
    context.role = { kind: "follower", dc: 1, claim: undefined };
    expect(() => checkInvariants(context, snapshot(context), tick, [])).toThrow(/follows itself/);
    context.members = [1];
    context.role = { kind: "follower", dc: 2, claim: undefined };
    expect(() => checkInvariants(context, snapshot(context), tick, [])).toThrow(/outside its view/);
  });

  it("a node never sends to itself", () => {
    const context = fresh();
    expect(() => checkInvariants(context, snapshot(context), tick, [{ kind: "send", to: 1, message: { t: "cib-ack", ringId: 1, writeId: 1 } }])).toThrow(/to itself/);
  });

  it("whatever graph the scheduler made, the DC starts nothing but fencing devices before the transition's fencing is done", () => {
    const withDevice = cib(3);
    withDevice.resources = [{ kind: "primitive", id: "fence-n2", class: "stonith", type: "fence_ipmilan", extra: {}, instance: [], meta: [], operations: [] }];
    const world = new ControllerWorld(["n1", "n2"], withDevice);
    world.view(1, ["n1", "n2"]);
    world.run(2000);
    const context = contextOf(world.node("n1").controller);
    expect(context.role.kind).toBe("dc");
    const state = context.role.kind === "dc" ? context.role.state : undefined;
    // A graph with a start that does not wait for the fence (a broken edge).
    state!.transition = {
      id: 99, aborted: false, steps: [
        { id: 0, kind: "fence", node: "n2", after: [], state: "pending", reason: "lost" },
        { id: 1, kind: "start", node: "n1", resource: "vip", after: [], state: "pending", reason: "n2 lost" },
      ],
    };
    expect(() => drive(context, state!, true, world.nowMs, [])).toThrow(/before the transition's fencing is done/);
    // A fencing device may start first (Pacemaker's rule): one may be needed to fence.
    state!.transition = {
      id: 100, aborted: false, steps: [
        { id: 0, kind: "fence", node: "n2", after: [], state: "pending", reason: "lost" },
        { id: 1, kind: "start", node: "n1", resource: "fence-n2", after: [], state: "pending", reason: "n2 lost" },
      ],
    };
    expect(() => drive(context, state!, true, world.nowMs, [])).not.toThrow();
  });
});
