import { describe, expect, it } from "vitest";
import { importCibXml } from "../../../src/cib";
import { addScores, INFINITY, schedule } from "../../../src/scheduler";
import { sameActions } from "../../conformance/scheduler-compare";

function cluster(body: { resources: string; constraints?: string; status?: string; properties?: string }): ReturnType<typeof importCibXml>["cib"] {
  const xml = `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="1"><configuration>
  <crm_config><cluster_property_set id="opts"><nvpair id="o1" name="stonith-enabled" value="true"/>${body.properties ?? ""}</cluster_property_set></crm_config>
  <nodes><node id="1" uname="alpha"/><node id="2" uname="beta"/></nodes>
  <resources>${body.resources}</resources><constraints>${body.constraints ?? ""}</constraints></configuration>
  <status>${body.status ?? ""}</status></cib>`;
  return importCibXml(xml, "test").cib;
}

const online = (id: string, name: string, resources = "") =>
  `<node_state id="${id}" uname="${name}" in_ccm="true" crmd="online" join="member" expected="member"><lrm id="${id}"><lrm_resources>${resources}</lrm_resources></lrm></node_state>`;
const lost = (id: string, name: string, resources = "") =>
  `<node_state id="${id}" uname="${name}" in_ccm="false" crmd="offline" join="member" expected="member"><lrm id="${id}"><lrm_resources>${resources}</lrm_resources></lrm></node_state>`;
const running = (rsc: string, call = 2) =>
  `<lrm_resource id="${rsc}" class="ocf" provider="heartbeat" type="Dummy"><lrm_rsc_op id="${rsc}_start" operation="start" call-id="${call}" rc-code="0" op-status="0" interval="0"/></lrm_resource>`;
const web = `<primitive id="web" class="ocf" provider="heartbeat" type="Dummy"/>`;

describe("scheduler pipeline", () => {
  it("saturates scores at INFINITY, and -INFINITY wins", () => {
    expect(addScores(INFINITY, 5)).toBe(INFINITY);
    expect(addScores(INFINITY, -INFINITY)).toBe(-INFINITY);
    expect(addScores(999_999, 10)).toBe(INFINITY);
  });

  it("starts a stopped resource on the node a location constraint prefers", () => {
    const cib = cluster({ resources: web, constraints: `<rsc_location id="l" rsc="web" node="beta" score="50"/>`, status: online("1", "alpha") + online("2", "beta") });
    expect(sameActions(schedule(cib, { now: 0 }).actions as never, [{ action: "start", resource: "web", node: "beta" }])).toBe(true);
  });

  it("keeps a running resource where it is when stickiness outweighs the preference", () => {
    const cib = cluster({ resources: web, constraints: `<rsc_location id="l" rsc="web" node="beta" score="50"/>`,
      properties: "", status: online("1", "alpha", running("web")) + online("2", "beta") });
    cib.rscDefaults = [{ id: "d", values: { "resource-stickiness": "100" } }];
    expect(schedule(cib, { now: 0 }).actions).toEqual([]);
  });

  it("fences a lost member and moves its resource to the survivor", () => {
    const cib = cluster({ resources: web, status: online("1", "alpha") + lost("2", "beta", running("web")) });
    const actions = schedule(cib, { now: 0 }).actions;
    expect(sameActions(actions as never, [{ action: "fence", node: "beta", kind: "reboot" }, { action: "move", resource: "web", from: "beta", to: "alpha" }])).toBe(true);
    expect(actions.every((action) => action.reason.length > 0)).toBe(true);
  });

  it("never places a resource on a standby node", () => {
    const cib = cluster({ resources: web, constraints: `<rsc_location id="l" rsc="web" node="beta" score="INFINITY"/>`, status: online("1", "alpha") + online("2", "beta") });
    cib.nodes[1]!.instance = [{ id: "s", values: { standby: "on" } }];
    expect(sameActions(schedule(cib, { now: 0 }).actions as never, [{ action: "start", resource: "web", node: "alpha" }])).toBe(true);
  });

  it("stops a resource whose target-role is Stopped", () => {
    const cib = cluster({ resources: `<primitive id="web" class="ocf" provider="heartbeat" type="Dummy"><meta_attributes id="m"><nvpair id="m1" name="target-role" value="Stopped"/></meta_attributes></primitive>`, status: online("1", "alpha", running("web")) + online("2", "beta") });
    expect(sameActions(schedule(cib, { now: 0 }).actions as never, [{ action: "stop", resource: "web", node: "alpha" }])).toBe(true);
  });

  it("gives byte-identical output for identical input", () => {
    const make = () => cluster({ resources: web + `<primitive id="db" class="ocf" provider="heartbeat" type="Dummy"/>`, status: online("1", "alpha") + online("2", "beta") });
    expect(JSON.stringify(schedule(make(), { now: 0 }))).toBe(JSON.stringify(schedule(make(), { now: 0 })));
  });
});

