import { describe, expect, it } from "vitest";
import { importCibXml, type Expression } from "../../../src/cib";
import { schedule } from "../../../src/scheduler";
import { ruleMatches } from "../../../src/scheduler/rules";
import { sameActions } from "../../conformance/scheduler-compare";

const holds = (expression: Omit<Expression, "id">, value: string) =>
  ruleMatches({ id: "r", booleanOp: "and", expressions: [{ id: "e", ...expression }], rules: [] }, { level: value }, { now: 0 });

describe("rule value comparison", () => {
  it("integer comparisons read the leading integer (7.9 counts as 7)", () => {
    expect(holds({ attribute: "level", operation: "eq", type: "integer", value: "7.2" }, "7.9")).toBe(true);
    expect(holds({ attribute: "level", operation: "lt", type: "integer", value: "12" }, "9")).toBe(true);
  });

  it("numbers compare numerically, and fall back to text when a side is not a number", () => {
    expect(holds({ attribute: "level", operation: "gt", type: "number", value: "10.5" }, "9.75")).toBe(false);
    expect(holds({ attribute: "level", operation: "gt", type: "number", value: "x10" }, "x9")).toBe(true);
    expect(holds({ attribute: "level", operation: "gt", type: "integer", value: "b100" }, "b20")).toBe(true);
  });

  it("untyped ordering comparisons are numeric; versions compare part by part", () => {
    expect(holds({ attribute: "level", operation: "gt", value: "10" }, "9")).toBe(false);
    expect(holds({ attribute: "level", operation: "gt", type: "version", value: "2.9.1" }, "2.10")).toBe(true);
  });
});

function solo(resources: string, lrm: string, properties = "") {
  const xml = `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="1"><configuration>
  <crm_config><cluster_property_set id="opts"><nvpair id="o1" name="stonith-enabled" value="false"/>${properties}</cluster_property_set></crm_config>
  <nodes><node id="1" uname="solo"/><node id="2" uname="duo"/></nodes><resources>${resources}</resources><constraints/></configuration>
  <status><node_state id="1" uname="solo" in_ccm="true" crmd="online" join="member" expected="member"><lrm id="1"><lrm_resources>${lrm}</lrm_resources></lrm></node_state>
  <node_state id="2" uname="duo" in_ccm="true" crmd="online" join="member" expected="member"/></status></cib>`;
  return schedule(importCibXml(xml, "history-test").cib, { now: 0 }).actions as never as Record<string, unknown>[];
}
const op = (rsc: string, operation: string, call: number, rc: number, interval = 0) =>
  `<lrm_rsc_op id="${rsc}-${call}" operation="${operation}" call-id="${call}" rc-code="${rc}" op-status="0" interval="${interval}"/>`;
const prim = (id: string, meta = "") => `<primitive id="${id}" class="ocf" provider="heartbeat" type="Dummy">${meta}</primitive>`;

