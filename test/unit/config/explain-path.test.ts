// `edgeha config explain` follows the code's failover path after a power loss (issue 21):
// detect, elect (election, join, scheduler run), fence (the device's power reads, the pair's
// priority delay skipped when the first read says off), then each start in group order, an
// address's start without the duplicate address detection it skips after a device fence. The
// figures are held to the code's own constants (imported from the modules that act on them),
// never to wall-clock numbers: a changed constant changes the budget.
import { describe, expect, it } from "vitest";
import { dadWaitMs } from "../../../agents/ipaddr";
import { STATUS_POLL_MS } from "../../../fence-drivers/common/ipmi-chassis";
import { emptyCib, type Primitive, type Resource } from "../../../src/cib";
import { confirmationWaitMs, failoverBudget, renderFailoverBudget } from "../../../src/config/index";
import { CONTROLLER_DEFAULTS } from "../../../src/controller/context";
import { PAIR_PRIORITY_FENCING_DELAY_MS } from "../../../src/fencer/split";
import { chainMembers, ELECT_AND_PLAN_TESTBED_MS, failoverPath } from "../../../src/node/failover-measure";
import { typicalDetectMs } from "../../../src/config/explain";

const timing = { heartbeatMs: 300, tokenMs: 600, consensusMs: 720, joinMs: 50, echoMs: 20 };

function primitive(id: string, type: string, cls: string, params: Record<string, string> = {}): Primitive {
  return { kind: "primitive", id, class: cls, ...(cls === "ocf" ? { provider: "heartbeat" } : {}), type, extra: {}, instance: [{ id: `${id}-i`, values: params }], meta: [], operations: [] } as Primitive;
}

function group(vipParams: Record<string, string> = {}): Resource[] {
  const cib = emptyCib();
  cib.resources = [{ kind: "group", id: "edge", extra: {}, instance: [], meta: [], members: [primitive("vip", "ipaddr", "builtin", vipParams), primitive("proxy", "haproxy", "builtin")] }];
  return cib.resources;
}

describe("the failover path's constants", () => {
  it("are the code's: the IPMI poll waits, the pair's delay, the election wait", () => {
    expect(failoverPath()).toMatchObject({ statusPollMs: STATUS_POLL_MS, pairDelayMs: PAIR_PRIORITY_FENCING_DELAY_MS, electionWaitMs: CONTROLLER_DEFAULTS.electionWaitMs, electMs: ELECT_AND_PLAN_TESTBED_MS });
  });

  it("confirmation reads: the first at once, then after each poll wait, the last repeated", () => {
    expect(confirmationWaitMs(STATUS_POLL_MS, 0)).toBe(0);
    expect(confirmationWaitMs(STATUS_POLL_MS, 1)).toBe(STATUS_POLL_MS[0]);
    expect(confirmationWaitMs(STATUS_POLL_MS, STATUS_POLL_MS[0]! + 1)).toBe(STATUS_POLL_MS[0]! + STATUS_POLL_MS[1]!);
    const last = STATUS_POLL_MS[STATUS_POLL_MS.length - 1]!;
    const through = STATUS_POLL_MS.reduce((sum, each) => sum + each, 0);
    expect(confirmationWaitMs(STATUS_POLL_MS, through + 1)).toBe(through + last);
  });
});

describe("the budget along the code's path", () => {
  it("has the steps in the code's order, each saying where its figure comes from", () => {
    const budget = failoverBudget(timing, new Set(), {}, failoverPath());
    expect(budget.steps.map((step) => [step.step, step.source])).toEqual([["detect", "timing"], ["elect", "testbed"], ["fence", "open"], ["start", "open"]]);
    expect(budget.steps[0]!.typicalMs).toBe(typicalDetectMs(timing));
    expect(budget.steps[1]!.typicalMs).toBe(ELECT_AND_PLAN_TESTBED_MS);
    expect(budget.typicalMs).toBe(typicalDetectMs(timing) + ELECT_AND_PLAN_TESTBED_MS);
    const fence = budget.steps[2]!.explanation;
    expect(fence).toContain(`the pair's ${PAIR_PRIORITY_FENCING_DELAY_MS} ms priority delay is skipped`);
    expect(fence).toContain(`after ${STATUS_POLL_MS.slice(0, -1).join(", ")} ms, then every ${STATUS_POLL_MS[STATUS_POLL_MS.length - 1]} ms`);
    expect(fence).toContain("a reboot counts once the node reads off");
    expect(budget.steps[1]!.explanation).toContain(`would wait ${CONTROLLER_DEFAULTS.electionWaitMs} ms`);
  });

  it("follows a changed constant", () => {
    const changed = failoverBudget(timing, new Set(), {}, { ...failoverPath(), statusPollMs: [20, 40], pairDelayMs: 7000, electMs: 55 });
    expect(changed.steps[2]!.explanation).toContain("after 20 ms, then every 40 ms");
    expect(changed.steps[2]!.explanation).toContain("7000 ms priority delay");
    expect(changed.steps[1]!.typicalMs).toBe(55);
    expect(changed.typicalMs).toBe(typicalDetectMs(timing) + 55);
  });

  it("counts the starts one by one in group order, an address without the detection it skips after a fence", () => {
    const wait = dadWaitMs({ params: {} });
    expect(dadWaitMs({ params: {}, formerHolderFenced: true })).toBe(0);
    // Two starts after a device fence (fast) and two that waited the whole detection (the first start, one after a confirmation).
    const durations = new Map([["vip", [4, wait + 3, wait + 6, 6]], ["proxy", [30, 50, 40]]]);
    const members = chainMembers(["vip", "proxy"], durations, group());
    expect(members).toEqual([
      { id: "vip", typicalMs: 5, count: 4, dad: { waitMs: wait, afterFenceMs: 0, skipped: 2 } },
      { id: "proxy", typicalMs: 40, count: 3 },
    ]);
    const budget = failoverBudget(timing, new Set(), { fence: { medianMs: 20, count: 3, source: "h" }, start: { medianMs: 45, count: 7, chain: ["vip", "proxy"], source: "pe", members } }, failoverPath());
    expect(budget.steps.map((step) => step.resource ?? step.step)).toEqual(["detect", "elect", "fence", "vip", "proxy"]);
    expect(budget.typicalComplete).toBe(true);
    expect(budget.typicalMs).toBe(typicalDetectMs(timing) + 20 + ELECT_AND_PLAN_TESTBED_MS + 5 + 40);
    const text = renderFailoverBudget(budget, "x");
    expect(text).toMatch(new RegExp(`start vip +5 ms +\\? +measured +address: duplicate address detection \\(${wait} ms\\) is skipped after a device fenced the former holder`));
    expect(text).toMatch(/start proxy +40 ms +\? +measured +median of 3 recorded starts/);
  });

  it("takes the address's own dad_timeout_ms, and the wait off the median when no start skipped it", () => {
    const durations = new Map([["vip", [4, 150, 6]]]);
    expect(chainMembers(["vip"], durations, group({ dad_timeout_ms: "300" }))[0]).toMatchObject({ typicalMs: 6, dad: { waitMs: 300, skipped: 3 } });
    expect(chainMembers(["vip"], durations, group())[0]).toMatchObject({ typicalMs: 5, dad: { skipped: 2 } });
    const wait = dadWaitMs({ params: {} });
    expect(chainMembers(["vip"], new Map([["vip", [wait + 10, wait + 20]]]), group())[0]).toMatchObject({ typicalMs: 15, dad: { skipped: 0 } });
  });
});
