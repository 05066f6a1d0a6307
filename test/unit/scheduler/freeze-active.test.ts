// no-quorum-policy=freeze without quorum, fencing on: what is active may still move, where
// active is Pacemaker's native_active (running on an online node, or on an unclean one), and
// a Promoted instance keeps its role.
// Each expectation was checked against crm_simulate (Pacemaker 2.1.5) on the same small CIB.
import { describe, expect, it } from "vitest";
import { importCibXml } from "../../../src/cib";
import { schedule } from "../../../src/scheduler";
import { sameActions } from "../../conformance/scheduler-compare";
import { history, record, smallCibXml, type SmallCib } from "./small-cib";

const stateful = `class="ocf" provider="pacemaker" type="Stateful"`;
const dummy = (id: string) => `<primitive id="${id}" class="ocf" provider="heartbeat" type="Dummy"/>`;
const fencer = `<primitive id="fencer" class="stonith" type="fence_dummy"/>`;
const running = (id: string, call: number, extra: string[] = []) => history(id, [record(id, "start", { call }), ...extra]);
const fencerOnAlder = history("fencer", [record("fencer", "start", { call: 3 })], `class="stonith" type="fence_dummy"`);
// A failed stop of "app" on cedar: cedar, a member of this partition, is fenced.
const failedStop = running("app", 8, [record("app", "stop", { call: 9, rc: 1 })]);
const ledger = `<clone id="ledger-clone"><meta_attributes id="lm"><nvpair id="lm1" name="promotable" value="true"/><nvpair id="lm2" name="clone-max" value="1"/></meta_attributes>`
  + `<primitive id="ledger" ${stateful}><operations><op id="ledger-mu" name="monitor" interval="10s" role="Unpromoted"/><op id="ledger-mp" name="monitor" interval="11s" role="Promoted"/></operations></primitive></clone>`;

function frozen(spec: SmallCib, lost: string[] = []): Record<string, unknown>[] {
  let xml = smallCibXml({ nodes: ["alder", "birch", "cedar"], properties: `<nvpair id="nq" name="no-quorum-policy" value="freeze"/>`, ...spec })
    .replace(`name="stonith-enabled" value="false"`, `name="stonith-enabled" value="true"`).replace(`have-quorum="1"`, `have-quorum="0"`);
  for (const node of lost) xml = xml.replace(`uname="${node}" in_ccm="true" crmd="online"`, `uname="${node}" in_ccm="false" crmd="offline"`);
  return schedule(importCibXml(xml, "freeze.xml").cib, { now: 1800000000 }).actions as never as Record<string, unknown>[];
}

describe("no-quorum-policy=freeze, what is active", () => {
  it("resources on a member being fenced move to the other members", () => {
    const actions = frozen({ resources: dummy("web") + dummy("app") + fencer, history: { alder: fencerOnAlder, cedar: running("web", 5) + failedStop } });
    expect(sameActions(actions, [
      { action: "fence", node: "cedar", kind: "reboot" },
      { action: "move", resource: "web", from: "cedar", to: "alder" },
      { action: "recover", resource: "app", from: "cedar", to: "birch" },
    ])).toBe(true);
  });

  it("a resource on a node that left is still active: placed, it weighs on the others, but its stop there (so its start) is blocked", () => {
    // web is assigned alder, so the fencer, without stickiness, goes to the emptier birch.
    const actions = frozen({ resources: dummy("web") + fencer, history: { alder: fencerOnAlder, cedar: running("web", 5) } }, ["cedar"]);
    expect(sameActions(actions, [
      { action: "stop", resource: "web", node: "cedar", blocked: true },
      { action: "move", resource: "fencer", from: "alder", to: "birch" },
    ])).toBe(true);
  });

  it("a Promoted instance that moves off a member being fenced stays Promoted where its score counts", () => {
    const probe = history("ledger", [record("ledger", "monitor", { call: 4, rc: 7 })], stateful);
    const promoted = history("ledger", [record("ledger", "start", { call: 5 }), record("ledger", "promote", { call: 6 })], stateful);
    const actions = frozen({
      resources: ledger + dummy("app") + fencer, history: { alder: fencerOnAlder + probe, cedar: promoted + failedStop },
      transient: { alder: { "master-ledger": "10" }, birch: { "master-ledger": "10" }, cedar: { "master-ledger": "10" } },
    });
    expect(sameActions(actions, [
      { action: "fence", node: "cedar", kind: "reboot" },
      { action: "move", resource: "ledger:0", from: "cedar", to: "alder", role: "Promoted" },
      { action: "recover", resource: "app", from: "cedar", to: "birch" },
    ])).toBe(true);
  });
});
