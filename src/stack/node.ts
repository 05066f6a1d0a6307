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
import { emptyFencerState, nodePriorities, step as stepFencer, worldFromCib, type Attempt, type FenceDeviceConfig, type FencerEffect, type FencerState, type FencerWorld, type HistoryRecord } from "../fencer";
import type { MembershipStack, MembershipStackEffect, PersistedMembership } from "./membership";

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
  /** Send one datagram; a peer announced its versions (see MembershipStackEffect). */
  | Extract<MembershipStackEffect, { kind: "transmit" } | { kind: "advert" }>
  /** Write the membership state durably before performing the effects after it. */
  | { kind: "persist-membership"; state: PersistedMembership }
  /** The controller's effects other than messages and fencing, as it returned them. */
  | Exclude<ControllerEffect, { kind: "send" } | { kind: "fence" }>
  /** Run one fence device action (the planner chose device, executor and timeout); answer with fenceAttemptDone. */
  | { kind: "fence-attempt"; request: string; attempt: Attempt; device: FenceDeviceConfig }
  /** A fence history record to keep (pending, then done or failed). */
  | { kind: "fence-history"; record: HistoryRecord }
  /** A message of another protocol on the same channels (a kind the runner named in otherKinds), for the runner. */
  | { kind: "peer-message"; from: number; value: { t: string } & Record<string, unknown> }
  /** A message from a peer that is not a valid one (the sender is the one the transport authenticated). */
  | { kind: "dropped-message"; from: number; problem: string };

/** The time of an input: the node's monotonic clock, and its wall clock (milliseconds since the epoch). */
export interface Now { nowMs: number; wallMs: number }

const epochSeconds = (now: Now): number => Math.floor(now.wallMs / 1000);

/** One fence request of the controller in the planner (which runs on the monotonic clock, as wakeAtMs). */
interface FenceRequest { state: FencerState; world: FencerWorld; transition: number; step: number; target: string; wakeAtMs: number | undefined }

export class NodeCore {
  private effects: NodeEffect[] = [];
  private readonly fencing = new Map<string, FenceRequest>();
  private fenceSequence = 0;
  /** When the controller asked to be ticked next (undefined: only events matter to it). */
  private controllerDueMs: number | undefined;
  private stackDueMs: number;

  constructor(
    readonly stack: MembershipStack,
    readonly controller: ControllerPort,
    private readonly options: {
      /** A draw in [0, 1): the random part of fence delays (pcmk_delay_max). */
      random: () => number;
      /** This node's name, the origin of its fence requests. */
      localName: string;
      /** Two nodes and no arbiter: the node that serves wins a split by default (src/fencer/split.ts). */
      pairWithoutArbiter: boolean;
      /** Message kinds of other protocols that share the channels (passed on as peer-message effects). */
      otherKinds?: readonly string[];
      /** The largest message of any protocol taken from a peer (controller messages have their own, smaller bound). */
      messageBytesMax?: number;
    },
    now: Now,
  ) {
    this.stackDueMs = now.nowMs;
    this.controllerDueMs = now.nowMs;
  }

  /** The first input after a start: the stack's first tick and the controller's first tick. */
  start(now: Now): NodeEffect[] {
    return this.tick(now);
  }

  /** The runner's timer fired: ticks whatever is due (the stack, the controller, fencing). */
  tick(now: Now): NodeEffect[] {
    if (now.nowMs >= this.stackDueMs) this.fromStack(this.stack.tick(now.nowMs), now);
    if (this.controllerDueMs !== undefined && now.nowMs >= this.controllerDueMs) {
      this.controllerDueMs = undefined;
      this.feed({ kind: "tick", nowMs: now.nowMs, epochSeconds: epochSeconds(now) }, now);
    }
    for (const [id, request] of this.fencing) {
      if (request.wakeAtMs !== undefined && now.nowMs >= request.wakeAtMs) this.stepFence(id, { kind: "tick", nowMs: now.nowMs }, now);
    }
    return this.take();
  }

  /** A datagram arrived on a link. */
  receive(link: number, bytes: Uint8Array, now: Now): NodeEffect[] {
    this.fromStack(this.stack.receive(link, bytes, now.nowMs), now);
    return this.take();
  }

  /** This node's resources changed (probe done, monitor result, operation done). */
  localReport(report: NodeReport, now: Now): NodeEffect[] {
    this.feed({ kind: "local-report", nowMs: now.nowMs, report }, now);
    return this.take();
  }

