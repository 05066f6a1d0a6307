// `edgeha status --json` is held to docs/status.schema.json: the summary a real controller
// builds (here in the deterministic world, after a failover with fencing) and the envelope the
// CLI prints must validate; a field the schema does not know fails the test.
import { describe, expect, it } from "vitest";
import Ajv from "ajv";
import { readFileSync } from "node:fs";
import path from "node:path";
import { emptyCib, type Cib, type Primitive } from "../../../src/cib";
import { ControllerWorld } from "../controller/harness";
import { renderClusterStatus, STATUS_SCHEMA_VERSION, statusJson } from "../../../src/cli/commands/cluster";

const schema = JSON.parse(readFileSync(path.resolve(__dirname, "../../../docs/status.schema.json"), "utf8")) as object;
const validate = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }).compile(schema);

function primitive(id: string): Primitive {
  return { kind: "primitive", id, class: "ocf", provider: "heartbeat", type: "Dummy", extra: {}, instance: [], meta: [], operations: [] };
}

function pairCib(): Cib {
  const cib = emptyCib();
  cib.properties = [{ id: "cib-bootstrap-options", values: { "stonith-enabled": "true" } }];
  cib.resources = [{ kind: "group", id: "web", extra: {}, instance: [], meta: [], members: [primitive("vip"), primitive("proxy")] }];
  return cib;
}

function envelope(summary: unknown): Record<string, unknown> {
  return statusJson({
    cluster: "pair", node: { name: "n1", id: 1 }, ringId: 2,
    members: [{ name: "n1", id: 1, links: [{ address: "127.0.0.1", state: "local" }] }],
    quorum: { quorate: true, votes: 1, expected: 2, quorum: 1, flags: ["Quorate", "2Node"] },
    arbiter: { configured: false, state: "none" }, frames: { accepted: 10, auth: 0 },
    dc: "n1", cluster_state: summary as never, cibVersion: "0.1.0",
    agent: { pid: 1, rss: 1, heapUsed: 1, heapTotal: 1, external: 1 },
  });
}

describe("status JSON schema", () => {
  it("holds the summary of a controller after a failover with fencing", () => {
    const cib = pairCib();
    cib.nodes = [{ id: "1", uname: "n1", extra: {}, instance: [{ id: "n1-attrs", values: { site: "west" } }], utilization: [] }];
    const world = new ControllerWorld(["n1", "n2"], cib);
    for (const name of ["n1", "n2"]) world.node(name).attributes = { cpu_cores: "2", "fail-count-vip#monitor_10000": "1", "last-failure-vip#monitor_10000": "1001" };
    world.view(1, ["n1", "n2"]);
    world.run(2000);
    const active = world.activeNodes("vip")[0]!;
    const survivor = active === "n1" ? "n2" : "n1";
    world.powerLoss(active);
    world.view(2, [survivor]);
    world.run(3000);
    const summary = world.node(survivor).controller.summary;
    expect(summary?.fencing.length).toBeGreaterThan(0);
    // status --full's parts are held to the schema too.
    expect(summary?.history?.length).toBeGreaterThan(0);
    expect(summary?.transitions?.length).toBeGreaterThan(0);
    expect(summary?.failCounts?.length).toBeGreaterThan(0);
    expect(Object.keys(summary?.attributes ?? {})).toEqual([survivor]);
    expect(summary?.permanentAttributes).toEqual({ n1: { site: "west" } });
    const value = envelope(summary);
    expect(validate(value), JSON.stringify(validate.errors)).toBe(true);
    expect(value.schemaVersion).toBe(STATUS_SCHEMA_VERSION);
  });

  it("holds, and the text shows, why changes wait in a pair without fencing whose peer was lost (E_PEER_UNCONFIRMED)", () => {
    const cib = pairCib();
    cib.properties = [{ id: "cib-bootstrap-options", values: { "stonith-enabled": "false" } }];
    const world = new ControllerWorld(["n1", "n2"], cib, { twoNodeWithoutArbiter: true });
    world.view(1, ["n1", "n2"]);
    world.run(2000);
    world.powerLoss("n2");
    world.view(2, ["n1"]);
    world.run(2000);
    const summary = world.node("n1").controller.summary;
    expect(summary?.unconfirmed).toEqual(["n2"]);
    const value = envelope(summary);
    expect(validate(value), JSON.stringify(validate.errors)).toBe(true);
    const text = renderClusterStatus(value as never);
    expect(text).toContain("WARNINGS:\n  * configuration changes wait (E_PEER_UNCONFIRMED): n2 left without a clean stop and fencing is off");
    expect(text).toContain("'edgeha stonith confirm n2'");
  });

  it("holds a node that knows no DC yet", () => {
    const value = { ...envelope(null), dc: null };
    expect(validate(value), JSON.stringify(validate.errors)).toBe(true);
  });

  it("refuses what it does not describe", () => {
    expect(validate({ ...envelope(null), surprise: 1 })).toBe(false);
    expect(validate({ ...envelope(null), schemaVersion: 2 })).toBe(false);
    const summary = { dc: "n1", ringId: 1, cibVersion: "0.1.0", quorate: true, nodes: [{ name: "n1", state: "sleeping" }], resources: [], failedActions: [], fencing: [], transition: null, leaving: [] };
    expect(validate(envelope(summary))).toBe(false);
  });
});
