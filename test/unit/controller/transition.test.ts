// The DC runs the scheduler's graph as it is: one step per operation, the graph's ordering,
// nothing re-derived from the CIB; blocked actions are never steps.
import { describe, expect, it } from "vitest";
import { importCibXml } from "../../../src/cib";
import { compileTransition, readySteps } from "../../../src/controller";
import { schedule } from "../../../src/scheduler";

function cib(resources: string, status: string, options = `<nvpair id="o1" name="stonith-enabled" value="true"/>`, constraints = ""): ReturnType<typeof importCibXml>["cib"] {
  return importCibXml(`<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="1"><configuration><crm_config><cluster_property_set id="o">${options}</cluster_property_set></crm_config>
  <nodes><node id="1" uname="n1"/><node id="2" uname="n2"/><node id="3" uname="n3"/></nodes><resources>${resources}</resources><constraints>${constraints}</constraints></configuration><status>${status}</status></cib>`, "transition").cib;
}
const running = (id: string, rsc: string, rc = 0) => `<lrm_resource id="${rsc}" class="ocf" provider="heartbeat" type="Dummy"><lrm_rsc_op id="${rsc}-${id}" operation="start" call-id="1" rc-code="0" op-status="0" interval="0"/>${rc !== 0 ? `<lrm_rsc_op id="${rsc}-${id}-m" operation="monitor" call-id="2" rc-code="${rc}" op-status="0" interval="10000"/>` : ""}</lrm_resource>`;
const node = (id: string, name: string, lrm: string, up = true) => `<node_state id="${id}" uname="${name}" in_ccm="${up}" crmd="${up ? "online" : "offline"}" join="member" expected="member"><lrm id="${id}"><lrm_resources>${lrm}</lrm_resources></lrm></node_state>`;

describe("compileTransition", () => {
  it("has one step per graph operation with the graph's ordering", () => {
    const parsed = cib(`<primitive id="web" class="ocf" provider="heartbeat" type="Dummy"/>`, node("1", "n1", running("1", "web", 1)) + node("2", "n2", "") + node("3", "n3", ""));
    const graph = schedule(parsed, { now: 0 });
    const transition = compileTransition(7, graph);
    expect(transition.steps.map((step) => ({ kind: step.kind, node: step.node, resource: step.resource, after: step.after }))).toEqual(graph.operations.map((operation) => ({ kind: operation.kind, node: operation.node, resource: operation.resource, after: operation.after })));
    expect(transition.steps.map((step) => `${step.kind} ${step.resource} ${step.node}`)).toEqual(["stop web n1", "start web n1"]);
    expect(transition.steps[1]!.after).toEqual([0]);
    expect(readySteps(transition).map((step) => step.kind)).toEqual(["stop"]);
  });

  it("fences first: the start elsewhere of what ran on the lost node waits for the fence, and no stop runs there", () => {
    const parsed = cib(`<primitive id="web" class="ocf" provider="heartbeat" type="Dummy"/>`, node("1", "n1", running("1", "web"), false) + node("2", "n2", "") + node("3", "n3", ""));
    const transition = compileTransition(1, schedule(parsed, { now: 0 }));
    expect(transition.steps.map((step) => `${step.kind} ${step.resource ?? step.node}`)).toEqual(["fence n1", "start web"]);
    expect(transition.steps[1]!.after).toEqual([0]);
  });

  it("leaves out blocked actions (no quorum)", () => {
    const parsed = importCibXml(`<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="0"><configuration><crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
      <nodes><node id="1" uname="n1"/></nodes><resources><primitive id="web" class="ocf" provider="heartbeat" type="Dummy"/></resources><constraints/></configuration><status>${node("1", "n1", "")}</status></cib>`, "blocked").cib;
    const graph = schedule(parsed, { now: 0 });
    expect(graph.actions).toMatchObject([{ action: "start", blocked: true }]);
    expect(compileTransition(1, graph).steps).toEqual([]);
  });
});
