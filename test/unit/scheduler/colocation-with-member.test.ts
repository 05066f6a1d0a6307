import { describe, expect, it } from "vitest";
import { importCibXml } from "../../../src/cib";
import { schedule } from "../../../src/scheduler";
import { sameActions } from "../../conformance/scheduler-compare";

// Group "stack" (base, top) prefers "p"; "side" is colocated with the group's member "top".
function run(score: string): Record<string, unknown>[] {
  const prim = (id: string) => `<primitive id="${id}" class="ocf" provider="acme" type="t"/>`;
  const xml = `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="1" crm_feature_set="3.0.14"><configuration>
  <crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
  <nodes><node id="1" uname="p"/><node id="2" uname="q"/></nodes>
  <resources><group id="stack">${prim("base")}${prim("top")}</group>${prim("side")}</resources>
  <constraints><rsc_location id="l" rsc="stack" node="p" score="100"/><rsc_colocation id="c" rsc="side" with-rsc="top" score="${score}"/></constraints></configuration>
  <status><node_state id="1" uname="p" in_ccm="true" crmd="online" join="member" expected="member"/><node_state id="2" uname="q" in_ccm="true" crmd="online" join="member" expected="member"/></status></cib>`;
  return schedule(importCibXml(xml, "with-member").cib, { now: 0 }).actions as never as Record<string, unknown>[];
}
const stack = [{ action: "start", resource: "base", node: "p" }, { action: "start", resource: "top", node: "p" }];

describe("a colocation with one member of a group", () => {
  it("follows the node the group is placed on (mandatory)", () => {
    expect(sameActions(run("INFINITY"), [...stack, { action: "start", resource: "side", node: "p" }])).toBe(true);
  });

  it("keeps away from it (mandatory anti-colocation)", () => {
    expect(sameActions(run("-INFINITY"), [...stack, { action: "start", resource: "side", node: "q" }])).toBe(true);
  });
});
