// Unfencing: a fencing device with provides=unfencing makes nodes that were not unfenced
// yet be unfenced ("fence on") before what needs it is probed or started there.
import { describe, expect, it } from "vitest";
import { importCibXml } from "../../../src/cib";
import { schedule } from "../../../src/scheduler";

function actions(provides: string, unfencedA: boolean) {
  const xml = `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="1"><configuration><crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="true"/></cluster_property_set></crm_config>
    <nodes><node id="1" uname="a"/><node id="2" uname="b"/></nodes>
    <resources><primitive id="scsi" class="stonith" type="fence_scsi"><meta_attributes id="m"><nvpair id="m1" name="provides" value="${provides}"/></meta_attributes></primitive></resources><constraints/></configuration>
    <status><node_state id="1" uname="a" in_ccm="true" crmd="online" join="member" expected="member">${unfencedA ? `<transient_attributes id="1"><instance_attributes id="t"><nvpair id="t1" name="#node-unfenced" value="1700000000"/></instance_attributes></transient_attributes>` : ""}</node_state>
    <node_state id="2" uname="b" in_ccm="true" crmd="online" join="member" expected="member"/></status></cib>`;
  const graph = schedule(importCibXml(xml, "unfence").cib, { now: 0 });
  return { fences: graph.actions.filter((action) => action.action === "fence").map((action) => `${action.kind} ${action.node}`).sort(), operations: graph.operations };
}

describe("unfencing", () => {
  it("unfences every node not unfenced yet when a device provides unfencing", () => {
    expect(actions("unfencing", false).fences).toEqual(["on a", "on b"]);
    expect(actions("unfencing", true).fences).toEqual(["on b"]);
  });

  it("does nothing without a device that provides unfencing", () => {
    expect(actions("", false).fences).toEqual([]);
  });

  it("is handed to the DC as a fence operation with the action on (test/unit/controller/unfencing-step.test.ts runs it)", () => {
    expect(actions("unfencing", false).operations.filter((operation) => operation.kind === "fence").map((operation) => `${operation.fenceAction} ${operation.node}`).sort()).toEqual(["on a", "on b"]);
  });
});
