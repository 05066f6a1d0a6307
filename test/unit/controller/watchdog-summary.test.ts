// A node that feeds a watchdog publishes its timeout; the DC's summary carries it, so that
// when the DC itself is lost the next DC still knows the lost node runs a watchdog and may
// fence it by waiting stonith-watchdog-timeout (src/fencer/watchdog.ts).
import { describe, expect, it } from "vitest";
import { emptyCib, type Cib, type Primitive } from "../../../src/cib";
import { worldFromCib, WATCHDOG_ATTRIBUTE } from "../../../src/fencer";
import { ControllerWorld } from "./harness";

function primitive(id: string): Primitive {
  return { kind: "primitive", id, class: "ocf", provider: "heartbeat", type: "Dummy", extra: {}, instance: [], meta: [], operations: [] };
}

function cib(): Cib {
  const result = emptyCib();
  result.version = { adminEpoch: 0, epoch: 3, numUpdates: 0 };
  result.properties = [{ id: "cib-bootstrap-options", values: { "stonith-enabled": "true", "stonith-watchdog-timeout": "5s" } }];
  result.nodes = [{ id: "1", uname: "n1", extra: {}, instance: [], utilization: [] }, { id: "2", uname: "n2", extra: {}, instance: [], utilization: [] }];
  result.resources = [primitive("vip")];
  return result;
}

describe("a lost DC's watchdog", () => {
  it("the next DC's fence request knows the lost DC's watchdog timeout from the summary", () => {
    const world = new ControllerWorld(["n1", "n2"], cib());
    for (const node of world.nodes) node.attributes = { [WATCHDOG_ATTRIBUTE]: "2000" };
    world.view(1, ["n1", "n2"]);
    world.run(2000);
    const dc = world.nodes.find((node) => node.controller.dcName === node.name)!;
    const survivor = world.nodes.find((node) => node !== dc)!;
    expect(survivor.controller.summary?.nodes.find((node) => node.name === dc.name)?.watchdogTimeoutMs).toBe(2000);
    world.autoFence = false;
    world.dropMessages = true;
    world.feed(survivor, { kind: "view", nowMs: world.nowMs, ringId: 2, members: [survivor.id], quorate: true });
    world.run(3000);
    const request = world.fences.find((fence) => fence.target === dc.name && fence.by === survivor.name);
    expect(request).toBeDefined();
    expect(worldFromCib(request!.cib, [survivor.name], {}, undefined, { nodeCount: 3, hasArbiter: true }).watchdog?.timeoutsMs[dc.name]).toBe(2000);
  });
});
