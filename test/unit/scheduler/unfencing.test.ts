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

  // Pacemaker's order_after_unfencing: a start on a node never unfenced requires its unfencing,
  // even when everything has been probed there (the running cluster: every node probes first).
  it("a start of what needs unfencing on a node never unfenced requires its unfencing first, probed or not", () => {
    const probed = (id: string, name: string, unfenced: boolean) => `<node_state id="${id}" uname="${name}" in_ccm="true" crmd="online" join="member" expected="member">${unfenced ? `<transient_attributes id="t${id}"><instance_attributes id="ti${id}"><nvpair id="tn${id}" name="#node-unfenced" value="1700000000"/></instance_attributes></transient_attributes>` : ""}<lrm id="l${id}"><lrm_resources>
      <lrm_resource id="scsi" class="stonith" type="fence_scsi"><lrm_rsc_op id="scsi_last_0" operation="monitor" operation_key="scsi_monitor_0" call-id="1" rc-code="7" op-status="0" interval="0"/></lrm_resource>
      <lrm_resource id="web" class="ocf" provider="heartbeat" type="Dummy"><lrm_rsc_op id="web_last_0" operation="monitor" operation_key="web_monitor_0" call-id="2" rc-code="7" op-status="0" interval="0"/></lrm_resource>
      <lrm_resource id="quorum-only" class="ocf" provider="heartbeat" type="Dummy"><lrm_rsc_op id="quorum-only_last_0" operation="monitor" operation_key="quorum-only_monitor_0" call-id="3" rc-code="7" op-status="0" interval="0"/></lrm_resource>
    </lrm_resources></lrm></node_state>`;
    const graphOf = (unfencedB: boolean) => schedule(importCibXml(`<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="1"><configuration><crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="true"/></cluster_property_set></crm_config>
      <nodes><node id="1" uname="a"/><node id="2" uname="b"/></nodes>
      <resources><primitive id="scsi" class="stonith" type="fence_scsi"><meta_attributes id="m"><nvpair id="m1" name="provides" value="unfencing"/></meta_attributes></primitive>
        <primitive id="web" class="ocf" provider="heartbeat" type="Dummy"/>
        <primitive id="quorum-only" class="ocf" provider="heartbeat" type="Dummy"><meta_attributes id="qm"><nvpair id="qm1" name="requires" value="quorum"/></meta_attributes></primitive></resources>
      <constraints><rsc_location id="l-scsi" rsc="scsi" node="a" score="INFINITY"/><rsc_location id="l-web" rsc="web" node="b" score="INFINITY"/><rsc_location id="l-q" rsc="quorum-only" node="a" score="INFINITY"/></constraints></configuration>
      <status>${probed("1", "a", true)}${probed("2", "b", unfencedB)}</status></cib>`, "unfence-start").cib, { now: 0 });
    const graph = graphOf(false);
    // a was unfenced already (the device and quorum-only start there without it); b is unfenced for web.
    expect(graph.actions.filter((action) => action.action === "fence").map((action) => `${action.kind} ${action.node} (${action.reason})`)).toEqual(["on b (required by web start)"]);
    const unfence = graph.operations.find((operation) => operation.kind === "fence")!;
    const start = graph.operations.find((operation) => operation.kind === "start" && operation.resource === "web")!;
    expect(start.after).toContain(unfence.id);
    expect(graphOf(true).actions.filter((action) => action.action === "fence")).toEqual([]);
  });
});
