// Live migration in the transition summary: a resource with allow-migrate that moves
// migrates, unless it failed, is a clone instance, or waits for a resource that restarts.
import { describe, expect, it } from "vitest";
import { importCibXml } from "../../../src/cib";
import { schedule } from "../../../src/scheduler";

const migratable = (id: string, allow = true) => `<primitive id="${id}" class="ocf" provider="heartbeat" type="Dummy"><meta_attributes id="${id}-m"><nvpair id="${id}-m1" name="allow-migrate" value="${allow}"/></meta_attributes></primitive>`;
const started = (id: string, rc = 0) => `<lrm_resource id="${id}" class="ocf" provider="heartbeat" type="Dummy"><lrm_rsc_op id="${id}-s" operation="start" call-id="1" rc-code="0" op-status="0" interval="0"/>${rc ? `<lrm_rsc_op id="${id}-m" operation="monitor" call-id="2" rc-code="${rc}" op-status="0" interval="10000"/>` : ""}</lrm_resource>`;
function run(resources: string, constraints: string, onA: string) {
  const xml = `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="1"><configuration><crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
    <nodes><node id="1" uname="a"/><node id="2" uname="b"/></nodes><resources>${resources}</resources><constraints>${constraints}</constraints></configuration>
    <status><node_state id="1" uname="a" in_ccm="true" crmd="online" join="member" expected="member"><lrm id="1"><lrm_resources>${onA}</lrm_resources></lrm></node_state><node_state id="2" uname="b" in_ccm="true" crmd="online" join="member" expected="member"/></status></cib>`;
  return schedule(importCibXml(xml, "migration").cib, { now: 0 }).actions.map((action) => `${action.action} ${action.resource} ${action.from ?? action.node}->${action.to ?? ""}`);
}
const away = (id: string) => `<rsc_location id="${id}-away" rsc="${id}" node="a" score="-INFINITY"/>`;

describe("live migration", () => {
  it("a resource with allow-migrate moving to another node migrates", () => {
    expect(run(migratable("vm"), away("vm"), started("vm"))).toEqual(["migrate vm a->b"]);
  });

  it("without allow-migrate it moves (stop and start)", () => {
    expect(run(migratable("vm", false), away("vm"), started("vm"))).toEqual(["move vm a->b"]);
  });

  it("a failed resource is recovered, not migrated", () => {
    expect(run(migratable("vm"), away("vm"), started("vm", 1))).toEqual(["recover vm a->b"]);
  });

  it("one ordered after a resource that moves by stop and start moves too", () => {
    const plain = `<primitive id="disk" class="ocf" provider="heartbeat" type="Dummy"/>`;
    expect(run(plain + migratable("vm"), away("vm") + away("disk") + `<rsc_order id="o" first="disk" then="vm"/>`, started("disk") + started("vm")).sort()).toEqual(["move disk a->b", "move vm a->b"]);
  });

  it("what is ordered after a migrating resource is not restarted by the migration", () => {
    const plain = `<primitive id="app" class="ocf" provider="heartbeat" type="Dummy"/>`;
    expect(run(migratable("vm") + plain, away("vm") + `<rsc_location id="app-b" rsc="app" node="b" score="-INFINITY"/><rsc_order id="o" first="vm" then="app"/>`, started("vm") + started("app"))).toEqual(["migrate vm a->b"]);
  });
});
