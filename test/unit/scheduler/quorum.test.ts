import { describe, expect, it } from "vitest";
import { importCibXml } from "../../../src/cib";
import { schedule } from "../../../src/scheduler";
import { sameActions } from "../../conformance/scheduler-compare";

// Quorum and startup fencing on a three-node configuration where only "one" reports.
function run(options: { quorum: boolean; fencing: boolean; startupFencing?: boolean; policy?: string }) {
  const xml = `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="${options.quorum ? 1 : 0}"><configuration>
  <crm_config><cluster_property_set id="opts"><nvpair id="o1" name="stonith-enabled" value="${options.fencing}"/>${
    options.policy ? `<nvpair id="o2" name="no-quorum-policy" value="${options.policy}"/>` : ""}${
    options.startupFencing === false ? `<nvpair id="o3" name="startup-fencing" value="false"/>` : ""}</cluster_property_set></crm_config>
  <nodes><node id="1" uname="one"/><node id="2" uname="two"/><node id="3" uname="three"/></nodes>
  <resources><primitive id="fencer" class="stonith" type="fence_dummy"/><primitive id="app" class="ocf" provider="heartbeat" type="Dummy"/></resources><constraints/></configuration>
  <status><node_state id="1" uname="one" in_ccm="true" crmd="online" join="member" expected="member"/>
  <node_state id="2" uname="two" in_ccm="false" crmd="offline" join="down" expected="down"/></status></cib>`;
  return schedule(importCibXml(xml, "quorum").cib, { now: 0 }).actions as never as Record<string, unknown>[];
}

describe("quorum and startup fencing", () => {
  it("a configured node never seen is fenced when fencing is enabled, unless startup-fencing is off", () => {
    expect(run({ quorum: true, fencing: true }).filter((action) => action.action === "fence").map((action) => action.node)).toEqual(["three"]);
    expect(run({ quorum: true, fencing: true, startupFencing: false }).some((action) => action.action === "fence")).toBe(false);
  });

  it("without quorum (policy stop) starts are reported as blocked, while a fencing device still starts", () => {
    expect(sameActions(run({ quorum: false, fencing: false }), [
      { action: "start", resource: "fencer", node: "one" },
      { action: "start", resource: "app", node: "one", blocked: true },
    ])).toBe(true);
  });

  it("no-quorum-policy=ignore starts normally", () => {
    expect(sameActions(run({ quorum: false, fencing: false, policy: "ignore" }), [
      { action: "start", resource: "fencer", node: "one" }, { action: "start", resource: "app", node: "one" },
    ])).toBe(true);
  });
});