describe("operation history", () => {
  it("a recurring 'not running' monitor on a stopped resource is a Stopped-role monitor, not a failure", () => {
    const stopped = `<meta_attributes id="m"><nvpair id="m1" name="target-role" value="Stopped"/></meta_attributes>`;
    const lrm = `<lrm_resource id="idle" class="ocf" provider="heartbeat" type="Dummy">${op("idle", "monitor", 1, 7)}${op("idle", "monitor", 2, 7, 30000)}</lrm_resource>`;
    expect(solo(prim("idle", stopped), lrm)).toEqual([]);
  });

  it("the same monitor on a running resource is a failure that is recovered", () => {
    const lrm = `<lrm_resource id="busy" class="ocf" provider="heartbeat" type="Dummy">${op("busy", "start", 1, 0)}${op("busy", "monitor", 2, 7, 30000)}</lrm_resource>`;
    expect(sameActions(solo(prim("busy"), lrm), [{ action: "recover", resource: "busy", node: "solo" }])).toBe(true);
  });

  it("'not running' where the transition-key says it was expected is a success that leaves the resource stopped, whatever the operation", () => {
    const start = (key: string) => `<lrm_resource id="svc" class="ocf" provider="heartbeat" type="Dummy"><lrm_rsc_op id="svc-1" operation="start" call-id="1" rc-code="7" op-status="0" interval="0" transition-key="${key}"/></lrm_resource>`;
    const stopped = solo(prim("svc"), start("3:8:7:d45f7bbd"));
    expect(stopped.map((action) => action.action)).toEqual(["start"]);
    expect(sameActions(solo(prim("svc"), start("3:8:0:d45f7bbd")), [{ action: "recover", resource: "svc", node: "solo" }])).toBe(true);
  });

  it("stop-orphan-resources=false leaves unconfigured resources running; is-managed accepts 0/no", () => {
    const lrm = `<lrm_resource id="ghost" class="ocf" provider="heartbeat" type="Dummy">${op("ghost", "start", 1, 0)}</lrm_resource>`;
    expect(solo("", lrm, `<nvpair id="o2" name="stop-orphan-resources" value="false"/>`)).toEqual([]);
    expect(sameActions(solo("", lrm), [{ action: "stop", resource: "ghost", node: "solo" }])).toBe(true);
    const unmanaged = `<meta_attributes id="u"><nvpair id="u1" name="is-managed" value="no"/><nvpair id="u2" name="target-role" value="Stopped"/></meta_attributes>`;
    expect(solo(prim("ghost", unmanaged), lrm)).toEqual([]);
  });
});

describe("placement with dependents and node facts", () => {
  const three = (resources: string, constraints: string, dc = "") => {
    const xml = `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="1"${dc ? ` dc-uuid="${dc}"` : ""}><configuration>
  <crm_config><cluster_property_set id="opts"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
  <nodes><node id="a" uname="red"/><node id="b" uname="green"/><node id="c" uname="blue"/></nodes><resources>${resources}</resources><constraints>${constraints}</constraints></configuration>
  <status>${["a:red", "b:green", "c:blue"].map((entry) => { const [id, name] = entry.split(":"); return `<node_state id="${id}" uname="${name}" in_ccm="true" crmd="online" join="member" expected="member"/>`; }).join("")}</status></cib>`;
    return schedule(importCibXml(xml, "dependents-test").cib, { now: 0 }).actions as never as Record<string, unknown>[];
  };

  it("a primary goes where its mandatory dependent may run", () => {
    const actions = three(prim("anchor") + prim("follower"),
      `<rsc_colocation id="c" rsc="follower" with-rsc="anchor" score="INFINITY"/><rsc_location id="l" rsc="follower" node="blue" score="20"/><rsc_location id="n" rsc="follower" node="red" score="-INFINITY"/>`);
    expect(sameActions(actions, [{ action: "start", resource: "anchor", node: "blue" }, { action: "start", resource: "follower", node: "blue" }])).toBe(true);
  });

  it("rules can test #is_dc", () => {
    const actions = three(prim("tool"), `<rsc_location id="l" rsc="tool"><rule id="r" score="-INFINITY"><expression id="e" attribute="#is_dc" operation="eq" value="false"/></rule></rsc_location>`, "b");
    expect(sameActions(actions, [{ action: "start", resource: "tool", node: "green" }])).toBe(true);
  });
});

