// One simulated run from its seed: the cluster forms, clients change the configuration while
// faults strike, every fault heals, and within a stated bound every resource that can run
// runs and every member agrees on the DC and the configuration. The first broken invariant
// ends the run; its result says which, the command that replays it, and the last events.
import { cibDigest, type Cib } from "../cib";

/** Digests of configurations already seen (the liveness phase compares them often). */
const digests = new WeakMap<Cib, string>();
function digestOf(cib: Cib): string {
  let digest = digests.get(cib);
  if (digest === undefined) {
    digest = cibDigest(cib);
    digests.set(cib, digest);
  }
  return digest;
}
import { Checker, SAFETY_INVARIANTS, type Invariant, type Violation } from "./checks";
import { Clients } from "./clients";
import { changesIn } from "./changes";
import { healAll, injectFault } from "./faults";
import { scenarioFor, type Scenario } from "./scenario";
import { World, type Mutation, type WorldOptions } from "./world";

/** Faults begin once the cluster had this long to form. */
const FAULTS_FROM_MS = 1200;
/** After the faults heal, the converged state must hold this long. */
const STEADY_MS = 500;
/** The same reason for not converging this long means the cluster is stuck: the run ends early. */
const STUCK_MS = 15_000;
/** How often the liveness phase looks. */
const LIVENESS_POLL_MS = 50;
const TRACE_LINES = 25;

export interface SeedResult {
  seed: number;
  nodes: number;
  ok: boolean;
  steps: number;
  transitions: number;
  actions: number;
  fences: number;
  crashes: number;
  acknowledged: number;
  badFrames: number;
  /** Invariants checked in this run (fencing ones only with fencing on). */
  invariants: Invariant[];
  /** Simulated time from the heal to a converged cluster. */
  convergedAfterMs?: number;
  /** The first invariant broken. */
  violation?: Violation;
  /** With keepGoing: the first violation of each invariant broken. */
  violations?: Violation[];
  replay?: string;
  trace?: string[];
}

export interface RunOptions extends WorldOptions {
  /** The node count was given (the replay command then names it). */
  nodes?: number;
  /** Go on after the first violation, to find every invariant the run breaks (the mutation proof). */
  keepGoing?: boolean;
  /** Looks at the world once the run is over (tests and debugging). */
  inspect?: (world: World) => void;
  /** Change the scenario drawn from the seed (tests that need calm runs, say). */
  scenario?: (scenario: Scenario) => Scenario;
}

export function runSeed(seed: number, options: RunOptions = {}): SeedResult {
  const drawn = scenarioFor(seed, options.nodes);
  const scenario = options.scenario ? options.scenario(drawn) : drawn;
  return runScenario(scenario, options);
}

export function runScenario(scenario: Scenario, options: RunOptions = {}): SeedResult {
  const world = new World(scenario, options);
  const checker = new Checker(world);
  world.observer = checker;
  // Normally the first violation ends the run; the mutation proof goes on to see every invariant it breaks.
  const stop = () => !options.keepGoing && checker.violation !== undefined;
  const livelock = (message: string) => checker.fail("liveness", message);
  for (const node of world.nodes) world.startAgent(node);
  const clients = new Clients(world, checker);
  if (scenario.cluster) clients.start(scenario.clients, FAULTS_FROM_MS / 2);
  const chaosEndMs = FAULTS_FROM_MS + scenario.chaosMs;
  for (let atMs = FAULTS_FROM_MS; atMs < chaosEndMs; atMs += scenario.faultEveryMs) {
    world.agenda.at(atMs, () => { if (world.random.chance(scenario.faultProbability)) injectFault(world); });
  }
  world.runUntil(chaosEndMs, stop, livelock);
  clients.stop();
  let convergedAfterMs: number | undefined;
  if (!stop()) {
    healAll(world);
    convergedAfterMs = scenario.cluster ? liveness(world, checker, stop) : settle(world, checker, stop);
  }
  if (!stop()) checker.finalConfigurations();
  if (!stop() && convergedAfterMs === undefined && !checker.violations.has("liveness")) checker.fail("liveness", scenario.cluster ? `not converged within ${scenario.livenessMsMax / 1000} s after the faults healed: ${divergence(world, checker)}` : `views did not converge within ${scenario.settleMsMax} ms after faults healed: ${world.nodes.map((node) => `${node.name}:r${node.agent?.core.stack.view.ringId}[${node.agent?.core.stack.view.members}]`).join(" ")}`);
  options.inspect?.(world);
  const invariants = [...SAFETY_INVARIANTS.filter((name) => checker.checked.has(name)), "liveness" as const];
  const violation = checker.violation;
  const actions = world.nodes.reduce((sum, node) => sum + node.pastActions + (node.agent?.executor.actions ?? 0), 0);
  return {
    seed: scenario.seed, nodes: scenario.nodeIds.length, ok: violation === undefined,
    steps: world.counters.steps, transitions: world.transitionsSeen.size, actions, fences: world.counters.fences, crashes: world.counters.crashes,
    acknowledged: world.counters.acknowledged, badFrames: checker.badFrames, invariants,
    ...(convergedAfterMs !== undefined ? { convergedAfterMs } : {}),
    ...(options.keepGoing ? { violations: [...checker.violations.values()] } : {}),
    ...(violation ? { violation, replay: replayCommand(scenario.seed, options), trace: world.trace.last(options.traceLines ?? TRACE_LINES) } : {}),
  };
}

