import { describe, expect, it } from "vitest";
import { importCibXml } from "../../../src/cib";
import { schedule } from "../../../src/scheduler";
import { sameActions } from "../../conformance/scheduler-compare";

// Mandatory orders, orphans and the restarts ordering implies, on a one-node cluster "solo".
function cluster(resources: string, constraints: string, lrm: string) {
  const xml = `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="1"><configuration>
  <crm_config><cluster_property_set id="opts"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
  <nodes><node id="1" uname="solo"/></nodes><resources>${resources}</resources><constraints>${constraints}</constraints></configuration>
  <status><node_state id="1" uname="solo" in_ccm="true" crmd="online" join="member" expected="member"><lrm id="1"><lrm_resources>${lrm}</lrm_resources></lrm></node_state></status></cib>`;
  return importCibXml(xml, "orders-test").cib;
}
const prim = (id: string, meta = "") => `<primitive id="${id}" class="ocf" provider="heartbeat" type="Dummy">${meta}</primitive>`;
const stopped = `<meta_attributes id="ms"><nvpair id="ms1" name="target-role" value="Stopped"/></meta_attributes>`;
const history = (id: string, rc = 0, operation = "start") =>
  `<lrm_resource id="${id}" class="ocf" provider="heartbeat" type="Dummy"><lrm_rsc_op id="${id}-op" operation="${operation}" call-id="3" rc-code="${rc}" op-status="0" interval="${operation === "monitor" ? 5000 : 0}"/></lrm_resource>`;
const order = (first: string, then: string, extra = "") => `<rsc_order id="${first}-${then}" first="${first}" then="${then}"${extra}/>`;
const run = (cib: ReturnType<typeof cluster>) => schedule(cib, { now: 0 }).actions as never as Record<string, unknown>[];