describe("history details", () => {
  it("a successful start after a failure clears it", () => {
    const lrm = `<lrm_resource id="svc" class="ocf" provider="heartbeat" type="Dummy">${op("svc", "monitor", 4, 1, 10000)}${op("svc", "start", 6, 0)}${op("svc", "monitor", 7, 0, 10000)}</lrm_resource>`;
    expect(solo(prim("svc"), lrm)).toEqual([]);
  });

  it("an agent missing for the executor (operation status 7) fails a running resource and bans the node, even with on-fail=ignore", () => {
    const ignoring = `<primitive id="svc" class="ocf" provider="heartbeat" type="Dummy"><operations><op id="m" name="monitor" interval="10s" on-fail="ignore"/></operations></primitive>`;
    const missing = `<lrm_rsc_op id="svc-3" operation="monitor" call-id="3" rc-code="5" op-status="7" interval="10000"/>`;
    const lrm = `<lrm_resource id="svc" class="ocf" provider="heartbeat" type="Dummy">${op("svc", "start", 2, 0)}${missing}</lrm_resource>`;
    expect(sameActions(solo(ignoring, lrm), [{ action: "recover", resource: "svc", from: "solo", to: "duo" }])).toBe(true);
  });

  it("'not installed' returned by the agent itself is ignored with on-fail=ignore: no failure, no ban", () => {
    const ignoring = `<primitive id="svc" class="ocf" provider="heartbeat" type="Dummy"><operations><op id="m" name="monitor" interval="10s" on-fail="ignore"/></operations></primitive>`;
    const lrm = `<lrm_resource id="svc" class="ocf" provider="heartbeat" type="Dummy">${op("svc", "start", 2, 0)}${op("svc", "monitor", 3, 5, 10000)}</lrm_resource>`;
    expect(solo(ignoring, lrm)).toEqual([]);
    // Without on-fail=ignore the same result fails it and bans the node.
    const plain = `<primitive id="svc" class="ocf" provider="heartbeat" type="Dummy"><operations><op id="m" name="monitor" interval="10s"/></operations></primitive>`;
    expect(sameActions(solo(plain, lrm), [{ action: "recover", resource: "svc", from: "solo", to: "duo" }])).toBe(true);
  });

  it("a stop that must wait for a then blocked by its failure is itself blocked", () => {
    const xml = `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="1"><configuration>
  <crm_config><cluster_property_set id="opts"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
  <nodes><node id="1" uname="solo"/></nodes><resources>${prim("lower", `<meta_attributes id="lm"><nvpair id="lm1" name="target-role" value="Stopped"/></meta_attributes>`)}${prim("upper")}</resources>
  <constraints><rsc_order id="o" first="lower" then="upper"/></constraints></configuration>
  <status><node_state id="1" uname="solo" in_ccm="true" crmd="online" join="member" expected="member"><lrm id="1"><lrm_resources>
  <lrm_resource id="lower" class="ocf" provider="heartbeat" type="Dummy">${op("lower", "start", 1, 0)}</lrm_resource>
  <lrm_resource id="upper" class="ocf" provider="heartbeat" type="Dummy">${op("upper", "start", 2, 0)}${op("upper", "stop", 3, 1)}</lrm_resource></lrm_resources></lrm></node_state></status></cib>`;
    const actions = schedule(importCibXml(xml, "blocked-stop").cib, { now: 0 }).actions as never as Record<string, unknown>[];
    expect(sameActions(actions, [{ action: "stop", resource: "lower", node: "solo", blocked: true }])).toBe(true);
  });
});

describe("multiple-active", () => {
  const twice = `<lrm_resource id="svc" class="ocf" provider="heartbeat" type="Dummy">${op("svc", "start", 2, 0)}</lrm_resource>`;
  const both = (meta: string) => {
    const xml = `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="1"><configuration>
  <crm_config><cluster_property_set id="opts"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
  <nodes><node id="1" uname="solo"/><node id="2" uname="duo"/></nodes><resources>${prim("svc", meta)}</resources><constraints/></configuration>
  <status>${["1:solo", "2:duo"].map((entry) => { const [id, name] = entry.split(":"); return `<node_state id="${id}" uname="${name}" in_ccm="true" crmd="online" join="member" expected="member"><lrm id="${id}"><lrm_resources>${twice}</lrm_resources></lrm></node_state>`; }).join("")}</status></cib>`;
    return schedule(importCibXml(xml, "twice").cib, { now: 0 }).actions as never as Record<string, unknown>[];
  };
  const policy = (value: string) => `<meta_attributes id="ma"><nvpair id="ma1" name="multiple-active" value="${value}"/></meta_attributes>`;

  it("block leaves a resource active on two nodes alone", () => {
    expect(both(policy("block"))).toEqual([]);
  });
  it("stop_only stops every copy", () => {
    expect(sameActions(both(policy("stop_only")), [{ action: "stop", resource: "svc", node: "solo" }, { action: "stop", resource: "svc", node: "duo" }])).toBe(true);
  });
  it("the default stops every copy and starts one again, summarized as one restart where it stays", () => {
    const actions = both("");
    expect(actions).toHaveLength(1);
    expect(actions[0]).toMatchObject({ action: "restart", resource: "svc" });
  });
});

