import { describe, expect, it } from "vitest";
import { importCibXml } from "../../../src/cib";
import { schedule } from "../../../src/scheduler";
import { sameActions } from "../../conformance/scheduler-compare";

// Fencing on, a fencing device on "keel". Other nodes and histories vary per test.
function run(nodes: Record<string, { entry: string; running?: string[]; failed?: string[] }>, resources: string, keelRunning: string[] = [], options: { quorate?: boolean; properties?: string } = {}): Record<string, unknown>[] {
  const names = ["keel", ...Object.keys(nodes)];
  const lrm = (name: string) => {
    const spec = name === "keel" ? { entry: "", running: keelRunning } : nodes[name];
    const entries = [...(spec?.running ?? []).map((id) => `<lrm_resource id="${id}" class="ocf" provider="acme" type="t"><lrm_rsc_op id="${id}-${name}" operation="start" call-id="2" rc-code="0" op-status="0" interval="0"/></lrm_resource>`),
      ...(spec?.failed ?? []).map((id) => `<lrm_resource id="${id}" class="ocf" provider="acme" type="t"><lrm_rsc_op id="${id}-${name}" operation="start" call-id="2" rc-code="0" op-status="0" interval="0"/><lrm_rsc_op id="${id}-${name}-m" operation="monitor" call-id="3" rc-code="1" op-status="0" interval="10000"/></lrm_resource>`)];
    const device = name === "keel" ? `<lrm_resource id="guard" class="stonith" type="fence_acme"><lrm_rsc_op id="g" operation="start" call-id="1" rc-code="0" op-status="0" interval="0"/></lrm_resource>` : "";
    return `<lrm id="${name}"><lrm_resources>${device}${entries.join("")}</lrm_resources></lrm>`;
  };
  const xml = `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="${options.quorate === false ? 0 : 1}" crm_feature_set="3.0.14"><configuration>
  <crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="true"/>${options.properties ?? ""}</cluster_property_set></crm_config>
  <nodes>${names.map((name, index) => `<node id="${index + 1}" uname="${name}"/>`).join("")}</nodes>
  <resources><primitive id="guard" class="stonith" type="fence_acme"/>${resources}</resources><constraints/></configuration>
  <status><node_state id="1" uname="keel" in_ccm="true" crmd="online" join="member" expected="member">${lrm("keel")}</node_state>
  ${Object.entries(nodes).map(([name, spec], index) => `<node_state id="${index + 2}" uname="${name}" ${spec.entry}>${lrm(name)}</node_state>`).join("")}</status></cib>`;
  return schedule(importCibXml(xml, "pending").cib, { now: 0 }).actions as never as Record<string, unknown>[];
}
const prim = (id: string, meta = "") => `<primitive id="${id}" class="ocf" provider="acme" type="t">${meta}<operations><op id="${id}-m" name="monitor" interval="10s"/></operations></primitive>`;
const member = `in_ccm="true" crmd="online" join="member" expected="member"`;

describe("a node that has not finished joining", () => {
  it("keeps what its history shows running; nothing can be done there, so the stop is blocked and nobody is fenced", () => {
    const actions = run({ joining: { entry: `in_ccm="true" crmd="online" join="pending" expected="member"`, running: ["cargo"] } }, prim("cargo"));
    expect(sameActions(actions, [{ action: "stop", resource: "cargo", node: "joining", blocked: true }])).toBe(true);
  });
});

describe("a resource active on a pending node and elsewhere, to be stopped", () => {
  it("stops where it can; the stop on the pending node is blocked", () => {
    const stopped = prim("cargo", `<meta_attributes id="cm"><nvpair id="cm1" name="target-role" value="Stopped"/></meta_attributes>`);
    const actions = run({ joining: { entry: `in_ccm="true" crmd="online" join="pending" expected="member"`, running: ["cargo"] } }, stopped, ["cargo"]);
    expect(sameActions(actions, [{ action: "stop", resource: "cargo", node: "keel" }, { action: "stop", resource: "cargo", node: "joining", blocked: true }])).toBe(true);
  });
});

describe("a resource that is to keep running but has a copy on a pending node", () => {
  it("cannot start again anywhere (that copy cannot be stopped): one stop is listed, where it was found first", () => {
    const actions = run({ joining: { entry: `in_ccm="true" crmd="online" join="pending" expected="member"`, running: ["cargo"] } }, prim("cargo"), ["cargo"]);
    expect(sameActions(actions, [{ action: "stop", resource: "cargo", node: "keel" }])).toBe(true);
  });
});

