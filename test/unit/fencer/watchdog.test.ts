// Watchdog self-fencing, the pure rules (issue 17, point 4): when a node feeds its
// watchdog, how long the others wait before taking a lost node for fenced
// (stonith-watchdog-timeout, Pacemaker's meaning), the refusals where that is unsafe, and
// the watchdog as a fencing topology level after IPMI.
import { describe, expect, it } from "vitest";
import {
  emptyFencerState, mayFeedWatchdog, parseStonithWatchdogTimeoutMs, planFor, step, watchdogWaitMs, WATCHDOG_DEVICE,
  type FenceDeviceConfig, type FencerEffect, type FencerWorld,
} from "../../../src/fencer/index";

describe("feeding the watchdog", () => {
  it("feeds while quorate; stops when quorum is lost with resources active, or a stop failed", () => {
    expect(mayFeedWatchdog({ quorate: true, resourcesActive: true, failedStopPending: false }).feed).toBe(true);
    expect(mayFeedWatchdog({ quorate: false, resourcesActive: false, failedStopPending: false }).feed).toBe(true);
    expect(mayFeedWatchdog({ quorate: false, resourcesActive: true, failedStopPending: false })).toEqual({ feed: false, reason: "quorum lost with resources active" });
    expect(mayFeedWatchdog({ quorate: true, resourcesActive: true, failedStopPending: true })).toEqual({ feed: false, reason: "a stop failed and waits for fencing" });
  });

  it("never feeds after a stall as long as the token, even quorate and with nothing running", () => {
    expect(mayFeedWatchdog({ quorate: true, resourcesActive: false, failedStopPending: false, stalled: true })).toEqual({ feed: false, reason: "this node stalled as long as the token (its peers may have taken it for lost)" });
    expect(mayFeedWatchdog({ quorate: true, resourcesActive: false, failedStopPending: false, stalled: false }).feed).toBe(true);
  });
});