describe("history: hard errors, pending operations, departed nodes", () => {
  it("a probe answering 'insufficient privileges' leaves the resource failed there: it is stopped, and the node banned", () => {
    const lrm = `<lrm_resource id="svc" class="ocf" provider="heartbeat" type="Dummy">${op("svc", "monitor", 1, 4)}</lrm_resource>`;
    const actions = solo(prim("svc"), lrm);
    expect(actions.some((action) => action.action === "recover" && action.resource === "svc" && action.from === "solo" && action.to === "duo")).toBe(true);
  });

  it("'unimplemented feature' from a recurring monitor is an ordinary failure, recovered in place", () => {
    const lrm = `<lrm_resource id="svc" class="ocf" provider="heartbeat" type="Dummy">${op("svc", "start", 1, 0)}${op("svc", "monitor", 2, 3, 10000)}</lrm_resource>`;
    expect(sameActions(solo(prim("svc"), lrm), [{ action: "recover", resource: "svc", node: "solo" }])).toBe(true);
  });

  it("a start still pending counts as running: nothing new is started", () => {
    const lrm = `<lrm_resource id="svc" class="ocf" provider="heartbeat" type="Dummy"><lrm_rsc_op id="p" operation="start" call-id="-1" rc-code="-1" op-status="-1" interval="0"/></lrm_resource>`;
    expect(solo(prim("svc"), lrm)).toEqual([]);
  });

  const leftCleanly = (fencing: boolean) => `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="1"><configuration>
  <crm_config><cluster_property_set id="opts"><nvpair id="o1" name="stonith-enabled" value="${fencing}"/></cluster_property_set></crm_config>
  <nodes><node id="1" uname="solo"/><node id="2" uname="duo"/></nodes><resources>${prim("svc")}</resources><constraints/></configuration>
  <status><node_state id="1" uname="solo" in_ccm="false" crmd="offline" join="down" expected="down"><lrm id="1"><lrm_resources><lrm_resource id="svc" class="ocf" provider="heartbeat" type="Dummy">${op("svc", "start", 1, 0)}</lrm_resource></lrm_resources></lrm></node_state>
  <node_state id="2" uname="duo" in_ccm="true" crmd="online" join="member" expected="member"/></status></cib>`;

  it("without fencing, history on a node that left cleanly is not running any more: the resource starts, it does not move", () => {
    const actions = schedule(importCibXml(leftCleanly(false), "left").cib, { now: 0 }).actions as never as Record<string, unknown>[];
    expect(sameActions(actions, [{ action: "start", resource: "svc", node: "duo" }])).toBe(true);
  });

  it("with fencing, a node that left cleanly but whose history shows a resource active is fenced before the resource moves", () => {
    // Pacemaker 2.1.5 takes the resource to be still active there ("thought to be active"), which only fencing settles.
    const actions = schedule(importCibXml(leftCleanly(true), "left").cib, { now: 0 }).actions as never as Record<string, unknown>[];
    expect(sameActions(actions, [{ action: "fence", node: "solo", kind: "reboot" }, { action: "move", resource: "svc", from: "solo", to: "duo" }])).toBe(true);
  });
});