export function replayCommand(seed: number, options: { nodes?: number; mutation?: Mutation } = {}): string {
  return `edgeha sim --seed ${seed}${options.nodes !== undefined ? ` --nodes ${options.nodes}` : ""}${options.mutation ? ` --mutation ${options.mutation.name}` : ""}`;
}

/** Membership only: every node in one quorate view of all nodes. */
function settle(world: World, checker: Checker, stop: () => boolean): number | undefined {
  const healedAtMs = world.nowMs;
  while (!stop() && world.nowMs - healedAtMs <= world.scenario.settleMsMax) {
    world.runUntil(world.nowMs + 10, stop, (message) => checker.fail("liveness", message));
    const first = world.nodes[0]!.agent?.core.stack.view;
    if (first !== undefined && world.nodes.every((node) => node.agent !== undefined && node.agent.core.stack.view.ringId === first.ringId && node.agent.core.stack.view.members.length === world.nodes.length && node.agent.core.stack.quorum().quorate)) return world.nowMs - healedAtMs;
  }
  return undefined;
}

/** The whole cluster: after an operator's cleanup, it converges and stays so for STEADY_MS. */
function liveness(world: World, checker: Checker, stop: () => boolean): number | undefined {
  const healedAtMs = world.nowMs;
  let steadySinceMs: number | undefined;
  const stuck = { reason: "", sinceMs: healedAtMs };
  const operator: { cleanup: "due" | "asked" | "done"; nextMs: number; askedAtMs: number } = { cleanup: "due", nextMs: healedAtMs, askedAtMs: -1 };
  while (!stop() && !checker.violations.has("liveness") && world.nowMs - healedAtMs <= world.scenario.livenessMsMax) {
    world.runUntil(world.nowMs + LIVENESS_POLL_MS, stop, (message) => checker.fail("liveness", message));
    const dc = agreedDc(world);
    // Like an operator after an incident: `resource cleanup` once the cluster has one DC again
    // and that DC shows every node joined (a cleanup during the join reaches only the joined ones).
    const joined = dc !== undefined && (world.node(dc).agent?.controller.summary?.nodes ?? []).every((entry) => entry.state === "online" || entry.state === "standby");
    // An operation begun before the heal (a start or stop that hangs until its timeout) may still
    // fail after the cleanup: its fail count keeps the resource from that node (a failed start
    // with start-failure-is-fatal) or blocks it (a failed stop without fencing), as in Pacemaker,
    // until someone cleans up. The operator who sees that failure in the status cleans up again
    // (also one the DC learns of only after the cleanup: seed 580 at the 500 ms heartbeat).
    if (operator.cleanup === "done" && world.lastFailureMs >= operator.askedAtMs) Object.assign(operator, { cleanup: "due", nextMs: world.nowMs });
    if (operator.cleanup === "due" && joined && world.nowMs >= operator.nextMs) {
      operator.cleanup = "asked";
      operator.askedAtMs = world.nowMs;
      world.note(`operator: resource cleanup through ${dc}`);
      world.ask(world.node(dc), { kind: "cleanup" }, (reply) => {
        operator.cleanup = reply?.ok ? "done" : "due";
        operator.nextMs = world.nowMs + 1000;
      });
    }
    const reason = divergence(world, checker) ?? (operator.cleanup === "done" ? undefined : "the operator's cleanup is not done yet");
    if (reason !== undefined) {
      steadySinceMs = undefined;
      if (reason !== stuck.reason) Object.assign(stuck, { reason, sinceMs: world.nowMs });
      else if (world.nowMs - stuck.sinceMs >= STUCK_MS) checker.fail("liveness", `stuck for ${STUCK_MS / 1000} s after the faults healed: ${reason}`);
      continue;
    }
    steadySinceMs ??= world.nowMs;
    if (world.nowMs - steadySinceMs >= STEADY_MS) return steadySinceMs - healedAtMs;
  }
  return undefined;
}

