import { describe, expect, it } from "vitest";
import { importCibXml } from "../../../src/cib";
import { schedule } from "../../../src/scheduler";
import { compileTransition } from "../../../src/controller/transition";
import { sameActions } from "../../conformance/scheduler-compare";

// Fencing on; nodes "red" and "blue". Resources run on red, listed in red's history in the
// order given; some failed there. Everything may run on blue too.
interface Entry { id: string; failed?: "stop" | "monitor" }
function cib(entries: Entry[], extraBlue: string[] = []): string {
  const history = (entry: Entry, node: string) => {
    const start = `<lrm_rsc_op id="${entry.id}-${node}-s" operation="start" call-id="1" rc-code="0" op-status="0" interval="0"/>`;
    const failure = entry.failed === "stop" ? `<lrm_rsc_op id="${entry.id}-x" operation="stop" call-id="2" rc-code="1" op-status="0" interval="0"/>`
      : entry.failed === "monitor" ? `<lrm_rsc_op id="${entry.id}-x" operation="monitor" call-id="2" rc-code="7" op-status="0" interval="10000"/>` : "";
    return `<lrm_resource id="${entry.id}" class="ocf" provider="acme" type="t">${start}${node === "red" ? failure : ""}</lrm_resource>`;
  };
  const ids = [...new Set([...entries.map((entry) => entry.id), ...extraBlue])];
  return `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="1"><configuration>
  <crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="true"/></cluster_property_set></crm_config>
  <nodes><node id="1" uname="red"/><node id="2" uname="blue"/><node id="3" uname="green"/></nodes>
  <resources><primitive id="fencer" class="stonith" type="fence_acme"/>${ids.map((id) => `<primitive id="${id}" class="ocf" provider="acme" type="t"><operations><op id="${id}-m" name="monitor" interval="10s"/></operations></primitive>`).join("")}</resources>
  <constraints>${ids.map((id) => `<rsc_location id="${id}-g" rsc="${id}" node="green" score="-INFINITY"/>`).join("")}</constraints></configuration>
  <status><node_state id="1" uname="red" in_ccm="true" crmd="online" join="member" expected="member"><lrm id="1"><lrm_resources>${entries.map((entry) => history(entry, "red")).join("")}</lrm_resources></lrm></node_state>
  <node_state id="2" uname="blue" in_ccm="true" crmd="online" join="member" expected="member"><lrm id="2"><lrm_resources>${extraBlue.map((id) => history({ id }, "blue")).join("")}
    <lrm_resource id="fencer" class="stonith" type="fence_acme"><lrm_rsc_op id="f" operation="start" call-id="1" rc-code="0" op-status="0" interval="0"/></lrm_resource></lrm_resources></lrm></node_state>
  <node_state id="3" uname="green" in_ccm="true" crmd="online" join="member" expected="member"/></status></cib>`;
}
const plan = (xml: string) => schedule(importCibXml(xml, "fence-cause").cib, { now: 0 }).actions;

describe("failures on a node that is being fenced", () => {
  it("the failure that fences the node is recovered; failures read after it on that node only move", () => {
    const actions = plan(cib([{ id: "first", failed: "stop" }, { id: "second", failed: "monitor" }, { id: "third" }]));
    expect(sameActions(actions as never, [
      { action: "fence", node: "red", kind: "reboot" },
      { action: "recover", resource: "first", from: "red", to: "blue" },
      { action: "move", resource: "second", from: "red", to: "blue" },
      { action: "move", resource: "third", from: "red", to: "blue" },
    ])).toBe(true);
    expect(actions.find((action) => action.action === "fence")?.reason).toBe("first failed there");
  });

  it("a failure read before the one that fences still counts", () => {
    const actions = plan(cib([{ id: "second", failed: "monitor" }, { id: "first", failed: "stop" }]));
    expect(actions.find((action) => action.resource === "second")?.action).toBe("recover");
  });
});

describe("a resource active on several nodes that must go to another one", () => {
  it("is one move from the first node it was found on, and every copy is stopped when run", () => {
    // "twin" runs on red and on blue; blue is put in standby, red is banned: it goes to green.
    const xml = cib([{ id: "twin" }], ["twin"]).replace(`<rsc_location id="twin-g" rsc="twin" node="green" score="-INFINITY"/>`, `<rsc_location id="twin-r" rsc="twin" node="red" score="-INFINITY"/><rsc_location id="twin-b" rsc="twin" node="blue" score="-INFINITY"/>`);
    const parsed = importCibXml(xml, "twin").cib;
    const graph = schedule(parsed, { now: 0 });
    expect(sameActions(graph.actions.filter((action) => action.resource === "twin") as never, [{ action: "move", resource: "twin", from: "red", to: "green" }])).toBe(true);
    const steps = compileTransition(1, graph).steps.filter((step) => step.resource === "twin");
    expect(steps.filter((step) => step.kind === "stop").map((step) => step.node).sort()).toEqual(["blue", "red"]);
    expect(steps.filter((step) => step.kind === "start").map((step) => step.node)).toEqual(["green"]);
  });
});