  /** An operation the DC asked of this node ended. */
  operationDone(done: Omit<Extract<ControllerInput, { kind: "local-op-done" }>, "kind" | "nowMs">, now: Now): NodeEffect[] {
    this.feed({ kind: "local-op-done", nowMs: now.nowMs, ...done }, now);
    return this.take();
  }

  /** A client (the CLI, through the admin socket) asks something; the answer is a `reply` effect. */
  client(clientId: number, request: ClientRequest, now: Now): NodeEffect[] {
    this.feed({ kind: "client", nowMs: now.nowMs, clientId, request }, now);
    return this.take();
  }

  /** A fence device action ended; `state` is the target's power state when the driver read it (a status check). */
  fenceAttemptDone(request: string, result: { ok: boolean; message: string; state?: "on" | "off" | "unknown" }, now: Now): NodeEffect[] {
    if (this.fencing.has(request)) this.stepFence(request, { kind: "result", id: request, ok: result.ok, message: result.message, nowMs: now.nowMs, ...(result.state ? { state: result.state } : {}) }, now);
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
          this.effects.push(effect);
          break;
        case "view":
          this.feed({ kind: "view", nowMs: now.nowMs, ringId: effect.view.ringId, members: effect.view.members, quorate: effect.quorum.quorate }, now);
          break;
        case "quorum":
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
    if (typeof kind === "string" && this.options.otherKinds?.includes(kind)) return void this.effects.push({ kind: "peer-message", from, value: value as { t: string } & Record<string, unknown> });
    if (payload.length > CONTROLLER_MESSAGE_BYTES_MAX) return void this.effects.push({ kind: "dropped-message", from, problem: `controller message of ${payload.length} bytes exceeds ${CONTROLLER_MESSAGE_BYTES_MAX}` });
    const parsed = checkControllerMessage(value);
    if (parsed.ok) this.feed({ kind: "message", nowMs: now.nowMs, from, message: parsed.message }, now);
    else this.effects.push({ kind: "dropped-message", from, problem: parsed.problem });
  }

  /** Sends a message of another protocol (a kind in otherKinds) to a peer over the reliable channel. */
  sendOther(to: number, payload: Uint8Array, now: Now): NodeEffect[] {
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
        default:
          this.effects.push(effect);
      }
    }
    const dueMs = this.controller.nextTickMs(TICK_MS);
    this.controllerDueMs = Math.min(dueMs ?? Infinity, now.nowMs + TICK_IDLE_MS);
  }

  /** A fence request of the controller: the planner picks devices, executors, delays and retries. */
  private startFence(effect: Extract<ControllerEffect, { kind: "fence" }>, now: Now): void {
    const id = `${this.options.localName}-${this.stack.incarnation}-${++this.fenceSequence}`;
    const world = worldFromCib(effect.cib, effect.members, {}, nodePriorities(effect.cib), { pairWithoutArbiter: this.options.pairWithoutArbiter });
    this.fencing.set(id, { state: emptyFencerState, world, transition: effect.transition, step: effect.step, target: effect.target, wakeAtMs: undefined });
    this.effects.push({ kind: "log", level: "warn", message: "fencing", fields: { target: effect.target, action: effect.action } });
    this.stepFence(id, { kind: "request", id, target: effect.target, action: effect.action, origin: this.options.localName, nowMs: now.nowMs, random: this.options.random() }, now);
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
          this.effects.push({ kind: "fence-attempt", request: id, attempt: effect.attempt, device });
          break;
        }
        case "wake":
          request.wakeAtMs = effect.atMs;
          break;
        case "history":
          this.effects.push({ kind: "fence-history", record: onWallClock(effect.record, now) });
          if (effect.record.state !== "pending") final = effect.record;
          break;
        default: {
          const unknown: never = effect;
          return unknown;
        }
      }
    }
    if (final === undefined) {
      // Neither an attempt nor a wake-up nor an end: look again a moment later (as fenceNow does).
      if (request.wakeAtMs === undefined && !outcome.effects.some((effect) => effect.kind === "run")) request.wakeAtMs = now.nowMs + FENCE_RECHECK_MS;
      return;
    }
    this.fencing.delete(id);
    this.feed({ kind: "fence-done", nowMs: now.nowMs, transition: request.transition, step: request.step, target: request.target, ok: final.state === "done", reason: final.reason, epochSeconds: epochSeconds(now) }, now);
  }
}
