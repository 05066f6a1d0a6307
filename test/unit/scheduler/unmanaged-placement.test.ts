// An unmanaged resource (is-managed=false, meta maintenance, maintenance-mode) is assigned the
// node it runs on, or none when inactive, before anything else (Pacemaker 2.1.5
// pcmk__primitive_assign): an inactive one takes no room on a node, so the next resource
// goes to the emptier node; a running one counts where it runs, even when asked to stop.
import { describe, expect, it } from "vitest";
import { importCibXml } from "../../../src/cib";
import { schedule } from "../../../src/scheduler";

const cib = (resources: string, status = "") => `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="1"><configuration>
  <crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
  <nodes><node id="1" uname="a"/><node id="2" uname="b"/></nodes><resources>${resources}</resources><constraints/></configuration>
  <status><node_state id="1" uname="a" in_ccm="true" crmd="online" join="member" expected="member"/><node_state id="2" uname="b" in_ccm="true" crmd="online" join="member" expected="member">${status}</node_state></status></cib>`;
const dummy = (id: string, meta = "") => `<primitive id="${id}" class="ocf" provider="heartbeat" type="Dummy">${meta}</primitive>`;
const unmanaged = (id: string, stopped = false) => `<meta_attributes id="${id}-m"><nvpair id="${id}-m1" name="is-managed" value="false"/>${stopped ? `<nvpair id="${id}-m2" name="target-role" value="Stopped"/>` : ""}</meta_attributes>`;
const starts = (xml: string) => schedule(importCibXml(xml, "unmanaged.xml").cib, { now: 0 }).actions.map((action) => `${action.action} ${action.resource}@${action.node}`).sort();

describe("unmanaged resources in placement", () => {
  it("an inactive unmanaged resource takes no node: the next one goes to the emptier node", () => {
    expect(starts(cib(dummy("first") + dummy("idle", unmanaged("idle")) + dummy("third")))).toEqual(["start first@a", "start third@b"]);
  });

  it("a running unmanaged resource counts where it runs, though its target-role is Stopped", () => {
    const running = `<lrm><lrm_resources><lrm_resource id="held" class="ocf" provider="heartbeat" type="Dummy"><lrm_rsc_op id="held_last_0" operation_key="held_start_0" operation="start" call-id="1" rc-code="0" op-status="0" interval="0" transition-magic="0:0;1:1:0:x"/></lrm_resource></lrm_resources></lrm>`;
    expect(starts(cib(dummy("held", unmanaged("held", true)) + dummy("first") + dummy("third"), running))).toEqual(["start first@a", "start third@a"]);
  });
});