describe("stonith-watchdog-timeout", () => {
  const three = { nodeCount: 3, hasArbiter: false };
  it("reads durations, plain seconds and negative numbers (automatic)", () => {
    expect(parseStonithWatchdogTimeoutMs("10s")).toBe(10_000);
    expect(parseStonithWatchdogTimeoutMs("10")).toBe(10_000);
    expect(parseStonithWatchdogTimeoutMs("-1")).toBe(-1);
    expect(parseStonithWatchdogTimeoutMs(undefined)).toBe(0);
  });

  it("is the wait when longer than twice the node's watchdog timeout; negative means twice plus a second", () => {
    expect(watchdogWaitMs({ ...three, stonithWatchdogTimeoutMs: 10_000 }, 4000)).toEqual({ waitMs: 10_000 });
    expect(watchdogWaitMs({ ...three, stonithWatchdogTimeoutMs: -1 }, 2000)).toEqual({ waitMs: 5000 });
  });

  it("refuses a timeout not longer than twice the watchdog's, naming both", () => {
    expect(watchdogWaitMs({ ...three, stonithWatchdogTimeoutMs: 10_000 }, 5000)).toEqual({ refused: expect.stringMatching(/stonith-watchdog-timeout \(10 s\) is not longer than twice the node's watchdog timeout \(5 s\); set it above 10 s/) });
  });

  it("refuses a two-node cluster without an arbiter, and accepts it with one", () => {
    expect(watchdogWaitMs({ nodeCount: 2, hasArbiter: false, stonithWatchdogTimeoutMs: 10_000 }, 2000)).toEqual({ refused: expect.stringMatching(/unsafe in a two-node cluster without an arbiter/) });
    expect(watchdogWaitMs({ nodeCount: 2, hasArbiter: true, stonithWatchdogTimeoutMs: 10_000 }, 2000)).toEqual({ waitMs: 10_000 });
  });

  it("refuses a node that runs no watchdog, and 0 (off)", () => {
    expect(watchdogWaitMs({ ...three, stonithWatchdogTimeoutMs: 10_000 }, undefined)).toEqual({ refused: expect.stringMatching(/does not run a watchdog/) });
    expect(watchdogWaitMs({ ...three, stonithWatchdogTimeoutMs: 0 }, 2000)).toEqual({ refused: expect.stringMatching(/is 0/) });
  });
});

describe("the watchdog as a fencing level", () => {
  const ipmi: FenceDeviceConfig = {
    id: "ipmi-beta", driver: "ipmilan", options: {}, secretOptions: [], hostList: ["beta"], hostMap: {}, hostCheck: "static-list",
    delayBaseMs: 0, delayMaxMs: 0, offAction: "off", rebootAction: "reboot", retriesMax: 1, actionTimeoutMs: 2000, bannedNodes: [], needsUnfencing: false,
  };
  const world = (overrides: Partial<FencerWorld> = {}): FencerWorld => ({
    devices: [ipmi], levels: [{ target: "beta", index: 1, devices: ["ipmi-beta"] }, { target: "beta", index: 2, devices: [WATCHDOG_DEVICE] }],
    members: ["alpha"], listedTargets: {}, priorities: {}, priorityFencingDelayMs: 0, stonithTimeoutMs: 60_000,
    watchdog: { settings: { stonithWatchdogTimeoutMs: 5000, nodeCount: 2, hasArbiter: true }, timeoutsMs: { beta: 2000 } }, ...overrides,
  });
  const records = (effects: FencerEffect[]) => effects.flatMap((effect) => (effect.kind === "history" && effect.record.state !== "pending" ? [effect.record] : []));

  it("level 1 IPMI times out (its BMC died with the node); level 2 takes the node for fenced stonith-watchdog-timeout after the request", () => {
    let result = step(emptyFencerState, world(), { kind: "request", id: "r1", target: "beta", action: "reboot", origin: "alpha", nowMs: 0, random: 0 });
    expect(result.effects.some((effect) => effect.kind === "run" && effect.attempt.device === "ipmi-beta")).toBe(true);
    result = step(result.state, world(), { kind: "result", id: "r1", ok: false, message: "the BMC did not answer", nowMs: 2000 });
    expect(records(result.effects)).toEqual([]);
    expect(result.effects).toContainEqual({ kind: "wake", atMs: 5000 });
    result = step(result.state, world(), { kind: "tick", nowMs: 4999 });
    expect(records(result.effects)).toEqual([]);
    result = step(result.state, world(), { kind: "tick", nowMs: 5000 });
    expect(records(result.effects)).toEqual([expect.objectContaining({ state: "done", device: WATCHDOG_DEVICE, reason: expect.stringMatching(/beta has reset itself \(stonith-watchdog-timeout of 5 s passed/) })]);
  });

  it("the wait counts from the loss, not from the request: lost at -3000, IPMI fails at 1000, done at 2000", () => {
    let result = step(emptyFencerState, world(), { kind: "request", id: "r1", target: "beta", action: "reboot", origin: "alpha", nowMs: 0, random: 0, lostAtMs: -3000 });
    result = step(result.state, world(), { kind: "result", id: "r1", ok: false, message: "the BMC did not answer", nowMs: 1000 });
    expect(result.effects).toContainEqual({ kind: "wake", atMs: 2000 });
    result = step(result.state, world(), { kind: "tick", nowMs: 1999 });
    expect(records(result.effects)).toEqual([]);
    result = step(result.state, world(), { kind: "tick", nowMs: 2000 });
    expect(records(result.effects)).toEqual([expect.objectContaining({ state: "done", device: WATCHDOG_DEVICE })]);
    // Lost long before: the watchdog level is done as soon as IPMI has failed.
    let late = step(emptyFencerState, world(), { kind: "request", id: "r2", target: "beta", action: "reboot", origin: "alpha", nowMs: 0, random: 0, lostAtMs: -9000 });
    late = step(late.state, world(), { kind: "result", id: "r2", ok: false, message: "the BMC did not answer", nowMs: 1000 });
    expect(records(late.effects)).toEqual([expect.objectContaining({ state: "done", device: WATCHDOG_DEVICE, completedAtMs: 1000 })]);
  });

  it("a loss after the request (a clock mix-up) counts from the request, never later", () => {
    let result = step(emptyFencerState, world(), { kind: "request", id: "r1", target: "beta", action: "reboot", origin: "alpha", nowMs: 0, random: 0, lostAtMs: 4000 });
    result = step(result.state, world(), { kind: "result", id: "r1", ok: false, message: "the BMC did not answer", nowMs: 1000 });
    expect(result.effects).toContainEqual({ kind: "wake", atMs: 5000 });
  });

  it("a refused watchdog level fails the request with the reason (never a silent success)", () => {
    const unsafe = world({ watchdog: { settings: { stonithWatchdogTimeoutMs: 5000, nodeCount: 2, hasArbiter: false }, timeoutsMs: { beta: 2000 } } });
    let result = step(emptyFencerState, unsafe, { kind: "request", id: "r1", target: "beta", action: "reboot", origin: "alpha", nowMs: 0, random: 0 });
    result = step(result.state, unsafe, { kind: "result", id: "r1", ok: false, message: "the BMC did not answer", nowMs: 2000 });
    expect(records(result.effects)).toEqual([expect.objectContaining({ state: "failed", reason: expect.stringMatching(/watchdog: watchdog fencing is unsafe in a two-node cluster without an arbiter/) })]);
  });

  it("with no device for a node that runs a watchdog, the watchdog is the plan (as Pacemaker)", () => {
    expect(planFor(world({ devices: [], levels: [] }), "beta")).toEqual([[WATCHDOG_DEVICE]]);
    expect(planFor(world({ devices: [], levels: [] }), "gamma")).toEqual([]);
  });
});
