// The fencer's decisions, as a pure step function: which devices in which order
// (topology levels, else every capable device), which node runs each, the delay
// before the first attempt, retries within stonith-timeout, and the history
// records. Time and randomness are inputs; the drivers are run by the caller
// (a FenceRunner) and their results come back as inputs.
import { assert } from "../common/errors";
import { canFence, plugFor, type FenceDeviceConfig } from "./devices";
import { priorityDelayMs } from "./split";
import { WATCHDOG_DEVICE, watchdogWaitMs, type WatchdogFencingSettings } from "./watchdog";

/** "on" unfences: every device that needs unfencing (fence_scsi, provides=unfencing) lets the target in again. */
export type FenceRequestAction = "off" | "reboot" | "on";

export interface FencingLevelConfig {
  /** A node name, or a regular expression over node names (target-pattern). */
  target?: string;
  targetPattern?: string;
  index: number;
  devices: string[];
}

export interface FencerWorld {
  devices: readonly FenceDeviceConfig[];
  levels: readonly FencingLevelConfig[];
  /** Current members of the cluster (this partition), any of which may run a device. */
  members: readonly string[];
  /** The cluster's nodes, members or not (priority-fencing-delay applies only while members are at most half of them). */
  nodeCount?: number;
  /** Last `list` answer per device, for pcmk_host_check=dynamic-list. */
  listedTargets: Readonly<Record<string, readonly string[]>>;
  /** Total priority of the resources each node runs (for priority-fencing-delay). */
  priorities: Readonly<Record<string, number>>;
  priorityFencingDelayMs: number;
  /** The CIB sets priority-fencing-delay (then Pacemaker's rule alone applies, see split.ts). */
  priorityFencingDelayConfigured?: boolean;
  /** A two-node cluster without an arbiter: the serving node wins a split by default (split.ts). */
  pairWithoutArbiter?: boolean;
  /** Resources active on each node, fence devices not counted (the pair's default order). */
  activeResources?: Readonly<Record<string, number>>;
  stonithTimeoutMs: number;
  /** Watchdog self-fencing (watchdog.ts): the settings and each node's watchdog timeout. */
  watchdog?: { settings: WatchdogFencingSettings; timeoutsMs: Readonly<Record<string, number>> };
}

export interface HistoryRecord {
  id: string;
  target: string;
  action: FenceRequestAction | "confirm";
  origin: string;
  state: "pending" | "done" | "failed";
  requestedAtMs: number;
  completedAtMs?: number;
  device?: string;
  executor?: string;
  reason: string;
}

export interface Attempt {
  device: string;
  executor: string;
  plug: string;
  /** The driver action: pcmk_off_action / pcmk_reboot_action. */
  driverAction: string;
  timeoutMs: number;
}

export interface RequestState {
  id: string;
  target: string;
  action: FenceRequestAction;
  origin: string;
  requestedAtMs: number;
  /**
   * When the origin lost the target (the first moment it held quorum without it), on the
   * planner's clock; the watchdog level counts stonith-watchdog-timeout from here. Never later
   * than the request; absent (a request by hand for a member) it is the request.
   */
  lostAtMs?: number;
  deadlineMs: number;
  plan: string[][];
  levelIndex: number;
  deviceIndex: number;
  attempts: number;
  notBeforeMs: number;
  /** The part of the wait that priority-fencing-delay added; a status check reading off removes it. */
  priorityDelayMs: number;
  /** The running attempt is the status check before the priority delay, not a fencing action. */
  checking?: boolean;
  /**
   * A reboot remapped on a level of several devices (remappedReboot) has turned every one of
   * them off: the fencing is done (its record was given), and these devices are switched on
   * again one after the other (index: the next). A failed on is reported, never a fencing failure.
   */
  powerOn?: { devices: string[]; index: number };
  running?: Attempt;
  history: HistoryRecord;
}

