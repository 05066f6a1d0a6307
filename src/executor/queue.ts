// Which queued operations may run now: operations on one resource run strictly
// one after another, in the order they were queued; different resources run in
// parallel up to a limit. Pure: the runner asks, starts what it is told, and
// reports completions back.

export interface QueuedOperation {
  callId: number;
  resource: string;
  action: string;
  intervalMs: number;
  queuedAtMs: number;
}

export interface QueueState {
  /** Waiting operations in the order they were queued. */
  readonly pending: readonly QueuedOperation[];
  /** Resource id -> the call running on it. */
  readonly running: ReadonlyMap<string, QueuedOperation>;
}

export const PENDING_OPERATIONS_MAX = 4096;

export function emptyQueue(): QueueState {
  return { pending: [], running: new Map() };
}

export function enqueue(state: QueueState, operation: QueuedOperation): QueueState {
  // Bounded, like every queue fed from outside: the controller re-plans when refused.
  if (state.pending.length >= PENDING_OPERATIONS_MAX) throw new RangeError(`operation queue is full (${PENDING_OPERATIONS_MAX})`);
  return { ...state, pending: [...state.pending, operation] };
}

/** Takes the operations that may start now, oldest first, and marks them running. */
export function startReady(state: QueueState, parallelLimit: number): { state: QueueState; start: QueuedOperation[] } {
  const running = new Map(state.running);
  const start: QueuedOperation[] = [];
  const pending: QueuedOperation[] = [];
  const blocked = new Set(running.keys());
  for (const operation of state.pending) {
    // A resource with an earlier operation waiting stays blocked even if that one cannot start yet.
    if (running.size >= parallelLimit || blocked.has(operation.resource)) {
      pending.push(operation);
      blocked.add(operation.resource);
      continue;
    }
    running.set(operation.resource, operation);
    blocked.add(operation.resource);
    start.push(operation);
  }
  return { state: { pending, running }, start };
}

export function complete(state: QueueState, resource: string, callId: number): QueueState {
  const current = state.running.get(resource);
  if (!current || current.callId !== callId) return state;
  const running = new Map(state.running);
  running.delete(resource);
  return { ...state, running };
}

/** Removes a queued (not running) operation, e.g. a cancelled recurring monitor. */
export function cancel(state: QueueState, resource: string, action: string, intervalMs: number): QueueState {
  return {
    ...state,
    pending: state.pending.filter((operation) => !(operation.resource === resource && operation.action === action && operation.intervalMs === intervalMs)),
  };
}
