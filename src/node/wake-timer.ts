// The membership service's one timer, moved to the earliest deadline after every frame and tick.
// Node's timers cannot be moved later without a cost: clearTimeout + setTimeout (or refresh())
// leaves libuv's timer armed at the old deadline, so the loop wakes there for nothing and only
// then sleeps on. A node that pushes its deadline on every heartbeat it hears paid one such empty
// wake-up (150-500 µs of CPU on a small VM) for every two or three it needed. The liveness addon's
// timer is a uv_timer_t re-armed in place (src/node/native/liveness.c): the loop sleeps straight
// to the new deadline. Without the addon, Node's timers do the same job with the empty wake-ups.
import type { LivenessNative } from "./native";
import { monotonicMs } from "../common/clock";

export interface WakeTimer {
  /** Fires once, delayMs from now; any earlier arming is gone. */
  arm(delayMs: number): void;
  disarm(): void;
  /** Stops it for good. */
  close(): void;
  /** Whether it is the addon's timer (no empty wake-ups) rather than Node's. */
  readonly native: boolean;
}

type TimerAddon = Required<Pick<LivenessNative, "timer" | "arm" | "disarm" | "close">>;

/**
 * The addon's timer when the addon has one, else Node's. `unref`: Node's timer does not keep the
 * process alive (the addon's, armed, always does: the agent's loop runs until it exits anyway).
 */
export function wakeTimer(onWake: () => void, addon: Pick<LivenessNative, "timer" | "arm" | "disarm" | "close"> | null, options: { unref?: boolean } = {}): WakeTimer {
  if (addon?.timer !== undefined && addon.arm !== undefined && addon.disarm !== undefined && addon.close !== undefined) return nativeTimer(onWake, addon as TimerAddon);
  return nodeTimer(onWake, options.unref === true);
}

function nativeTimer(onWake: () => void, addon: TimerAddon): WakeTimer {
  let handle: object | undefined = addon.timer(onWake);
  return {
    native: true,
    arm: (delayMs) => { if (handle !== undefined) addon.arm(handle, Math.min(Math.max(0, Math.ceil(delayMs)), 2 ** 31 - 1)); },
    disarm: () => { if (handle !== undefined) addon.disarm(handle); },
    close: () => {
      if (handle === undefined) return;
      addon.close(handle);
      handle = undefined;
    },
  };
}

function nodeTimer(onWake: () => void, unref: boolean): WakeTimer {
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const disarm = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
  return {
    native: false,
    arm: (delayMs) => {
      disarm();
      if (closed) return;
      timer = setTimeout(() => { timer = undefined; onWake(); }, Math.max(0, delayMs));
      if (unref) timer.unref();
    },
    disarm,
    close: () => { closed = true; disarm(); },
  };
}

/**
 * Time limits that are nearly always cancelled (a built-in agent's 1 s connect or request limit,
 * cancelled when the answer comes a millisecond later): on Node's timers each one still woke the
 * idle holder at its deadline, once per monitor round. With the addon (shareTimeoutsOnAddon, at
 * the agent's start) they share one addon timer, set to the earliest pending deadline and moved
 * or stopped in place when that one is cancelled: a cancelled limit costs no wake-up.
 */
interface Limit { atMs: number; onTimeout: () => void }
let shared: { timer: WakeTimer; pending: Set<Limit>; armedAtMs: number } | undefined;

/**
 * From now on timeLimit() uses one addon timer (null: Node's timers, as before). Once per process:
 * a later call (another agent in the same test process) keeps the timer there is.
 */
export function shareTimeoutsOnAddon(addon: Pick<LivenessNative, "timer" | "arm" | "disarm" | "close"> | null): void {
  if (shared !== undefined || addon === null) return;
  const timer = wakeTimer(() => fireDue(), addon);
  if (!timer.native) {
    timer.close();
    return;
  }
  shared = { timer, pending: new Set(), armedAtMs: Infinity };
}

function rearm(): void {
  if (shared === undefined) return;
  let earliest = Infinity;
  for (const limit of shared.pending) if (limit.atMs < earliest) earliest = limit.atMs;
  if (earliest === shared.armedAtMs) return;
  shared.armedAtMs = earliest;
  if (earliest === Infinity) shared.timer.disarm();
  else shared.timer.arm(earliest - monotonicMs());
}

function fireDue(): void {
  if (shared === undefined) return;
  shared.armedAtMs = Infinity;
  const nowMs = monotonicMs();
  const due = [...shared.pending].filter((limit) => limit.atMs <= nowMs);
  for (const limit of due) shared.pending.delete(limit);
  rearm();
  for (const limit of due) limit.onTimeout();
}

/** Calls onTimeout after delayMs unless the returned cancel() runs first. */
export function timeLimit(delayMs: number, onTimeout: () => void): () => void {
  if (shared === undefined) {
    const timer = setTimeout(onTimeout, Math.max(0, delayMs));
    return () => clearTimeout(timer);
  }
  const limit: Limit = { atMs: monotonicMs() + Math.max(0, delayMs), onTimeout };
  shared.pending.add(limit);
  if (limit.atMs < shared.armedAtMs) rearm();
  return () => {
    if (shared === undefined || !shared.pending.delete(limit)) return;
    if (limit.atMs <= shared.armedAtMs) rearm();
  };
}
