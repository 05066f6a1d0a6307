// One node's whole protocol, without I/O: the membership stack (membership.ts) feeding the
// controller (views, quorum, messages), the controller's messages going out over the
// reliable channels, and its fence requests driven through the fencer's planner. What is
// left for the runner is I/O: datagrams, the timer, the state directory, the executor, the
// fence devices and the admin socket. The agent (src/node) and the simulator (src/sim) are
// two such runners over this one composition.
//
// Effects are performed in order. `persist-membership` and `persist` (the CIB) must be
// durable before any effect after them is performed: nothing is acknowledged or shown to a
// peer before it is on the disk.
import type { Cib } from "../cib";
import { checkControllerMessage, MESSAGE_BYTES_MAX as CONTROLLER_MESSAGE_BYTES_MAX, type ClientRequest, type ClusterSummary, type ControllerEffect, type ControllerInput, type NodeReport } from "../controller";
import { emptyFencerState, nodePriorities, WATCHDOG_DEVICE, type FencerTopology, step as stepFencer, worldFromCib, type Attempt, type FenceDeviceConfig, type FencerEffect, type FencerState, type FencerWorld, type HistoryRecord } from "../fencer";
import type { MembershipStack, MembershipStackEffect, PersistedMembership } from "./membership";
import type { View } from "../membership";

/** While anything waits on time the controller ticks this often; idle, it sleeps until its next recheck, at most TICK_IDLE_MS. */
export const TICK_MS = 250;
export const TICK_IDLE_MS = 10_000;
/**
 * The planner runs on the monotonic clock, so that a wall clock that jumps (NTP, an operator)
 * neither stretches a fencing's deadlines nor cuts them short; its history records show the
 * wall-clock time of each moment.
 */
function onWallClock(record: HistoryRecord, now: Now): HistoryRecord {
  const offsetMs = now.wallMs - now.nowMs;
  return { ...record, requestedAtMs: record.requestedAtMs + offsetMs, ...(record.completedAtMs !== undefined ? { completedAtMs: record.completedAtMs + offsetMs } : {}) };
}

/** A fence request that asked for neither an attempt nor a wake-up is looked at again this much later. */
const FENCE_RECHECK_MS = 100;

/** The Controller's public seam (src/controller): inputs in, effects out, and what status reads. */
export interface ControllerPort {
  handle(input: ControllerInput): ControllerEffect[];
  nextTickMs(busyMs: number): number | undefined;
  observeWallClock(epochSeconds: number): void;
  readonly isDc: boolean;
  readonly dcName: string | undefined;
  readonly configuration: Cib;
  readonly summary: ClusterSummary | undefined;
}

export type NodeEffect =
  /**
   * Send one datagram; a peer announced its versions; this node was stalled as long as the token
   * and its stack halted: nothing reaches the controller any more, and the runner must stop the
   * node's resources and end the agent (see MembershipStackEffect).
   */
  | Extract<MembershipStackEffect, { kind: "transmit" } | { kind: "advert" } | { kind: "stalled" }>
  /** Write the membership state durably before performing the effects after it. */
  | { kind: "persist-membership"; state: PersistedMembership }
  /** The controller's effects other than messages and fencing, as it returned them. */
  | Exclude<ControllerEffect, { kind: "send" } | { kind: "fence" }>
  /**
   * Run one fence device action (the planner chose device, executor and timeout); answer with
   * fenceAttemptDone, and call fenceOffConfirmed when a reboot's off is confirmed before its on.
   */
  | { kind: "fence-attempt"; request: string; target: string; attempt: Attempt; device: FenceDeviceConfig }
  /** The fencer planner's record of one fencing (pending, then done or failed), for the log; the controller keeps the cluster's history (fence-history). */
  | { kind: "fence-record"; record: HistoryRecord }
  /** A message of another protocol on the same channels (a kind the runner named in otherKinds), for the runner; bytes: its size. */
  | { kind: "peer-message"; from: number; value: { t: string } & Record<string, unknown>; bytes: number }
  /** A message from a peer that is not a valid one (the sender is the one the transport authenticated). */
  | { kind: "dropped-message"; from: number; problem: string }
  /**
   * A new view reached the controller (for the runner's status and metrics); `formedBefore`: the
   * view the stack had formed before this core started, handed to the controller by start().
   */
  | { kind: "view"; view: View; quorate: boolean; formedBefore?: true }
  /** Quorum changed without a view change (wait_for_all met, the arbiter's vote, ...), as the controller gets it. */
  | { kind: "quorum"; quorate: boolean; members: readonly number[] };

