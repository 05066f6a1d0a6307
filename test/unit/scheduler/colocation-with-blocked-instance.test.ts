// A mandatory colocation with a clone follows only instances that are not blocked by their own
// failure: an instance whose monitor failed with on-fail=block stays where it is, untouched, but
// is no partner for what is colocated with the clone (Pacemaker's pcmk__clone_apply_coloc_score
// leaves out instances with pe_rsc_block). Checked against crm_simulate (Pacemaker 2.1.5).
import { describe, expect, it } from "vitest";
import { sameActions } from "../../conformance/scheduler-compare";
import { history, record, scheduleSmall } from "./small-cib";

const clone = (onFail: string) => `<clone id="web"><primitive id="server" class="ocf" provider="heartbeat" type="Dummy">`
  + `<operations><op id="server-monitor" name="monitor" interval="10s" on-fail="${onFail}"/></operations></primitive></clone>`;
const vip = `<primitive id="vip" class="ocf" provider="heartbeat" type="Dummy"/>`;

function run(onFail: string): Record<string, unknown>[] {
  return scheduleSmall({
    resources: clone(onFail) + vip,
    constraints: `<rsc_colocation id="vip-with-web" rsc="vip" with-rsc="web" score="INFINITY"/>`,
    history: {
      alder: history("server", [record("server", "start", { call: 10 }), record("server", "monitor", { call: 11, interval: 10000, rc: 7 })])
        + history("vip", [record("vip", "start", { call: 12 })]),
      birch: history("server", [record("server", "start", { call: 10 })]),
    },
  });
}

describe("a mandatory colocation with a clone whose instance is blocked by its failure", () => {
  it("moves the dependent to a node with a healthy instance; the blocked instance is left alone", () => {
    expect(sameActions(run("block"), [{ action: "move", resource: "vip", from: "alder", to: "birch" }])).toBe(true);
  });

  it("stays with an instance that is recovered in place (on-fail=restart)", () => {
    expect(sameActions(run("restart"), [{ action: "recover", resource: "server:0", node: "alder" }])).toBe(true);
  });
});
