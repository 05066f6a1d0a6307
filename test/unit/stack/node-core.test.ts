// NodeCore, the one composition the agent (src/node) and the simulator (src/sim) both run:
// here what it does around the controller's fence requests that the agent used to do itself
// (its own copy of the fence loop): the watchdog level counts stonith-watchdog-timeout from
// the moment this node lost the target, not from the request; it says once that it waits;
// and the fencer's final record (device, executor, end) reaches the controller's history.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { emptyCib, type Cib } from "../../../src/cib";
import type { ControllerEffect, ControllerInput } from "../../../src/controller";
import { WATCHDOG_ATTRIBUTE, WATCHDOG_DEVICE } from "../../../src/fencer";
import { MembershipStack, NodeCore, type ControllerPort, type MembershipStackEffect, type NodeEffect, type Now } from "../../../src/stack";

/** A controller that records its inputs and returns the effects a test queues for its next input. */
class ScriptedController implements ControllerPort {
  readonly inputs: ControllerInput[] = [];
  next: ControllerEffect[] = [];
  readonly isDc = true;
  readonly dcName = "node1";
  readonly configuration = emptyCib();
  readonly summary = undefined;
  handle(input: ControllerInput): ControllerEffect[] {
    this.inputs.push(input);
    const effects = this.next;
    this.next = [];
    return effects;
  }
  nextTickMs(): number | undefined {
    return undefined;
  }
  observeWallClock(): void {}
}

const WALL_OFFSET_MS = 1_800_000_000_000;
const now = (nowMs: number): Now => ({ nowMs, wallMs: nowMs + WALL_OFFSET_MS });
const names = ["node1", "node2", "node3"];

/** Three stacks on a lossless in-memory network; node 1 runs a NodeCore around a scripted controller. */
function cluster() {
  const authkey = Buffer.alloc(64, 5);
  const make = (id: number) => new MembershipStack({
    clusterName: "core", authkey, localId: id, nodes: [1, 2, 3].map((each) => ({ id: each, links: 1 })), localLinks: 1, incarnation: 1,
    heartbeatMs: 300, tokenMs: 600, quorum: { nodeIds: [1, 2, 3], expectedVotes: 0, twoNode: false, waitForAll: false, lastManStanding: false, lastManStandingWindowMs: 10_000, autoTieBreaker: false, autoTieBreakerNode: { kind: "lowest" }, arbiter: false },
    arbiterLinks: [], reportQuorum: false, saved: { ringId: 0 },
  }, 0);
  const stacks = { 1: make(1), 2: make(2), 3: make(3) } as Record<number, MembershipStack>;
  const controller = new ScriptedController();
  const core = new NodeCore(stacks[1]!, controller, { random: () => 0, localName: "node1", nodes: [1, 2, 3].map((id) => ({ id, name: names[id - 1]! })), fencerTopology: { nodeCount: 3, hasArbiter: false } }, now(0));
  const queues: Record<number, Buffer[]> = { 1: [], 2: [], 3: [] };
  const seen: Array<{ atMs: number; effect: NodeEffect }> = [];
  const route = (effects: Array<MembershipStackEffect | NodeEffect>) => {
    for (const effect of effects) if (effect.kind === "transmit" && typeof effect.to === "number") queues[effect.to]!.push(effect.bytes);
  };
  const fromCore = (atMs: number, effects: NodeEffect[]) => {
    route(effects);
    for (const effect of effects) seen.push({ atMs, effect });
  };
  fromCore(0, core.start(now(0)));
  /** Runs the nodes in 10 ms steps until untilMs; a node in `stopped` neither ticks nor reads. */
  const run = (fromMs: number, untilMs: number, stopped = new Set<number>()) => {
    for (let nowMs = fromMs; nowMs <= untilMs; nowMs += 10) {
      for (const bytes of queues[1]!.splice(0)) fromCore(nowMs, core.receive(0, bytes, now(nowMs)));
      if (core.nextWakeMs(nowMs) <= nowMs) fromCore(nowMs, core.tick(now(nowMs)));
      for (const id of [2, 3]) {
        if (stopped.has(id)) {
          queues[id]!.length = 0;
          continue;
        }
        for (const bytes of queues[id]!.splice(0)) route(stacks[id]!.receive(0, bytes, nowMs));
        if (stacks[id]!.nextWakeMs(nowMs) <= nowMs) route(stacks[id]!.tick(nowMs));
      }
    }
  };
  return { core, controller, seen, fromCore, run };
}

/** Watchdog fencing only: stonith-watchdog-timeout 10 s, node3 runs a 2 s watchdog, no devices. */
function watchdogCib(): Cib {
  return {
    ...emptyCib(),
    properties: [{ id: "cib-bootstrap-options", values: { "stonith-enabled": "true", "stonith-watchdog-timeout": "10s" } }],
    nodes: names.map((name, index) => ({ id: String(index + 1), uname: name, extra: {}, instance: [], utilization: [] })),
    status: [{ id: "3", uname: "node3", attributes: {}, transient: [{ id: "status-3", values: { [WATCHDOG_ATTRIBUTE]: "2000" } }], resources: [] }],
  };
}