/**
 * The time of an input: the node's monotonic clock, and its wall clock (milliseconds since the
 * epoch); nowUs: the monotonic clock in microseconds, for the heartbeats' round trip (default nowMs * 1000).
 */
export interface Now { nowMs: number; wallMs: number; nowUs?: number }

const epochSeconds = (now: Now): number => Math.floor(now.wallMs / 1000);

/** One fence request of the controller in the planner (which runs on the monotonic clock, as wakeAtMs). */
interface FenceRequest {
  state: FencerState; world: FencerWorld; transition: number; step: number; target: string; wakeAtMs: number | undefined; watchdogWaitSaid: boolean;
  /** The fencing was done (fence-done fed) and the planner still switches devices on again (a remapped reboot's on phase). */
  done?: boolean;
}

export class NodeCore {
  private effects: NodeEffect[] = [];
  private readonly fencing = new Map<string, FenceRequest>();
  /** Reboots that ended at their confirmed off while their on goes on: the on's result is only logged (by request id, the target). */
  private readonly rebootsPoweringOn = new Map<string, string>();
  /** When the controller asked to be ticked next (undefined: only events matter to it). */
  private controllerDueMs: number | undefined;
  private stackDueMs: number;
  /**
   * When this node lost each configured node (the first moment it held quorum without it), on the
   * monotonic clock: the watchdog fencing level counts stonith-watchdog-timeout from there
   * (src/fencer/planner.ts), not from the fence request.
   */
  private readonly lostAtMs = new Map<string, number>();
  private members: readonly number[] = [];
  /** The configured nodes and the cluster's shape for the fencer (both change with `cluster node add|remove`). */
  private nodeList: ReadonlyArray<{ id: number; name: string }>;
  private topology: FencerTopology;

  constructor(
    readonly stack: MembershipStack,
    readonly controller: ControllerPort,
    private readonly options: {
      /** A draw in [0, 1): the random part of fence delays (pcmk_delay_max). */
      random: () => number;
      /** This node's name, the origin of its fence requests. */
      localName: string;
      /** What the fencer's rules need of the cluster's shape (a pair without an arbiter, the node count, an arbiter). */
      fencerTopology: FencerTopology;
      /** Message kinds of other protocols that share the channels (passed on as peer-message effects). */
      otherKinds?: readonly string[];
      /** The largest message of any protocol taken from a peer (controller messages have their own, smaller bound). */
      messageBytesMax?: number;
      /** The configured nodes (ids and names): with them, when each was lost is kept for the watchdog fencing level. */
      nodes?: ReadonlyArray<{ id: number; name: string }>;
    },
    now: Now,
  ) {
    this.stackDueMs = now.nowMs;
    this.controllerDueMs = now.nowMs;
    this.nodeList = options.nodes ?? [];
    this.topology = options.fencerTopology;
  }

  /**
   * The node list changed live (cluster node add|remove): the controller learns it first (a new
   * node is known before membership lets it in, a removed one forgotten), and a removed node's
   * loss is no longer kept.
   */
  nodes(nodes: ReadonlyArray<{ id: number; name: string }>, topology: FencerTopology, now: Now): NodeEffect[] {
    if (!this.awake(now)) return this.take();
    this.nodeList = nodes;
    this.topology = topology;
    for (const name of [...this.lostAtMs.keys()]) if (!nodes.some((each) => each.name === name)) this.lostAtMs.delete(name);
    this.feed({ kind: "nodes", nowMs: now.nowMs, nodes: nodes.map((each) => ({ id: each.id, name: each.name })) }, now);
    return this.take();
  }

