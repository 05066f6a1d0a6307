// The I/O side of the fencer: runs the planner's attempts through drivers with a
// time limit, keeps the history in a file, and drives the planner with the real
// clock until a request is done. The cluster agent will put its own FenceRunner
// (routing attempts to the executing member over the transport) behind the same
// interface; `edgeha stonith ...` uses this local one for now.
import { existsSync, mkdirSync } from "node:fs";
import { readBoundedText } from "../common/bounded-read";
import { dirname } from "node:path";
import { randomUUID } from "node:crypto";
import { EdgehaError } from "../common/errors";
import { writeFileDurably } from "../common/durable";
import type { FenceDriver, FenceResult } from "../../fence-drivers/types";
import { builtinFenceDrivers, findFenceDriver } from "../../fence-drivers/index";
import { loadExternalDriver, locateFenceAgent } from "../../fence-drivers/external/index";
import type { FenceDeviceConfig } from "./devices";
import { emptyFencerState, step, type Attempt, type FenceRequestAction, type FencerEffect, type FencerWorld, type HistoryRecord } from "./planner";
import { WATCHDOG_DEVICE } from "./watchdog";
import { redact, resolveSecrets } from "./secrets";
import { monotonicMs as monotonicFractionalMs } from "../common/clock";

/** Every built-in driver, from the shared registry (fence-drivers/index.ts). */
export const fencerDrivers: ReadonlyMap<string, FenceDriver> = builtinFenceDrivers;

export interface FenceRunner {
  /**
   * signal: the fencing was stopped (its node was confirmed down by hand); end the attempt.
   * onOff: called when a reboot's off is confirmed and its on follows (FenceContext.onOff).
   */
  run(attempt: Attempt, device: FenceDeviceConfig, signal?: AbortSignal, onOff?: () => void): Promise<{ ok: boolean; message: string; result?: FenceResult }>;
}

export function findDriver(name: string, drivers: ReadonlyMap<string, FenceDriver> = fencerDrivers): FenceDriver {
  return findFenceDriver(name, drivers);
}

/** External programs whose metadata was read, by file (a program is asked once per agent). */
const externalDrivers = new Map<string, FenceDriver>();
const EXTERNAL_DRIVERS_MAX = 64;

/**
 * The driver a device runs: a built-in one, else (or when the device asks for the program
 * with meta external=true) the fence-agents program of that name, found on PATH or in
 * /usr/sbin and asked for its metadata. A missing program or one that does not answer
 * metadata is E_FENCE_DRIVER with the reason.
 */
export async function driverForDevice(device: Pick<FenceDeviceConfig, "driver" | "external">, drivers: ReadonlyMap<string, FenceDriver> = fencerDrivers): Promise<FenceDriver> {
  const builtin = drivers.get(device.driver.replace(/^fence_/, "").replace(/_/g, "-"));
  if (builtin && !device.external) return builtin;
  if (!device.driver.startsWith("fence_")) return findDriver(device.driver, drivers);
  const file = locateFenceAgent(device.driver);
  const known = externalDrivers.get(file);
  if (known) return known;
  const driver = await loadExternalDriver(file);
  if (externalDrivers.size >= EXTERNAL_DRIVERS_MAX) externalDrivers.delete(externalDrivers.keys().next().value!);
  externalDrivers.set(file, driver);
  return driver;
}