describe("scheduler failure and quorum rules", () => {
  const failedStart = (rsc: string) =>
    `<lrm_resource id="${rsc}" class="ocf" provider="heartbeat" type="Dummy"><lrm_rsc_op id="${rsc}_start" operation="start" call-id="3" rc-code="1" op-status="0" interval="0"/></lrm_resource>`;

  it("recovers a failed start in place when no fail count bans the node (the node records INFINITY for a failed start)", () => {
    // The ban of start-failure-is-fatal is the fail count; see instances-and-promotion.test.ts for it.
    const cib = cluster({ resources: web, constraints: `<rsc_location id="l" rsc="web" node="alpha" score="100"/>`, status: online("1", "alpha", failedStart("web")) + online("2", "beta") });
    expect(sameActions(schedule(cib, { now: 0 }).actions as never, [{ action: "recover", resource: "web", node: "alpha" }])).toBe(true);
  });

  it("stops everything without quorum when no-quorum-policy is stop, and fences nobody", () => {
    const cib = cluster({ resources: web, status: online("1", "alpha", running("web")) + lost("2", "beta") });
    cib.attributes["have-quorum"] = "0";
    expect(sameActions(schedule(cib, { now: 0 }).actions as never, [{ action: "stop", resource: "web", node: "alpha" }])).toBe(true);
  });

  it("keeps running resources but starts nothing without quorum when no-quorum-policy is freeze (the start is reported blocked)", () => {
    const cib = cluster({ resources: web + `<primitive id="db" class="ocf" provider="heartbeat" type="Dummy"/>`, properties: `<nvpair id="o2" name="no-quorum-policy" value="freeze"/>`, status: online("1", "alpha", running("web")) + online("2", "beta") });
    cib.attributes["have-quorum"] = "false";
    expect(sameActions(schedule(cib, { now: 0 }).actions as never, [{ action: "start", resource: "db", node: "beta", blocked: true }])).toBe(true);
  });

  it("moves resources off a node that is shutting down", () => {
    const cib = cluster({ resources: web, status: online("1", "alpha") + online("2", "beta", running("web")).replace('expected="member"', 'expected="member" shutdown="1700000000"') });
    expect(sameActions(schedule(cib, { now: 0 }).actions as never, [{ action: "move", resource: "web", from: "beta", to: "alpha" }])).toBe(true);
  });
});

describe("location rules", () => {
  it("applies a rule's score to the nodes whose attributes match it", () => {
    const cib = cluster({ resources: web, status: online("1", "alpha") + online("2", "beta"),
      constraints: `<rsc_location id="l" rsc="web"><rule id="r" score="-INFINITY"><expression id="e" attribute="#uname" operation="ne" value="beta"/></rule></rsc_location>` });
    expect(sameActions(schedule(cib, { now: 0 }).actions as never, [{ action: "start", resource: "web", node: "beta" }])).toBe(true);
  });

  it("applies a location constraint on a group to every member", () => {
    const cib = cluster({ resources: `<group id="g">${web}</group>`, constraints: `<rsc_location id="l" rsc="g" node="beta" score="10"/>`, status: online("1", "alpha") + online("2", "beta") });
    expect(sameActions(schedule(cib, { now: 0 }).actions as never, [{ action: "start", resource: "web", node: "beta" }])).toBe(true);
  });
});

