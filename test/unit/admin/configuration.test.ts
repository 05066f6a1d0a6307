import { describe, expect, it } from "vitest";
import { applyEdit, describeChanges, replaceConfiguration } from "../../../src/admin";
import { dummy, edits, failure, twoNodeCib } from "./fixture";

describe("declarative configuration", () => {
  it("replaces the configuration sections as one change at the next version, keeping status", () => {
    const current = edits(twoNodeCib(), [dummy("old"), dummy("kept")]).cib;
    current.status = [{ id: "1", uname: "node1", attributes: { in_ccm: "true" }, transient: [], resources: [] }];
    const desired = edits(twoNodeCib(), [dummy("kept"), dummy("new"), { kind: "property-set", values: { "stonith-enabled": "false" }, force: false }]).cib;
    const result = replaceConfiguration(current, desired);
    expect(result.cib.version).toEqual({ adminEpoch: 0, epoch: current.version.epoch + 1, numUpdates: 0 });
    expect(result.cib.resources.map((resource) => resource.id)).toEqual(["kept", "new"]);
    expect(result.cib.status).toEqual(current.status);
    expect(describeChanges(current, result.cib)).toEqual(["+ property set cib-bootstrap-options", "- resource old", "+ resource new"]);
  });

  it("replaces only the sections it is told to", () => {
    const current = edits(twoNodeCib(), [dummy("a")]).cib;
    const desired = twoNodeCib();
    desired.nodes = [];
    const result = replaceConfiguration(current, desired, ["resources"]);
    expect(result.cib.nodes.map((node) => node.uname)).toEqual(["node1", "node2"]);
    expect(result.cib.resources).toEqual([]);
  });

  it("is no change when the file says what the CIB says", () => {
    const current = edits(twoNodeCib(), [dummy("a")]).cib;
    expect(replaceConfiguration(current, structuredClone(current)).changed).toBe(false);
  });

  it("refuses a desired configuration whose constraints name unknown resources", () => {
    const desired = applyEdit(edits(twoNodeCib(), [dummy("a")]).cib, { kind: "resource-move", id: "a", node: "node1" }).cib;
    desired.resources = [];
    expect(failure(() => replaceConfiguration(twoNodeCib(), desired))).toMatchObject({ code: "E_ADMIN_INVALID", message: expect.stringContaining("unknown resource 'a'") });
  });
});
