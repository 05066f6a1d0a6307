// An order between two clones without interleave: once any instance of the first clone starts
// (here, a recovery), every running instance of the second restarts, as Pacemaker 2.1.5 makes
// the first clone's "running" and the second clone's start required; that is what interleave
// avoids (then only the instance on the node where first starts restarts). The deprecated
// restart-type=restart makes an optional order do the same. Checked against crm_simulate 2.1.5.
import { describe, expect, it } from "vitest";
import { sameActions } from "../../conformance/scheduler-compare";
import { history, record, scheduleSmall } from "./small-cib";

const primitive = (id: string, inner = "") => `<primitive id="${id}" class="ocf" provider="heartbeat" type="Dummy">${inner}</primitive>`;
const monitored = `<operations><op id="a-mon" name="monitor" interval="10s"/></operations>`;
const meta = (id: string, name: string, value: string) => `<meta_attributes id="${id}"><nvpair id="${id}-1" name="${name}" value="${value}"/></meta_attributes>`;

/** A unique clone A whose instance on birch failed its monitor, and clone B ordered after A. */
function run(thenMeta: string, order = `<rsc_order id="order1" first="A" then="B"/>`): Record<string, unknown>[] {
  return scheduleSmall({
    resources: `<clone id="A">${meta("am", "globally-unique", "true")}${primitive("a", monitored)}</clone><clone id="B">${thenMeta}${primitive("b")}</clone>`,
    constraints: order,
    history: {
      alder: history("a:0", [record("a:0", "start", { call: 1 })]) + history("b", [record("b", "start", { call: 2 })]),
      birch: history("a:1", [record("a:1", "start", { call: 1 }), record("a:1", "monitor", { call: 3, interval: 10000, rc: 7 })]) + history("b", [record("b", "start", { call: 2 })]),
    },
  });
}

const recover = { action: "recover", resource: "a:1", node: "birch" };

describe("an order from one clone to another", () => {
  it("restarts every instance of then when an instance of first recovers, without interleave", () => {
    const actual = run("");
    expect(sameActions(actual, [recover, { action: "restart", resource: "b:0", node: "alder" }, { action: "restart", resource: "b:1", node: "birch" }]), JSON.stringify(actual)).toBe(true);
  });

  it("restarts them too for an optional order when then has restart-type=restart", () => {
    const actual = run(meta("bm", "restart-type", "restart"), `<rsc_order id="order1" first="A" then="B" kind="Optional"/>`);
    expect(sameActions(actual, [recover, { action: "restart", resource: "b:0", node: "alder" }, { action: "restart", resource: "b:1", node: "birch" }]), JSON.stringify(actual)).toBe(true);
  });

  it("restarts only the instance on that node with interleave", () => {
    const actual = run(meta("bi", "interleave", "true"));
    expect(sameActions(actual, [recover, { action: "restart", resource: "b:1", node: "birch" }]), JSON.stringify(actual)).toBe(true);
  });
});