export type FencerInput =
  /**
   * byPerson: a person asked for it (`stonith fence`, as stonith_admin): the devices' pcmk_delay_base/max
   * apply, priority-fencing-delay (and the pair's default) does not, as in Pacemaker, where only the
   * scheduler adds it to the fencing of a lost node.
   */
  | { kind: "request"; id: string; target: string; action: FenceRequestAction; origin: string; nowMs: number; random: number; lostAtMs?: number; byPerson?: boolean }
  | { kind: "tick"; nowMs: number }
  /** state: the target's power state, when the driver read it (the status check before a priority delay). */
  | { kind: "result"; id: string; ok: boolean; message: string; nowMs: number; state?: "on" | "off" | "unknown" }
  /**
   * The running reboot's driver confirmed the target off and goes on to power it on (a reboot
   * as off then on). The target is safe from here: the request is done when its level has
   * this one device (see offConfirmed); the attempt's later result is then ignored.
   */
  | { kind: "off-confirmed"; id: string; nowMs: number };

export type FencerEffect =
  | { kind: "run"; id: string; attempt: Attempt }
  | { kind: "wake"; atMs: number }
  | { kind: "history"; record: HistoryRecord }
  /** The on of a remapped reboot ended (after the fencing was done at the last off): for the log, never a fencing result. */
  | { kind: "on-result"; id: string; target: string; device: string; executor?: string; ok: boolean; message: string };

/** The devices to try for a target, in order: its topology levels, else one level per capable device. */
export function planFor(world: FencerWorld, target: string): string[][] {
  const matches = (level: FencingLevelConfig) => level.target === target || (level.targetPattern !== undefined && new RegExp(level.targetPattern).test(target));
  const levels = world.levels.filter(matches).sort((left, right) => left.index - right.index);
  if (levels.length > 0) return levels.map((level) => [...level.devices]);
  const capable = world.devices.filter((device) => canFence(device, target, world.listedTargets[device.id])).map((device) => [device.id]);
  // As in Pacemaker, the watchdog fences a node no device can fence, when it may (watchdog.ts).
  if (capable.length === 0 && world.watchdog && "waitMs" in watchdogWaitMs(world.watchdog.settings, world.watchdog.timeoutsMs[target])) return [[WATCHDOG_DEVICE]];
  return capable;
}

/**
 * The watchdog level: done once stonith-watchdog-timeout has passed since the target was lost
 * (Pacemaker's definition: lost nodes self-fence within that time), if it may be used at all.
 * The loss is the first moment the origin held quorum without the target: by then the target
 * has no quorum (a pair's arbiter votes for one side only) or loses it within a token, and its
 * watchdog fires within its timeout; stonith-watchdog-timeout is more than twice that.
 */
function advanceWatchdog(request: RequestState, world: FencerWorld, nowMs: number): Outcome {
  const allowed = world.watchdog ? watchdogWaitMs(world.watchdog.settings, world.watchdog.timeoutsMs[request.target]) : { refused: "no watchdog is configured" };
  if ("refused" in allowed) return nextLevel(request, world, nowMs, `watchdog: ${allowed.refused}`);
  const doneAtMs = Math.min(request.lostAtMs ?? request.requestedAtMs, request.requestedAtMs) + allowed.waitMs;
  if (nowMs < doneAtMs) return { request: { ...request, notBeforeMs: doneAtMs, deadlineMs: Math.max(request.deadlineMs, doneAtMs + 1) }, effects: [{ kind: "wake", atMs: doneAtMs }] };
  const record: HistoryRecord = { ...request.history, state: "done", completedAtMs: nowMs, device: WATCHDOG_DEVICE, executor: request.origin, reason: `watchdog: ${request.target} has reset itself (stonith-watchdog-timeout of ${allowed.waitMs / 1000} s passed since it was lost)` };
  return { request: undefined, effects: [{ kind: "history", record }] };
}

/**
 * The node that runs a device against a target: never the target while another
 * member may run it; the origin when it may (it saw the failure); else the first
 * by name, so every member computes the same answer.
 */
export function chooseExecutor(device: FenceDeviceConfig, target: string, origin: string, members: readonly string[]): string | undefined {
  const allowed = members.filter((node) => !device.bannedNodes.includes(node));
  const others = allowed.filter((node) => node !== target).sort();
  if (others.includes(origin)) return origin;
  if (others.length > 0) return others[0];
  return allowed.includes(target) ? target : undefined;
}

