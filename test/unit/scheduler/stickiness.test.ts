import { describe, expect, it } from "vitest";
import { importCibXml } from "../../../src/cib";
import { schedule } from "../../../src/scheduler";
import { sameActions } from "../../conformance/scheduler-compare";

// "tank" with stickiness 100 and a location preference of 50 for "beta". Its history on
// "alpha" (and maybe "beta") varies.
function run(history: { alpha?: string; beta?: string }, preferBeta = 50): Record<string, unknown>[] {
  const lrm = (node: string, ops?: string) => ops === undefined ? "" : `<lrm id="${node}"><lrm_resources><lrm_resource id="tank" class="ocf" provider="acme" type="tank">${ops}</lrm_resource></lrm_resources></lrm>`;
  const xml = `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="1"><configuration>
  <crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
  <nodes><node id="1" uname="alpha"/><node id="2" uname="beta"/></nodes>
  <resources><primitive id="tank" class="ocf" provider="acme" type="tank"><meta_attributes id="m"><nvpair id="m1" name="resource-stickiness" value="100"/></meta_attributes>
    <operations><op id="tm" name="monitor" interval="10s"/></operations></primitive></resources>
  <constraints><rsc_location id="l" rsc="tank" node="beta" score="${preferBeta}"/></constraints></configuration>
  <status><node_state id="1" uname="alpha" in_ccm="true" crmd="online" join="member" expected="member">${lrm("alpha", history.alpha)}</node_state>
  <node_state id="2" uname="beta" in_ccm="true" crmd="online" join="member" expected="member">${lrm("beta", history.beta)}</node_state></status></cib>`;
  return schedule(importCibXml(xml, "stickiness").cib, { now: 0 }).actions as never as Record<string, unknown>[];
}
const started = (call: number) => `<lrm_rsc_op id="s${call}" operation="start" call-id="${call}" rc-code="0" op-status="0" interval="0"/>`;
const monitorFailed = `<lrm_rsc_op id="f9" operation="monitor" call-id="9" rc-code="1" op-status="0" interval="10000"/>`;

describe("resource stickiness", () => {
  it("holds the resource where it runs against a weaker preference", () => {
    expect(run({ alpha: started(1) })).toEqual([]);
  });

  it("still counts where the resource failed: it is recovered in place", () => {
    expect(sameActions(run({ alpha: started(1) + monitorFailed }), [{ action: "recover", resource: "tank", node: "alpha" }])).toBe(true);
  });

  it("does not count for a resource active on two nodes; equal scores then favour the node listed first", () => {
    // Without a preference the copy on alpha (listed first) stays: a restart there.
    expect(sameActions(run({ alpha: started(1), beta: started(2) }, 0), [{ action: "restart", resource: "tank", node: "alpha" }])).toBe(true);
    // The preference for beta decides (no stickiness holds it on alpha): every copy stops and it
    // starts on beta, shown as a move from the first node it was found on.
    expect(sameActions(run({ alpha: started(1), beta: started(2) }), [{ action: "move", resource: "tank", from: "alpha", to: "beta" }])).toBe(true);
  });
});
