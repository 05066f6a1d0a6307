// The fencer's view of the cluster built from a CIB: devices, topology levels,
// members and the cluster options that bound fencing (at the given time: property sets with
// rules count while they hold). Pure but for worldFromCib's default clock (the wall clock).
import { clusterOptionsAt } from "../scheduler";
import { EdgehaError } from "../common/errors";
import type { Cib, RuleClock } from "../cib/index";
import { devicesFromCib } from "./devices";
import type { FencerWorld } from "./planner";
import { nodeActiveResources, nodePriorities } from "./priorities";
import { WATCHDOG_ATTRIBUTE, parseStonithWatchdogTimeoutMs } from "./watchdog";

/** What the fencer knows of the cluster beyond the CIB: a two-node cluster without an arbiter (split.ts). */
export interface FencerTopology {
  pairWithoutArbiter?: boolean;
  /** Nodes in the bootstrap configuration and whether an arbiter votes (watchdog fencing's safety rule). */
  nodeCount?: number;
  hasArbiter?: boolean;
}

/** Each node's watchdog timeout, from the attribute it publishes while it runs a watchdog. */
function watchdogTimeouts(cib: Cib): Record<string, number> {
  const result: Record<string, number> = {};
  for (const node of cib.status) {
    const text = node.transient.map((set) => set.values[WATCHDOG_ATTRIBUTE]).find((value) => value !== undefined) ?? node.attributes[WATCHDOG_ATTRIBUTE];
    const value = Number(text);
    if (text !== undefined && Number.isFinite(value) && value > 0) result[node.uname] = value;
  }
  return result;
}

/**
 * `localNode`: the node whose fencer runs the devices (this one): their parameters are resolved
 * for it, rules included, as Pacemaker's fencer resolves them for its own node; without it, rules
 * on node attributes do not hold (date rules still count).
 */
export function worldFromCib(cib: Cib, members?: readonly string[], listedTargets: FencerWorld["listedTargets"] = {}, priorities: FencerWorld["priorities"] = nodePriorities(cib), topology: FencerTopology = {}, clock: RuleClock = { now: Math.floor(Date.now() / 1000) }, localNode = ""): FencerWorld {
  // Cluster properties as the scheduler reads them at this time (a set with a rule while it holds).
  const { options } = clusterOptionsAt(cib, clock);
  return {
    devices: devicesFromCib(cib, { node: localNode, now: Math.floor(clock.now) }),
    // Levels by node attribute (target-attribute) are not matched yet: they need node attributes here.
    levels: cib.fencingTopology.map((level) => {
      if (level.targetPattern !== undefined) {
        try {
          new RegExp(level.targetPattern);
        } catch {
          throw new EdgehaError("E_FENCE_CONFIG", `fencing level ${level.id}: target-pattern "${level.targetPattern}" is not a regular expression`);
        }
      }
      return { target: level.target, targetPattern: level.targetPattern, index: level.index, devices: [...level.devices] };
    }),
    members: members ?? cib.nodes.map((node) => node.uname),
    nodeCount: topology.nodeCount ?? cib.nodes.length,
    listedTargets,
    priorities,
    priorityFencingDelayMs: options.priorityFencingDelayMs,
    priorityFencingDelayConfigured: options.raw["priority-fencing-delay"] !== undefined,
    pairWithoutArbiter: topology.pairWithoutArbiter === true,
    activeResources: nodeActiveResources(cib),
    watchdog: {
      settings: { stonithWatchdogTimeoutMs: parseStonithWatchdogTimeoutMs(options.raw["stonith-watchdog-timeout"]), nodeCount: topology.nodeCount ?? cib.nodes.length, hasArbiter: topology.hasArbiter === true },
      timeoutsMs: watchdogTimeouts(cib),
    },
    stonithTimeoutMs: options.stonithTimeoutMs,
  };
}
