// Who survives the fence race of a split pair. Pacemaker's priority-fencing-delay delays
// fencing the node that runs the more important resources, so that it shoots first and
// keeps them. Pacemaker leaves it at 0 (off), so in a two-node cluster without a quorum
// device the race is random and the service moves or both nodes die. edgeha's defaults in
// a two-node pair without an arbiter, when the CIB does not set priority-fencing-delay:
//   - the delay is PAIR_PRIORITY_FENCING_DELAY_MS;
//   - when no resource has a priority (or both nodes sum to the same), what runs where
//     decides: the node running more resources (fence devices not counted) is the one to keep;
//   - when that is even too, the node whose name sorts first is kept, so that of the two
//     directions of a race exactly one is delayed and the nodes never fence each other.
// Setting priority-fencing-delay (0 too) gives Pacemaker's rule alone. Either way the delay
// has Pacemaker's scope: only the fencing of a node lost from the membership, and only while
// this partition holds at most half of the nodes (priorityDelayMs). Pure.
import type { FencerWorld } from "./planner";

/**
 * The default delay: long enough for the serving node to notice the split (its token runs
 * out within a token's time of the other node's), reach its peer's BMC and see it off
 * (fence_ipmilan takes about 2.2 s against a BMC on the LAN, edgeha's ipmilan about 15 ms),
 * with room to spare on a busy machine. It costs nothing when the node that ran the services
 * really died: the survivor first asks the dead node's device for its power state and skips
 * the delay when it reads off (see the planner's status check).
 */
export const PAIR_PRIORITY_FENCING_DELAY_MS = 5000;

/** The priority-fencing-delay in force: the CIB's when it sets one, else the pair default. */
export function effectivePriorityFencingDelayMs(world: FencerWorld): number {
  if (world.priorityFencingDelayConfigured === true) return world.priorityFencingDelayMs;
  if (world.pairWithoutArbiter === true) return PAIR_PRIORITY_FENCING_DELAY_MS;
  return world.priorityFencingDelayMs;
}

/**
 * Pacemaker's rule (node_priority_fencing_delay in pe_actions.c): the target runs the most
 * important resources of all the cluster's nodes (its total priority is the highest; a tie at
 * the top delays every node at the top), and not every node has the same total.
 */
function topByPriority(world: FencerWorld, target: string, nodeCount: number): boolean {
  const known = new Set([...world.members, target, ...Object.keys(world.priorities)]);
  const totals = [...known].map((node) => world.priorities[node] ?? 0);
  // Configured nodes this world knows nothing of run nothing: they count 0.
  if (nodeCount > known.size) totals.push(0);
  const top = Math.max(...totals);
  const lowest = Math.min(...totals);
  return top !== lowest && (world.priorities[target] ?? 0) >= top;
}

/** The pair's default order: priority, then the count of active resources, then the name. */
function outranksInPair(world: FencerWorld, target: string, other: string): boolean {
  const key = (node: string): [number, number] => [world.priorities[node] ?? 0, world.activeResources?.[node] ?? 0];
  const [targetPriority, targetActive] = key(target);
  const [otherPriority, otherActive] = key(other);
  if (targetPriority !== otherPriority) return targetPriority > otherPriority;
  if (targetActive !== otherActive) return targetActive > otherActive;
  return target < other;
}

/**
 * The part of a fencing delay that priority-fencing-delay (or the pair's default) adds for
 * this target. As in Pacemaker, it applies only to the fencing of a node LOST from the
 * membership (the scheduler's "peer is no longer part of the cluster"): never to a node still
 * in this partition (a failed stop, on-fail=fence: the cluster fences it and nobody races),
 * never to a person's request (the caller leaves it out, see the planner's byPerson), and not
 * when this partition holds more than half of the cluster's nodes (the lost side cannot have
 * quorum, so there is no race to win).
 */
export function priorityDelayMs(world: FencerWorld, target: string): number {
  const delay = effectivePriorityFencingDelayMs(world);
  if (delay <= 0) return 0;
  if (world.members.includes(target)) return 0;
  const online = world.members;
  if (online.length === 0) return 0;
  const nodeCount = Math.max(world.nodeCount ?? 0, online.length + 1);
  if (online.length > Math.floor(nodeCount / 2)) return 0;
  const pairDefault = world.pairWithoutArbiter === true && world.priorityFencingDelayConfigured !== true && online.length === 1;
  const outranks = pairDefault ? outranksInPair(world, target, online[0]!) : topByPriority(world, target, nodeCount);
  return outranks ? delay : 0;
}
