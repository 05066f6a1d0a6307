import { describe, expect, it } from "vitest";
import { allPrimitives, flattenSets, type Group, type Primitive } from "../../../src/cib";
import { applyEdit, parseResourceCreate, parseSettings } from "../../../src/admin";
import { dummy, edits, failure, twoNodeCib } from "./fixture";

describe("resource create", () => {
  it("adds a primitive with its attributes, operations and meta, at the next configuration version", () => {
    const edit = parseResourceCreate(["vip", "ocf:heartbeat:IPaddr2", "ip=10.0.0.10", "cidr_netmask=24", "op", "monitor", "interval=5s", "timeout=20s", "meta", "resource-stickiness=100"], {});
    const result = applyEdit(twoNodeCib(), edit);
    expect(result.cib.version).toEqual({ adminEpoch: 0, epoch: 6, numUpdates: 0 });
    const vip = result.cib.resources[0] as Primitive;
    expect(vip).toMatchObject({ kind: "primitive", id: "vip", class: "ocf", provider: "heartbeat", type: "IPaddr2" });
    expect(flattenSets(vip.instance)).toEqual({ ip: "10.0.0.10", cidr_netmask: "24" });
    expect(flattenSets(vip.meta)).toEqual({ "resource-stickiness": "100" });
    expect(vip.operations).toMatchObject([{ name: "monitor", interval: "5s", intervalMs: 5000, timeout: "20s" }]);
    expect(result.warnings).toEqual([]);
  });

  it("adds a 10s monitor when none is given, unless told not to", () => {
    const result = applyEdit(twoNodeCib(), parseResourceCreate(["web", "systemd:haproxy"], {}));
    expect((result.cib.resources[0] as Primitive).operations).toMatchObject([{ name: "monitor", interval: "10s", intervalMs: 10_000 }]);
    const bare = applyEdit(twoNodeCib(), parseResourceCreate(["web", "systemd:haproxy"], { noDefaultOperations: true }));
    expect((bare.cib.resources[0] as Primitive).operations).toEqual([]);
  });

  it("rejects agent names that are not CLASS:PROVIDER:TYPE or CLASS:TYPE, naming the near class", () => {
    expect(failure(() => parseResourceCreate(["vip", "ofc:heartbeat:IPaddr2"], {}))).toMatchObject({ code: "E_ADMIN_AGENT", message: expect.stringContaining("did you mean 'ocf'") });
    expect(failure(() => parseResourceCreate(["vip", "ocf:IPaddr2"], {}))).toMatchObject({ code: "E_ADMIN_AGENT", message: expect.stringContaining("needs a provider") });
    // A bare type is the CLI's to resolve among the installed agents (as pcs does); unresolved, the edit refuses it.
    expect(parseResourceCreate(["vip", "IPaddr2"], {}).agent).toEqual({ class: "", type: "IPaddr2" });
    expect(failure(() => applyEdit(twoNodeCib(), parseResourceCreate(["vip", "IPaddr2"], {})))).toMatchObject({ code: "E_ADMIN_AGENT", message: expect.stringContaining("names no class") });
    expect(failure(() => parseResourceCreate(["f", "stonith:ipmilan"], {}))).toMatchObject({ code: "E_ADMIN_AGENT", message: expect.stringContaining("stonith create") });
  });

  it("warns about an agent the catalog does not hold, naming near matches", () => {
    const result = applyEdit(twoNodeCib(), parseResourceCreate(["vip", "ocf:heartbeat:IPadr2"], { noDefaultOperations: true }), { agents: ["ocf:heartbeat:IPaddr2", "ocf:heartbeat:Dummy"] });
    expect(result.warnings).toEqual([expect.stringContaining("did you mean 'ocf:heartbeat:IPaddr2'")]);
  });

  it("refuses an id that is taken or not an XML name, and an unknown operation", () => {
    const cib = edits(twoNodeCib(), [dummy("d1")]).cib;
    expect(failure(() => applyEdit(cib, dummy("d1")))).toMatchObject({ code: "E_ADMIN_EXISTS" });
    expect(failure(() => applyEdit(cib, dummy("1bad")))).toMatchObject({ code: "E_ADMIN_ID" });
    const badOperation = dummy("d2", { settings: parseSettings(["op", "moniter", "interval=5s"]) });
    expect(failure(() => applyEdit(cib, badOperation))).toMatchObject({ code: "E_ADMIN_ARGUMENT", message: expect.stringContaining("did you mean 'monitor'") });
    const badInterval = dummy("d2", { settings: parseSettings(["op", "monitor", "interval=often"]) });
    expect(failure(() => applyEdit(cib, badInterval))).toMatchObject({ code: "E_CIB_DURATION" });
  });

  it("creates the group named by --group, and places members before or after another", () => {
    const cib = edits(twoNodeCib(), [
      dummy("a", { group: { group: "g" } }),
      dummy("c", { group: { group: "g" } }),
      dummy("b", { group: { group: "g", before: "c" } }),
      dummy("d", { group: { group: "g", after: "c" } }),
    ]).cib;
    expect((cib.resources[0] as Group).members.map((member) => member.id)).toEqual(["a", "b", "c", "d"]);
    expect(failure(() => applyEdit(cib, dummy("e", { group: { group: "g", before: "x" } })))).toMatchObject({ code: "E_ADMIN_GROUP" });
    expect(failure(() => applyEdit(cib, dummy("e", { group: { group: "a" } })))).toMatchObject({ code: "E_ADMIN_GROUP", message: expect.stringContaining("not a group") });
  });
});