/** Runs a driver action in this process with the attempt's time limit; messages are redacted. */
export async function runDriverAction(device: FenceDeviceConfig, action: string, plug: string | undefined, timeoutMs: number, executor?: string, drivers: ReadonlyMap<string, FenceDriver> = fencerDrivers, stop?: AbortSignal, onOff?: () => void): Promise<{ ok: boolean; message: string; result?: FenceResult }> {
  let driver: FenceDriver;
  try {
    driver = await driverForDevice(device, drivers);
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
  const { options, secretValues } = await resolveSecrets(device);
  // Pacemaker hands the plug as both "plug" and "port"; fence-agents read either.
  // local_node names the member running the device (scsi preempts with that node's key).
  const withPlug = { ...options, ...(plug ? { plug, port: plug } : {}), ...(executor ? { local_node: executor } : {}) };
  try {
    const limit = AbortSignal.timeout(Math.max(1, Math.ceil(timeoutMs)));
    const signal = stop ? AbortSignal.any([limit, stop]) : limit;
    const result = await driver.run(action as never, withPlug, { signal, debug: () => {}, ...(onOff ? { onOff } : {}) });
    const ok = action === "status" || action === "monitor" ? result.exitCode !== 1 : result.exitCode === 0;
    return { ok, message: redact(result.message, secretValues), result: { ...result, message: redact(result.message, secretValues) } };
  } catch (error) {
    return { ok: false, message: redact(error instanceof Error ? error.message : String(error), secretValues) };
  }
}

export const localFenceRunner: FenceRunner = {
  run: (attempt, device, signal, onOff) => runDriverAction(device, attempt.driverAction, attempt.plug, attempt.timeoutMs, attempt.executor, fencerDrivers, signal, onOff),
};

/** The fence history kept in one JSON file (bounded), newest last. */
export const HISTORY_RECORDS_MAX = 500;
/** 500 records of well under 2 KiB each: a larger file is damaged, not history. */
const HISTORY_FILE_BYTES_MAX = 1024 * 1024;

export function readHistory(file: string): HistoryRecord[] {
  if (!existsSync(file)) return [];
  try {
    const parsed = JSON.parse(readBoundedText(file, HISTORY_FILE_BYTES_MAX, { readCode: "E_FENCE_HISTORY", tooLargeCode: "E_FENCE_HISTORY", what: "fence history" })) as unknown;
    if (!Array.isArray(parsed)) throw new Error("not a list");
    return parsed as HistoryRecord[];
  } catch (error) {
    throw new EdgehaError("E_FENCE_HISTORY", `fence history ${file} is damaged: ${(error as Error).message}`);
  }
}

export function appendHistory(file: string, record: HistoryRecord): void {
  const records = readHistory(file).filter((existing) => existing.id !== record.id);
  records.push(record);
  mkdirSync(dirname(file), { recursive: true });
  writeFileDurably(file, JSON.stringify(records.slice(-HISTORY_RECORDS_MAX), null, 1) + "\n", { mode: 0o600 });
}

/** Stops a fencing (fenceNow's signal): its node was confirmed down by hand. */
export class FencingStopped extends Error {}

/**
 * Drives the pure planner with the real clock and the runner until the request is done or
 * failed. id: the request's id (the controller's, for its history); signal: stops it
 * (FencingStopped is thrown). A remapped reboot (several devices on a level) is done at the
 * last confirmed off; its devices are then switched on again behind the returned record, each
 * result going to extra.onRebootOn.
 */
export function fenceNow(world: FencerWorld, target: string, action: FenceRequestAction, origin: string, runner: FenceRunner, onRecord: (record: HistoryRecord) => void, id: string = randomUUID(), signal?: AbortSignal, extra: FenceNowExtra = {}): Promise<HistoryRecord> {
  return new Promise<HistoryRecord>((resolve, reject) => {
    let settled = false;
    const settle = (record: HistoryRecord) => { if (!settled) { settled = true; resolve(record); } };
    driveFencing(world, target, action, origin, runner, onRecord, id, signal, extra, settle).then(
      () => { if (!settled) reject(new EdgehaError("E_FENCE_HISTORY", `fencing ${target} ended without a result`)); },
      (error: unknown) => { if (!settled) { settled = true; reject(error); } else extra.onRebootOn?.(false, error instanceof Error ? error.message : String(error)); },
    );
  });
}

async function driveFencing(world: FencerWorld, target: string, action: FenceRequestAction, origin: string, runner: FenceRunner, onRecord: (record: HistoryRecord) => void, id: string, signal: AbortSignal | undefined, extra: FenceNowExtra, settle: (record: HistoryRecord) => void): Promise<void> {
  const { onWatchdogWait, lostAtMs } = extra;
  // The planner runs on the monotonic clock: a wall clock stepped back (NTP, a person) mid-fencing
  // would move its deadlines and wake-ups (found by the simulator). Records get wall-clock times.
  const wallOffsetMs = Date.now() - monotonicMs();
  const wall = (record: HistoryRecord): HistoryRecord => ({ ...record, requestedAtMs: Math.round(record.requestedAtMs + wallOffsetMs), ...(record.completedAtMs === undefined ? {} : { completedAtMs: Math.round(record.completedAtMs + wallOffsetMs) }) });
  const report = (record: HistoryRecord) => onRecord(wall(record));
  const requestedAtMs = monotonicMs();
  let outcome = step(emptyFencerState, world, { kind: "request", id, target, action, origin, nowMs: requestedAtMs, random: Math.random(), ...(lostAtMs === undefined ? {} : { lostAtMs: Math.round(lostAtMs) }), ...(extra.byPerson ? { byPerson: true } : {}) });
  let waitSaid = false;
  // Effects are handled in order: the done record of a remapped reboot reaches onRecord before its first on runs.
  const effectsDone = (effects: FencerEffect[]) => {
    const final = handle(effects, report, extra.onRebootOn);
    if (final) settle(wall(final));
  };
  for (let steps = 0; steps < 10_000; steps++) {
    if (signal?.aborted) throw new FencingStopped(`fencing ${target} was stopped`);
    effectsDone(outcome.effects);
    const pending = outcome.state.requests[id];
    if (!pending) return;
    if (!waitSaid && onWatchdogWait && pending.plan[pending.levelIndex]?.[pending.deviceIndex] === WATCHDOG_DEVICE && pending.notBeforeMs > monotonicMs()) {
      waitSaid = true;
      onWatchdogWait(Math.round(pending.notBeforeMs + wallOffsetMs), pending.notBeforeMs - requestedAtMs);
    }
    const run = outcome.effects.find((effect): effect is Extract<FencerEffect, { kind: "run" }> => effect.kind === "run");
    const wake = outcome.effects.find((effect): effect is Extract<FencerEffect, { kind: "wake" }> => effect.kind === "wake");
    if (run) {
      const device = world.devices.find((candidate) => candidate.id === run.attempt.device)!;
      let offConfirmed = () => {};
      const off = new Promise<"off">((resolve) => { offConfirmed = () => resolve("off"); });
      const running = runner.run(run.attempt, device, signal, () => offConfirmed());
      if ((await Promise.race([running, off])) === "off") {
        // A reboot's off is confirmed: the planner may end the request here; the on goes on.
        const confirmed = step(outcome.state, world, { kind: "off-confirmed", id, nowMs: monotonicMs() });
        if (!confirmed.state.requests[id]) {
          effectsDone(confirmed.effects);
          void running.then((result) => extra.onRebootOn?.(result.ok, result.message));
          return;
        }
        outcome = confirmed;
      }
      const result = await running;
      outcome = step(outcome.state, world, { kind: "result", id, ok: result.ok, message: result.message, nowMs: monotonicMs(), ...(result.result?.state ? { state: result.result.state } : {}) });
    } else {
      await sleepUnlessStopped(Math.max(0, (wake?.atMs ?? monotonicMs() + 100) - monotonicMs()), signal);
      outcome = step(outcome.state, world, { kind: "tick", nowMs: monotonicMs() });
    }
  }
  throw new EdgehaError("E_FENCE_HISTORY", `fencing ${target} did not finish within the step bound`);
}

export interface FenceNowExtra {
  /** Called once when the plan reaches the watchdog level and waits (wall-clock end, the wait from the request). */
  onWatchdogWait?: (untilWallMs: number, waitMs: number) => void;
  /** A person asked (`stonith fence --cib`): no priority-fencing-delay, as for stonith_admin (planner's byPerson). */
  byPerson?: boolean;
  /** When the target was lost, on the monotonic clock (src/common/clock.ts): the watchdog level counts from it. */
  lostAtMs?: number;
  /** A reboot reported done at its confirmed off: the result of its on (of each device, for a remapped reboot), when it comes. */
  onRebootOn?: (ok: boolean, message: string, device?: string) => void;
}

/** The monotonic clock in whole ms (timers and AbortSignal.timeout take integers). */
function monotonicMs(): number {
  return Math.round(monotonicFractionalMs());
}

function sleepUnlessStopped(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

function handle(effects: FencerEffect[], onRecord: (record: HistoryRecord) => void, onRebootOn?: FenceNowExtra["onRebootOn"]): HistoryRecord | undefined {
  let final: HistoryRecord | undefined;
  for (const effect of effects) {
    if (effect.kind === "on-result") onRebootOn?.(effect.ok, `${effect.device}: ${effect.message}`, effect.device);
    if (effect.kind !== "history") continue;
    onRecord(effect.record);
    if (effect.record.state !== "pending") final = effect.record;
  }
  return final;
}