const report = { resources: {}, attributes: {} } as unknown as Parameters<NodeCore["localReport"]>[0];

describe("NodeCore's fencing (what the agent performs)", () => {
  it("the watchdog level counts stonith-watchdog-timeout from the moment node3 was lost, says so once, and the controller gets the final record", () => {
    const { core, controller, seen, fromCore, run } = cluster();
    run(10, 3000);
    expect(core.stack.view.members).toEqual([1, 2, 3]);
    // node3 stops; node1 and node2 go on as a quorate view of two.
    run(3010, 5000, new Set([3]));
    const lost = seen.find(({ atMs, effect }) => atMs > 3000 && effect.kind === "view" && effect.view.members.length === 2);
    expect(lost).toBeDefined();
    expect(lost!.effect).toMatchObject({ kind: "view", quorate: true });
    const lostAtMs = lost!.atMs;
    // The DC asks for the fencing 4 s after the loss.
    run(5010, lostAtMs + 4000, new Set([3]));
    const requestedAtMs = lostAtMs + 4000 + 10;
    controller.next = [{ kind: "fence", id: "node1-1-1", transition: 7, step: 2, target: "node3", action: "reboot", cib: watchdogCib(), members: ["node1", "node2"] }];
    fromCore(requestedAtMs, core.localReport(report, now(requestedAtMs)));
    const waits = seen.filter(({ effect }) => effect.kind === "log" && /fencing through the watchdog/.test(effect.message));
    expect(waits).toHaveLength(1);
    const wait = waits[0]!.effect as Extract<NodeEffect, { kind: "log" }>;
    // 10 s from the loss, of which 4 s have passed: 6 s more, not 10 s from the request.
    expect(wait.fields).toMatchObject({ target: "node3", waitMs: lostAtMs + 10_000 - requestedAtMs, until: new Date(lostAtMs + 10_000 + WALL_OFFSET_MS).toISOString() });
    run(requestedAtMs + 10, lostAtMs + 10_000 + 100, new Set([3]));
    const done = controller.inputs.filter((input): input is Extract<ControllerInput, { kind: "fence-done" }> => input.kind === "fence-done");
    expect(done).toHaveLength(1);
    expect(done[0]).toMatchObject({ id: "node1-1-1", transition: 7, step: 2, target: "node3", ok: true, record: { device: WATCHDOG_DEVICE, executor: "node1", completedAtMs: lostAtMs + 10_000 + WALL_OFFSET_MS } });
    expect(done[0]!.nowMs).toBeGreaterThanOrEqual(lostAtMs + 10_000);
    expect(done[0]!.nowMs).toBeLessThan(requestedAtMs + 10_000);
    expect(seen.filter(({ effect }) => effect.kind === "log" && /fencing through the watchdog/.test(effect.message))).toHaveLength(1);
  });
});

/** One fence device for node3 (no delay, one attempt). */
function deviceCib(): Cib {
  return {
    ...emptyCib(),
    properties: [{ id: "cib-bootstrap-options", values: { "stonith-enabled": "true" } }],
    nodes: names.map((name, index) => ({ id: String(index + 1), uname: name, extra: {}, instance: [], utilization: [] })),
    resources: [{ kind: "primitive", id: "fence-node3", class: "stonith", type: "fence_sim", extra: {}, instance: [{ id: "fence-node3-params", values: { pcmk_host_list: "node3", pcmk_reboot_retries: "1" } }], meta: [], operations: [] }],
  };
}

