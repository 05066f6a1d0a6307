// An interleaved clone instance that runs where it is placed but can no longer start there
// (the instance it is ordered after leaves that node) is stopped through a restart whose start
// cannot run. Pacemaker 2.1.5 still counts that start as required, and so the clone's "running":
// a primitive ordered after the clone on that node restarts; one on another node does not.
// Checked against crm_simulate 2.1.5 on these CIBs.
import { describe, expect, it } from "vitest";
import { sameActions } from "../../conformance/scheduler-compare";
import { history, record, scheduleSmall } from "./small-cib";

const interleaved = (id: string, child: string) => `<clone id="${id}"><meta_attributes id="${id}-m"><nvpair id="${id}-m1" name="interleave" value="true"/></meta_attributes><primitive id="${child}" class="ocf" provider="heartbeat" type="Dummy"/></clone>`;
const running = (id: string, call: number) => history(id, [record(id, "start", { call })]);

/** C2 then C3 (both interleaved) then dummy, which runs on `where`; C2 is banned from alder. */
function run(where: "alder" | "birch"): Record<string, unknown>[] {
  const histories: Record<string, string> = { alder: running("two", 1) + running("three", 2), birch: running("two", 1) + running("three", 2) };
  histories[where] += running("dummy", 3);
  return scheduleSmall({
    resources: `<primitive id="dummy" class="ocf" provider="heartbeat" type="Dummy"/>${interleaved("C2", "two")}${interleaved("C3", "three")}`,
    constraints: `<rsc_order id="order1" first="C2" then="C3"/><rsc_order id="order2" first="C3" then="dummy"/><rsc_location id="c2-not-alder" rsc="C2" node="alder" score="-INFINITY"/><rsc_location id="dummy-here" rsc="dummy" node="${where}" score="100"/>`,
    history: histories,
  });
}

const stops = [{ action: "stop", resource: "two:0", node: "alder" }, { action: "stop", resource: "three:0", node: "alder" }];

describe("a clone instance stopped because it cannot start again where it runs", () => {
  it("restarts a primitive ordered after the clone on that node", () => {
    const actual = run("alder");
    expect(sameActions(actual, [...stops, { action: "restart", resource: "dummy", node: "alder" }]), JSON.stringify(actual)).toBe(true);
  });

  it("restarts nothing on another node", () => {
    const actual = run("birch");
    expect(sameActions(actual, stops), JSON.stringify(actual)).toBe(true);
  });
});