describe("scheduler orders", () => {
  it("then stops when first cannot run, and a then that is stopped reports its start as blocked", () => {
    const cib = cluster(prim("base", stopped) + prim("upper") + prim("fresh"), order("base", "upper") + order("base", "fresh"), history("base") + history("upper"));
    expect(sameActions(run(cib), [
      { action: "stop", resource: "base", node: "solo" }, { action: "stop", resource: "upper", node: "solo" },
      { action: "start", resource: "fresh", node: "solo", blocked: true },
    ])).toBe(true);
  });

  it("with symmetrical=false a running then keeps running when first cannot run", () => {
    const cib = cluster(prim("base", stopped) + prim("upper"), order("base", "upper", ` symmetrical="false"`), history("upper"));
    expect(run(cib)).toEqual([]);
  });

  it("an optional order blocks nothing", () => {
    const cib = cluster(prim("base", stopped) + prim("upper"), order("base", "upper", ` kind="Optional"`), history("upper"));
    expect(run(cib)).toEqual([]);
  });

  it("blocking follows chains of mandatory orders", () => {
    const cib = cluster(prim("a", stopped) + prim("b") + prim("c"), order("a", "b") + order("b", "c"), history("c"));
    expect(sameActions(run(cib), [{ action: "start", resource: "b", node: "solo", blocked: true }, { action: "stop", resource: "c", node: "solo" }])).toBe(true);
  });

  it("a running then restarts when first starts or recovers", () => {
    const starting = cluster(prim("a") + prim("b"), order("a", "b"), history("b"));
    expect(sameActions(run(starting), [{ action: "start", resource: "a", node: "solo" }, { action: "restart", resource: "b", node: "solo" }])).toBe(true);
    const failing = cluster(prim("a") + prim("b"), order("a", "b"), history("a", 1, "monitor") + history("b"));
    expect(sameActions(run(failing), [{ action: "recover", resource: "a", node: "solo" }, { action: "restart", resource: "b", node: "solo" }])).toBe(true);
  });

  it("later group members restart when an earlier member recovers", () => {
    const group = `<group id="g">${prim("g1")}${prim("g2")}${prim("g3")}</group>`;
    const cib = cluster(group, "", history("g1") + history("g2", 1, "monitor") + history("g3"));
    expect(sameActions(run(cib), [{ action: "recover", resource: "g2", node: "solo" }, { action: "restart", resource: "g3", node: "solo" }])).toBe(true);
  });

  it("active resources the configuration no longer has are stopped, and so are clone instances beyond clone-max", () => {
    const clone = `<clone id="c"><meta_attributes id="cm"><nvpair id="cm1" name="clone-max" value="0"/></meta_attributes>${prim("inst")}</clone>`;
    const cib = cluster(clone, "", history("gone") + history("inst:3"));
    expect(sameActions(run(cib), [{ action: "stop", resource: "gone", node: "solo" }, { action: "stop", resource: "inst:0", node: "solo" }])).toBe(true);
  });

  it("a resource colocated with a then that an order blocks is blocked with it", () => {
    const cib = cluster(prim("base", stopped) + prim("upper") + prim("rider"), order("base", "upper") + `<rsc_colocation id="ride" rsc="rider" with-rsc="upper" score="INFINITY"/>`, history("upper") + history("rider"));
    expect(sameActions(run(cib), [{ action: "stop", resource: "upper", node: "solo" }, { action: "stop", resource: "rider", node: "solo" }])).toBe(true);
  });

  it("clone-min of first counts even with interleave", () => {
    const clone = (id: string, meta: string) => `<clone id="${id}-clone"><meta_attributes id="${id}-m">${meta}</meta_attributes>${prim(id)}</clone>`;
    const cib = cluster(clone("low", `<nvpair id="low-min" name="clone-min" value="2"/>`) + clone("high", `<nvpair id="high-i" name="interleave" value="true"/>`),
      order("low-clone", "high-clone"), history("low:0") + history("high:0"));
    // One node only: one instance of low can run, fewer than clone-min, so high stops.
    expect(sameActions(run(cib), [{ action: "stop", resource: "high:0", node: "solo" }])).toBe(true);
  });

  it("a clone instance that an order keeps from starting keeps its node and its start is listed as blocked", () => {
    // Orders do not change where instances are assigned (only an interleaved order with no first
    // instance on the node leaves one unassigned, see instances-and-promotion.test.ts).
    const cib = cluster(prim("base", stopped) + `<clone id="many">${prim("each")}</clone>`, order("base", "many"), "");
    expect(sameActions(run(cib), [{ action: "start", resource: "each:0", node: "solo", blocked: true }])).toBe(true);
  });

  it("a group whose first member is to be stopped does not satisfy an order", () => {
    const cib = cluster(`<group id="g">${prim("g1", stopped)}${prim("g2")}</group>` + prim("after"), order("g", "after"), "");
    expect(sameActions(run(cib), [{ action: "start", resource: "after", node: "solo", blocked: true }])).toBe(true);
  });

  it("a first held where it is by a blocking failure (failed stop, no fencing) does not satisfy an order", () => {
    const cib = cluster(prim("stuck") + prim("after"), order("stuck", "after"), history("stuck", 1, "stop"));
    expect(sameActions(run(cib), [{ action: "start", resource: "after", node: "solo", blocked: true }])).toBe(true);
  });

  it("members after an unmanaged group member that is stopped or failed stop", () => {
    const unmanaged = `<meta_attributes id="um"><nvpair id="um1" name="is-managed" value="false"/></meta_attributes>`;
    const cib = cluster(`<group id="g">${prim("g1")}${prim("g2", unmanaged)}${prim("g3")}</group>`, "", history("g1") + history("g2", 1, "monitor") + history("g3"));
    expect(sameActions(run(cib), [{ action: "stop", resource: "g3", node: "solo" }])).toBe(true);
  });

  it("a loop of mandatory colocations is broken where it closes: all three start together", () => {
    const loop = `<rsc_colocation id="ab" rsc="a" with-rsc="b" score="INFINITY"/><rsc_colocation id="bc" rsc="b" with-rsc="c" score="INFINITY"/><rsc_colocation id="ca" rsc="c" with-rsc="a" score="INFINITY"/>`;
    const cib = cluster(prim("a") + prim("b") + prim("c"), loop, "");
    expect(sameActions(run(cib), [{ action: "start", resource: "a", node: "solo" }, { action: "start", resource: "b", node: "solo" }, { action: "start", resource: "c", node: "solo" }])).toBe(true);
  });

  it("a group stays where its first member runs when only a later member is banned there; that member stops", () => {
    const xml = `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="1"><configuration>
  <crm_config><cluster_property_set id="opts"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
  <nodes><node id="1" uname="solo"/><node id="2" uname="duo"/></nodes><resources><group id="g">${prim("g1")}${prim("g2")}</group></resources>
  <constraints><rsc_location id="ban" rsc="g2" node="solo" score="-INFINITY"/><rsc_location id="nope" rsc="g" node="duo" score="-INFINITY"/></constraints></configuration>
  <status><node_state id="1" uname="solo" in_ccm="true" crmd="online" join="member" expected="member"><lrm id="1"><lrm_resources>${history("g1")}${history("g2")}</lrm_resources></lrm></node_state>
  <node_state id="2" uname="duo" in_ccm="true" crmd="online" join="member" expected="member"/></status></cib>`;
    expect(sameActions(run(importCibXml(xml, "group-later-ban").cib), [{ action: "stop", resource: "g2", node: "solo" }])).toBe(true);
  });
});