describe("resource delete, update, enable, disable", () => {
  it("deletes a resource with the constraints that name it, and a group it leaves empty", () => {
    let cib = edits(twoNodeCib(), [dummy("a", { group: { group: "g" } }), dummy("b"), { kind: "colocation-add", rsc: "b", withRsc: "g" }, { kind: "resource-move", id: "a", node: "node1" }]).cib;
    const result = applyEdit(cib, { kind: "resource-delete", id: "a" });
    cib = result.cib;
    expect(cib.resources.map((resource) => resource.id)).toEqual(["b"]);
    expect(cib.constraints).toEqual([]);
    expect(result.warnings.join("\n")).toMatch(/removed colocation constraint 'colocation-b-g-INFINITY'/);
  });

  it("names near matches for an unknown resource", () => {
    const cib = edits(twoNodeCib(), [dummy("webserver")]).cib;
    expect(failure(() => applyEdit(cib, { kind: "resource-delete", id: "webservr" }))).toMatchObject({ code: "E_ADMIN_UNKNOWN_RESOURCE", message: expect.stringContaining("did you mean 'webserver'") });
  });

  it("updates attributes (an empty value removes one) and replaces operations of the same name", () => {
    let cib = edits(twoNodeCib(), [dummy("d", { settings: parseSettings(["a=1", "b=2", "op", "monitor", "interval=10s"]) })]).cib;
    cib = applyEdit(cib, { kind: "resource-update", id: "d", settings: parseSettings(["a=9", "b=", "op", "monitor", "interval=30s", "timeout=5s"]) }).cib;
    const primitive = cib.resources[0] as Primitive;
    expect(flattenSets(primitive.instance)).toEqual({ a: "9" });
    expect(primitive.operations).toMatchObject([{ name: "monitor", interval: "30s", timeout: "5s" }]);
  });

  it("disable sets target-role=Stopped and enable removes it", () => {
    const disabled = edits(twoNodeCib(), [dummy("d"), { kind: "resource-disable", id: "d" }]).cib;
    expect(flattenSets(disabled.resources[0]!.meta)).toEqual({ "target-role": "Stopped" });
    const enabled = applyEdit(disabled, { kind: "resource-enable", id: "d" });
    expect(flattenSets(enabled.cib.resources[0]!.meta)).toEqual({});
    expect(enabled.cib.version.epoch).toBe(disabled.version.epoch + 1);
  });

  it("does not bump the version when nothing changes", () => {
    const cib = edits(twoNodeCib(), [dummy("d")]).cib;
    const result = applyEdit(cib, { kind: "resource-enable", id: "d" });
    expect(result.changed).toBe(false);
    expect(result.cib.version).toEqual(cib.version);
    expect(result.warnings).toEqual([expect.stringContaining("no change")]);
  });

  it("does not modify the CIB it was given", () => {
    const cib = twoNodeCib();
    const copy = structuredClone(cib);
    applyEdit(cib, dummy("d"));
    expect(cib).toEqual(copy);
  });
});

describe("group add, clone, promotable", () => {
  it("moves resources into a group in order, removing a group they leave empty", () => {
    const cib = edits(twoNodeCib(), [dummy("a", { group: { group: "old" } }), dummy("b"), { kind: "group-add", position: { group: "new" }, resources: ["b", "a"] }]);
    expect(cib.cib.resources.map((resource) => resource.id)).toEqual(["new"]);
    expect((cib.cib.resources[0] as Group).members.map((member) => member.id)).toEqual(["b", "a"]);
    expect(cib.warnings.join("\n")).toContain("group 'old' was left empty and removed");
  });

  it("clones a resource, points its constraints at the clone, and refuses to clone twice", () => {
    const cib = edits(twoNodeCib(), [dummy("ping"), dummy("web"), { kind: "colocation-add", rsc: "web", withRsc: "ping" }, { kind: "clone", id: "ping", meta: { "clone-max": "2" }, promotable: false }]).cib;
    // As pcs does, the clone goes to the end of the resources.
    expect(cib.resources.map((resource) => resource.id)).toEqual(["web", "ping-clone"]);
    expect(cib.resources[1]).toMatchObject({ kind: "clone", id: "ping-clone", child: { id: "ping" } });
    expect(flattenSets(cib.resources[1]!.meta)).toEqual({ "clone-max": "2" });
    expect(cib.constraints[0]).toMatchObject({ withRsc: "ping-clone" });
    expect(failure(() => applyEdit(cib, { kind: "clone", id: "ping", meta: {}, promotable: false }))).toMatchObject({ code: "E_ADMIN_CLONE" });
    expect(allPrimitives(cib.resources).map((primitive) => primitive.id)).toEqual(["web", "ping"]);
  });

  it("makes a promotable clone and refuses to clone a group member", () => {
    const cib = edits(twoNodeCib(), [dummy("db"), dummy("m", { group: { group: "g" } }), { kind: "clone", id: "db", meta: {}, promotable: true }]).cib;
    expect(flattenSets(cib.resources.find((resource) => resource.id === "db-clone")!.meta)).toEqual({ promotable: "true" });
    expect(failure(() => applyEdit(cib, { kind: "clone", id: "m", meta: {}, promotable: false }))).toMatchObject({ code: "E_ADMIN_CLONE", message: expect.stringContaining("clone the group") });
  });
});