  /**
   * The first input after a start: the stack's first tick and the controller's first tick. A
   * view the stack formed before this core was made reaches the controller first.
   */
  start(now: Now): NodeEffect[] {
    if (!this.awake(now)) return this.take();
    const view = this.stack.view;
    if (view.members.length > 0) {
      this.noteLosses(view.members, this.stack.quorum().quorate, now);
      this.effects.push({ kind: "view", view, quorate: this.stack.quorum().quorate, formedBefore: true });
      this.feed({ kind: "view", nowMs: now.nowMs, ringId: view.ringId, members: view.members, quorate: this.stack.quorum().quorate, incarnations: view.incarnations }, now);
    }
    // tick() hands out everything gathered so far, the view's effects first.
    return this.tick(now);
  }

  /** The runner's timer fired: ticks whatever is due (the stack, the controller, fencing). */
  tick(now: Now): NodeEffect[] {
    if (!this.awake(now)) return this.take();
    if (now.nowMs >= this.stackDueMs) this.fromStack(this.stack.tick(now.nowMs, now.nowUs), now);
    if (this.controllerDueMs !== undefined && now.nowMs >= this.controllerDueMs) {
      this.controllerDueMs = undefined;
      this.feed({ kind: "tick", nowMs: now.nowMs, epochSeconds: epochSeconds(now) }, now);
    }
    for (const [id, request] of this.fencing) {
      if (request.wakeAtMs !== undefined && now.nowMs >= request.wakeAtMs) this.stepFence(id, { kind: "tick", nowMs: now.nowMs }, now);
    }
    return this.take();
  }

  /** A datagram arrived on a link (from `source`, an address, for the stack's drop ledger). */
  receive(link: number, bytes: Uint8Array, now: Now, source?: string): NodeEffect[] {
    this.fromStack(this.stack.receive(link, bytes, now.nowMs, source, now.nowUs), now);
    return this.take();
  }

  /** This node's resources changed (probe done, monitor result, operation done). */
  localReport(report: NodeReport, now: Now): NodeEffect[] {
    if (!this.awake(now)) return this.take();
    this.feed({ kind: "local-report", nowMs: now.nowMs, report }, now);
    return this.take();
  }

  /** An operation the DC asked of this node ended. */
  operationDone(done: Omit<Extract<ControllerInput, { kind: "local-op-done" }>, "kind" | "nowMs">, now: Now): NodeEffect[] {
    if (!this.awake(now)) return this.take();
    this.feed({ kind: "local-op-done", nowMs: now.nowMs, ...done }, now);
    return this.take();
  }

  /** A client (the CLI, through the admin socket) asks something; the answer is a `reply` effect. */
  client(clientId: number, request: ClientRequest, now: Now): NodeEffect[] {
    if (!this.awake(now)) return this.take();
    this.feed({ kind: "client", nowMs: now.nowMs, clientId, request }, now);
    return this.take();
  }

  /** A fence device action ended; `state` is the target's power state when the driver read it (a status check). */
  fenceAttemptDone(request: string, result: { ok: boolean; message: string; state?: "on" | "off" | "unknown" }, now: Now): NodeEffect[] {
    if (!this.awake(now)) return this.take();
    const target = this.rebootsPoweringOn.get(request);
    if (target !== undefined) {
      this.rebootsPoweringOn.delete(request);
      this.effects.push({ kind: "log", level: result.ok ? "info" : "warn", message: result.ok ? "the fenced node was powered on again (its reboot's on)" : "the fenced node stays off: its reboot's on failed (the fencing had succeeded at its off)", fields: { target, id: request, ok: result.ok, message: result.message } });
      return this.take();
    }
    if (this.fencing.has(request)) this.stepFence(request, { kind: "result", id: request, ok: result.ok, message: result.message, nowMs: now.nowMs, ...(result.state ? { state: result.state } : {}) }, now);
    return this.take();
  }

