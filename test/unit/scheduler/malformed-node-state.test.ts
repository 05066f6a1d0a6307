// A node_state written without its uname (or without its id) is ignored, as Pacemaker's
// unpack_node_state does: the node counts as never seen, so with fencing on and startup-fencing
// (the default) it is unclean and fenced before anything starts. Checked against crm_simulate
// (Pacemaker 2.1.5) on the same CIBs.
import { describe, expect, it } from "vitest";
import { importCibXml } from "../../../src/cib";
import { schedule } from "../../../src/scheduler";
import { smallCibXml } from "./small-cib";

const device = `<primitive id="fencer" class="stonith" type="fence_dummy"/>`;
const xml = smallCibXml({ resources: device }).replace(`name="stonith-enabled" value="false"`, `name="stonith-enabled" value="true"`);
const birchState = `<node_state id="2" uname="birch" in_ccm="true" crmd="online" join="member" expected="member">`;

function actions(text: string): string[] {
  return schedule(importCibXml(text, "node-state.xml").cib, { now: 1800000000 }).actions.map((action) => `${action.action} ${action.resource ?? action.node}${action.blocked ? " blocked" : ""}`).sort();
}

describe("a node_state entry without a uname", () => {
  it("is ignored: the node was never seen, so it is fenced before the device starts", () => {
    expect(xml).toContain(birchState);
    const withoutName = xml.replace(birchState, `<node_state id="2" in_ccm="true" crmd="offline">`);
    expect(actions(withoutName)).toEqual(["fence birch", "start fencer"]);
  });

  it("with its uname, is the node's state: a member whose controller is not up yet (pending), not fenced; the start waits", () => {
    const pending = xml.replace(birchState, `<node_state id="2" uname="birch" in_ccm="true" crmd="offline">`);
    expect(actions(pending)).toEqual(["start fencer blocked"]);
  });
});