describe("expired failures and unfenceable nodes", () => {
  it("a failure older than failure-timeout is ignored: no recovery", () => {
    const meta = `<meta_attributes id="ft"><nvpair id="ft1" name="failure-timeout" value="60s"/></meta_attributes>`;
    const lrm = `<lrm_resource id="svc" class="ocf" provider="heartbeat" type="Dummy">${op("svc", "start", 1, 0)}${op("svc", "monitor", 2, 1, 10000)}</lrm_resource>`;
    const xml = (lastFailure: number) => `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="1"><configuration>
  <crm_config><cluster_property_set id="opts"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
  <nodes><node id="1" uname="solo"/></nodes><resources>${prim("svc", meta)}</resources><constraints/></configuration>
  <status><node_state id="1" uname="solo" in_ccm="true" crmd="online" join="member" expected="member"><transient_attributes id="t"><instance_attributes id="ti"><nvpair id="lf" name="last-failure-svc" value="${lastFailure}"/></instance_attributes></transient_attributes><lrm id="1"><lrm_resources>${lrm}</lrm_resources></lrm></node_state></status></cib>`;
    expect(schedule(importCibXml(xml(1000), "expired").cib, { now: 1100 }).actions).toEqual([]);
    expect(sameActions(schedule(importCibXml(xml(1000), "fresh").cib, { now: 1030 }).actions as never, [{ action: "recover", resource: "svc", node: "solo" }])).toBe(true);
  });

  it("a failed operation with no fail count expires by its own last-rc-change; an unexpired fail count keeps it", () => {
    const meta = `<meta_attributes id="ft"><nvpair id="ft1" name="failure-timeout" value="60s"/></meta_attributes>`;
    const timedOut = `<lrm_rsc_op id="svc-2" operation="monitor" call-id="2" rc-code="-2" op-status="2" interval="10000" last-rc-change="1000"/>`;
    const lrm = `<lrm_resource id="svc" class="ocf" provider="heartbeat" type="Dummy">${op("svc", "start", 1, 0)}${timedOut}</lrm_resource>`;
    const xml = (transient: string) => `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="1"><configuration>
  <crm_config><cluster_property_set id="opts"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
  <nodes><node id="1" uname="solo"/></nodes><resources>${prim("svc", meta)}</resources><constraints/></configuration>
  <status><node_state id="1" uname="solo" in_ccm="true" crmd="online" join="member" expected="member"><transient_attributes id="t"><instance_attributes id="ti">${transient}</instance_attributes></transient_attributes><lrm id="1"><lrm_resources>${lrm}</lrm_resources></lrm></node_state></status></cib>`;
    const recover = [{ action: "recover", resource: "svc", node: "solo" }];
    expect(schedule(importCibXml(xml(""), "no-count").cib, { now: 1100 }).actions).toEqual([]);
    expect(sameActions(schedule(importCibXml(xml(""), "no-count-fresh").cib, { now: 1030 }).actions as never, recover)).toBe(true);
    expect(sameActions(schedule(importCibXml(xml(`<nvpair id="fc" name="fail-count-svc#monitor_10000" value="1"/>`), "count").cib, { now: 1100 }).actions as never, recover)).toBe(true);
  });

  it("a resource on a lost node that cannot be fenced gets a blocked stop", () => {
    const xml = `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="0"><configuration>
  <crm_config><cluster_property_set id="opts"><nvpair id="o1" name="stonith-enabled" value="true"/><nvpair id="o2" name="no-quorum-policy" value="freeze"/></cluster_property_set></crm_config>
  <nodes><node id="1" uname="solo"/><node id="2" uname="duo"/></nodes><resources>${prim("svc")}</resources><constraints/></configuration>
  <status><node_state id="1" uname="solo" in_ccm="false" crmd="offline" join="member" expected="member"><lrm id="1"><lrm_resources><lrm_resource id="svc" class="ocf" provider="heartbeat" type="Dummy">${op("svc", "start", 1, 0)}</lrm_resource></lrm_resources></lrm></node_state>
  <node_state id="2" uname="duo" in_ccm="true" crmd="online" join="member" expected="member"/></status></cib>`;
    expect(sameActions(schedule(importCibXml(xml, "unfenceable").cib, { now: 0 }).actions as never, [{ action: "stop", resource: "svc", node: "solo", blocked: true }])).toBe(true);
  });
});