/**
 * Delay before the first attempt: pcmk_delay_base plus a random part up to
 * pcmk_delay_max (random in [0, 1)), plus priority-fencing-delay when the target is a
 * lost node that runs the most important resources (split.ts priorityDelayMs), so that
 * in a fence race the node with the important resources shoots first and survives.
 */
export function delayMs(device: FenceDeviceConfig | undefined, world: FencerWorld, target: string, random: number, byPerson = false): number {
  assert(random >= 0 && random < 1, "random must be in [0, 1)");
  const base = device?.delayBaseMs ?? 0;
  const max = device?.delayMaxMs ?? 0;
  const randomPart = max > base ? Math.floor(random * (max - base + 1)) : 0;
  return base + randomPart + (byPerson ? 0 : priorityDelayMs(world, target));
}

export interface FencerState {
  requests: Readonly<Record<string, RequestState>>;
}

export const emptyFencerState: FencerState = { requests: {} };

/** Pending requests kept at most; more are refused (bounded by input from peers). */
export const PENDING_REQUESTS_MAX = 64;

interface Outcome {
  request: RequestState | undefined;
  effects: FencerEffect[];
}

function finish(request: RequestState, state: "done" | "failed", nowMs: number, reason: string): Outcome {
  const record: HistoryRecord = { ...request.history, state, completedAtMs: nowMs, reason };
  if (request.running) Object.assign(record, { device: request.running.device, executor: request.running.executor });
  return { request: undefined, effects: [{ kind: "history", record }] };
}

function nextLevel(request: RequestState, world: FencerWorld, nowMs: number, why: string): Outcome {
  const moved = { ...request, levelIndex: request.levelIndex + 1, deviceIndex: 0, attempts: 0, running: undefined };
  if (moved.levelIndex >= moved.plan.length) return finish(request, "failed", nowMs, `every fencing level for ${request.target} failed; last: ${why}`);
  return advance(moved, world, nowMs);
}

/**
 * A reboot asked of a topology level with several devices (two power supplies, two outlets)
 * runs as Pacemaker's fencer runs it (fenced_remote.c, "remapping" a topology reboot): off on
 * every device of the level, then on on every device. Rebooting them in turn would leave the
 * node powered through the other supply all along, yet report it fenced.
 */
export function remappedReboot(request: Pick<RequestState, "action" | "plan" | "levelIndex">): boolean {
  return request.action === "reboot" && (request.plan[request.levelIndex]?.length ?? 0) > 1;
}

function advance(request: RequestState, world: FencerWorld, nowMs: number): Outcome {
  if (request.running) return { request, effects: [] };
  if (request.powerOn) return advancePowerOn(request, world);
  if (nowMs >= request.deadlineMs) return finish(request, "failed", nowMs, `stonith-timeout of ${world.stonithTimeoutMs} ms ran out fencing ${request.target}`);
  if (nowMs < request.notBeforeMs) return { request, effects: [{ kind: "wake", atMs: request.notBeforeMs }] };
  const deviceId = request.plan[request.levelIndex]![request.deviceIndex]!;
  if (deviceId === WATCHDOG_DEVICE) return advanceWatchdog(request, world, nowMs);
  const device = world.devices.find((candidate) => candidate.id === deviceId);
  if (!device) return nextLevel(request, world, nowMs, `device ${deviceId} is not configured`);
  // Unfencing runs on the target itself when it may (fence_scsi's "on" is on_target in Pacemaker).
  const onTarget = request.action === "on" && world.members.includes(request.target) && !device.bannedNodes.includes(request.target);
  const executor = onTarget ? request.target : chooseExecutor(device, request.target, request.origin, world.members);
  if (!executor) return nextLevel(request, world, nowMs, `no member may run device ${deviceId}`);
  const remapped = remappedReboot(request);
  const attempt: Attempt = {
    device: deviceId,
    executor,
    plug: plugFor(device, request.target),
    driverAction: request.action === "on" ? "on" : request.action === "off" || remapped ? device.offAction : device.rebootAction,
    timeoutMs: Math.min(device.actionTimeoutMs, request.deadlineMs - nowMs),
  };
  const effects: FencerEffect[] = [];
  let started = request;
  if (remapped && request.deviceIndex === 0 && request.attempts === 0) {
    // Said once per level, in the pending record: the history shows how the reboot runs.
    const level = request.plan[request.levelIndex]!;
    const history: HistoryRecord = { ...request.history, reason: `${request.history.reason}; level ${request.levelIndex + 1} has ${level.length} devices (${level.join(", ")}): the reboot runs as off on every one, then on` };
    started = { ...request, history };
    effects.push({ kind: "history", record: history });
  }
  effects.push({ kind: "run", id: request.id, attempt });
  return { request: { ...started, running: attempt }, effects };
}

