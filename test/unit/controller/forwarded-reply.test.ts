// A member forwards its client's change to the DC, and the DC answers once every member stored
// it. That answer can come after the member's agent restarted: the new process must not take it
// for the answer to a request of its own (simulator seed 922 at the 500 ms default heartbeat: a
// client was told "done" for a change on a stale configuration that was never made, because the
// new process numbered its requests from 1 again).
import { describe, expect, it } from "vitest";
import { formatVersion, type Cib } from "../../../src/cib";
import type { ControllerMessage } from "../../../src/controller";
import { clusterCib, dummy } from "./fixtures";
import { ControllerWorld } from "./harness";

function withResource(cib: Cib, id: string): Cib {
  const next = structuredClone(cib);
  next.resources.push(dummy(id));
  return next;
}

describe("an answer the DC sends to a member's earlier process", () => {
  it("is not taken by the restarted process for one of its own requests", () => {
    const names = ["n1", "n2", "n3"];
    const world = new ControllerWorld(names, clusterCib(names, { fencing: false }));
    world.view(1, names);
    world.run(3000);
    expect(world.node("n3").controller.dcName).toBe("n1");
    // n3's client asks for "first"; n3 forwards it and its agent dies before the DC's copy reaches it.
    const n3 = world.node("n3");
    world.feed(n3, { kind: "client", nowMs: world.nowMs, clientId: 1, request: { kind: "cib-replace", base: "0.3.0", cib: JSON.parse(JSON.stringify(withResource(n3.controller.configuration, "first"))) } });
    world.dropIf = (_from, to) => to === "n3";
    world.run(0);
    expect(world.node("n1").controller.configuration.resources.map((resource) => resource.id)).toEqual(["first"]);
    world.agentCrash("n3");
    world.boot("n3");
    // n3 leaves the view; the DC answers the forwarded change then (stored by the quorate
    // majority), and that answer is late: it reaches n3 only after n3 rejoined.
    const late: Array<{ from: number; to: number; message: ControllerMessage }> = [];
    world.dropIf = (from, to, message) => {
      if (from === "n1" && to === "n3" && message.t === "reply") late.push({ from: 1, to: 3, message });
      return to === "n3" || from === "n3";
    };
    world.view(2, ["n1", "n2"]);
    world.run(500);
    expect(late).toHaveLength(1);
    expect(late[0]!.message).toMatchObject({ reply: { ok: true, version: "0.4.0" } });
    world.dropIf = undefined;
    world.view(3, names);
    world.run(3000);
    expect(world.node("n3").controller.dcName).toBe("n1");
    expect(formatVersion(world.node("n3").controller.configuration.version)).toBe("0.4.0");
    // The new process's client asks for "second"; the late answer arrives first.
    const restarted = world.node("n3");
    world.feed(restarted, { kind: "client", nowMs: world.nowMs, clientId: 2, request: { kind: "cib-replace", base: "0.4.0", cib: JSON.parse(JSON.stringify(withResource(restarted.controller.configuration, "second"))) } });
    world.queue.unshift(...late);
    world.run(1000);
    // The answer client 2 gets is the DC's answer to "second" (0.5.0), not the late "first" one.
    expect(world.replies.get(2)).toMatchObject({ ok: true, version: "0.5.0" });
    expect(world.node("n1").controller.configuration.resources.map((resource) => resource.id).sort()).toEqual(["first", "second"]);
  });
});
