// An order whose "then" action is promote makes then's promotion required when first starts,
// not its start: instances that stay in their role are not restarted (Pacemaker 2.1.5 has no
// promote to require of an instance that stays Promoted, nor of one that stays Unpromoted).
// An order to then's start still restarts it. Checked against crm_simulate 2.1.5.
import { describe, expect, it } from "vitest";
import { sameActions } from "../../conformance/scheduler-compare";
import { history, record, scheduleSmall } from "./small-cib";

const stateful = `class="ocf" provider="pacemaker" type="Stateful"`;
const promotable = `<clone id="P"><meta_attributes id="pm"><nvpair id="pm1" name="promotable" value="true"/><nvpair id="pm2" name="promoted-max" value="1"/></meta_attributes><primitive id="p" ${stateful}/></clone>`;

/** g moves from alder to birch; P runs Promoted on alder and Unpromoted on birch, and stays so. */
function run(thenAction: string): Record<string, unknown>[] {
  return scheduleSmall({
    resources: `<primitive id="g" class="ocf" provider="heartbeat" type="Dummy"/>${promotable}`,
    constraints: `<rsc_location id="g-birch" rsc="g" node="birch" score="INFINITY"/><rsc_order id="order1" first="g" first-action="start" then="P" then-action="${thenAction}"/>`,
    history: {
      alder: history("g", [record("g", "start", { call: 1 })]) + history("p", [record("p", "start", { call: 2 }), record("p", "promote", { call: 3 })], stateful),
      birch: history("p", [record("p", "start", { call: 2 })], stateful),
    },
    transient: { alder: { "master-p": "10" }, birch: { "master-p": "5" } },
  });
}

const move = { action: "move", resource: "g", from: "alder", to: "birch" };

describe("an order from a starting resource to a promotable clone", () => {
  it("restarts no instance when it orders then's promote", () => {
    const actual = run("promote");
    expect(sameActions(actual, [move]), JSON.stringify(actual)).toBe(true);
  });

  it("restarts every instance when it orders then's start", () => {
    const actual = run("start");
    expect(sameActions(actual, [move, { action: "restart", resource: "p:0", node: "alder", role: "Promoted" }, { action: "restart", resource: "p:1", node: "birch", role: "Unpromoted" }]), JSON.stringify(actual)).toBe(true);
  });
});