  /**
   * The running reboot's driver confirmed the target off and goes on to power it on: the planner
   * may take the target for fenced now (src/fencer/planner.ts, off-confirmed); the attempt's
   * result that follows is then only logged.
   */
  fenceOffConfirmed(request: string, now: Now): NodeEffect[] {
    if (!this.awake(now)) return this.take();
    const fencing = this.fencing.get(request);
    if (fencing === undefined) return this.take();
    this.stepFence(request, { kind: "off-confirmed", id: request, nowMs: now.nowMs }, now);
    if (!this.fencing.has(request)) this.rebootsPoweringOn.set(request, fencing.target);
    return this.take();
  }

  /** When the runner should next call tick(), on the node's monotonic clock. */
  nextWakeMs(nowMs: number): number {
    this.stackDueMs = this.stack.nextWakeMs(nowMs);
    let wakeMs = this.stackDueMs;
    if (this.controllerDueMs !== undefined) wakeMs = Math.min(wakeMs, this.controllerDueMs);
    for (const request of this.fencing.values()) if (request.wakeAtMs !== undefined) wakeMs = Math.min(wakeMs, request.wakeAtMs);
    return Math.max(wakeMs, nowMs);
  }

  /**
   * Effects of a call the runner made on the stack itself (the echo of a peer's machine, a
   * leave, the stall check): a view or a message among them reaches the controller as any other.
   */
  fromMembership(effects: MembershipStackEffect[], now: Now): NodeEffect[] {
    this.fromStack(effects, now);
    return this.take();
  }

  /**
   * The stall check before any input (src/stack/stall.ts): false once the stack has halted (its
   * "stalled" effect is among those taken next); the controller then gets no input any more.
   */
  private awake(now: Now): boolean {
    this.fromStack(this.stack.observe(now.nowMs), now);
    return !this.stack.halted;
  }

  /** Keeps when each configured node was lost: the first moment this node held quorum without it. */
  private noteLosses(members: readonly number[], quorate: boolean, now: Now): void {
    this.members = members;
    for (const each of this.nodeList) {
      if (members.includes(each.id)) this.lostAtMs.delete(each.name);
      else if (quorate && !this.lostAtMs.has(each.name)) this.lostAtMs.set(each.name, now.nowMs);
    }
  }

  private take(): NodeEffect[] {
    const effects = this.effects;
    this.effects = [];
    return effects;
  }

  private fromStack(effects: MembershipStackEffect[], now: Now): void {
    for (const effect of effects) {
      switch (effect.kind) {
        case "transmit":
        case "advert":
          this.effects.push(effect);
          break;
        case "persist":
          this.effects.push({ kind: "persist-membership", state: effect.state });
          break;
        case "log":
        case "stalled":
          this.effects.push(effect);
          break;
        case "view":
          this.noteLosses(effect.view.members, effect.quorum.quorate, now);
          this.effects.push({ kind: "view", view: effect.view, quorate: effect.quorum.quorate });
          this.feed({ kind: "view", nowMs: now.nowMs, ringId: effect.view.ringId, members: effect.view.members, quorate: effect.quorum.quorate, incarnations: effect.view.incarnations }, now);
          break;
        case "quorum":
          this.noteLosses(this.members, effect.quorum.quorate, now);
          this.effects.push({ kind: "quorum", quorate: effect.quorum.quorate, members: this.members });
          this.feed({ kind: "quorum", nowMs: now.nowMs, quorate: effect.quorum.quorate }, now);
          break;
        case "message":
          this.fromPeer(effect.from, effect.payload, now);
          break;
        default: {
          const unknown: never = effect;
          return unknown;
        }
      }
    }
  }

