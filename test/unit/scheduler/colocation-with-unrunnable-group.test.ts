// A resource colocated (mandatory) with a group whose start cannot run is not blocked with it:
// Pacemaker 2.1.5 blocks dependents through the colocations of the unrunnable start's topmost
// resource, and a group that is not cloned hands the colocations with it over to its last
// member, so an unrunnable group (or group member) blocks no dependent, while an unrunnable
// primitive or clone does. Expectations checked against crm_simulate 2.1.5 on these CIBs.
import { describe, expect, it } from "vitest";
import { sameActions } from "../../conformance/scheduler-compare";
import { scheduleSmall } from "./small-cib";

const dummy = (id: string, meta = "") => `<primitive id="${id}" class="ocf" provider="heartbeat" type="Dummy">${meta}</primitive>`;
const stopped = `<meta_attributes id="first-m"><nvpair id="first-m1" name="target-role" value="Stopped"/></meta_attributes>`;

/** dep must run with `primary`, which is ordered after a resource that stays stopped. */
function run(primary: string, withRsc = "g"): Record<string, unknown>[] {
  return scheduleSmall({
    resources: dummy("dep") + primary + dummy("first", stopped),
    constraints: `<rsc_colocation id="col1" rsc="dep" with-rsc="${withRsc}" score="INFINITY"/><rsc_order id="order1" first="first" then="g"/>`,
  });
}

const blockedStart = (resource: string) => ({ action: "start", resource, node: "alder", blocked: true });

describe("a mandatory colocation with a resource whose start cannot run", () => {
  const group = `<group id="g">${dummy("g1")}${dummy("g2")}</group>`;

  it("does not block the dependent when the primary is a group", () => {
    const actual = run(group);
    expect(sameActions(actual, [{ action: "start", resource: "dep", node: "alder" }, blockedStart("g1"), blockedStart("g2")]), JSON.stringify(actual)).toBe(true);
  });

  it("does not block the dependent when the primary is a member of a group", () => {
    const actual = run(group, "g2");
    expect(sameActions(actual, [{ action: "start", resource: "dep", node: "alder" }, blockedStart("g1"), blockedStart("g2")]), JSON.stringify(actual)).toBe(true);
  });

  it("blocks the dependent when the primary is a primitive", () => {
    const actual = run(dummy("g"));
    expect(sameActions(actual, [blockedStart("dep"), blockedStart("g")]), JSON.stringify(actual)).toBe(true);
  });

  it("blocks the dependent when the primary is a cloned group", () => {
    const actual = run(`<clone id="g"><group id="gg">${dummy("g1")}${dummy("g2")}</group></clone>`);
    const instances = [["g1:0", "alder"], ["g2:0", "alder"], ["g1:1", "birch"], ["g2:1", "birch"]].map(([resource, node]) => ({ action: "start", resource, node, blocked: true }));
    expect(sameActions(actual, [blockedStart("dep"), ...instances]), JSON.stringify(actual)).toBe(true);
  });
});
