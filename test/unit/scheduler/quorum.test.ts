import { describe, expect, it } from "vitest";
import { importCibXml } from "../../../src/cib";
import { schedule } from "../../../src/scheduler";
import { sameActions } from "../../conformance/scheduler-compare";

// Quorum and startup fencing on a three-node configuration where only "one" reports.
function run(options: { quorum: boolean; fencing: boolean; startupFencing?: boolean; policy?: string }) {
  const xml = `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="${options.quorum ? 1 : 0}"><configuration>
  <crm_config><cluster_property_set id="opts"><nvpair id="o1" name="stonith-enabled" value="${options.fencing}"/>${
    options.policy ? `<nvpair id="o2" name="no-quorum-policy" value="${options.policy}"/>` : ""}${
    options.startupFencing === false ? `<nvpair id="o3" name="startup-fencing" value="false"/>` : ""}</cluster_property_set></crm_config>
  <nodes><node id="1" uname="one"/><node id="2" uname="two"/><node id="3" uname="three"/></nodes>
  <resources><primitive id="fencer" class="stonith" type="fence_dummy"/><primitive id="app" class="ocf" provider="heartbeat" type="Dummy"/></resources><constraints/></configuration>
  <status><node_state id="1" uname="one" in_ccm="true" crmd="online" join="member" expected="member"/>
  <node_state id="2" uname="two" in_ccm="false" crmd="offline" join="down" expected="down"/></status></cib>`;
  return schedule(importCibXml(xml, "quorum").cib, { now: 0 }).actions as never as Record<string, unknown>[];
}

describe("quorum and startup fencing", () => {
  it("a configured node never seen is fenced when fencing is enabled, unless startup-fencing is off", () => {
    expect(run({ quorum: true, fencing: true }).filter((action) => action.action === "fence").map((action) => action.node)).toEqual(["three"]);
    expect(run({ quorum: true, fencing: true, startupFencing: false }).some((action) => action.action === "fence")).toBe(false);
  });

  it("without quorum (policy stop) starts are reported as blocked, a fencing device's too (it requires quorum by default)", () => {
    expect(sameActions(run({ quorum: false, fencing: false }), [
      { action: "start", resource: "fencer", node: "one", blocked: true },
      { action: "start", resource: "app", node: "one", blocked: true },
    ])).toBe(true);
  });

  it("no-quorum-policy=ignore starts normally", () => {
    expect(sameActions(run({ quorum: false, fencing: false, policy: "ignore" }), [
      { action: "start", resource: "fencer", node: "one" }, { action: "start", resource: "app", node: "one" },
    ])).toBe(true);
  });
});

describe("node maintenance", () => {
  const cib = (maintenanceOn: string) => `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="1"><configuration>
  <crm_config><cluster_property_set id="opts"><nvpair id="o1" name="stonith-enabled" value="true"/></cluster_property_set></crm_config>
  <nodes><node id="1" uname="one"/><node id="2" uname="two"><instance_attributes id="n2"><nvpair id="n2m" name="maintenance" value="${maintenanceOn}"/></instance_attributes></node></nodes>
  <resources><primitive id="kept" class="ocf" provider="heartbeat" type="Dummy"/><primitive id="fresh" class="ocf" provider="heartbeat" type="Dummy"/></resources>
  <constraints><rsc_location id="l" rsc="kept" node="one" score="100"/><rsc_location id="f" rsc="fresh" node="two" score="100"/></constraints></configuration>
  <status><node_state id="1" uname="one" in_ccm="true" crmd="online" join="member" expected="member"/>
  <node_state id="2" uname="two" in_ccm="false" crmd="offline" join="member" expected="member"><lrm id="2"><lrm_resources><lrm_resource id="kept" class="ocf" provider="heartbeat" type="Dummy"><lrm_rsc_op id="k" operation="start" call-id="1" rc-code="0" op-status="0" interval="0"/></lrm_resource></lrm_resources></lrm></node_state></status></cib>`;

  it("a node in maintenance is not fenced, keeps its resources untouched and takes nothing new", () => {
    const actions = schedule(importCibXml(cib("on"), "maintenance").cib, { now: 0 }).actions as never as Record<string, unknown>[];
    expect(sameActions(actions, [{ action: "start", resource: "fresh", node: "one" }])).toBe(true);
  });

  it("without maintenance the same lost node is fenced and its resource moves", () => {
    const actions = schedule(importCibXml(cib("off"), "maintenance").cib, { now: 0 }).actions as never as Record<string, unknown>[];
    expect(actions.some((action) => action.action === "fence" && action.node === "two")).toBe(true);
    expect(actions.some((action) => action.action === "move" && action.resource === "kept" && action.to === "one")).toBe(true);
  });
});

describe("lost nodes without fencing", () => {
  it("with fencing disabled a lost node is taken to be down: its resource starts elsewhere (not a move)", () => {
    const xml = `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="1"><configuration>
  <crm_config><cluster_property_set id="opts"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
  <nodes><node id="1" uname="one"/><node id="2" uname="two"/></nodes>
  <resources><primitive id="svc" class="ocf" provider="heartbeat" type="Dummy"/></resources><constraints/></configuration>
  <status><node_state id="1" uname="one" in_ccm="false" crmd="offline" join="member" expected="member"><lrm id="1"><lrm_resources><lrm_resource id="svc" class="ocf" provider="heartbeat" type="Dummy"><lrm_rsc_op id="s" operation="start" call-id="1" rc-code="0" op-status="0" interval="0"/></lrm_resource></lrm_resources></lrm></node_state>
  <node_state id="2" uname="two" in_ccm="true" crmd="online" join="member" expected="member"/></status></cib>`;
    const actions = schedule(importCibXml(xml, "no-fencing").cib, { now: 0 }).actions as never as Record<string, unknown>[];
    expect(sameActions(actions, [{ action: "start", resource: "svc", node: "two" }])).toBe(true);
  });
});

describe("a group without quorum (policy stop)", () => {
  it("stops the member that runs and lists the start of each member that runs nowhere, blocked, on the node the group is held on", () => {
    const xml = `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="0"><configuration>
  <crm_config><cluster_property_set id="opts"><nvpair id="o1" name="stonith-enabled" value="false"/><nvpair id="o2" name="no-quorum-policy" value="stop"/></cluster_property_set></crm_config>
  <nodes><node id="1" uname="one"/><node id="2" uname="two"/></nodes>
  <resources><group id="g"><primitive id="m1" class="ocf" provider="heartbeat" type="Dummy"/><primitive id="m2" class="ocf" provider="heartbeat" type="Dummy"/></group></resources><constraints/></configuration>
  <status><node_state id="1" uname="one" in_ccm="true" crmd="online" join="member" expected="member"><lrm id="1"><lrm_resources><lrm_resource id="m1" class="ocf" provider="heartbeat" type="Dummy"><lrm_rsc_op id="m1-s" operation="start" call-id="1" rc-code="0" op-status="0" interval="0"/></lrm_resource></lrm_resources></lrm></node_state>
  <node_state id="2" uname="two" in_ccm="true" crmd="online" join="member" expected="member"/></status></cib>`;
    const actions = schedule(importCibXml(xml, "group-quorum").cib, { now: 0 }).actions as never as Record<string, unknown>[];
    expect(sameActions(actions, [{ action: "stop", resource: "m1", node: "one" }, { action: "start", resource: "m2", node: "one", blocked: true }])).toBe(true);
  });
});
