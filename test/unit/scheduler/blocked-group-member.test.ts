import { describe, expect, it } from "vitest";
import { sameActions } from "../../conformance/scheduler-compare";
import { history, record, scheduleSmall } from "./small-cib";

// Fencing off; group "pair" is "front" then "back". A member whose stop failed cannot be fenced
// away: it is blocked, left where it is with no action of its own. Pacemaker places a group member
// by member: a blocked member keeps its node and gets no start, each member's start is ordered
// after the previous member's, and each member's stop before the previous member's stop.
// Expectations checked against crm_simulate 2.1.5 with the same CIBs.
const member = (id: string) => `<primitive id="${id}" class="ocf" provider="heartbeat" type="Dummy"><operations><op id="${id}-mon" name="monitor" interval="10s"/></operations></primitive>`;
const resources = `<group id="pair">${member("front")}${member("back")}</group>`;
const blocked = (id: string, call: number) => history(id, [record(id, "start", { call }), record(id, "stop", { call: call + 1, rc: 1 })]);
const healthy = (id: string, call: number) => history(id, [record(id, "start", { call })]);
const failedMonitor = (id: string, call: number) => history(id, [record(id, "start", { call }), record(id, "monitor", { call: call + 1, interval: 10000, rc: 7 })]);

describe("the members after a blocked group member", () => {
  it("stop where they run, even healthy beside it, as they cannot start after it", () => {
    expect(sameActions(scheduleSmall({ resources, history: { alder: blocked("front", 1) + healthy("back", 3) } }), [
      { action: "stop", resource: "back", node: "alder" },
    ])).toBe(true);
  });

  it("stop on another node rather than move to it", () => {
    expect(sameActions(scheduleSmall({ resources, history: { alder: blocked("front", 1), birch: healthy("back", 3) } }), [
      { action: "stop", resource: "back", node: "birch" },
    ])).toBe(true);
  });

  it("have their start listed, blocked, where it is held when they run nowhere", () => {
    expect(sameActions(scheduleSmall({ resources, history: { alder: blocked("front", 1) } }), [
      { action: "start", resource: "back", node: "alder", blocked: true },
    ])).toBe(true);
  });
});

describe("the members before a blocked group member", () => {
  it("stay where they run: the blocked member does not pull them to its node", () => {
    expect(scheduleSmall({ resources, history: { alder: healthy("front", 1), birch: blocked("back", 3) } })).toEqual([]);
  });

  it("start away from its node (its failed stop bans it there)", () => {
    expect(sameActions(scheduleSmall({ resources, history: { birch: blocked("back", 3) } }), [
      { action: "start", resource: "front", node: "alder" },
    ])).toBe(true);
  });

  it("cannot be recovered beside it, as their stop waits for its stop: the stop is blocked", () => {
    expect(sameActions(scheduleSmall({ resources, history: { alder: failedMonitor("front", 1) + blocked("back", 3) } }), [
      { action: "stop", resource: "front", node: "alder", blocked: true },
    ])).toBe(true);
  });
});
