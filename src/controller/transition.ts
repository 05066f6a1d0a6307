// Running the scheduler's graph: the DC runs exactly the operations and ordering the
// scheduler emitted (src/scheduler/graph.ts, what `simulate --graph` shows); this file
// keeps only the bookkeeping of running it (which steps are ready, which are running, what
// failed). Pure.
import type { TransitionGraph } from "../scheduler";

export type StepKind = "fence" | "start" | "stop" | "promote" | "demote" | "notify" | "migrate_to" | "migrate_from";

export interface Step {
  id: number;
  kind: StepKind;
  node: string;
  resource?: string;
  /** Fence steps: off or reboot, or "on" (unfencing: the node is let in again, not taken down). */
  fenceAction?: "off" | "reboot" | "on";
  /** Step ids that must be done first. */
  after: number[];
  state: "pending" | "running" | "done" | "failed" | "skipped";
  reason: string;
  /** While running: when the DC stops waiting for the result. */
  deadlineMs?: number;
  /** Notify steps: the notify_* meta values (type, operation, who starts, stops, ...). */
  notify?: Record<string, string>;
  /** migrate_to and migrate_from steps: the node the resource leaves and the one it goes to. */
  migration?: { source: string; target: string };
  /**
   * Start steps: the nodes the resource was last seen active on (this node aside) when every
   * one of them is fenced in this transition; once the start may run (after every fence is
   * confirmed) no cluster node holds it. Set by the DC when it plans; the agent is told
   * (formerHolderFenced) unless a fence was only confirmed by hand.
   */
  fencedHolders?: string[];
  /**
   * Resource operations: the parameters the agent runs with, resolved by the scheduler for
   * the step's node (src/scheduler/parameters.ts). Set by the DC when it plans; sent with the
   * operation, never shown (they may hold secrets).
   */
  params?: Record<string, string>;
}

export interface Transition {
  id: number;
  steps: Step[];
  /** Stop dispatching: something unexpected happened; re-plan once the running steps end. */
  aborted: boolean;
}

/** One step per operation of the scheduler's graph, with the graph's ordering; nothing added, nothing left out. */
export function compileTransition(id: number, graph: Pick<TransitionGraph, "operations">): Transition {
  const steps = graph.operations.map((operation): Step => ({
    id: operation.id, kind: operation.kind, node: operation.node, ...(operation.resource !== undefined ? { resource: operation.resource } : {}),
    ...(operation.fenceAction !== undefined ? { fenceAction: operation.fenceAction } : {}), after: [...operation.after], state: "pending", reason: operation.reason,
    ...(operation.notify !== undefined ? { notify: operation.notify } : {}),
    ...(operation.migration !== undefined ? { migration: { ...operation.migration } } : {}),
  }));
  return { id, steps, aborted: false };
}

/** Steps whose predecessors are all done (a failed or skipped predecessor blocks them). */
export function readySteps(transition: Transition): Step[] {
  if (transition.aborted) return [];
  const byId = transition.steps;
  return transition.steps.filter((step) => step.state === "pending" && step.after.every((id) => byId[id]!.state === "done"));
}

export function runningCount(transition: Transition): number {
  return transition.steps.filter((step) => step.state === "running").length;
}

/** Nothing more will happen: no step runs and none can become ready. */
export function isFinished(transition: Transition): boolean {
  return runningCount(transition) === 0 && readySteps(transition).length === 0;
}

export function succeeded(transition: Transition): boolean {
  return transition.steps.every((step) => step.state === "done");
}
