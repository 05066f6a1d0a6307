import { describe, expect, it } from "vitest";
import { importCibXml } from "../../../src/cib";
import { schedule } from "../../../src/scheduler";
import { sameActions } from "../../conformance/scheduler-compare";

// No quorum, no-quorum-policy=stop, two nodes up. "db" runs nowhere and prefers "beta";
// "web" must run with db. "store" ran on "alpha" but its stop failed there (it is active and
// failed as far as anyone knows).
function run(extra: { storeStopFailed?: boolean; dbRunning?: boolean } = {}): Record<string, unknown>[] {
  const prim = (id: string) => `<primitive id="${id}" class="ocf" provider="acme" type="part"/>`;
  const store = extra.storeStopFailed ? `<lrm id="1"><lrm_resources><lrm_resource id="store" class="ocf" provider="acme" type="part">
    <lrm_rsc_op id="s1" operation="monitor" call-id="1" rc-code="7" op-status="0" interval="0"/><lrm_rsc_op id="s2" operation="stop" call-id="2" rc-code="5" op-status="0" interval="0"/></lrm_resource></lrm_resources></lrm>` : "";
  const xml = `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="0"><configuration>
  <crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="false"/><nvpair id="o2" name="no-quorum-policy" value="stop"/></cluster_property_set></crm_config>
  <nodes><node id="1" uname="alpha"/><node id="2" uname="beta"/></nodes>
  <resources>${prim("db")}${prim("web")}${extra.storeStopFailed ? prim("store") : ""}</resources>
  <constraints><rsc_location id="l" rsc="db" node="beta" score="10"/><rsc_colocation id="c" rsc="web" with-rsc="db" score="INFINITY"/></constraints></configuration>
  <status><node_state id="1" uname="alpha" in_ccm="true" crmd="online" join="member" expected="member">${store}</node_state>
  <node_state id="2" uname="beta" in_ccm="true" crmd="online" join="member" expected="member">${extra.dbRunning ? `<lrm id="2"><lrm_resources><lrm_resource id="db" class="ocf" provider="acme" type="part"><lrm_rsc_op id="d1" operation="start" call-id="1" rc-code="0" op-status="0" interval="0"/></lrm_resource></lrm_resources></lrm>` : ""}</node_state></status></cib>`;
  return schedule(importCibXml(xml, "held").cib, { now: 0 }).actions as never as Record<string, unknown>[];
}

describe("starts held back for lack of quorum", () => {
  it("a resource that may not start is still assigned its node, and what must run with it goes there too (both blocked)", () => {
    expect(sameActions(run(), [
      { action: "start", resource: "db", node: "beta", blocked: true },
      { action: "start", resource: "web", node: "beta", blocked: true },
    ])).toBe(true);
  });

  it("a resource that runs stops, but is still assigned its node: what must run with it is listed there, blocked", () => {
    expect(sameActions(run({ dbRunning: true }), [
      { action: "stop", resource: "db", node: "beta" },
      { action: "start", resource: "web", node: "beta", blocked: true },
    ])).toBe(true);
  });

  it("a stop that failed leaves the resource active where it was: without fencing it is held there (on-fail block), no start is even considered", () => {
    const actions = run({ storeStopFailed: true });
    expect(actions.some((action) => action.resource === "store")).toBe(false);
    expect(actions.filter((action) => action.resource !== "store")).toHaveLength(2);
  });
});
