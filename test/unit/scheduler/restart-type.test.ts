import { describe, expect, it } from "vitest";
import { importCibXml } from "../../../src/cib";
import { schedule } from "../../../src/scheduler";
import { sameActions } from "../../conformance/scheduler-compare";

// One node "solo" runs "base" (failed: it will be recovered) and "upper", ordered after base
// by an order whose kind and actions vary; upper may carry restart-type=restart.
function run(options: { kind: string; actions?: "stop"; restartType?: boolean }): Record<string, unknown>[] {
  const meta = options.restartType ? `<meta_attributes id="um"><nvpair id="um1" name="restart-type" value="restart"/></meta_attributes>` : "";
  const actions = options.actions ? ` first-action="${options.actions}" then-action="${options.actions}"` : "";
  const ok = (id: string, call: number, operation = "start", rc = 0) => `<lrm_rsc_op id="${id}-${call}" operation="${operation}" call-id="${call}" rc-code="${rc}" op-status="0" interval="${operation === "monitor" ? 5000 : 0}"/>`;
  const xml = `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="1"><configuration>
  <crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
  <nodes><node id="1" uname="solo"/></nodes>
  <resources><primitive id="base" class="ocf" provider="acme" type="base"/><primitive id="upper" class="ocf" provider="acme" type="upper">${meta}</primitive></resources>
  <constraints><rsc_order id="o" first="base" then="upper" kind="${options.kind}"${actions}/></constraints></configuration>
  <status><node_state id="1" uname="solo" in_ccm="true" crmd="online" join="member" expected="member"><lrm id="1"><lrm_resources>
  <lrm_resource id="base" class="ocf" provider="acme" type="base">${ok("base", 1)}${ok("base", 2, "monitor", 1)}</lrm_resource>
  <lrm_resource id="upper" class="ocf" provider="acme" type="upper">${ok("upper", 3)}</lrm_resource></lrm_resources></lrm></node_state></status></cib>`;
  return schedule(importCibXml(xml, "restart-type").cib, { now: 0 }).actions as never as Record<string, unknown>[];
}

const recoverBase = { action: "recover", resource: "base", node: "solo" };
const restartUpper = { action: "restart", resource: "upper", node: "solo" };

describe("restarts carried by orders", () => {
  it("an optional order restarts nothing by itself", () => {
    expect(sameActions(run({ kind: "Optional" }), [recoverBase])).toBe(true);
  });

  it("an optional order restarts a then with restart-type=restart", () => {
    expect(sameActions(run({ kind: "Optional", restartType: true }), [recoverBase, restartUpper])).toBe(true);
  });

  it("a mandatory order restarts the then either way", () => {
    expect(sameActions(run({ kind: "Mandatory" }), [recoverBase, restartUpper])).toBe(true);
  });

  it("an order of stops: then is stopped whenever first stops, so a then that stays restarts (optional: with restart-type=restart)", () => {
    expect(sameActions(run({ kind: "Optional", actions: "stop", restartType: true }), [recoverBase, restartUpper])).toBe(true);
    expect(sameActions(run({ kind: "Optional", actions: "stop" }), [recoverBase])).toBe(true);
    expect(sameActions(run({ kind: "Mandatory", actions: "stop" }), [recoverBase, restartUpper])).toBe(true);
  });
});
