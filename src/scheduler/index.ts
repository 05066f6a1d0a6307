// The policy engine: (CIB, now) -> transition. A pure pipeline of passes, each in its own
// file, each returning its output to the next: unpack (configuration, nodes, units) ->
// history and failures (resource states, on-fail, fencing) -> placement with scores and
// roles -> runnability (mandatory orders and colocations) -> actions -> implied restarts ->
// the graph of operations and their ordering, which the DC runs as it is.
// No clock, I/O or randomness: `now` is an input.
import type { Cib } from "../cib";
import { deriveActions } from "./actions";
import { unpackHistory } from "./history";
import { buildGraph } from "./graph";
import { place } from "./placement";
import { addImpliedActions } from "./restarts";
import { checkRunnability } from "./runnability";
import type { Decisions, TransitionGraph } from "./types";
import { unfencingForStarts } from "./unfencing";
import { unpack } from "./unpack";

export { INFINITY, addScores, type GraphOperation, type NodeState, type OperationKind, type ResourceState, type ScheduledAction, type TransitionGraph } from "./types";
export { unpackNodes } from "./unpack";
export { unpackResourceStates } from "./history";
export { dcUnfences } from "./unfencing";
export { localParameterResolver, operationParameters, parameterResolver, type ParameterResolver } from "./parameters";
export { executionDateSeconds, simulationNowSeconds } from "./execution-date";
export { clusterOptionsAt, evaluateConfigurationRules, operationDefaults, propertySetsAt } from "./defaults";

/** The whole pipeline. `now` is seconds since the epoch (for failure-timeout and date rules). */
export function schedule(cib: Cib, options: { now: number }): TransitionGraph {
  const unpacked = unpack(cib, options.now);
  const history = unpackHistory(unpacked);
  const placement = place(unpacked.model, history);
  const runnability = checkRunnability(unpacked.model, history, placement);
  const decisions: Decisions = { ...unpacked.model, ...history, ...placement, ...runnability };
  let actions = addImpliedActions(decisions, deriveActions(decisions, placement.completed));
  let operations = buildGraph(decisions, actions);
  // A start there requires a node never unfenced to be unfenced first (the graph orders it before).
  const unfences = unfencingForStarts(decisions.cib, decisions.units, decisions.nodes, actions, operations, decisions.cluster.stonithEnabled);
  if (unfences.length > 0) {
    const after = actions.findLastIndex((action) => action.action === "fence") + 1;
    actions = [...actions.slice(0, after), ...unfences, ...actions.slice(after)];
    operations = buildGraph(decisions, actions);
  }
  return { actions, operations, scores: placement.scores };
}
