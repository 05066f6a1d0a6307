import { describe, expect, it } from "vitest";
import { initialMembership, probeTiming, stepMembership, type Heartbeat, type MembershipInput, type MembershipSettings, type MembershipState } from "../../../src/membership";

// Node 1 is the standby watching node 2's machine with the runner's echo; node 2 runs the services.
const settings = (extra: Partial<MembershipSettings> = {}): MembershipSettings => ({
  nodeIds: [1, 2], heartbeatMs: 300, tokenMs: 600, rejoinHoldMs: 600, flapDoublingsMax: 4, flapForgetMs: 60_000,
  ...probeTiming(300), hostConfirmMs: 75, hostProbeEveryMs: 25, ...extra,
});

interface Options {
  /** Node 2 is gone (power loss) from this time on. */
  deadFromMs?: number;
  /** Inputs for node 1 from the runner's echo, by time. */
  echo?: Record<number, MembershipInput>;
  /** Node 2's agent answers heartbeats this much later (a busy machine). */
  answerDelayMs?: number;
  extra?: Partial<MembershipSettings>;
}

/** Runs the pair in 5 ms steps; returns node 1's view changes (time, members) and its probe times. */
function run(untilMs: number, options: Options = {}) {
  const states = new Map<number, MembershipState>([1, 2].map((id) => [id, initialMembership(settings(options.extra), id, 1, 0)]));
  const views: Array<{ atMs: number; members: number[] }> = [];
  const probes: number[] = [];
  const inFlight: Array<{ atMs: number; from: number; to: number; heartbeat: Heartbeat }> = [];
  const alive = (id: number, nowMs: number) => id === 1 || options.deadFromMs === undefined || nowMs < options.deadFromMs;
  const apply = (id: number, input: MembershipInput) => {
    const { state, effects } = stepMembership(states.get(id)!, input);
    states.set(id, state);
    for (const effect of effects) {
      if (effect.kind === "view" && id === 1) views.push({ atMs: input.nowMs, members: effect.view.members });
      if (effect.kind !== "broadcast") continue;
      if (id === 1 && effect.heartbeat.probe) probes.push(input.nowMs);
      const delayMs = id === 2 ? 1 + (options.answerDelayMs ?? 0) : 1;
      inFlight.push({ atMs: input.nowMs + delayMs, from: id, to: id === 1 ? 2 : 1, heartbeat: effect.heartbeat });
    }
  };
  for (let nowMs = 5; nowMs <= untilMs; nowMs += 5) {
    const echo = options.echo?.[nowMs];
    if (echo) apply(1, echo);
    for (const id of [1, 2]) if (alive(id, nowMs)) apply(id, { kind: "tick", nowMs });
    for (let round = 0; round < 4; round++) {
      const due = inFlight.filter((item) => item.atMs <= nowMs);
      if (due.length === 0) break;
      for (const item of due) inFlight.splice(inFlight.indexOf(item), 1);
      for (const item of due) if (alive(item.to, nowMs) && alive(item.from, item.atMs - 1)) apply(item.to, { kind: "heartbeat", from: item.from, heartbeat: item.heartbeat, nowMs });
    }
  }
  return { views, probes, state: states.get(1)! };
}

const silent = (nowMs: number): MembershipInput => ({ kind: "host", from: 2, answering: false, nowMs });

describe("a peer's machine that stops answering (the runner's echo)", () => {
  it("is lost as soon as its agent answers none of the probes within the confirm window, long before the token", () => {
    const { views, probes } = run(6000, { deadFromMs: 5000, echo: { 5050: silent(5050) } });
    expect(views.at(-1)).toEqual({ atMs: 5125, members: [1] });
    // Probes went out at once and every 25 ms while confirming.
    expect(probes.filter((atMs) => atMs >= 5050 && atMs < 5125)).toEqual([5050, 5075, 5100]);
  });

  it("without the echo the same loss waits for the token", () => {
    const { views } = run(6000, { deadFromMs: 5000 });
    const loss = views.at(-1)!;
    expect(loss.members).toEqual([1]);
    expect(loss.atMs).toBeGreaterThanOrEqual(5000 + 300);
  });

  it("an echo that goes silent while the agent still answers changes nothing (ARP filtered, the machine alive)", () => {
    const { views, state } = run(8000, { echo: { 5050: silent(5050) } });
    expect(views.filter((view) => view.atMs > 1000)).toEqual([]);
    expect(state.view.members).toEqual([1, 2]);
  });

  it("an agent slowed down by a busy machine still keeps its place if it answers within the window", () => {
    const { views } = run(8000, { answerDelayMs: 40, echo: { 5050: silent(5050) } });
    expect(views.filter((view) => view.atMs > 1000)).toEqual([]);
  });

  it("a machine that answers again ends the suspicion: a later silence of its agent waits for the token", () => {
    const answering: MembershipInput = { kind: "host", from: 2, answering: true, nowMs: 5060 };
    const { views } = run(7000, { deadFromMs: 5070, echo: { 5050: silent(5050), 5060: answering } });
    expect(views.at(-1)!.members).toEqual([1]);
    expect(views.at(-1)!.atMs).toBeGreaterThanOrEqual(5070 + 300);
  });

  it("a node without hostConfirmMs ignores the echo", () => {
    const { views } = run(6000, { deadFromMs: 5000, echo: { 5050: silent(5050) }, extra: { hostConfirmMs: undefined, hostProbeEveryMs: undefined } });
    expect(views.at(-1)!.atMs).toBeGreaterThanOrEqual(5300);
  });
});
