// What the DC does with an ordering loop that a valid configuration produces. Pacemaker 2.1.5
// does not break such loops when it builds the graph (pcmk__graph_has_loop only breaks load
// orderings of migrations); its controller runs every synapse that can fire, the ones on the
// loop and all that wait for them never can, and the transition ends "Terminated" with a
// warning (pcmk__execute_graph; crm_simulate prints "An invalid transition was produced"). The
// cluster stays up and tries again at the next event. edgeha does the same, ahead of time: the
// operations on a loop and everything ordered after them are held back from this transition,
// the rest runs, and the transition says why. An assertion here would end the DC (and, by
// self-fencing, the node) over a configuration the user may legally write.
import { assert } from "../common/errors";
import { findCycle } from "./graph";
import type { GraphOperation } from "./types";

export interface HeldBack {
  operations: GraphOperation[];
  /** One line per loop: the loop, and how many operations wait on it. */
  warnings: string[];
}

/** The graph without its ordering loops and what waits on them; acyclic on return. */
export function holdBackOrderingLoops(operations: readonly GraphOperation[]): HeldBack {
  let current: GraphOperation[] = [...operations];
  const warnings: string[] = [];
  // Each pass removes at least the loop it found, so this ends within operations.length passes.
  for (let pass = 0; pass <= operations.length; pass++) {
    const cycle = findCycle(current);
    if (cycle === undefined) return { operations: current, warnings };
    const held = waitingOn(current, new Set(cycle.map((operation) => operation.id)));
    const loop = [...cycle, cycle[0]!].map(describe).join(" -> ");
    warnings.push(`ordering loop ${loop}: its ${cycle.length} operations and the ${held.size - cycle.length} ordered after them are held back from this transition (as Pacemaker's controller leaves them unrun)`);
    current = without(current, held);
  }
  assert(false, "an ordering loop is left after every operation's pass: each pass must remove one");
}

function describe(operation: GraphOperation): string {
  return `${operation.kind} ${operation.resource === undefined ? operation.node : `${operation.resource}@${operation.node}`}`;
}

/** `seeds` and every operation that (directly or through others) must wait for one of them. */
function waitingOn(operations: readonly GraphOperation[], seeds: Set<number>): Set<number> {
  const held = new Set(seeds);
  for (let grown = true; grown;) {
    grown = false;
    for (const operation of operations) {
      if (held.has(operation.id) || !operation.after.some((id) => held.has(id))) continue;
      held.add(operation.id);
      grown = true;
    }
  }
  return held;
}

/** The operations not in `removed`, renumbered from 0 in the same order. */
function without(operations: readonly GraphOperation[], removed: Set<number>): GraphOperation[] {
  const kept = operations.filter((operation) => !removed.has(operation.id));
  const renumber = new Map(kept.map((operation, index) => [operation.id, index]));
  return kept.map((operation, index) => ({ ...operation, id: index, after: operation.after.map((id) => renumber.get(id)!) }));
}
