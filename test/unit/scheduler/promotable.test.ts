import { describe, expect, it } from "vitest";
import { importCibXml } from "../../../src/cib";
import { schedule } from "../../../src/scheduler";
import { sameActions } from "../../conformance/scheduler-compare";

// Promotable clones on two nodes: instances are placed like a clone, then up to
// promoted-max of them are promoted where the promotion score (master-* node attribute,
// Promoted-role location rules) is highest and not negative.
function cluster(resources: string, status: string, constraints = "") {
  const xml = `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="1"><configuration>
  <crm_config><cluster_property_set id="opts"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
  <nodes><node id="1" uname="east"/><node id="2" uname="west"/></nodes>
  <resources>${resources}</resources><constraints>${constraints}</constraints></configuration><status>${status}</status></cib>`;
  return importCibXml(xml, "promotable-test").cib;
}
const db = `<clone id="db-clone"><meta_attributes id="m"><nvpair id="m1" name="promotable" value="true"/></meta_attributes><primitive id="db" class="ocf" provider="pacemaker" type="Stateful"/></clone>`;
const node = (id: string, name: string, attrs: Record<string, string>, ops = "") =>
  `<node_state id="${id}" uname="${name}" in_ccm="true" crmd="online" join="member" expected="member"><transient_attributes id="t${id}"><instance_attributes id="ti${id}">${
    Object.entries(attrs).map(([key, value]) => `<nvpair id="a-${id}-${key}" name="${key}" value="${value}"/>`).join("")}</instance_attributes></transient_attributes><lrm id="${id}"><lrm_resources>${ops}</lrm_resources></lrm></node_state>`;
const history = (rsc: string, operation: string, rc: number) =>
  `<lrm_resource id="${rsc}" class="ocf" provider="pacemaker" type="Stateful"><lrm_rsc_op id="${rsc}-${operation}" operation="${operation}" call-id="5" rc-code="${rc}" op-status="0" interval="0"/></lrm_resource>`;
const run = (cib: ReturnType<typeof cluster>) => schedule(cib, { now: 0 }).actions as never as Record<string, unknown>[];

