// The DC runs a live migration as the scheduler's graph says: migrate_to on the node the
// resource leaves, then migrate_from on the one it goes to (both told the two nodes), then the
// stop on the source; the next plan reads the migration from the history and does nothing more.
import { describe, expect, it } from "vitest";
import { emptyCib, type Cib, type Primitive } from "../../../src/cib";
import { ControllerWorld } from "./harness";

function vm(allowMigrate: boolean): Primitive {
  return { kind: "primitive", id: "vm", class: "ocf", provider: "heartbeat", type: "Dummy", extra: {}, instance: [], meta: [{ id: "vm-meta", values: { "allow-migrate": String(allowMigrate) } }], operations: [] };
}

function pair(allowMigrate: boolean): Cib {
  const cib = emptyCib();
  cib.version = { adminEpoch: 0, epoch: 3, numUpdates: 0 };
  cib.properties = [{ id: "options", values: { "stonith-enabled": "false" } }];
  cib.nodes = [{ id: "1", uname: "n1", extra: {}, instance: [], utilization: [] }, { id: "2", uname: "n2", extra: {}, instance: [], utilization: [] }];
  cib.resources = [vm(allowMigrate)];
  // vm runs on n1 (the probe finds it there) and may no longer run there.
  cib.constraints = [{ kind: "location", id: "not-n1", rsc: "vm", node: "n1", score: "-INFINITY", extra: {}, rules: [] }];
  return cib;
}

function run(allowMigrate: boolean): ControllerWorld {
  const world = new ControllerWorld(["n1", "n2"], pair(allowMigrate));
  world.node("n1").running.add("vm");
  world.view(1, ["n1", "n2"]);
  world.run(5000);
  return world;
}

describe("live migration run by the DC", () => {
  it("migrate_to on the source, migrate_from on the target, then the stop on the source", () => {
    const world = run(true);
    expect(world.operations).toEqual(["migrate_to vm on n1 n1>n2", "migrate_from vm on n2 n1>n2", "stop vm on n1"]);
    expect(world.activeNodes("vm")).toEqual(["n2"]);
  });

  it("without allow-migrate: stop then start", () => {
    const world = run(false);
    expect(world.operations).toEqual(["stop vm on n1", "start vm on n2"]);
    expect(world.activeNodes("vm")).toEqual(["n2"]);
  });
});