describe("degraded results", () => {
  it("a monitor reporting 'degraded' (190) is a success, not a failure", () => {
    const lrm = `<lrm_resource id="svc" class="ocf" provider="heartbeat" type="Dummy">${op("svc", "start", 1, 0)}${op("svc", "monitor", 2, 190, 10000)}</lrm_resource>`;
    expect(solo(prim("svc"), lrm)).toEqual([]);
  });
});

describe("expiring bans", () => {
  it("a ban from a 'not installed' probe expires with failure-timeout, counted from last-rc-change", () => {
    const meta = `<meta_attributes id="ft"><nvpair id="ft1" name="failure-timeout" value="30"/></meta_attributes>`;
    const probe = `<lrm_resource id="svc" class="ocf" provider="heartbeat" type="Dummy"><lrm_rsc_op id="p" operation="monitor" call-id="1" rc-code="5" op-status="0" interval="0" last-rc-change="1000"/></lrm_resource>`;
    const xml = `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="1"><configuration>
  <crm_config><cluster_property_set id="opts"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
  <nodes><node id="1" uname="solo"/></nodes><resources>${prim("svc", meta)}</resources><constraints/></configuration>
  <status><node_state id="1" uname="solo" in_ccm="true" crmd="online" join="member" expected="member"><lrm id="1"><lrm_resources>${probe}</lrm_resources></lrm></node_state></status></cib>`;
    expect(schedule(importCibXml(xml, "ban").cib, { now: 1010 }).actions).toEqual([]);
    expect(sameActions(schedule(importCibXml(xml, "ban").cib, { now: 1100 }).actions as never, [{ action: "start", resource: "svc", node: "solo" }])).toBe(true);
  });
});

describe("stop orders behind a blocked resource", () => {
  it("with first-action=stop then-action=stop, a first held by its failure blocks then's stop", () => {
    const stopped = `<meta_attributes id="sm"><nvpair id="sm1" name="target-role" value="Stopped"/></meta_attributes>`;
    const xml = `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="1"><configuration>
  <crm_config><cluster_property_set id="opts"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
  <nodes><node id="1" uname="solo"/></nodes><resources>${prim("stuck")}${prim("after", stopped)}</resources>
  <constraints><rsc_order id="o" first="stuck" first-action="stop" then="after" then-action="stop"/></constraints></configuration>
  <status><node_state id="1" uname="solo" in_ccm="true" crmd="online" join="member" expected="member"><lrm id="1"><lrm_resources>
  <lrm_resource id="stuck" class="ocf" provider="heartbeat" type="Dummy">${op("stuck", "start", 1, 0)}${op("stuck", "stop", 2, 1)}</lrm_resource>
  <lrm_resource id="after" class="ocf" provider="heartbeat" type="Dummy">${op("after", "start", 3, 0)}</lrm_resource></lrm_resources></lrm></node_state></status></cib>`;
    expect(sameActions(schedule(importCibXml(xml, "stop-order").cib, { now: 0 }).actions as never, [{ action: "stop", resource: "after", node: "solo", blocked: true }])).toBe(true);
  });
});

describe("resource-discovery", () => {
  it("exclusive: the resource runs only on the nodes its exclusive locations name", () => {
    const xml = (discovery: string) => `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="1"><configuration><crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
      <nodes><node id="1" uname="a"/><node id="2" uname="b"/></nodes><resources><primitive id="r" class="ocf" provider="heartbeat" type="Dummy"/></resources>
      <constraints><rsc_location id="l" rsc="r" node="b" score="0" resource-discovery="${discovery}"/><rsc_location id="p" rsc="r" node="a" score="10"/></constraints></configuration>
      <status><node_state id="1" uname="a" in_ccm="true" crmd="online" join="member" expected="member"/><node_state id="2" uname="b" in_ccm="true" crmd="online" join="member" expected="member"/></status></cib>`;
    expect(schedule(importCibXml(xml("always"), "d").cib, { now: 0 }).actions).toMatchObject([{ action: "start", node: "a" }]);
    expect(schedule(importCibXml(xml("exclusive"), "d").cib, { now: 0 }).actions).toMatchObject([{ action: "start", node: "b" }]);
  });
});