describe("a group whose later member runs on a pending node", () => {
  it("cannot stop its earlier members either: their stops wait for the later member's, which is blocked", () => {
    const group = `<group id="pair"><meta_attributes id="pm"><nvpair id="pm1" name="target-role" value="Stopped"/></meta_attributes>${prim("front")}${prim("back")}</group>`;
    const actions = run({ joining: { entry: `in_ccm="true" crmd="online" join="pending" expected="member"`, running: ["back"] } }, group, ["front"]);
    expect(sameActions(actions, [{ action: "stop", resource: "front", node: "keel", blocked: true }, { action: "stop", resource: "back", node: "joining", blocked: true }])).toBe(true);
  });
});

describe("copies on a node being fenced", () => {
  // "cargo" is to be stopped (target-role Stopped); it runs on "keel" and on "lost", which left
  // the membership and is fenced.
  const lost = { lost: { entry: `in_ccm="false" crmd="offline" join="down" expected="member"`, running: ["cargo"] } };
  const stopped = (requires?: string) => prim("cargo", `<meta_attributes id="cm"><nvpair id="cm1" name="target-role" value="Stopped"/>${requires ? `<nvpair id="cm2" name="requires" value="${requires}"/>` : ""}</meta_attributes>`);
  const cargo = (actions: Record<string, unknown>[]) => actions.filter((action) => action.resource === "cargo");

  it("count for a resource that requires fencing (the default): it is active on both nodes and stops on both", () => {
    expect(sameActions(cargo(run(lost, stopped(), ["cargo"])), [{ action: "stop", resource: "cargo", node: "keel" }, { action: "stop", resource: "cargo", node: "lost" }])).toBe(true);
  });

  it("a resource that stops is stopped on every node it runs on, whatever it requires", () => {
    expect(sameActions(cargo(run(lost, stopped("quorum"), ["cargo"])), [{ action: "stop", resource: "cargo", node: "keel" }, { action: "stop", resource: "cargo", node: "lost" }])).toBe(true);
  });

  it("do not count for a resource that requires only quorum and stays: it is not taken as active twice", () => {
    // "cargo" prefers keel; it needs only quorum, so the copy on the lost node goes with the fence.
    const staying = prim("cargo", `<meta_attributes id="cm"><nvpair id="cm2" name="requires" value="quorum"/></meta_attributes>`);
    expect(cargo(run(lost, staying, ["cargo"]))).toEqual([]);
    // Requiring fencing, the same copies make it active twice: all stop and it starts again.
    expect(cargo(run(lost, prim("cargo"), ["cargo"])).length).toBeGreaterThan(0);
  });

  it("do not count either on an unclean node that cannot be fenced yet (no quorum, freeze): the copy that runs is not restarted in every transition", () => {
    // Simulator seeds 116, 490, 786: a DC without quorum (freeze) restarted its copy of a fencing
    // device again and again, since the copy on the unclean node could never be stopped.
    const frozen = { quorate: false, properties: `<nvpair id="o2" name="no-quorum-policy" value="freeze"/>` };
    const staying = prim("cargo", `<meta_attributes id="cm"><nvpair id="cm2" name="requires" value="quorum"/></meta_attributes>`);
    expect(cargo(run(lost, staying, ["cargo"], frozen))).toEqual([]);
    // The fencing device itself (requires quorum by default), active on the lost node too.
    const guard = (actions: Record<string, unknown>[]) => actions.filter((action) => action.resource === "guard");
    expect(guard(run({ lost: { ...lost.lost, running: ["guard"] } }, "", [], frozen))).toEqual([]);
    // A resource that requires fencing still counts that copy: it cannot be taken as stopped there.
    expect(cargo(run(lost, prim("cargo"), ["cargo"], frozen)).length).toBeGreaterThan(0);
  });
});

describe("a failure on a node that is fenced for another reason", () => {
  it("does not make the move of a resource active there (and elsewhere) a recovery", () => {
    // "cargo" failed on "lost" (gone from the membership, fenced for that) and runs fine on "deck".
    const nodes = { lost: { entry: `in_ccm="false" crmd="offline" join="down" expected="member"`, failed: ["cargo"] }, deck: { entry: member, running: ["cargo"] } };
    const actions = run(nodes, prim("cargo")).filter((action) => action.resource === "cargo");
    expect(actions.map((action) => action.action)).toEqual(["move"]);
  });
});
