// A node's status may hold two history entries with the same id for one anonymous clone
// instance (one that ran, one a probe that found nothing). Pacemaker 2.1.5 reads each entry
// alone: the second goes to an orphan instance (find_anonymous_clone), and that orphan is
// stopped only if its own entry leaves it running. Checked against crm_simulate 2.1.5.
import { describe, expect, it } from "vitest";
import { sameActions } from "../../conformance/scheduler-compare";
import { history, record, scheduleSmall } from "./small-cib";

const clone = `<clone id="web"><primitive id="server" class="ocf" provider="heartbeat" type="Dummy"/></clone>`;
const probe = (call: number, rc: number) => record("server:0", "monitor", { call, rc, expected: 7, extra: ` op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"` });

function run(secondEntryRc: number): Record<string, unknown>[] {
  return scheduleSmall({
    resources: clone,
    history: {
      alder: history("server:0", [record("server:0", "start", { call: 1 })]) + history("server:0", [probe(2, secondEntryRc)]),
      birch: history("server:1", [record("server:1", "start", { call: 1 })]),
    },
  });
}

describe("two history entries of one anonymous instance on a node", () => {
  it("take the second, a probe that found it stopped, for no second copy: nothing is done", () => {
    const actual = run(7);
    expect(sameActions(actual, []), JSON.stringify(actual)).toBe(true);
  });

  it("take the second, a probe that found it running, for a second copy: that orphan stops", () => {
    const actual = run(0);
    expect(sameActions(actual, [{ action: "stop", resource: "server:2", node: "alder" }]), JSON.stringify(actual)).toBe(true);
  });
});
