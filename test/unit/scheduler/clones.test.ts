import { describe, expect, it } from "vitest";
import { importCibXml } from "../../../src/cib";
import { schedule } from "../../../src/scheduler";
import { sameActions } from "../../conformance/scheduler-compare";

// Three-node clusters with clones: each instance is placed like a primitive, at most
// clone-node-max instances per node, instance numbers printed as "child:N".
function cluster(body: { resources: string; constraints?: string; status: string }) {
  const xml = `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="1"><configuration>
  <crm_config><cluster_property_set id="opts"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
  <nodes><node id="1" uname="n1"/><node id="2" uname="n2"/><node id="3" uname="n3"/></nodes>
  <resources>${body.resources}</resources><constraints>${body.constraints ?? ""}</constraints></configuration>
  <status>${body.status}</status></cib>`;
  return importCibXml(xml, "clone-test").cib;
}
const up = (id: string, name: string, resources = "") =>
  `<node_state id="${id}" uname="${name}" in_ccm="true" crmd="online" join="member" expected="member"><lrm id="${id}"><lrm_resources>${resources}</lrm_resources></lrm></node_state>`;
const active = (rsc: string) =>
  `<lrm_resource id="${rsc}" class="ocf" provider="pacemaker" type="Stateful"><lrm_rsc_op id="${rsc}_go" operation="start" call-id="4" rc-code="0" op-status="0" interval="0"/></lrm_resource>`;
const pinger = (meta = "") => `<clone id="pingers">${meta ? `<meta_attributes id="pm">${meta}</meta_attributes>` : ""}<primitive id="ping" class="ocf" provider="pacemaker" type="Stateful"/></clone>`;
const nv = (name: string, value: string) => `<nvpair id="nv-${name}" name="${name}" value="${value}"/>`;
const run = (cib: ReturnType<typeof cluster>) => schedule(cib, { now: 0 }).actions as never as Record<string, unknown>[];

describe("scheduler clones", () => {
  it("starts one instance per node by default, numbered in node order", () => {
    const actions = run(cluster({ resources: pinger(), status: up("1", "n1") + up("2", "n2") + up("3", "n3") }));
    expect(sameActions(actions, [
      { action: "start", resource: "ping:0", node: "n1" }, { action: "start", resource: "ping:1", node: "n2" }, { action: "start", resource: "ping:2", node: "n3" },
    ])).toBe(true);
  });

  it("clone-max limits instances and clone-node-max allows several per node", () => {
    const actions = run(cluster({ resources: pinger(nv("clone-max", "2") + nv("clone-node-max", "2")),
      constraints: `<rsc_location id="only-n2" rsc="pingers" node="n2" score="100"/>`, status: up("1", "n1") + up("2", "n2") + up("3", "n3") }));
    expect(sameActions(actions, [{ action: "start", resource: "ping:0", node: "n2" }, { action: "start", resource: "ping:1", node: "n2" }])).toBe(true);
  });

  it("keeps anonymous instances where they run whatever number their history carries, and stops the one on a banned node", () => {
    const actions = run(cluster({ resources: pinger(), constraints: `<rsc_location id="ban" rsc="pingers" node="n3" score="-INFINITY"/>`,
      status: up("1", "n1", active("ping:7")) + up("2", "n2", active("ping")) + up("3", "n3", active("ping:0")) }));
    expect(sameActions(actions, [{ action: "stop", resource: "ping:2", node: "n3" }])).toBe(true);
  });

  it("a resource colocated with a clone may only go where an instance runs", () => {
    const actions = run(cluster({ resources: pinger(nv("clone-max", "1")) + `<primitive id="app" class="ocf" provider="pacemaker" type="Stateful"/>`,
      constraints: `<rsc_location id="p" rsc="pingers" node="n3" score="10"/><rsc_colocation id="c" rsc="app" with-rsc="pingers" score="INFINITY"/>`,
      status: up("1", "n1") + up("2", "n2") + up("3", "n3") }));
    expect(sameActions(actions, [{ action: "start", resource: "ping:0", node: "n3" }, { action: "start", resource: "app", node: "n3" }])).toBe(true);
  });

  it("running instances keep their nodes before the others are placed, so a displaced instance stops instead of pushing another one out", () => {
    const unique = pinger(nv("globally-unique", "true") + nv("clone-max", "2"));
    const actions = run(cluster({ resources: unique, constraints: `<rsc_location id="ban" rsc="pingers" node="n1" score="-INFINITY"/><rsc_location id="ban3" rsc="pingers" node="n3" score="-INFINITY"/>`,
      status: up("1", "n1", active("ping:0")) + up("2", "n2", active("ping:1")) + up("3", "n3") }));
    expect(sameActions(actions, [{ action: "stop", resource: "ping:0", node: "n1" }])).toBe(true);
  });

  it("equal scores and equal load are broken by node name, not by the order nodes are listed", () => {
    const xml = `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="1"><configuration>
  <crm_config><cluster_property_set id="opts"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
  <nodes><node id="1" uname="zulu"/><node id="2" uname="alpha"/></nodes><resources><primitive id="solo" class="ocf" provider="heartbeat" type="Dummy"/></resources><constraints/></configuration>
  <status>${up("1", "zulu")}${up("2", "alpha")}</status></cib>`;
    expect(sameActions(run(importCibXml(xml, "names").cib), [{ action: "start", resource: "solo", node: "alpha" }])).toBe(true);
  });

  it("without stickiness, resources spread by load even when that moves one off its current node", () => {
    const prim = (id: string) => `<primitive id="${id}" class="ocf" provider="heartbeat" type="Dummy"/>`;
    const xml = `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="1"><configuration>
  <crm_config><cluster_property_set id="opts"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
  <nodes><node id="1" uname="n1"/><node id="2" uname="n2"/></nodes><resources>${prim("a")}${prim("b")}</resources><constraints/></configuration>
  <status>${up("1", "n1", active("a") + active("b"))}${up("2", "n2")}</status></cib>`;
    expect(sameActions(run(importCibXml(xml, "spread").cib), [{ action: "move", resource: "b", from: "n1", to: "n2" }])).toBe(true);
  });

  it("the clone's child meta attributes win over the clone's own (target-role on both)", () => {
    const clone = `<clone id="pingers"><meta_attributes id="pm"><nvpair id="pm1" name="target-role" value="Stopped"/><nvpair id="pm2" name="clone-max" value="1"/></meta_attributes><primitive id="ping" class="ocf" provider="pacemaker" type="Stateful"><meta_attributes id="cm"><nvpair id="cm1" name="target-role" value="Started"/></meta_attributes></primitive></clone>`;
    const actions = run(cluster({ resources: clone, status: up("1", "n1", active("ping")) + up("2", "n2") + up("3", "n3") }));
    expect(actions).toEqual([]);
  });
});