  /**
   * A whole message from a peer (`from` is the sender the transport authenticated): a message
   * of another protocol goes to the runner; a controller message is checked field by field
   * before the controller sees it; anything else is dropped and said so.
   */
  private fromPeer(from: number, payload: Buffer, now: Now): void {
    const bytesMax = this.options.messageBytesMax ?? CONTROLLER_MESSAGE_BYTES_MAX;
    if (payload.length > bytesMax) return void this.effects.push({ kind: "dropped-message", from, problem: `message of ${payload.length} bytes exceeds ${bytesMax}` });
    let value: unknown;
    try {
      value = JSON.parse(payload.toString("utf8"));
    } catch {
      return void this.effects.push({ kind: "dropped-message", from, problem: "not JSON" });
    }
    const kind = typeof value === "object" && value !== null ? (value as { t?: unknown }).t : undefined;
    if (typeof kind === "string" && this.options.otherKinds?.includes(kind)) return void this.effects.push({ kind: "peer-message", from, value: value as { t: string } & Record<string, unknown>, bytes: payload.length });
    if (payload.length > CONTROLLER_MESSAGE_BYTES_MAX) return void this.effects.push({ kind: "dropped-message", from, problem: `controller message of ${payload.length} bytes exceeds ${CONTROLLER_MESSAGE_BYTES_MAX}` });
    const parsed = checkControllerMessage(value);
    if (parsed.ok) this.feed({ kind: "message", nowMs: now.nowMs, from, message: parsed.message }, now);
    else this.effects.push({ kind: "dropped-message", from, problem: parsed.problem });
  }

  /** Sends a message of another protocol (a kind in otherKinds) to a peer over the reliable channel. */
  sendOther(to: number, payload: Uint8Array, now: Now): NodeEffect[] {
    if (!this.awake(now)) return this.take();
    this.fromStack(this.stack.send(to, payload, now.nowMs), now);
    return this.take();
  }

  /** One input to the controller; its effects are performed (messages, fencing) or passed on, in order. */
  private feed(input: ControllerInput, now: Now): void {
    if (input.kind !== "tick") this.controller.observeWallClock(epochSeconds(now));
    for (const effect of this.controller.handle(input)) {
      switch (effect.kind) {
        case "send":
          this.fromStack(this.stack.send(effect.to, Buffer.from(JSON.stringify(effect.message)), now.nowMs), now);
          break;
        case "fence":
          this.startFence(effect, now);
          break;
        case "fence-cancel":
          // Its node was confirmed down by hand: the planner stops, and no fence-done follows (an attempt's late result is ignored).
          this.fencing.delete(effect.id);
          this.effects.push(effect);
          break;
        default:
          this.effects.push(effect);
      }
    }
    const dueMs = this.controller.nextTickMs(TICK_MS);
    this.controllerDueMs = Math.min(dueMs ?? Infinity, now.nowMs + TICK_IDLE_MS);
  }

  /** A fence request of the controller: the planner picks devices, executors, delays and retries. */
  private startFence(effect: Extract<ControllerEffect, { kind: "fence" }>, now: Now): void {
    const id = effect.id;
    for (const [other, earlier] of this.fencing) {
      if (earlier.target !== effect.target || !earlier.done) continue;
      // A new fencing of the target: the earlier reboot's devices are not switched on any more (its on phase is dropped).
      this.fencing.delete(other);
      this.effects.push({ kind: "log", level: "warn", message: "a new fencing of the node drops the ons left of its earlier reboot", fields: { target: effect.target, id: other } });
    }
    // Cluster properties as they hold at this moment (a property set with a rule counts while its rule holds).
    const world = worldFromCib(effect.cib, effect.members, {}, nodePriorities(effect.cib), this.topology, { now: epochSeconds(now) }, this.options.localName);
    this.fencing.set(id, { state: emptyFencerState, world, transition: effect.transition, step: effect.step, target: effect.target, wakeAtMs: undefined, watchdogWaitSaid: false });
    this.effects.push({ kind: "log", level: "warn", message: "fencing", fields: { target: effect.target, action: effect.action, id } });
    const lostAtMs = this.lostAtMs.get(effect.target);
    this.stepFence(id, { kind: "request", id, target: effect.target, action: effect.action, origin: this.options.localName, nowMs: now.nowMs, random: this.options.random(), ...(lostAtMs === undefined ? {} : { lostAtMs }), ...(effect.byPerson ? { byPerson: true } : {}) }, now);
  }