describe("rsc-pattern and value-source", () => {
  const xml = (constraints: string) => `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="1"><configuration><crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
    <nodes><node id="1" uname="a"><instance_attributes id="na"><nvpair id="na1" name="size" value="1"/><nvpair id="na2" name="zone" value="x"/></instance_attributes></node>
      <node id="2" uname="b"><instance_attributes id="nb"><nvpair id="nb1" name="size" value="5"/><nvpair id="nb2" name="zone" value="y"/></instance_attributes></node></nodes>
    <resources>
      <primitive id="web-1" class="ocf" provider="heartbeat" type="Dummy"><instance_attributes id="w1"><nvpair id="w11" name="size" value="3"/></instance_attributes></primitive>
      <primitive id="db-1" class="ocf" provider="heartbeat" type="Dummy"><meta_attributes id="d1"><nvpair id="d11" name="zone" value="x"/></meta_attributes></primitive>
    </resources><constraints>${constraints}</constraints></configuration>
    <status><node_state id="1" uname="a" in_ccm="true" crmd="online" join="member" expected="member"/><node_state id="2" uname="b" in_ccm="true" crmd="online" join="member" expected="member"/></status></cib>`;
  const placed = (constraints: string) => Object.fromEntries((schedule(importCibXml(xml(constraints), "pattern").cib, { now: 0 }).actions as never as Record<string, string>[]).map((action) => [action.resource, action.node]));

  it("a location with rsc-pattern holds for the top-level resources its expression matches, or with '!' those it does not", () => {
    const onB = (pattern: string) => `<rsc_location id="l" rsc-pattern="${pattern}" node="b" score="INFINITY"/><rsc_location id="m" rsc-pattern="${pattern}" node="a" score="-INFINITY"/>`;
    expect(placed(onB("^web-[0-9]$"))).toEqual({ "web-1": "b", "db-1": "a" });
    expect(placed(onB("!^web"))).toEqual({ "web-1": "a", "db-1": "b" });
  });

  it("value-source compares a node attribute with the resource's own instance (param) or meta attribute", () => {
    const param = `<rsc_location id="p" rsc="web-1"><rule id="pr" score="INFINITY"><expression id="pe" attribute="size" operation="gt" value="size" value-source="param"/></rule></rsc_location>`;
    const meta = `<rsc_location id="q" rsc="db-1"><rule id="qr" score="INFINITY"><expression id="qe" attribute="zone" operation="eq" value="zone" value-source="meta"/></rule></rsc_location>`;
    const prefersA = `<rsc_location id="pa" rsc="web-1" node="a" score="100"/><rsc_location id="pb" rsc="db-1" node="b" score="100"/>`;
    expect(placed(prefersA)).toEqual({ "web-1": "a", "db-1": "b" });
    // b's size 5 > web-1's 3; a's zone x is db-1's zone: both rules win over the preferences.
    expect(placed(prefersA + param + meta)).toEqual({ "web-1": "b", "db-1": "a" });
  });

  it("%N in a pattern location's attribute names takes the matched group", () => {
    const rule = `<rsc_location id="z" rsc-pattern="^(web|db)-1$"><rule id="zr" score="INFINITY"><expression id="ze" attribute="%1-ok" operation="defined"/></rule></rsc_location>`;
    const withAttributes = xml(rule).replace('<nvpair id="nb2" name="zone" value="y"/>', '<nvpair id="nb2" name="zone" value="y"/><nvpair id="nb3" name="web-ok" value="1"/>').replace('<nvpair id="na2" name="zone" value="x"/>', '<nvpair id="na2" name="zone" value="x"/><nvpair id="na3" name="db-ok" value="1"/>');
    const actions = schedule(importCibXml(withAttributes, "submatch").cib, { now: 0 }).actions as never as Record<string, string>[];
    expect(Object.fromEntries(actions.map((action) => [action.resource, action.node]))).toEqual({ "web-1": "b", "db-1": "a" });
  });
});
