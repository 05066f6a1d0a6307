import { describe, expect, it } from "vitest";
import { history, record, scheduleSmall } from "./small-cib";

// Fencing off; the cloned group "pair" is "front" then "back". front's stop failed on alder and
// cannot be fenced away: that copy is blocked. Its start cannot run, so the start of the back
// after it in the same copy cannot either, and back, healthy on alder, stops there. Checked
// against crm_simulate 2.1.5 on this CIB: "Stop back:0 (alder) due to unrunnable front:0 start",
// and nothing else.
const member = (id: string) => `<primitive id="${id}" class="ocf" provider="heartbeat" type="Dummy"><operations><op id="${id}-mon" name="monitor" interval="10s"/></operations></primitive>`;
const resources = `<clone id="pair-clone"><group id="pair">${member("front")}${member("back")}</group></clone>`;

describe("a cloned group's members after a blocked member", () => {
  it("stop where they run, as they cannot start after it", () => {
    const alder = history("front", [record("front", "start", { call: 1 }), record("front", "stop", { call: 2, rc: 1 })]) + history("back", [record("back", "start", { call: 3 })]);
    expect(scheduleSmall({ nodes: ["alder"], resources, history: { alder } })).toEqual([
      { action: "stop", resource: "back:0", node: "alder", reason: "unrunnable front:0 start" },
    ]);
  });
});