  private stepFence(id: string, input: Parameters<typeof stepFencer>[2], now: Now): void {
    const request = this.fencing.get(id)!;
    const outcome = stepFencer(request.state, request.world, input);
    request.state = outcome.state;
    request.wakeAtMs = undefined;
    let final: HistoryRecord | undefined;
    for (const effect of outcome.effects as FencerEffect[]) {
      switch (effect.kind) {
        case "run": {
          const device = request.world.devices.find((candidate) => candidate.id === effect.attempt.device)!;
          this.effects.push({ kind: "fence-attempt", request: id, target: request.target, attempt: effect.attempt, device });
          break;
        }
        case "wake":
          request.wakeAtMs = effect.atMs;
          break;
        case "history":
          this.effects.push({ kind: "fence-record", record: onWallClock(effect.record, now) });
          if (effect.record.state !== "pending") final = effect.record;
          break;
        case "on-result":
          // A remapped reboot switches a device on again after the fencing was done: logged, never a fencing result.
          this.effects.push({ kind: "log", level: effect.ok ? "info" : "warn", message: effect.ok ? "the fenced node's device was switched on again (its reboot's on)" : "a device of the fenced node stays off: its reboot's on failed (the fencing had succeeded at the off of every device)", fields: { target: effect.target, id, device: effect.device, ok: effect.ok, message: effect.message } });
          break;
        default: {
          const unknown: never = effect;
          return unknown;
        }
      }
    }
    const continuing = outcome.state.requests[id] !== undefined;
    if (final === undefined && !continuing) {
      this.fencing.delete(id);
      return;
    }
    if (final === undefined || request.done) {
      const pending = outcome.state.requests[id];
      if (!request.watchdogWaitSaid && pending !== undefined && pending.plan[pending.levelIndex]?.[pending.deviceIndex] === WATCHDOG_DEVICE && pending.notBeforeMs > now.nowMs) {
        // Said once: the plan reached the watchdog level and waits out stonith-watchdog-timeout.
        request.watchdogWaitSaid = true;
        const untilWallMs = pending.notBeforeMs + now.wallMs - now.nowMs;
        this.effects.push({ kind: "log", level: "warn", message: "fencing through the watchdog: waiting out stonith-watchdog-timeout since the node was lost", fields: { target: request.target, waitMs: pending.notBeforeMs - pending.requestedAtMs, until: new Date(untilWallMs).toISOString() } });
      }
      // Neither an attempt nor a wake-up nor an end: look again a moment later (as fenceNow does).
      if (request.wakeAtMs === undefined && !outcome.effects.some((effect) => effect.kind === "run")) request.wakeAtMs = now.nowMs + FENCE_RECHECK_MS;
      return;
    }
    if (continuing) request.done = true;
    else this.fencing.delete(id);
    // The device, executor and end time (on the wall clock) go into the cluster's fence history.
    const record = onWallClock(final, now);
    this.feed({ kind: "fence-done", nowMs: now.nowMs, id, transition: request.transition, step: request.step, target: request.target, ok: final.state === "done", reason: final.reason, epochSeconds: epochSeconds(now), record: { ...(record.device ? { device: record.device } : {}), ...(record.executor ? { executor: record.executor } : {}), ...(record.completedAtMs !== undefined ? { completedAtMs: record.completedAtMs } : {}) } }, now);
  }
}
