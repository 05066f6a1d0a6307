// resource relocate: where resources go when stickiness no longer holds them.
import { describe, expect, it } from "vitest";
import { importCibXml } from "../../../src/cib";
import { relocationPlan } from "../../../src/controller";

// Two nodes; "web" prefers west (score 50) but stickiness 100 keeps it wherever it runs.
function cluster(body: { resources: string; constraints?: string; status: string; defaults?: string }) {
  const xml = `<cib admin_epoch="0" epoch="3" num_updates="0" have-quorum="1"><configuration>
  <crm_config><cluster_property_set id="opts"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
  <nodes><node id="1" uname="west"/><node id="2" uname="east"/></nodes>
  <resources>${body.resources}</resources><constraints>${body.constraints ?? ""}</constraints>
  <rsc_defaults><meta_attributes id="rd">${body.defaults ?? '<nvpair id="rd1" name="resource-stickiness" value="100"/>'}</meta_attributes></rsc_defaults></configuration>
  <status>${body.status}</status></cib>`;
  return importCibXml(xml, "relocate-test").cib;
}
const running = (...ids: string[]) => ids.map((rsc) =>
  `<lrm_resource id="${rsc}" class="ocf" provider="heartbeat" type="Dummy"><lrm_rsc_op id="${rsc}-go" operation="start" call-id="2" rc-code="0" op-status="0" interval="0"/></lrm_resource>`).join("");
const node = (id: string, name: string, resources = "") =>
  `<node_state id="${id}" uname="${name}" in_ccm="true" crmd="online" join="member" expected="member"><lrm id="${id}"><lrm_resources>${resources}</lrm_resources></lrm></node_state>`;
const dummy = (id: string, meta = "") => `<primitive id="${id}" class="ocf" provider="heartbeat" type="Dummy">${meta}</primitive>`;
const prefersWest = (rsc: string) => `<rsc_location id="pref-${rsc}" rsc="${rsc}" node="west" score="50"/>`;

describe("relocationPlan", () => {
  it("sends a sticky resource back to the node its location constraint prefers", () => {
    const cib = cluster({ resources: dummy("web"), constraints: prefersWest("web"), status: node("1", "west") + node("2", "east", running("web")) });
    expect(relocationPlan(cib, 0)).toEqual([{ resource: "web", from: ["east"], to: "west" }]);
  });

  it("ignores stickiness set on the resource itself too", () => {
    const meta = `<meta_attributes id="web-meta"><nvpair id="web-st" name="resource-stickiness" value="INFINITY"/></meta_attributes>`;
    const cib = cluster({ resources: dummy("web", meta), constraints: prefersWest("web"), status: node("1", "west") + node("2", "east", running("web")) });
    expect(relocationPlan(cib, 0)).toEqual([{ resource: "web", from: ["east"], to: "west" }]);
  });

  it("moves a group as one, under the group's name", () => {
    const group = `<group id="front">${dummy("vip")}${dummy("proxy")}</group>`;
    const cib = cluster({ resources: group, constraints: prefersWest("front"), status: node("1", "west") + node("2", "east", running("vip", "proxy")) });
    expect(relocationPlan(cib, 0)).toEqual([{ resource: "front", from: ["east"], to: "west" }]);
  });

  it("plans nothing for a resource already on its preferred node, one not running, or one not named", () => {
    const onWest = cluster({ resources: dummy("web"), constraints: prefersWest("web"), status: node("1", "west", running("web")) + node("2", "east") });
    expect(relocationPlan(onWest, 0)).toEqual([]);
    const stopped = cluster({ resources: dummy("web"), constraints: prefersWest("web"), status: node("1", "west") + node("2", "east") });
    expect(relocationPlan(stopped, 0)).toEqual([]);
    const two = cluster({ resources: dummy("web") + dummy("db"), constraints: prefersWest("web") + prefersWest("db"), status: node("1", "west") + node("2", "east", running("web", "db")) });
    expect(relocationPlan(two, 0, ["db"])).toEqual([{ resource: "db", from: ["east"], to: "west" }]);
  });

  it("does not move toward a node where the resource may not run", () => {
    const banned = `<rsc_location id="ban-web" rsc="web" node="west" score="-INFINITY"/>`;
    const cib = cluster({ resources: dummy("web"), constraints: prefersWest("web").replace("pref-web", "pref") + banned, status: node("1", "west") + node("2", "east", running("web")) });
    expect(relocationPlan(cib, 0)).toEqual([]);
  });
});