/** The on phase of a remapped reboot: the next device switched on again, or the end of the request. */
function advancePowerOn(request: RequestState, world: FencerWorld): Outcome {
  const effects: FencerEffect[] = [];
  let { index } = request.powerOn!;
  const devices = request.powerOn!.devices;
  for (; index < devices.length; index++) {
    const device = world.devices.find((candidate) => candidate.id === devices[index]);
    const executor = device ? chooseExecutor(device, request.target, request.origin, world.members) : undefined;
    if (device && executor) {
      const attempt: Attempt = { device: device.id, executor, plug: plugFor(device, request.target), driverAction: "on", timeoutMs: device.actionTimeoutMs };
      effects.push({ kind: "run", id: request.id, attempt });
      return { request: { ...request, running: attempt, powerOn: { devices, index } }, effects };
    }
    effects.push({ kind: "on-result", id: request.id, target: request.target, device: devices[index]!, ok: false, message: device ? `no member may run device ${device.id}` : `device ${devices[index]} is not configured` });
  }
  return { request: undefined, effects };
}

/** Device ids joined for a record's device field, within the peer protocol's name bound. */
function deviceNames(devices: readonly string[]): string {
  const joined = devices.join(",");
  return joined.length <= 200 ? joined : `${devices[0]} and ${devices.length - 1} more`;
}

/**
 * Every device of a remapped reboot's level confirmed its off: the target has no power left,
 * so the fencing is done here (Pacemaker ignores a failed on after a successful off). Then each
 * device is switched on again, except one configured to stay off (pcmk_reboot_action=off) and
 * one that unfences (it is switched on when the node rejoins), as Pacemaker does.
 */
function remappedOffDone(request: RequestState, world: FencerWorld, nowMs: number, last: Attempt): Outcome {
  const level = request.plan[request.levelIndex]!;
  const record: HistoryRecord = {
    ...request.history, state: "done", completedAtMs: nowMs, device: deviceNames(level), executor: last.executor,
    reason: `${request.target} is off on every device of level ${request.levelIndex + 1} (${level.join(", ")}): fenced (reboot as off on each, then on)`,
  };
  const devices = level.filter((id) => {
    const device = world.devices.find((candidate) => candidate.id === id);
    return device !== undefined && device.rebootAction !== "off" && !device.needsUnfencing;
  });
  const next = advancePowerOn({ ...request, running: undefined, history: record, powerOn: { devices, index: 0 } }, world);
  return { request: next.request, effects: [{ kind: "history", record }, ...next.effects] };
}