describe("groups and colocation", () => {
  const db = `<primitive id="db" class="ocf" provider="heartbeat" type="Dummy"/>`;
  it("places a mandatory-colocated resource on its primary's node", () => {
    const cib = cluster({ resources: web + db, status: online("1", "alpha") + online("2", "beta"),
      constraints: `<rsc_location id="l" rsc="db" node="beta" score="10"/><rsc_colocation id="c" rsc="web" with-rsc="db" score="INFINITY"/>` });
    expect(sameActions(schedule(cib, { now: 0 }).actions as never, [{ action: "start", resource: "db", node: "beta" }, { action: "start", resource: "web", node: "beta" }])).toBe(true);
  });

  it("keeps a resource off its primary's node under a -INFINITY colocation", () => {
    const cib = cluster({ resources: web + db, status: online("1", "alpha") + online("2", "beta"),
      constraints: `<rsc_location id="l" rsc="db" node="beta" score="100"/><rsc_location id="l2" rsc="web" node="beta" score="10"/><rsc_colocation id="c" rsc="web" with-rsc="db" score="-INFINITY"/>` });
    expect(sameActions(schedule(cib, { now: 0 }).actions as never, [{ action: "start", resource: "db", node: "beta" }, { action: "start", resource: "web", node: "alpha" }])).toBe(true);
  });

  it("stops a group member and every later member when it cannot run on the group's node", () => {
    const cib = cluster({ resources: `<group id="g">${web}${db}<primitive id="cache" class="ocf" provider="heartbeat" type="Dummy"/></group>`, status: online("1", "alpha") + online("2", "beta"),
      constraints: `<rsc_location id="l" rsc="g" node="alpha" score="100"/><rsc_location id="l2" rsc="db" node="alpha" score="-INFINITY"/><rsc_location id="l3" rsc="db" node="beta" score="-INFINITY"/>` });
    expect(sameActions(schedule(cib, { now: 0 }).actions as never, [{ action: "start", resource: "web", node: "alpha" }])).toBe(true);
  });
});

describe("operation history", () => {
  const probe = (rsc: string, rc: number) =>
    `<lrm_resource id="${rsc}" class="ocf" provider="heartbeat" type="Dummy"><lrm_rsc_op id="${rsc}_probe" operation="monitor" call-id="1" rc-code="${rc}" op-status="0" interval="0"/></lrm_resource>`;
  it("treats a probe that found the agent not installed as inactive and bans that node", () => {
    const cib = cluster({ resources: web, constraints: `<rsc_location id="l" rsc="web" node="alpha" score="100"/>`, status: online("1", "alpha", probe("web", 5)) + online("2", "beta") });
    expect(sameActions(schedule(cib, { now: 0 }).actions as never, [{ action: "start", resource: "web", node: "beta" }])).toBe(true);
  });

  it("restarts a resource found active on two nodes where it is preferred", () => {
    const cib = cluster({ resources: web, constraints: `<rsc_location id="l" rsc="web" node="alpha" score="100"/>`, status: online("1", "alpha", running("web")) + online("2", "beta", running("web")) });
    expect(sameActions(schedule(cib, { now: 0 }).actions as never, [{ action: "restart", resource: "web", node: "alpha" }])).toBe(true);
  });
});

describe("fail counts", () => {
  const withFailures = (timeout: string) => {
    const cib = cluster({ resources: `<primitive id="web" class="ocf" provider="heartbeat" type="Dummy"><meta_attributes id="m"><nvpair id="m1" name="migration-threshold" value="2"/>${timeout}</meta_attributes></primitive>`,
      constraints: `<rsc_location id="l" rsc="web" node="alpha" score="100"/>`, status: online("1", "alpha") + online("2", "beta") });
    cib.status[0]!.transient = [{ id: "t", values: { "fail-count-web#start_0": "3", "last-failure-web": "1000" } }];
    return cib;
  };
  it("moves a resource away from a node where its fail count reached migration-threshold", () => {
    expect(sameActions(schedule(withFailures(""), { now: 5000 }).actions as never, [{ action: "start", resource: "web", node: "beta" }])).toBe(true);
  });
  it("forgets the fail count once failure-timeout has passed since the last failure", () => {
    const timeout = `<nvpair id="m2" name="failure-timeout" value="60s"/>`;
    expect(sameActions(schedule(withFailures(timeout), { now: 1030 }).actions as never, [{ action: "start", resource: "web", node: "beta" }])).toBe(true);
    expect(sameActions(schedule(withFailures(timeout), { now: 1060 }).actions as never, [{ action: "start", resource: "web", node: "alpha" }])).toBe(true);
  });
});

describe("simulate output", () => {
  it("prints actions in crm_simulate's words", async () => {
    const { describeAction } = await import("../../../src/cli/commands/simulate");
    expect(describeAction({ action: "start", resource: "web", node: "alpha", reason: "r" })).toMatch(/^Start\s+web \( alpha \)$/);
    expect(describeAction({ action: "move", resource: "web", from: "alpha", to: "beta", reason: "r" })).toMatch(/^Move\s+web \( alpha -> beta \)$/);
    expect(describeAction({ action: "fence", node: "beta", kind: "reboot", reason: "lost" })).toBe("Fence (reboot) beta 'reason: lost'");
    // An action that cannot run is listed with its reason and "(blocked)", as crm_simulate lists it.
    expect(describeAction({ action: "start", resource: "web", node: "alpha", reason: "unrunnable vip start", blocked: true })).toMatch(/^Start\s+web \( alpha \)  due to unrunnable vip start \(blocked\)$/);
  });
});
