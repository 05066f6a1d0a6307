// The policy engine: (CIB, now) -> transition. A pure pipeline of passes, each in its own
// file, each returning its output to the next: unpack (configuration, nodes, units) ->
// history and failures (resource states, on-fail, fencing) -> placement with scores and
// roles -> runnability (mandatory orders and colocations) -> actions -> implied restarts ->
// the graph of operations and their ordering, which the DC runs as it is.
// No clock, I/O or randomness: `now` is an input.
import type { Cib } from "../cib";
import { deriveActions } from "./actions";
import { unpackHistory } from "./history";
import { holdBackOrderingLoops } from "./cycles";
import { assertAcyclic, buildGraph, findCycle } from "./graph";
import { place } from "./placement";
import { addImpliedActions } from "./restarts";
import { checkRunnability } from "./runnability";
import type { Decisions, GraphOperation, ScheduledAction, TransitionGraph } from "./types";
import { unfencingForStarts } from "./unfencing";
import { unpack } from "./unpack";

export { INFINITY, addScores, type GraphOperation, type NodeState, type OperationKind, type ResourceState, type ScheduledAction, type TransitionGraph } from "./types";
export { unpackNodes } from "./unpack";
export { unpackResourceStates } from "./history";
export { dcUnfences } from "./unfencing";
export { localParameterResolver, operationParameters, parameterResolver, type ParameterResolver } from "./parameters";
export { parameterDigest } from "./digest";
export { executionDateSeconds, simulationNowSeconds } from "./execution-date";
export { clusterOptionsAt, evaluateConfigurationRules, operationDefaults, propertySetsAt } from "./defaults";

/** The whole pipeline. `now` is seconds since the epoch (for failure-timeout and date rules). */
export function schedule(cib: Cib, options: { now: number }): TransitionGraph {
  const unpacked = unpack(cib, options.now);
  const history = unpackHistory(unpacked);
  const placement = place(unpacked.model, history);
  const runnability = checkRunnability(unpacked.model, history, placement);
  const decisions: Decisions = { ...unpacked.model, ...history, ...placement, ...runnability };
  let { actions, operations } = withoutMigrationLoops(decisions, deriveActions(decisions, placement.completed));
  // A start there requires a node never unfenced to be unfenced first (the graph orders it before).
  const unfences = unfencingForStarts(decisions.cib, decisions.units, decisions.nodes, actions, operations, decisions.cluster.stonithEnabled);
  if (unfences.length > 0) {
    const after = actions.findLastIndex((action) => action.action === "fence") + 1;
    actions = [...actions.slice(0, after), ...unfences, ...actions.slice(after)];
    operations = buildGraph(decisions, actions, false);
  }
  // A loop left (the configuration's orders and colocations close one) is held back, not asserted.
  const held = holdBackOrderingLoops(operations);
  assertAcyclic(held.operations);
  return { actions, operations: held.operations, scores: placement.scores, ...(held.warnings.length > 0 ? { warnings: held.warnings } : {}) };
}

/**
 * The implied actions and the graph, with a live migration that would close an ordering cycle
 * made a move (a stop, then a start) instead. Pacemaker orders such loops in some cases (a
 * group anti-colocated with the migrating resource and ordered before it: its start waits for
 * the resource's stop on that node, which waits for migrate_from, which waits for the group) and
 * its transition then fails ("An invalid transition was produced"); a move has no such loop.
 * Any other loop is left for holdBackOrderingLoops (cycles.ts).
 */
function withoutMigrationLoops(decisions: Decisions, derived: readonly ScheduledAction[]): { actions: ScheduledAction[]; operations: GraphOperation[] } {
  const moved = new Set<string>();
  for (;;) {
    const actions = addImpliedActions(decisions, derived.map((action) => action.action === "migrate" && moved.has(action.resource!)
      ? { ...action, action: "move", reason: "a live migration would close an ordering cycle" } : action));
    const operations = buildGraph(decisions, actions, false);
    const cycle = findCycle(operations);
    const migrating = cycle?.find((operation) => (operation.kind === "migrate_to" || operation.kind === "migrate_from") && !moved.has(operation.resource!));
    if (migrating === undefined) return { actions, operations };
    moved.add(migrating.resource!);
  }
}