describe("a reboot done at its confirmed off (the fencer's off-confirmed)", () => {
  it("feeds fence-done when the driver confirms the off; the on's result that follows is only logged", () => {
    const { core, controller, seen, fromCore, run } = cluster();
    run(10, 3000);
    controller.next = [{ kind: "fence", id: "node1-1-2", transition: 3, step: 1, target: "node3", action: "reboot", cib: deviceCib(), members: ["node1", "node2", "node3"] }];
    fromCore(3010, core.localReport(report, now(3010)));
    const attempt = seen.find(({ effect }) => effect.kind === "fence-attempt")?.effect as Extract<NodeEffect, { kind: "fence-attempt" }> | undefined;
    expect(attempt).toMatchObject({ request: "node1-1-2", target: "node3", attempt: { device: "fence-node3", driverAction: "reboot" } });
    expect(controller.inputs.some((input) => input.kind === "fence-done")).toBe(false);
    fromCore(3500, core.fenceOffConfirmed("node1-1-2", now(3500)));
    const done = controller.inputs.filter((input): input is Extract<ControllerInput, { kind: "fence-done" }> => input.kind === "fence-done");
    expect(done).toHaveLength(1);
    expect(done[0]).toMatchObject({ id: "node1-1-2", target: "node3", ok: true, nowMs: 3500, record: { device: "fence-node3" } });
    // The on ends later (here: it fails); the fencing stays done, and the log says the node stays off.
    fromCore(3600, core.fenceAttemptDone("node1-1-2", { ok: false, message: "power on timed out" }, now(3600)));
    expect(controller.inputs.filter((input) => input.kind === "fence-done")).toHaveLength(1);
    expect(seen.filter(({ atMs }) => atMs === 3600).map(({ effect }) => effect)).toEqual([expect.objectContaining({ kind: "log", level: "warn", message: expect.stringMatching(/stays off: its reboot's on failed/), fields: expect.objectContaining({ target: "node3" }) })]);
  });
});

/** Two power supplies of node3 on one fencing level (no delay, one attempt each). */
function twoSuppliesCib(): Cib {
  const psu = (id: string) => ({ kind: "primitive" as const, id, class: "stonith", type: "fence_sim", extra: {}, instance: [{ id: `${id}-params`, values: { pcmk_host_list: "node3", pcmk_reboot_retries: "1" } }], meta: [], operations: [] });
  return { ...deviceCib(), resources: [psu("psu-a"), psu("psu-b")], fencingTopology: [{ id: "level-1", index: 1, target: "node3", devices: ["psu-a", "psu-b"], extra: {} }] };
}

describe("a reboot on a level of two power supplies (the fencer's remapped reboot)", () => {
  it("feeds fence-done once both are off; then each is switched on, the results only logged", () => {
    const { core, controller, seen, fromCore, run } = cluster();
    run(10, 3000);
    controller.next = [{ kind: "fence", id: "node1-1-3", transition: 4, step: 1, target: "node3", action: "reboot", cib: twoSuppliesCib(), members: ["node1", "node2", "node3"] }];
    fromCore(3010, core.localReport(report, now(3010)));
    const attempts = () => seen.flatMap(({ effect }) => (effect.kind === "fence-attempt" ? [`${effect.attempt.device}:${effect.attempt.driverAction}`] : []));
    const fenceDone = () => controller.inputs.filter((input): input is Extract<ControllerInput, { kind: "fence-done" }> => input.kind === "fence-done");
    expect(attempts()).toEqual(["psu-a:off"]);
    fromCore(3100, core.fenceAttemptDone("node1-1-3", { ok: true, message: "Powered OFF" }, now(3100)));
    expect(attempts()).toEqual(["psu-a:off", "psu-b:off"]);
    expect(fenceDone()).toHaveLength(0);
    fromCore(3200, core.fenceAttemptDone("node1-1-3", { ok: true, message: "Powered OFF" }, now(3200)));
    expect(fenceDone()).toHaveLength(1);
    expect(fenceDone()[0]).toMatchObject({ id: "node1-1-3", target: "node3", ok: true, nowMs: 3200, record: { device: "psu-a,psu-b", executor: "node1" } });
    expect(attempts()).toEqual(["psu-a:off", "psu-b:off", "psu-a:on"]);
    fromCore(3300, core.fenceAttemptDone("node1-1-3", { ok: false, message: "power did not become on" }, now(3300)));
    expect(seen.filter(({ atMs, effect }) => atMs === 3300 && effect.kind === "log").map(({ effect }) => effect)).toEqual([expect.objectContaining({ level: "warn", message: expect.stringMatching(/stays off: its reboot's on failed/), fields: expect.objectContaining({ target: "node3", device: "psu-a" }) })]);
    expect(attempts()).toEqual(["psu-a:off", "psu-b:off", "psu-a:on", "psu-b:on"]);
    fromCore(3400, core.fenceAttemptDone("node1-1-3", { ok: true, message: "Powered ON" }, now(3400)));
    expect(fenceDone()).toHaveLength(1);
    // The request is gone: nothing wakes for it any more, and a late result is ignored.
    run(3410, 4000);
    expect(attempts()).toHaveLength(4);
    expect(core.fenceAttemptDone("node1-1-3", { ok: true, message: "late" }, now(4010)).filter((effect) => effect.kind === "log")).toEqual([]);
  });
});

describe("the agent runs NodeCore", () => {
  // The promise of the simulator (issue 15 part B): the agent performs what NodeCore asks, and
  // feeds the controller nowhere else. A second input loop in the agent would break it.
  it("src/node feeds the controller only through the membership service's NodeCore", () => {
    const source = (file: string) => readFileSync(join(__dirname, "../../../src/node", file), "utf8");
    const agent = source("agent.ts");
    expect(agent).toContain("membership.runController(controller");
    expect(agent).not.toMatch(/controller\.handle\(/);
    expect(agent).not.toMatch(/\bfenceNow\(/);
    expect(agent).toContain("core.fenceOffConfirmed(");
    expect(source("membership-service.ts")).toMatch(/new NodeCore\(/);
  });
});
