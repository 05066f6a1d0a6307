import { describe, expect, it } from "vitest";
import { importCibXml } from "../../../src/cib";
import { schedule } from "../../../src/scheduler";
import { sameActions } from "../../conformance/scheduler-compare";

// on-fail of the failed operation decides what a failure leads to (two nodes, "left" and "right").
function run(onFail: string | undefined, failedOperation: "monitor" | "stop" | "start", fencing = false) {
  const interval = failedOperation === "monitor" ? "10s" : "0";
  const op = `<operations><op id="op1" name="${failedOperation}" interval="${interval}"${onFail ? ` on-fail="${onFail}"` : ""}/></operations>`;
  const history = `<lrm_resource id="svc" class="ocf" provider="heartbeat" type="Dummy"><lrm_rsc_op id="s1" operation="start" call-id="1" rc-code="${failedOperation === "start" ? 1 : 0}" op-status="0" interval="0"/>${
    failedOperation === "monitor" ? `<lrm_rsc_op id="s2" operation="monitor" call-id="2" rc-code="1" op-status="0" interval="10000"/>` : ""}${
    failedOperation === "stop" ? `<lrm_rsc_op id="s3" operation="stop" call-id="3" rc-code="1" op-status="0" interval="0"/>` : ""}</lrm_resource>`;
  const xml = `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="1"><configuration>
  <crm_config><cluster_property_set id="opts"><nvpair id="o1" name="stonith-enabled" value="${fencing}"/></cluster_property_set></crm_config>
  <nodes><node id="1" uname="left"/><node id="2" uname="right"/></nodes>
  <resources><primitive id="svc" class="ocf" provider="heartbeat" type="Dummy">${op}</primitive><primitive id="other" class="ocf" provider="heartbeat" type="Dummy"/></resources>
  <constraints><rsc_location id="pin" rsc="other" node="left" score="100"/></constraints></configuration>
  <status><node_state id="1" uname="left" in_ccm="true" crmd="online" join="member" expected="member"><lrm id="1"><lrm_resources>${history}<lrm_resource id="other" class="ocf" provider="heartbeat" type="Dummy"><lrm_rsc_op id="o" operation="start" call-id="4" rc-code="0" op-status="0" interval="0"/></lrm_resource></lrm_resources></lrm></node_state>
  <node_state id="2" uname="right" in_ccm="true" crmd="online" join="member" expected="member"/></status></cib>`;
  return schedule(importCibXml(xml, "on-fail").cib, { now: 0 }).actions as never as Record<string, unknown>[];
}

describe("on-fail", () => {
  it("restart (the default) recovers in place", () => {
    expect(sameActions(run(undefined, "monitor"), [{ action: "recover", resource: "svc", node: "left" }])).toBe(true);
  });
  it("ignore forgets the failure", () => {
    expect(run("ignore", "monitor")).toEqual([]);
  });
  it("block leaves the resource alone", () => {
    expect(run("block", "monitor")).toEqual([]);
  });
  it("stop stops it and does not start it elsewhere", () => {
    expect(sameActions(run("stop", "monitor"), [{ action: "stop", resource: "svc", node: "left" }])).toBe(true);
  });
  it("standby moves everything off the node", () => {
    expect(sameActions(run("standby", "monitor"), [{ action: "recover", resource: "svc", from: "left", to: "right" }, { action: "move", resource: "other", from: "left", to: "right" }])).toBe(true);
  });
  it("a failed stop blocks without fencing and fences the node with it", () => {
    expect(run(undefined, "stop")).toEqual([]);
    const fenced = run(undefined, "stop", true);
    expect(fenced.some((action) => action.action === "fence" && action.node === "left")).toBe(true);
    expect(fenced.some((action) => action.action === "move" && action.resource === "other" && action.to === "right")).toBe(true);
  });
  it("on-fail=fence: the node is fenced and the failed resource is recovered elsewhere (others just move)", () => {
    const actions = run("fence", "monitor", true);
    expect(actions.some((action) => action.action === "fence" && action.node === "left")).toBe(true);
    expect(actions.some((action) => action.action === "recover" && action.resource === "svc" && action.from === "left" && action.to === "right")).toBe(true);
    expect(actions.some((action) => action.action === "move" && action.resource === "other" && action.to === "right")).toBe(true);
  });
});

describe("on-fail=block inside a group on a node shutting down", () => {
  it("the earlier member's stop waits for the blocked later member, so it is blocked; the blocked member is not listed", () => {
    const prim = (id: string) => `<primitive id="${id}" class="ocf" provider="heartbeat" type="Dummy"><operations><op id="${id}-stop" name="stop" interval="0" on-fail="block"/></operations></primitive>`;
    const ops = (id: string, failedStop: boolean) => `<lrm_resource id="${id}" class="ocf" provider="heartbeat" type="Dummy"><lrm_rsc_op id="${id}-s" operation="start" call-id="1" rc-code="0" op-status="0" interval="0"/>${
      failedStop ? `<lrm_rsc_op id="${id}-x" operation="stop" call-id="2" rc-code="1" op-status="0" interval="0"/>` : ""}</lrm_resource>`;
    const xml = `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="1"><configuration>
  <crm_config><cluster_property_set id="opts"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
  <nodes><node id="1" uname="left"/><node id="2" uname="right"/></nodes><resources><group id="g">${prim("front")}${prim("back")}</group></resources><constraints/></configuration>
  <status><node_state id="1" uname="left" in_ccm="true" crmd="online" join="member" expected="member"><transient_attributes id="t"><instance_attributes id="ti"><nvpair id="sd" name="shutdown" value="1700000000"/></instance_attributes></transient_attributes><lrm id="1"><lrm_resources>${ops("front", false)}${ops("back", true)}</lrm_resources></lrm></node_state>
  <node_state id="2" uname="right" in_ccm="true" crmd="online" join="member" expected="member"/></status></cib>`;
    const actions = schedule(importCibXml(xml, "group-block").cib, { now: 0 }).actions as never as Record<string, unknown>[];
    expect(sameActions(actions, [{ action: "stop", resource: "front", node: "left", blocked: true }])).toBe(true);
  });
});
