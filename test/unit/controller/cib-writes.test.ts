// How many times the DC writes the CIB for one change: each write is an fsync on an
// appliance's flash. The harness keeps every persist effect as the agent's CibStore would
// write it (node.stored, node.lineage), so the writes are counted where the store sees them.
// An acknowledged change is on disk, with its acknowledged mark, before the client is told.
import { describe, expect, it } from "vitest";
import { emptyCib, formatVersion, type Cib } from "../../../src/cib";
import type { ControllerEffect } from "../../../src/controller";
import { ControllerWorld } from "./harness";

function cibFor(names: string[], withNodes = true): Cib {
  const cib = emptyCib();
  cib.version = { adminEpoch: 0, epoch: 3, numUpdates: 0 };
  cib.properties = [{ id: "cib-bootstrap-options", values: { "stonith-enabled": "false", "no-quorum-policy": "stop" } }];
  cib.nodes = withNodes ? names.map((uname, index) => ({ id: String(index + 1), uname, extra: {}, instance: [], utilization: [] })) : [];
  return cib;
}

/** The configuration in force with one more Dummy primitive. */
function withDummy(cib: Cib, id: string): Cib {
  const next = structuredClone(cib);
  next.resources.push({ kind: "primitive", id, class: "ocf", provider: "heartbeat", type: "Dummy", extra: {}, instance: [], meta: [], operations: [] });
  return next;
}

/** Sends one CLI change to `via` through the world (its effects performed) and returns the effects of that one step. */
function changeThrough(world: ControllerWorld, via: string, clientId: number): ControllerEffect[] {
  const node = world.node(via);
  const current = node.controller.configuration;
  const handle = node.controller.handle.bind(node.controller);
  let out: ControllerEffect[] = [];
  node.controller.handle = (input) => (out = handle(input));
  world.feed(node, { kind: "client", nowMs: world.nowMs, clientId, request: { kind: "cib-replace", base: formatVersion(current.version), cib: JSON.parse(JSON.stringify(withDummy(current, `dummy${clientId}`))) } });
  node.controller.handle = handle;
  return out;
}

describe("CIB writes per change", () => {
  it("a DC alone in its quorate partition writes one CLI change once, with its acknowledged mark, before it answers", () => {
    const world = new ControllerWorld(["n1"], cibFor(["n1"]));
    world.view(1, ["n1"]);
    world.run(2000);
    expect(world.node("n1").controller.role).toBe("dc");
    const out = changeThrough(world, "n1", 1);
    const writes = out.filter((effect) => effect.kind === "persist");
    expect(writes).toHaveLength(1);
    const write = writes[0]!;
    expect(write.kind === "persist" && formatVersion(write.cib.version)).toBe("0.4.0");
    expect(write.kind === "persist" && write.lineage?.mark && formatVersion(write.lineage.mark.version)).toBe("0.4.0");
    const replied = out.findIndex((effect) => effect.kind === "reply");
    expect(out[replied]).toMatchObject({ kind: "reply", clientId: 1, reply: { ok: true, version: "0.4.0" } });
    expect(out.indexOf(write)).toBeLessThan(replied);
  });

  it("a node alone completes its first join with one write: the nodes section it adds and its mark together", () => {
    const world = new ControllerWorld(["n1"], cibFor(["n1"], false));
    world.view(1, ["n1"]);
    world.run(2000);
    const node = world.node("n1");
    expect(node.controller.role).toBe("dc");
    expect(node.stored).toHaveLength(1);
    expect(node.stored[0]!.nodes.map((each) => each.uname)).toEqual(["n1"]);
    expect(node.lineage?.mark && formatVersion(node.lineage.mark.version)).toBe(formatVersion(node.stored[0]!.version));
  });

  it("a DC with a member writes the copy before sending it and the mark once the member stored it (both needed, see noteAcknowledged)", () => {
    const names = ["n1", "n2"];
    const world = new ControllerWorld(names, cibFor(names));
    world.view(1, names);
    world.run(2000);
    const dc = world.node("n1");
    expect(dc.controller.role).toBe("dc");
    const before = dc.stored.length;
    const out = changeThrough(world, "n1", 1);
    const written = out.findIndex((effect) => effect.kind === "persist");
    const sent = out.findIndex((effect) => effect.kind === "send" && effect.message.t === "cib");
    expect(written).toBeGreaterThanOrEqual(0);
    expect(written).toBeLessThan(sent);
    const first = out[written]!;
    expect(first.kind === "persist" && first.lineage?.mark && formatVersion(first.lineage.mark.version)).not.toBe("0.4.0");
    world.run(500);
    expect(world.replies.get(1)).toMatchObject({ ok: true, version: "0.4.0" });
    expect(dc.stored.length - before).toBe(2);
    expect(dc.lineage?.mark && formatVersion(dc.lineage.mark.version)).toBe("0.4.0");
  });
});