describe("scheduler promotable clones", () => {
  it("promotes the instance on the node with the higher promotion score, starting the other unpromoted", () => {
    // A positive promotion score also draws an instance when it is placed: db:0, placed first, takes west.
    const actions = run(cluster(db, node("1", "east", { "master-db": "5" }) + node("2", "west", { "master-db": "10" })));
    expect(sameActions(actions, [
      { action: "start", resource: "db:1", node: "east" },
      { action: "promote", resource: "db:0", node: "west", from_role: "Stopped", to_role: "Promoted" },
    ])).toBe(true);
  });

  it("a location of the clone for any role adds to a promotion score that is not negative (the clone's weight on the node)", () => {
    const running = (name: string) => `<lrm_resource id="db" class="ocf" provider="pacemaker" type="Stateful"><lrm_rsc_op id="db-${name}" operation="start" call-id="5" rc-code="0" op-status="0" interval="0"/></lrm_resource>`;
    const status = node("1", "east", { "master-db": "20" }, running("e")) + node("2", "west", { "master-db": "10" }, running("w"));
    const prefersWest = `<rsc_location id="west" rsc="db-clone" node="west" score="100"/>`;
    expect(run(cluster(db, status, prefersWest)).filter((action) => action.action === "promote").map((action) => action.node)).toEqual(["west"]);
    expect(run(cluster(db, status)).filter((action) => action.action === "promote").map((action) => action.node)).toEqual(["east"]);
    // Without a promotion score the instance stays unpromoted, however much the clone prefers the node.
    const unscored = node("1", "east", {}, running("e")) + node("2", "west", {}, running("w"));
    expect(run(cluster(db, unscored, prefersWest))).toEqual([]);
  });

  it("reads a node's records in Pacemaker's order, so pending notifications of other transitions do not make an older promoted monitor the newest", () => {
    const magic = (transition: number, rc = 0) => `0:${rc};1:${transition}:${rc}:7f0e8c61-5d1a-4a39-9c1e-2b6f0c4d8a11`;
    const record = (key: string, operation: string, call: number, transition: number, rc = 0, interval = 0) =>
      `<lrm_rsc_op id="db-${key}" operation="${operation}" call-id="${call}" rc-code="${rc}" op-status="0" interval="${interval}" transition-magic="${magic(transition, rc)}"/>`;
    const records = [record("start", "start", 900, 78), record("n1", "notify", -1, 78), record("n2", "notify", -1, 26), record("n3", "notify", -1, 26),
      record("m29", "monitor", 40, 1, 0, 29000), record("n4", "notify", -1, 32), record("n5", "notify", -1, 32), record("n6", "notify", -1, 77),
      record("m31", "monitor", 800, 27, 8, 31000)].join("");
    const status = node("1", "east", { "master-db": "10" }, `<lrm_resource id="db" class="ocf" provider="pacemaker" type="Stateful">${records}</lrm_resource>`) + node("2", "west", {});
    // The start (call 900) is newer than the promoted monitor (call 800): the instance is Unpromoted and gets promoted.
    const actions = run(cluster(db, status));
    expect(sameActions(actions, [{ action: "promote", resource: "db:0", node: "east", from_role: "Unpromoted", to_role: "Promoted" }, { action: "start", resource: "db:1", node: "west" }])).toBe(true);
  });

  it("on-fail=demote recovers a failed Promoted monitor by demotion: re-promoted in place, or only demoted where it may not be Promoted", () => {
    const withOps = (role: string) => `<clone id="db-clone"><meta_attributes id="m"><nvpair id="m1" name="promotable" value="true"/></meta_attributes><primitive id="db" class="ocf" provider="pacemaker" type="Stateful"><operations><op id="db-mon" name="monitor" interval="10s" role="${role}" on-fail="demote"/></operations></primitive></clone>`;
    const failed = `<lrm_resource id="db" class="ocf" provider="pacemaker" type="Stateful"><lrm_rsc_op id="db-p" operation="promote" call-id="5" rc-code="0" op-status="0" interval="0"/><lrm_rsc_op id="db-m" operation="monitor" call-id="6" rc-code="7" op-status="0" interval="10000"/></lrm_resource>`;
    const unpromoted = `<lrm_resource id="db" class="ocf" provider="pacemaker" type="Stateful"><lrm_rsc_op id="db-s" operation="start" call-id="5" rc-code="0" op-status="0" interval="0"/></lrm_resource>`;
    const status = node("1", "east", { "master-db": "10" }, failed) + node("2", "west", { "master-db": "5" }, unpromoted);
    expect(sameActions(run(cluster(withOps("Promoted"), status)), [{ action: "re-promote", resource: "db:0", node: "east", role: "Promoted" }])).toBe(true);
    const notPromotedHere = `<rsc_location id="ban" rsc="db-clone" node="east" role="Promoted" score="-INFINITY"/>`;
    expect(sameActions(run(cluster(withOps("Promoted"), status, notPromotedHere)), [
      { action: "demote", resource: "db:0", node: "east", from_role: "Promoted", to_role: "Unpromoted" },
      { action: "promote", resource: "db:1", node: "west", from_role: "Unpromoted", to_role: "Promoted" },
    ])).toBe(true);
    // Allowed only on a Promoted-role monitor (or a promote): elsewhere the failure is recovered by a restart.
    expect(sameActions(run(cluster(withOps("Unpromoted"), status)), [{ action: "recover", resource: "db:0", node: "east", role: "Promoted" }])).toBe(true);
  });

  it("a later successful demote leaves a failure standing; of equal candidates the one that did not fail is promoted", () => {
    const op = (key: string, operation: string, call: number, rc: number, interval = 0) => `<lrm_rsc_op id="db-${key}" operation="${operation}" call-id="${call}" rc-code="${rc}" op-status="0" interval="${interval}"/>`;
    const east = `<lrm_resource id="db" class="ocf" provider="pacemaker" type="Stateful">${op("s", "start", 1, 0)}${op("m", "monitor", 2, 1, 10000)}${op("d", "demote", 3, 0)}</lrm_resource>`;
    const west = `<lrm_resource id="db" class="ocf" provider="pacemaker" type="Stateful">${op("s", "start", 1, 0)}</lrm_resource>`;
    const actions = run(cluster(db, node("1", "east", { "master-db": "5" }, east) + node("2", "west", { "master-db": "5" }, west)));
    expect(sameActions(actions, [
      { action: "recover", resource: "db:0", node: "east", role: "Unpromoted" },
      { action: "promote", resource: "db:1", node: "west", from_role: "Unpromoted", to_role: "Promoted" },
    ])).toBe(true);
  });

  it("promotes nothing where no node has a promotion score", () => {
    const actions = run(cluster(db, node("1", "east", {}) + node("2", "west", {})));
    expect(sameActions(actions, [{ action: "start", resource: "db:0", node: "east" }, { action: "start", resource: "db:1", node: "west" }])).toBe(true);
  });

  it("a Promoted-role location rule gives a promotion score; running instances change role in place", () => {
    const rule = `<rsc_location id="pref" rsc="db-clone"><rule id="r" role="Promoted" score="50"><expression id="e" attribute="#uname" operation="eq" value="east"/></rule></rsc_location>`;
    const actions = run(cluster(db, node("1", "east", {}, history("db", "start", 0)) + node("2", "west", {}, history("db", "promote", 0)), rule));
    expect(sameActions(actions, [
      { action: "promote", resource: "db:0", node: "east", from_role: "Unpromoted", to_role: "Promoted" },
      { action: "demote", resource: "db:1", node: "west", from_role: "Promoted", to_role: "Unpromoted" },
    ])).toBe(true);
  });

  it("a stopped promoted instance reports its role", () => {
    const ban = `<rsc_location id="ban" rsc="db-clone" node="west" score="-INFINITY"/>`;
    const actions = run(cluster(db, node("1", "east", { "master-db": "5" }, history("db", "start", 0)) + node("2", "west", { "master-db": "9" }, history("db", "promote", 0)), ban));
    expect(sameActions(actions, [
      { action: "stop", resource: "db:1", node: "west", role: "Promoted" },
      { action: "promote", resource: "db:0", node: "east", from_role: "Unpromoted", to_role: "Promoted" },
    ])).toBe(true);
  });

  it("a resource colocated with the Promoted role goes where the promoted instance runs", () => {
    const app = `<primitive id="app" class="ocf" provider="heartbeat" type="Dummy"/>`;
    const colocation = `<rsc_colocation id="c" rsc="app" with-rsc="db-clone" with-rsc-role="Promoted" score="INFINITY"/>`;
    const actions = run(cluster(db + app, node("1", "east", { "master-db": "3" }) + node("2", "west", { "master-db": "30" }), colocation));
    expect(sameActions(actions, [
      { action: "start", resource: "db:1", node: "east" },
      { action: "promote", resource: "db:0", node: "west", from_role: "Stopped", to_role: "Promoted" },
      { action: "start", resource: "app", node: "west" },
    ])).toBe(true);
  });

  it("an anonymous instance's promotion score may be named by the instance number its history carries on that node", () => {
    // west's history says db:1 though it becomes instance 0 here; its score is master-db:1.
    const actions = run(cluster(db, node("1", "east", { "master-db:0": "5" }) + node("2", "west", { "master-db:1": "50" }, history("db:1", "start", 0))));
    expect(sameActions(actions, [
      { action: "promote", resource: "db:0", node: "west", from_role: "Unpromoted", to_role: "Promoted" },
      { action: "start", resource: "db:1", node: "east" },
    ])).toBe(true);
  });

  it("an instance stopped because an order's first cannot run reports its role", () => {
    const base = `<primitive id="base" class="ocf" provider="heartbeat" type="Dummy"><meta_attributes id="bm"><nvpair id="bm1" name="target-role" value="Stopped"/></meta_attributes></primitive>`;
    const actions = run(cluster(base + db, node("1", "east", { "master-db": "5" }, history("db", "promote", 0)) + node("2", "west", {}), `<rsc_order id="o" first="base" then="db-clone"/>`));
    // The instance assigned to west keeps its node; its start is listed, blocked by the same order.
    expect(sameActions(actions, [{ action: "stop", resource: "db:0", node: "east", role: "Promoted" }, { action: "start", resource: "db:1", node: "west", blocked: true }])).toBe(true);
  });

  it("without quorum (policy stop) the instance that would be promoted reports a blocked promote from Stopped", () => {
    const cib = cluster(db, node("1", "east", { "master-db": "5" }) + node("2", "west", { "master-db": "50" }));
    cib.attributes["have-quorum"] = "0";
    expect(sameActions(run(cib), [
      { action: "start", resource: "db:1", node: "east", blocked: true },
      { action: "promote", resource: "db:0", node: "west", from_role: "Stopped", to_role: "Promoted", blocked: true },
    ])).toBe(true);
  });

  it("the Promoted role colocated with a resource defined later is promoted where that resource goes", () => {
    const vip = `<primitive id="vip" class="ocf" provider="heartbeat" type="Dummy"/>`;
    const constraints = `<rsc_colocation id="c" rsc="db-clone" rsc-role="Promoted" with-rsc="vip" score="INFINITY"/><rsc_location id="l" rsc="vip" node="east" score="100"/>`;
    const actions = run(cluster(db + vip, node("1", "east", { "master-db": "5" }) + node("2", "west", { "master-db": "50" }), constraints));
    expect(sameActions(actions, [
      { action: "promote", resource: "db:1", node: "east", from_role: "Stopped", to_role: "Promoted" },
      { action: "start", resource: "db:0", node: "west" },
      { action: "start", resource: "vip", node: "east" },
    ])).toBe(true);
  });

  it("an order on then's promote only keeps it from being promoted when first cannot run", () => {
    const base = `<primitive id="base" class="ocf" provider="heartbeat" type="Dummy"><meta_attributes id="bm"><nvpair id="bm1" name="target-role" value="Stopped"/></meta_attributes></primitive>`;
    const actions = run(cluster(base + db, node("1", "east", { "master-db": "5" }, history("db", "promote", 0)) + node("2", "west", {}, history("db", "start", 0)),
      `<rsc_order id="o" first="base" then="db-clone" then-action="promote"/>`));
    expect(sameActions(actions, [{ action: "demote", resource: "db:0", node: "east", from_role: "Promoted", to_role: "Unpromoted" }])).toBe(true);
  });

  it("a resource colocated with the Promoted role pulls promotion toward the node it prefers", () => {
    const app = `<primitive id="app" class="ocf" provider="heartbeat" type="Dummy"/>`;
    const constraints = `<rsc_colocation id="c" rsc="app" with-rsc="db-clone" with-rsc-role="Promoted" score="INFINITY"/><rsc_location id="l" rsc="app" node="east" score="100"/>`;
    const actions = run(cluster(db + app, node("1", "east", { "master-db": "5" }) + node("2", "west", { "master-db": "50" }), constraints));
    expect(sameActions(actions, [
      { action: "promote", resource: "db:1", node: "east", from_role: "Stopped", to_role: "Promoted" },
      { action: "start", resource: "db:0", node: "west" },
      { action: "start", resource: "app", node: "east" },
    ])).toBe(true);
  });
});

describe("a plain resource found Promoted", () => {
  it("moves from Promoted to Started, and the summary says so", () => {
    const xml = `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="1"><configuration><crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
      <nodes><node id="1" uname="a"/><node id="2" uname="b"/></nodes><resources><primitive id="s" class="ocf" provider="pacemaker" type="Stateful"/></resources>
      <constraints><rsc_location id="away" rsc="s" node="a" score="-INFINITY"/></constraints></configuration>
      <status><node_state id="1" uname="a" in_ccm="true" crmd="online" join="member" expected="member"><lrm id="1"><lrm_resources><lrm_resource id="s" class="ocf" provider="pacemaker" type="Stateful"><lrm_rsc_op id="s-m" operation="monitor" call-id="2" rc-code="8" op-status="0" interval="0"/></lrm_resource></lrm_resources></lrm></node_state>
      <node_state id="2" uname="b" in_ccm="true" crmd="online" join="member" expected="member"/></status></cib>`;
    expect(schedule(importCibXml(xml, "promoted-plain").cib, { now: 0 }).actions).toMatchObject([{ action: "move", resource: "s", from: "a", to: "b", from_role: "Promoted", to_role: "Started" }]);
  });
});
