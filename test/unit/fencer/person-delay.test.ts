// A fencing a person asks for (`stonith fence`, like Pacemaker's stonith_admin) waits for the
// devices' pcmk_delay_base/max but not for priority-fencing-delay nor the pair's default split
// delay: in Pacemaker only the scheduler adds priority-fencing-delay, to the fencing of a lost
// node (pe_actions.c); stonith_admin's own delay defaults to 0 and the device delays are added
// (fenced_commands.c). The controller marks a person's request (byPerson) on its fence effect.
import { describe, expect, it } from "vitest";
import { emptyFencerState, PAIR_PRIORITY_FENCING_DELAY_MS, step, type FenceDeviceConfig, type FencerEffect, type FencerWorld } from "../../../src/fencer/index";

function device(id: string, overrides: Partial<FenceDeviceConfig> = {}): FenceDeviceConfig {
  return {
    id, driver: "ipmilan", options: {}, secretOptions: [], hostList: ["beta"], hostMap: {}, hostCheck: "static-list",
    delayBaseMs: 0, delayMaxMs: 0, offAction: "off", rebootAction: "reboot", retriesMax: 1, actionTimeoutMs: 20_000, bannedNodes: [], needsUnfencing: false, ...overrides,
  };
}

/** alpha fences beta, lost, which ran the resources: the pair's default delays fencing beta. */
function pair(overrides: Partial<FencerWorld> = {}): FencerWorld {
  return {
    devices: [device("fence-beta")], levels: [], members: ["alpha"], listedTargets: {}, priorities: {}, priorityFencingDelayMs: 0,
    stonithTimeoutMs: 60_000, pairWithoutArbiter: true, activeResources: { alpha: 0, beta: 3 }, ...overrides,
  };
}

const request = (byPerson: boolean) => ({ kind: "request" as const, id: "r1", target: "beta", action: "off" as const, origin: "alpha", nowMs: 1000, random: 0, ...(byPerson ? { byPerson } : {}) });
const wakes = (effects: FencerEffect[]): Array<number | string> => effects.flatMap((effect): Array<number | string> => (effect.kind === "wake" ? [effect.atMs] : effect.kind === "run" ? [`run ${effect.attempt.driverAction}`] : []));

describe("delays of a fencing a person asks for", () => {
  it("the cluster's own fencing of the serving node waits the pair's delay (after a status check); a person's runs at once", () => {
    expect(wakes(step(emptyFencerState, pair(), request(false)).effects)).toEqual(["run status"]);
    expect(wakes(step(emptyFencerState, pair(), request(true)).effects)).toEqual(["run off"]);
    const configured = pair({ pairWithoutArbiter: false, priorityFencingDelayConfigured: true, priorityFencingDelayMs: 15_000, priorities: { beta: 10 } });
    expect(step(emptyFencerState, configured, request(false)).state.requests.r1).toMatchObject({ notBeforeMs: 16_000 });
    expect(wakes(step(emptyFencerState, configured, request(true)).effects)).toEqual(["run off"]);
  });

  it("pcmk_delay_base and pcmk_delay_max still apply to a person's fencing", () => {
    const delayed = pair({ devices: [device("fence-beta", { delayBaseMs: 2000, delayMaxMs: 4000 })] });
    const result = step(emptyFencerState, delayed, { ...request(true), random: 0.5 });
    expect(wakes(result.effects)).toEqual([1000 + 2000 + 1000]);
    expect(result.state.requests.r1).toMatchObject({ priorityDelayMs: 0 });
    expect(step(emptyFencerState, delayed, request(false)).state.requests.r1).toMatchObject({ notBeforeMs: 1000 + 2000 + PAIR_PRIORITY_FENCING_DELAY_MS });
  });
});
