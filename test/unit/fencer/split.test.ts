// The serving node wins a split of a pair without an arbiter (issue 17, point 7): without
// priority-fencing-delay in the CIB, fencing the node that runs the resources is delayed,
// so it shoots first; exactly one direction of every race is delayed (never both fenced);
// a target whose device reads off is fenced at once (the serving node simply died); setting
// priority-fencing-delay gives Pacemaker's rule back.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { emptyCib, type Cib } from "../../../src/cib/index";
import {
  delayMs, emptyFencerState, PAIR_PRIORITY_FENCING_DELAY_MS, priorityDelayMs, step, worldFromCib,
  type FenceDeviceConfig, type FencerEffect, type FencerWorld,
} from "../../../src/fencer/index";

function device(id: string, hostList: string[]): FenceDeviceConfig {
  return {
    id, driver: "ipmilan", options: {}, secretOptions: [], hostList, hostMap: {}, hostCheck: "static-list",
    delayBaseMs: 0, delayMaxMs: 0, offAction: "off", rebootAction: "reboot", retriesMax: 2, actionTimeoutMs: 20_000, bannedNodes: [], needsUnfencing: false,
  };
}

/** The view of one side of a split: only itself is a member; the lost peer is the target. */
function side(self: string, overrides: Partial<FencerWorld> = {}): FencerWorld {
  return {
    devices: [device("fence-alpha", ["alpha"]), device("fence-beta", ["beta"])], levels: [], members: [self], listedTargets: {},
    priorities: {}, priorityFencingDelayMs: 0, stonithTimeoutMs: 60_000, pairWithoutArbiter: true, activeResources: {}, ...overrides,
  };
}

const peer = (node: string) => (node === "alpha" ? "beta" : "alpha");

describe("the pair's default fence race", () => {
  it("delays fencing the node that runs the resources, not the other way round", () => {
    const running = { activeResources: { alpha: 0, beta: 3 } };
    expect(priorityDelayMs(side("alpha", running), "beta")).toBe(PAIR_PRIORITY_FENCING_DELAY_MS);
    expect(priorityDelayMs(side("beta", running), "alpha")).toBe(0);
  });

  it("resource priorities come before counts", () => {
    const weighted = { priorities: { alpha: 10, beta: 0 }, activeResources: { alpha: 1, beta: 3 } };
    expect(priorityDelayMs(side("beta", weighted), "alpha")).toBe(PAIR_PRIORITY_FENCING_DELAY_MS);
    expect(priorityDelayMs(side("alpha", weighted), "beta")).toBe(0);
  });

  it("whatever both sides run, exactly one direction of the race is delayed (never both fenced)", () => {
    fc.assert(fc.property(fc.nat(5), fc.nat(5), fc.nat(3), fc.nat(3), (alphaCount, betaCount, alphaPriority, betaPriority) => {
      const facts = { activeResources: { alpha: alphaCount, beta: betaCount }, priorities: { alpha: alphaPriority, beta: betaPriority } };
      const delayed = ["alpha", "beta"].filter((self) => priorityDelayMs(side(self, facts), peer(self)) > 0);
      expect(delayed).toHaveLength(1);
    }));
  });

  it("is off with an arbiter (it decides the split) and outside pairs", () => {
    const running = { activeResources: { alpha: 0, beta: 3 } };
    expect(priorityDelayMs(side("alpha", { ...running, pairWithoutArbiter: false }), "beta")).toBe(0);
  });

  it("priority-fencing-delay in the CIB gives Pacemaker's rule back: 0 turns it off, ties delay nobody", () => {
    const running = { activeResources: { alpha: 0, beta: 3 } };
    expect(priorityDelayMs(side("alpha", { ...running, priorityFencingDelayConfigured: true, priorityFencingDelayMs: 0 }), "beta")).toBe(0);
    const pacemaker = { ...running, priorityFencingDelayConfigured: true, priorityFencingDelayMs: 8000, priorities: { alpha: 1, beta: 1 } };
    expect(priorityDelayMs(side("alpha", pacemaker), "beta")).toBe(0);
    expect(priorityDelayMs(side("alpha", { ...pacemaker, priorities: { alpha: 1, beta: 2 } }), "beta")).toBe(8000);
  });

  it("comes from the CIB: what runs where, and whether priority-fencing-delay is set", () => {
    const cib: Cib = emptyCib();
    const op = (operation: string, rcCode: number, callId: number) => ({ id: `${operation}-${callId}`, operation, callId, rcCode, intervalMs: 0, opStatus: 0, extra: {} }) as unknown as Cib["status"][number]["resources"][number]["operations"][number];
    cib.status = [
      { id: "1", uname: "alpha", attributes: {}, transient: [], resources: [{ id: "fence-beta", class: "stonith", type: "fence_ipmilan", extra: {}, operations: [op("start", 0, 1)] }] },
      { id: "2", uname: "beta", attributes: {}, transient: [], resources: [{ id: "vip", class: "ocf", provider: "heartbeat", type: "IPaddr2", extra: {}, operations: [op("start", 0, 2)] }] },
    ] as unknown as Cib["status"];
    const world = worldFromCib(cib, ["alpha"], {}, undefined, { pairWithoutArbiter: true });
    expect(world.activeResources).toEqual({ alpha: 0, beta: 1 });
    expect(world.priorityFencingDelayConfigured).toBe(false);
    expect(delayMs(undefined, world, "beta", 0)).toBe(PAIR_PRIORITY_FENCING_DELAY_MS);
  });
});

describe("the status check before a priority delay", () => {
  const running = side("alpha", { activeResources: { alpha: 0, beta: 3 } });
  const runsOf = (effects: FencerEffect[]) => effects.flatMap((effect) => (effect.kind === "run" ? [`${effect.attempt.device}:${effect.attempt.driverAction}`] : []));

  it("a target that reads off is fenced at once: the node that ran the services lost its power", () => {
    let result = step(emptyFencerState, running, { kind: "request", id: "r1", target: "beta", action: "reboot", origin: "alpha", nowMs: 1000, random: 0 });
    expect(runsOf(result.effects)).toEqual(["fence-beta:status"]);
    result = step(result.state, running, { kind: "result", id: "r1", ok: true, message: "Status: OFF", state: "off", nowMs: 1010 });
    expect(runsOf(result.effects)).toEqual(["fence-beta:reboot"]);
  });

  it("a target that reads on (or a failed check) waits out the delay", () => {
    for (const answer of [{ ok: true, state: "on" as const }, { ok: false }]) {
      let result = step(emptyFencerState, running, { kind: "request", id: "r1", target: "beta", action: "reboot", origin: "alpha", nowMs: 1000, random: 0 });
      result = step(result.state, running, { kind: "result", id: "r1", message: "", nowMs: 1010, ...answer });
      expect(runsOf(result.effects)).toEqual([]);
      expect(result.effects).toContainEqual({ kind: "wake", atMs: 1000 + PAIR_PRIORITY_FENCING_DELAY_MS });
      result = step(result.state, running, { kind: "tick", nowMs: 1000 + PAIR_PRIORITY_FENCING_DELAY_MS });
      expect(runsOf(result.effects)).toEqual(["fence-beta:reboot"]);
    }
  });

  it("no check when nothing delays the request", () => {
    const result = step(emptyFencerState, side("beta", { activeResources: { alpha: 0, beta: 3 } }), { kind: "request", id: "r1", target: "alpha", action: "reboot", origin: "beta", nowMs: 0, random: 0 });
    expect(runsOf(result.effects)).toEqual(["fence-alpha:reboot"]);
  });
});