function onRequest(state: FencerState, world: FencerWorld, input: Extract<FencerInput, { kind: "request" }>): Outcome {
  const history: HistoryRecord = { id: input.id, target: input.target, action: input.action, origin: input.origin, state: "pending", requestedAtMs: input.nowMs, reason: `${input.origin} asked to ${input.action} ${input.target}` };
  const duplicate = Object.values(state.requests).find((request) => request.target === input.target && !request.powerOn);
  if (duplicate) return { request: undefined, effects: [{ kind: "history", record: { ...history, state: "failed", completedAtMs: input.nowMs, reason: `merged into request ${duplicate.id} already fencing ${input.target}` } }] };
  if (Object.keys(state.requests).length >= PENDING_REQUESTS_MAX) return { request: undefined, effects: [{ kind: "history", record: { ...history, state: "failed", completedAtMs: input.nowMs, reason: `more than ${PENDING_REQUESTS_MAX} fencing requests pending` } }] };
  // Unfencing: one level of every device that needs unfencing and can fence the target, each of which must let it in; no delays.
  const unfencing = input.action === "on";
  const plan = (unfencing ? [devicesToUnfence(world, input.target, [])] : planFor(world, input.target)).filter((level) => level.length > 0);
  if (plan.length === 0) return { request: undefined, effects: [{ kind: "history", record: { ...history, state: "failed", completedAtMs: input.nowMs, reason: unfencing ? `no fence device that needs unfencing can fence ${input.target}` : `no fence device can fence ${input.target}` } }] };
  const firstDevice = world.devices.find((device) => device.id === plan[0]![0]);
  const byPerson = input.byPerson === true;
  const delay = unfencing ? 0 : delayMs(firstDevice, world, input.target, input.random, byPerson);
  const request: RequestState = {
    id: input.id, target: input.target, action: input.action, origin: input.origin, requestedAtMs: input.nowMs,
    ...(input.lostAtMs !== undefined && input.lostAtMs <= input.nowMs ? { lostAtMs: input.lostAtMs } : {}),
    deadlineMs: input.nowMs + world.stonithTimeoutMs + delay, plan, levelIndex: 0, deviceIndex: 0, attempts: 0,
    notBeforeMs: input.nowMs + delay, priorityDelayMs: unfencing || byPerson ? 0 : priorityDelayMs(world, input.target),
    history: delay > 0 ? { ...history, reason: `${history.reason}; delayed ${delay} ms` } : history,
  };
  const check = request.priorityDelayMs > 0 && firstDevice ? statusCheck(request, firstDevice, world) : undefined;
  const outcome = check ? { request: { ...request, running: check, checking: true }, effects: [{ kind: "run", id: request.id, attempt: check } as FencerEffect] } : advance(request, world, input.nowMs);
  return { request: outcome.request, effects: [{ kind: "history", record: request.history }, ...outcome.effects] };
}

/**
 * Before waiting out a priority delay, the target's device is asked for its power state: a
 * target that reads off cannot be fencing us, so the wait is for nothing (the node that ran
 * the services lost its power). The delay stays when the check fails or reads on.
 */
function statusCheck(request: RequestState, device: FenceDeviceConfig, world: FencerWorld): Attempt | undefined {
  const executor = chooseExecutor(device, request.target, request.origin, world.members);
  if (!executor) return undefined;
  return { device: device.id, executor, plug: plugFor(device, request.target), driverAction: "status", timeoutMs: Math.min(device.actionTimeoutMs, request.priorityDelayMs) };
}

function onStatusChecked(request: RequestState, world: FencerWorld, input: Extract<FencerInput, { kind: "result" }>): Outcome {
  const checked: RequestState = { ...request, running: undefined, checking: false };
  if (!input.ok || input.state !== "off") return advance(checked, world, input.nowMs);
  const notBeforeMs = Math.max(input.nowMs, request.notBeforeMs - request.priorityDelayMs);
  const history = { ...request.history, reason: `${request.history.reason}; ${request.target} reads off, so the priority delay is skipped` };
  return advance({ ...checked, notBeforeMs, priorityDelayMs: 0, history }, world, input.nowMs);
}

