// The scope of priority-fencing-delay, as Pacemaker's scheduler gives it (pe_fence_op adds it
// only when the node is fenced because it is "no longer part of the cluster", and
// node_priority_fencing_delay returns 0 for a target still in this partition, when this
// partition holds more than half of the nodes, when every node has the same total priority,
// and for a target below the top): a lost node only, never a failed stop, never a person's
// request; the node with the highest total priority of ALL nodes. The pair's default
// (split.ts) keeps the same scope.
import { describe, expect, it } from "vitest";
import { emptyCib } from "../../../src/cib/index";
import {
  emptyFencerState, PAIR_PRIORITY_FENCING_DELAY_MS, priorityDelayMs, step, worldFromCib,
  type FenceDeviceConfig, type FencerEffect, type FencerWorld,
} from "../../../src/fencer/index";

function device(id: string, hostList: string[]): FenceDeviceConfig {
  return {
    id, driver: "ipmilan", options: {}, secretOptions: [], hostList, hostMap: {}, hostCheck: "static-list",
    delayBaseMs: 0, delayMaxMs: 0, offAction: "off", rebootAction: "reboot", retriesMax: 1, actionTimeoutMs: 20_000, bannedNodes: [], needsUnfencing: false,
  };
}

const DELAY = 12_000;

/** priority-fencing-delay set in the CIB; `members` is this partition. */
function cluster(members: string[], priorities: Record<string, number>, overrides: Partial<FencerWorld> = {}): FencerWorld {
  return {
    devices: [device("fence-alpha", ["alpha"]), device("fence-beta", ["beta"]), device("fence-gamma", ["gamma"])], levels: [], members, listedTargets: {},
    priorities, priorityFencingDelayMs: DELAY, priorityFencingDelayConfigured: true, stonithTimeoutMs: 60_000, nodeCount: 3, ...overrides,
  };
}

/** The pair's default (no priority-fencing-delay in the CIB, two nodes, no arbiter): beta runs the resources. */
function pair(members: string[]): FencerWorld {
  return {
    devices: [device("fence-alpha", ["alpha"]), device("fence-beta", ["beta"])], levels: [], members, listedTargets: {}, priorities: {}, priorityFencingDelayMs: 0,
    stonithTimeoutMs: 60_000, pairWithoutArbiter: true, nodeCount: 2, activeResources: { alpha: 0, beta: 3 },
  };
}

const runs = (effects: FencerEffect[]) => effects.flatMap((effect) => (effect.kind === "run" ? [`${effect.attempt.device}:${effect.attempt.driverAction}`] : []));

describe("priority-fencing-delay applies only to the fencing of a lost node", () => {
  it("a node fenced while it is still a member (a failed stop, on-fail=fence) is fenced at once", () => {
    // beta runs the most important resources; its stop failed and the DC fences it: no race, no delay.
    expect(priorityDelayMs(cluster(["alpha", "beta"], { alpha: 0, beta: 10 }, { nodeCount: 2 }), "beta")).toBe(0);
    const result = step(emptyFencerState, cluster(["alpha", "beta"], { alpha: 0, beta: 10 }, { nodeCount: 2 }), { kind: "request", id: "r1", target: "beta", action: "reboot", origin: "alpha", nowMs: 1000, random: 0 });
    expect(runs(result.effects)).toEqual(["fence-beta:reboot"]);
    expect(result.state.requests.r1).toMatchObject({ notBeforeMs: 1000, priorityDelayMs: 0 });
    // The same node lost from the membership: delayed.
    expect(priorityDelayMs(cluster(["alpha"], { alpha: 0, beta: 10 }, { nodeCount: 2 }), "beta")).toBe(DELAY);
  });

  it("the pair's default delay has the same scope: the serving node's failed stop is fenced at once", () => {
    expect(priorityDelayMs(pair(["alpha", "beta"]), "beta")).toBe(0);
    expect(runs(step(emptyFencerState, pair(["alpha", "beta"]), { kind: "request", id: "r1", target: "beta", action: "off", origin: "alpha", nowMs: 0, random: 0 }).effects)).toEqual(["fence-beta:off"]);
    expect(priorityDelayMs(pair(["alpha"]), "beta")).toBe(PAIR_PRIORITY_FENCING_DELAY_MS);
  });

  it("no delay while this partition holds more than half of the nodes (the lost side has no quorum to race with)", () => {
    expect(priorityDelayMs(cluster(["alpha", "gamma"], { alpha: 0, beta: 10, gamma: 0 }), "beta")).toBe(0);
    // Half of four is not more than half: the race is possible, the delay applies.
    expect(priorityDelayMs(cluster(["alpha", "gamma"], { alpha: 0, beta: 10, gamma: 0 }, { nodeCount: 4 }), "beta")).toBe(DELAY);
  });

  it("the target must have the highest total of all nodes, lost ones included; a tie at the top delays each", () => {
    // gamma alone survives; alpha and beta were lost. beta ran more than alpha: only beta's fencing waits.
    expect(priorityDelayMs(cluster(["gamma"], { alpha: 5, beta: 10, gamma: 0 }), "alpha")).toBe(0);
    expect(priorityDelayMs(cluster(["gamma"], { alpha: 5, beta: 10, gamma: 0 }), "beta")).toBe(DELAY);
    expect(priorityDelayMs(cluster(["gamma"], { alpha: 10, beta: 10, gamma: 0 }), "alpha")).toBe(DELAY);
    // Every node at the same total: nobody is delayed (pcmk_delay_base/max decide).
    expect(priorityDelayMs(cluster(["gamma"], { alpha: 4, beta: 4, gamma: 4 }), "alpha")).toBe(0);
    // A node the world has no status for runs nothing: it counts 0, so the top is not a tie of everyone.
    expect(priorityDelayMs(cluster(["gamma"], { alpha: 4, gamma: 4 }), "alpha")).toBe(DELAY);
  });

  it("a person's request is never delayed by it", () => {
    const result = step(emptyFencerState, cluster(["alpha"], { alpha: 0, beta: 10 }, { nodeCount: 2 }), { kind: "request", id: "r1", target: "beta", action: "off", origin: "alpha", nowMs: 0, random: 0, byPerson: true });
    expect(runs(result.effects)).toEqual(["fence-beta:off"]);
  });

  it("the node count comes from the bootstrap configuration, else the CIB's nodes", () => {
    const cib = emptyCib();
    cib.nodes.push(...["alpha", "beta", "gamma"].map((uname, index) => ({ id: String(index + 1), uname, extra: {}, instance: [], utilization: [] })));
    cib.properties.push({ id: "cib-bootstrap-options", values: { "priority-fencing-delay": "12s" } });
    expect(worldFromCib(cib, ["alpha", "gamma"]).nodeCount).toBe(3);
    expect(priorityDelayMs({ ...worldFromCib(cib, ["alpha", "gamma"], {}, { alpha: 0, beta: 10, gamma: 0 }) }, "beta")).toBe(0);
    expect(priorityDelayMs(worldFromCib(cib, ["alpha", "gamma"], {}, { alpha: 0, beta: 10, gamma: 0 }, { nodeCount: 4 }), "beta")).toBe(DELAY);
  });
});
