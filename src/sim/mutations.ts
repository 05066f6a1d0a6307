// Rules broken on purpose, to prove the simulator catches each one. A mutation is injected at a
// seam, never by a branch in the product: a wrapper around the Controller's public seam
// (handle(input) -> effects) that adds, drops or changes inputs, or a replacement frame codec.
// `edgeha sim --mutation NAME` runs one; test/unit/sim/mutations.test.ts proves each is caught.
import type { ControllerEffect, ControllerInput } from "../controller";
import { FrameCodec } from "../transport";
import type { Codec, ControllerPort } from "../stack";
import type { Invariant } from "./checks";
import type { Mutation } from "./world";

/** A controller seen through its seam, with `transform` deciding what it receives and returns. */
class MutatedController implements ControllerPort {
  constructor(private readonly inner: ControllerPort, private readonly transform: (input: ControllerInput, handle: (input: ControllerInput) => ControllerEffect[]) => ControllerEffect[]) {}
  handle(input: ControllerInput): ControllerEffect[] {
    return this.transform(input, (each) => this.inner.handle(each));
  }
  nextTickMs(busyMs: number): number | undefined {
    return this.inner.nextTickMs(busyMs);
  }
  observeWallClock(epochSeconds: number): void {
    this.inner.observeWallClock(epochSeconds);
  }
  get isDc(): boolean {
    return this.inner.isDc;
  }
  get dcName(): string | undefined {
    return this.inner.dcName;
  }
  get configuration() {
    return this.inner.configuration;
  }
  get summary() {
    return this.inner.summary;
  }
}

/** Feeds `more(effect)` back for every effect it answers, depth-first, so what it causes is handled too. */
function answering(input: ControllerInput, handle: (input: ControllerInput) => ControllerEffect[], more: (effect: ControllerEffect, nowMs: number) => ControllerInput[]): ControllerEffect[] {
  const out: ControllerEffect[] = [];
  const pending = [input];
  for (let guard = 0; pending.length > 0 && guard < 1000; guard++) {
    const next = pending.shift()!;
    for (const effect of handle(next)) {
      out.push(effect);
      pending.push(...more(effect, next.nowMs));
    }
  }
  return out;
}

export interface MutationCase extends Mutation {
  /** The invariant expected to catch it. */
  caughtBy: Invariant;
}

export const MUTATIONS: readonly MutationCase[] = [
  {
    name: "start-before-fence-confirmation",
    rule: "resources of a lost node start elsewhere before its fencing is confirmed",
    caughtBy: "fence-before-start",
    // The controller is told every fencing it asks for is done at once; the devices still run.
    controller: (inner) => new MutatedController(inner, (input, handle) => answering(input, handle, (effect, nowMs) => effect.kind === "fence"
      ? [{ kind: "fence-done", nowMs, id: effect.id, transition: effect.transition, step: effect.step, target: effect.target, ok: true, reason: "taken as done at once (mutation)", epochSeconds: 0 }]
      : [])),
  },
  {
    name: "acknowledge-before-replication",
    rule: "a change is acknowledged to the CLI before the members have stored it",
    caughtBy: "acked-change-durable",
    // Every member is taken to have stored a configuration the moment the DC sends it.
    controller: (inner) => new MutatedController(inner, (input, handle) => answering(input, handle, (effect, nowMs) => effect.kind === "send" && effect.message.t === "cib"
      ? [{ kind: "message", nowMs, from: effect.to, message: { t: "cib-ack", ringId: effect.message.ringId, writeId: effect.message.writeId } }]
      : [])),
  },
  {
    name: "serve-before-join-completes",
    rule: "a new DC serves changes before its join has gathered the members' configurations",
    caughtBy: "acked-change-durable",
    // Each member is taken to have answered the join at once, holding the DC's own configuration and nothing running.
    controller: (inner) => new MutatedController(inner, (input, handle) => answering(input, handle, (effect, nowMs) => effect.kind === "send" && effect.message.t === "join"
      ? [{ kind: "message", nowMs, from: effect.to, message: { t: "join-ack", ringId: effect.message.ringId, cib: JSON.parse(JSON.stringify({ ...inner.configuration, status: [] })) as unknown, report: { node: `node${effect.to}`, probed: true, cibVersion: "", busy: false, resources: {}, attributes: {}, shutdown: false } } }]
      : [])),
  },
  {
    name: "keep-two-dcs-after-merge",
    rule: "after two partitions merge, a DC does not yield to the other",
    caughtBy: "one-dc",
    // A DC ignores the other DC's join (and so never compares and yields).
    controller: (inner) => new MutatedController(inner, (input, handle) => (input.kind === "message" && input.message.t === "join" && inner.isDc ? [] : handle(input))),
  },
  {
    name: "run-resources-without-quorum",
    rule: "a node without quorum runs resources as if it had it",
    caughtBy: "quorum-gates-resources",
    // The controller is always told it is quorate.
    controller: (inner) => new MutatedController(inner, (input, handle) => handle(input.kind === "view" || input.kind === "quorum" ? { ...input, quorate: true } : input)),
  },
  {
    name: "accept-replayed-frame",
    rule: "a frame that was already received (a replay) is taken again",
    caughtBy: "bad-frames-change-nothing",
    // Each datagram is checked by a codec that has seen nothing before: authentication holds, the replay window is gone.
    codec: (options) => {
      const real = new FrameCodec(options);
      return {
        encode: (frame) => real.encode(frame),
        decode: (datagram) => new FrameCodec(options).decode(datagram),
        counters: real.counters,
      } satisfies Codec;
    },
  },
];

export function mutationNamed(name: string): MutationCase | undefined {
  return MUTATIONS.find((mutation) => mutation.name === name);
}
