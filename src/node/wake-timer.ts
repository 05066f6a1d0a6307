// The membership service's one timer, moved to the earliest deadline after every frame and tick.
// Node's timers cannot be moved later without a cost: clearTimeout + setTimeout (or refresh())
// leaves libuv's timer armed at the old deadline, so the loop wakes there for nothing and only
// then sleeps on. A node that pushes its deadline on every heartbeat it hears paid one such empty
// wake-up (150-500 µs of CPU on a small VM) for every two or three it needed. The liveness addon's
// timer is a uv_timer_t re-armed in place (src/node/native/liveness.c): the loop sleeps straight
// to the new deadline. Without the addon, Node's timers do the same job with the empty wake-ups.
import type { LivenessNative } from "./native";

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