function agreedDc(world: World): string | undefined {
  const first = world.nodes[0]!.agent;
  const view = first?.core.stack.view;
  if (first === undefined || view === undefined) return undefined;
  for (const node of world.nodes) {
    const agent = node.agent;
    if (agent === undefined || !world.serving(node)) return undefined;
    const own = agent.core.stack.view;
    if (own.ringId !== view.ringId || own.members.length !== world.nodes.length || !agent.core.stack.quorum().quorate) return undefined;
    if (agent.controller.dcName === undefined || agent.controller.dcName !== first.controller.dcName) return undefined;
  }
  const dc = world.node(first.controller.dcName!);
  return dc?.agent?.controller.isDc ? dc.name : undefined;
}

/** Why the cluster has not converged yet; undefined when it has. */
function divergence(world: World, checker: Checker): string | undefined {
  const dc = agreedDc(world);
  if (dc === undefined) return `no DC that every node agrees on (${world.nodes.map((node) => `${node.name}: ring ${node.agent?.core.stack.view.ringId ?? "-"} [${node.agent?.core.stack.view.members ?? "no agent"}], DC ${node.agent?.controller.dcName ?? "none"}`).join("; ")})`;
  const cib = world.node(dc).agent!.controller.configuration;
  const digest = digestOf(cib);
  for (const node of world.nodes) if (digestOf(node.agent!.controller.configuration) !== digest) return `${node.name} holds another configuration than the DC ${dc}`;
  const held = changesIn(cib);
  const missing = checker.acknowledged.filter((change) => !held.has(change.id));
  if (missing.length > 0) return `the configuration lacks the acknowledged change "${missing[0]!.words}"`;
  const summary = world.node(dc).agent!.controller.summary;
  if (summary === undefined || summary.transition !== null) return `the DC ${dc} is still running a transition`;
  const expected = expectedPlacement(cib, world.nodes.map((node) => node.name));
  // Resources no longer configured must have been stopped everywhere.
  for (const resource of world.active.keys()) if (!expected.has(resource)) expected.set(resource, 0);
  for (const [resource, count] of expected) {
    const running = [...(world.active.get(resource) ?? [])];
    if (running.length !== count) return `${resource} runs on ${running.length === 0 ? "no node" : running.join(", ")}; it should run on ${count} node${count === 1 ? "" : "s"}`;
  }
  return undefined;
}

/** How many nodes each service should run on once converged: 1 if any node may run it, else 0 (also for deleted ones). */
function expectedPlacement(cib: Cib, nodes: string[]): Map<string, number> {
  const expected = new Map<string, number>();
  const standby = new Set(cib.nodes.filter((node) => node.instance.some((set) => set.values.standby === "on")).map((node) => node.uname));
  for (const resource of cib.resources) {
    const members = resource.kind === "primitive" ? [resource] : resource.kind === "group" ? resource.members : [];
    const stopped = (meta: typeof resource.meta) => meta.some((set) => set.values["target-role"] === "Stopped");
    for (const primitive of members) {
      if (primitive.class === "stonith") continue;
      const banned = (node: string) => cib.constraints.some((constraint) => constraint.kind === "location" && (constraint.rsc === primitive.id || constraint.rsc === resource.id) && constraint.node === node && constraint.score === "-INFINITY");
      const eligible = nodes.filter((node) => !standby.has(node) && !banned(node));
      expected.set(primitive.id, stopped(resource.meta) || stopped(primitive.meta) || eligible.length === 0 ? 0 : 1);
    }
  }
  return expected;
}
