import { describe, expect, it } from "vitest";
import { importCibXml } from "../../../src/cib";
import { schedule } from "../../../src/scheduler";
import { parameterDigest } from "../../../src/scheduler/digest";
import { describeAction } from "../../../src/cli/commands/simulate";
import { sameActions } from "../../conformance/scheduler-compare";

// "db" (a database with a reloadable "cache_size" and a restart-only "listen" parameter)
// runs on "north"; "app" is ordered after it. The start record of db carries the digest of
// the parameters it started with and the digest of the restart-only ones.
function cibXml(options: { cacheSize: string; listen: string; dbBannedFromNorth?: boolean; feederRestarts?: boolean }): string {
  const started = { cache_size: "64", listen: "0.0.0.0" };
  const restartOnly = { listen: started.listen };
  const digests = `op-digest="${parameterDigest(started)}" op-force-restart=" listen " op-restart-digest="${parameterDigest(restartOnly)}"`;
  const ban = options.dbBannedFromNorth ? `<rsc_location id="db-away" rsc="db" node="north" score="-INFINITY"/>` : "";
  // "feeder" must start before db; a changed parameter of feeder restarts it, and with it db.
  const feederDigest = parameterDigest(options.feederRestarts ? { mode: "old" } : { mode: "new" });
  return `<cib admin_epoch="0" epoch="3" num_updates="0" have-quorum="1"><configuration>
  <crm_config><cluster_property_set id="c"><nvpair id="c1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
  <nodes><node id="1" uname="north"/><node id="2" uname="south"/></nodes>
  <resources>
    <primitive id="feeder" class="ocf" provider="acme" type="feeder"><instance_attributes id="f-ia"><nvpair id="f-ia1" name="mode" value="new"/></instance_attributes></primitive>
    <primitive id="db" class="ocf" provider="acme" type="db"><instance_attributes id="db-ia">
      <nvpair id="db-ia1" name="cache_size" value="${options.cacheSize}"/><nvpair id="db-ia2" name="listen" value="${options.listen}"/></instance_attributes></primitive>
    <primitive id="app" class="ocf" provider="acme" type="app"/>
  </resources>
  <constraints><rsc_order id="feeder-db" first="feeder" then="db"/><rsc_order id="db-app" first="db" then="app"/>
    <rsc_colocation id="db-feeder" rsc="db" with-rsc="feeder" score="INFINITY"/><rsc_colocation id="app-db" rsc="app" with-rsc="db" score="INFINITY"/>${ban}</constraints>
  </configuration>
  <status><node_state id="1" uname="north" in_ccm="true" crmd="online" join="member" expected="member"><lrm id="1"><lrm_resources>
    <lrm_resource id="feeder" class="ocf" provider="acme" type="feeder"><lrm_rsc_op id="f0" operation="start" interval="0" op-status="0" rc-code="0" call-id="2" op-digest="${feederDigest}"/></lrm_resource>
    <lrm_resource id="db" class="ocf" provider="acme" type="db"><lrm_rsc_op id="d0" operation="start" interval="0" op-status="0" rc-code="0" call-id="3" ${digests}/></lrm_resource>
    <lrm_resource id="app" class="ocf" provider="acme" type="app"><lrm_rsc_op id="a0" operation="start" interval="0" op-status="0" rc-code="0" call-id="4" op-digest="${parameterDigest({})}"/></lrm_resource>
  </lrm_resources></lrm></node_state>
  <node_state id="2" uname="south" in_ccm="true" crmd="online" join="member" expected="member"/></status></cib>`;
}

function plan(options: Parameters<typeof cibXml>[0]) {
  return schedule(importCibXml(cibXml(options), "reload").cib, { now: 0 }).actions;
}

describe("a change of reloadable parameters only", () => {
  it("is applied by a reload where the resource runs; what is ordered after it is left alone", () => {
    const actions = plan({ cacheSize: "256", listen: "0.0.0.0" });
    expect(sameActions(actions as never, [{ action: "reload", resource: "db", node: "north" }])).toBe(true);
    expect(describeAction(actions[0]!)).toMatch(/^Reload\s+db \( north \)$/);
  });

  it("a restart-only parameter changed as well: a restart, which restarts the dependent too", () => {
    expect(sameActions(plan({ cacheSize: "256", listen: "127.0.0.1" }) as never, [
      { action: "restart", resource: "db", node: "north" },
      { action: "restart", resource: "app", node: "north" },
    ])).toBe(true);
  });

  it("a resource restarted anyway (its prerequisite restarts) is not reloaded as well", () => {
    expect(sameActions(plan({ cacheSize: "256", listen: "0.0.0.0", feederRestarts: true }) as never, [
      { action: "restart", resource: "feeder", node: "north" },
      { action: "restart", resource: "db", node: "north" },
      { action: "restart", resource: "app", node: "north" },
    ])).toBe(true);
  });

  it("a resource that must stop (it may not stay, and cannot go elsewhere) is not reloaded", () => {
    const actions = plan({ cacheSize: "256", listen: "0.0.0.0", dbBannedFromNorth: true });
    expect(actions.some((action) => action.action === "reload")).toBe(false);
  });
});
