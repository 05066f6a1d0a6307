import { describe, expect, it } from "vitest";
import { importCibXml } from "../../../src/cib";
import { schedule } from "../../../src/scheduler";
import { compileTransition } from "../../../src/controller/transition";
import { sameActions } from "../../conformance/scheduler-compare";

// "queue" is found running on both "left" and "right"; it prefers left. On right its last
// start either succeeded or failed.
function run(rightStartRc: number): Record<string, unknown>[] {
  const record = (node: string, rc: number) => `<lrm id="${node}"><lrm_resources><lrm_resource id="queue" class="ocf" provider="acme" type="queue"><lrm_rsc_op id="q-${node}" operation="start" call-id="3" rc-code="${rc}" op-status="0" interval="0"/></lrm_resource></lrm_resources></lrm>`;
  const xml = `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="1"><configuration>
  <crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
  <nodes><node id="1" uname="left"/><node id="2" uname="right"/></nodes>
  <resources><primitive id="queue" class="ocf" provider="acme" type="queue"/></resources>
  <constraints><rsc_location id="pref" rsc="queue" node="left" score="50"/></constraints></configuration>
  <status><node_state id="1" uname="left" in_ccm="true" crmd="online" join="member" expected="member">${record("left", 0)}</node_state>
  <node_state id="2" uname="right" in_ccm="true" crmd="online" join="member" expected="member">${record("right", rightStartRc)}</node_state></status></cib>`;
  return schedule(importCibXml(xml, "multiply-active").cib, { now: 0 }).actions as never as Record<string, unknown>[];
}

describe("a resource active on more than one node", () => {
  it("all copies healthy: every copy stops and it starts again where it stays (a restart)", () => {
    expect(sameActions(run(0), [{ action: "restart", resource: "queue", node: "left" }])).toBe(true);
  });

  it("one copy failed: the same stop and start is a recovery", () => {
    expect(sameActions(run(1), [{ action: "recover", resource: "queue", node: "left" }])).toBe(true);
  });
});

describe("a resource active on two nodes that may not start again", () => {
  // No quorum (policy stop): "queue" keeps its assigned node but may not start there.
  function noQuorum(): { actions: ReturnType<typeof schedule>["actions"]; graph: ReturnType<typeof schedule> } {
    const record = (node: string) => `<lrm id="${node}"><lrm_resources><lrm_resource id="queue" class="ocf" provider="acme" type="queue"><lrm_rsc_op id="q-${node}" operation="start" call-id="3" rc-code="0" op-status="0" interval="0"/></lrm_resource></lrm_resources></lrm>`;
    const xml = `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="0"><configuration>
  <crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="false"/><nvpair id="o2" name="no-quorum-policy" value="stop"/></cluster_property_set></crm_config>
  <nodes><node id="1" uname="left"/><node id="2" uname="right"/></nodes>
  <resources><primitive id="queue" class="ocf" provider="acme" type="queue"/></resources><constraints/></configuration>
  <status><node_state id="1" uname="left" in_ccm="true" crmd="online" join="member" expected="member">${record("left")}</node_state>
  <node_state id="2" uname="right" in_ccm="true" crmd="online" join="member" expected="member">${record("right")}</node_state></status></cib>`;
    const cib = importCibXml(xml, "multiply-active-no-quorum").cib;
    const graph = schedule(cib, { now: 0 });
    return { actions: graph.actions, graph };
  }

  it("is listed as one stop, on the first node it was found on", () => {
    expect(sameActions(noQuorum().actions as never, [{ action: "stop", resource: "queue", node: "left" }])).toBe(true);
  });

  it("still has every copy stopped when the transition runs", () => {
    const { graph } = noQuorum();
    const steps = compileTransition(1, graph).steps.filter((step) => step.resource === "queue");
    expect(steps.map((step) => `${step.kind}@${step.node}`).sort()).toEqual(["stop@left", "stop@right"]);
  });
});
