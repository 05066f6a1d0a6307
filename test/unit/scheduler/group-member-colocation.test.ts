// A group is placed member by member (Pacemaker's pcmk__group_assign): its first member chooses the
// node, taking in what its later members prefer but not what they are colocated with; a later
// member whose own mandatory colocation cannot hold there stops, and the members after it. A
// location constraint on the group weighs on its first member only (pcmk__group_apply_location);
// so a resource a later member is colocated with is not pulled along by the group's preferences.
// Checked against crm_simulate (Pacemaker 2.1.5) on the same CIBs.
import { describe, expect, it } from "vitest";
import { sameActions } from "../../conformance/scheduler-compare";
import { history, record, scheduleSmall } from "./small-cib";

const dummy = (id: string) => `<primitive id="${id}" class="ocf" provider="heartbeat" type="Dummy"/>`;
const running = (names: string[]) => names.map((name, index) => history(name, [record(name, "start", { call: 10 + index })])).join("");

function run(banScore: string, stickiness = ""): Record<string, unknown>[] {
  const meta = stickiness === "" ? "" : `<meta_attributes id="stack-meta"><nvpair id="stack-sticky" name="resource-stickiness" value="${stickiness}"/></meta_attributes>`;
  return scheduleSmall({
    nodes: ["alder", "birch", "cedar"],
    resources: `${dummy("lamp")}<group id="stack">${meta}${dummy("base")}${dummy("top")}</group>`,
    constraints: `<rsc_colocation id="top-with-lamp" rsc="top" with-rsc="lamp" score="INFINITY"/>`
      + `<rsc_location id="stack-not-alder" rsc="stack" node="alder" score="${banScore}"/>`,
    history: { alder: running(["lamp", "base", "top"]) },
  });
}

const split = [{ action: "move", resource: "base", from: "alder", to: "birch" }, { action: "stop", resource: "top", node: "alder" }];

describe("a group whose later member is colocated with another resource", () => {
  it("moves its first member away from a node the group is banned from; the later member stops, its primary stays", () => {
    expect(sameActions(run("-INFINITY", "100"), split)).toBe(true);
  });

  it("is placed by its first member alone: without stickiness it spreads to an emptier node, leaving the later member behind", () => {
    expect(sameActions(run("0"), split)).toBe(true);
  });

  it("stays together, sticky, where nothing bans it", () => {
    expect(run("0", "100")).toEqual([]);
  });
});