function onResult(request: RequestState, world: FencerWorld, input: Extract<FencerInput, { kind: "result" }>): Outcome {
  const running = request.running;
  if (!running) return { request, effects: [] };
  if (request.checking) return onStatusChecked(request, world, input);
  if (request.powerOn) {
    const result: FencerEffect = { kind: "on-result", id: request.id, target: request.target, device: running.device, executor: running.executor, ok: input.ok, message: input.message };
    const next = advancePowerOn({ ...request, running: undefined, powerOn: { ...request.powerOn, index: request.powerOn.index + 1 } }, world);
    return { request: next.request, effects: [result, ...next.effects] };
  }
  if (input.ok) {
    const level = request.plan[request.levelIndex]!;
    if (request.deviceIndex + 1 >= level.length && remappedReboot(request)) return remappedOffDone(request, world, input.nowMs, running);
    if (request.deviceIndex + 1 >= level.length) return finish(request, "done", input.nowMs, `${running.device} on ${running.executor} ${request.action === "on" ? "unfenced" : "fenced"} ${request.target} (${request.action})`);
    return advance({ ...request, deviceIndex: request.deviceIndex + 1, attempts: 0, running: undefined }, world, input.nowMs);
  }
  const device = world.devices.find((candidate) => candidate.id === running.device);
  const attempts = request.attempts + 1;
  if (attempts < (device?.retriesMax ?? 1)) return advance({ ...request, attempts, running: undefined }, world, input.nowMs);
  return nextLevel({ ...request, running: undefined }, world, input.nowMs, `${running.device} failed: ${input.message}`);
}

/**
 * A reboot is done once its off is confirmed: the target is powered off, so it runs nothing
 * and cannot write to shared data; the on only brings it back. Pacemaker's fencer draws the
 * same line (a remapped reboot's "on" that fails after a successful "off" is ignored,
 * fenced_remote.c); it reports the fencing after the on, edgeha at the off, so recovery does
 * not wait for the on and its status polls. Only a level of one device: on a level of several
 * (two power supplies) the reboot runs as off on each device, then on (remappedReboot), and is
 * done at the last confirmed off.
 */
function onOffConfirmed(request: RequestState, input: Extract<FencerInput, { kind: "off-confirmed" }>): Outcome {
  const running = request.running;
  if (!running || request.checking || request.powerOn || request.action !== "reboot" || remappedReboot(request)) return { request, effects: [] };
  return finish(request, "done", input.nowMs, `${running.device} on ${running.executor} fenced ${request.target} (reboot: off confirmed; the on continues)`);
}

/** Feeds one input; returns the new state and the effects to perform, in order. */
export function step(state: FencerState, world: FencerWorld, input: FencerInput): { state: FencerState; effects: FencerEffect[] } {
  const requests = { ...state.requests };
  const effects: FencerEffect[] = [];
  const apply = (id: string, outcome: Outcome) => {
    if (outcome.request) requests[id] = outcome.request;
    else delete requests[id];
    effects.push(...outcome.effects);
  };
  switch (input.kind) {
    case "request": {
      // A new fencing of a target whose remapped reboot is still switching devices on again: the ons left are dropped.
      for (const [id, request] of Object.entries(requests)) if (request.target === input.target && request.powerOn) delete requests[id];
      const outcome = onRequest({ requests }, world, input);
      if (outcome.request) requests[input.id] = outcome.request;
      effects.push(...outcome.effects);
      break;
    }
    case "result": {
      const request = requests[input.id];
      if (request) apply(input.id, onResult(request, world, input));
      break;
    }
    case "off-confirmed": {
      const request = requests[input.id];
      if (request) apply(input.id, onOffConfirmed(request, input));
      break;
    }
    case "tick":
      for (const [id, request] of Object.entries(state.requests)) apply(id, advance(request, world, input.nowMs));
      break;
    default: {
      const never: never = input;
      return never;
    }
  }
  return { state: { requests }, effects };
}

/**
 * Unfencing rule for the controller: before any resource starts on `node`, every
 * device that needs unfencing and can fence the node must have unfenced it (its
 * `on` action run on the node itself) since the node last joined.
 */
export function devicesToUnfence(world: Pick<FencerWorld, "devices" | "listedTargets">, node: string, unfencedDevices: readonly string[]): string[] {
  return world.devices
    .filter((device) => device.needsUnfencing && canFence(device, node, world.listedTargets[device.id]) && !unfencedDevices.includes(device.id))
    .map((device) => device.id);
}

export function mayStartResources(world: Pick<FencerWorld, "devices" | "listedTargets">, node: string, unfencedDevices: readonly string[]): boolean {
  return devicesToUnfence(world, node, unfencedDevices).length === 0;
}
