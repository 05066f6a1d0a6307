// The simulated world: N nodes, each running the agent's own composition (src/stack: frame
// codec, membership, quorum, arbiter client, controller, fencer planner) over a simulated
// network, clock, disk, executor, fence devices and CLI clients. Faults come from the seed
// (faults.ts); the safety invariants are checked against the world's truth after every step
// (checks.ts); once every fault is healed, a liveness phase follows.
import { Controller, CONTROLLER_DEFAULTS, type ClientReply } from "../controller";
import { CibStore, formatVersion, type Cib } from "../cib";
import { twoNodeActive } from "../quorum";
import { readStartedFile, writeStartedFile } from "../executor/started-file";
import { STARTED_FILE } from "../executor/started";
import { readMembershipFile, writeMembershipFile } from "../node/membership-file";
import type { FenceDeviceConfig } from "../fencer";
import type { Attempt } from "../fencer";
import { ArbiterResponder, MembershipStack, NodeCore, type ControllerPort, type NodeEffect, type Now } from "../stack";
import type { Codec, MembershipStackSettings, QuorumRules } from "../stack";
import { Agenda } from "./events";
import { Network, type Datagram } from "./network";
import { Random } from "./random";
import { nodeName, type Scenario } from "./scenario";
import { SimCrash, SimDisk } from "./disk";
import { SimExecutor, type AgentFaults, type ExecutorHost } from "./executor";
import { Trace } from "./trace";
import { ObservedController, type Observer } from "./observe";

export const AUTHKEY = Buffer.from("edgeha simulated cluster authkey, not a secret");
export const CLUSTER_NAME = "sim";
/** The wall clock of every node starts near here (2027-01-15), plus its own offset. */
const WALL_BASE_MS = 1_800_000_000_000;
/** With an arbiter, its vote for a new view takes up to a lease: the agent holds resources meanwhile. */
const ARBITER_QUORUM_GRACE_MS = 5000;
/** The agent's quorum grace for a scenario (src/node/agent.ts): with an arbiter, its lease; else none. */
export function quorumGraceMs(scenario: Scenario): number {
  return scenario.quorum.arbiter ? ARBITER_QUORUM_GRACE_MS : 0;
}
/** The agent's answer to a client that waited this long (src/node/agent.ts). */
export const CLIENT_TIMEOUT_MS = 30_000;
/** Events at one simulated instant beyond which the run is a livelock. */
const EVENTS_PER_INSTANT_MAX = 100_000;
/** Datagrams a stalled process's sockets hold at most. */
const HELD_MAX = 10_000;
/** A node's state directory on its simulated disk, laid out as the agent lays out its own (src/node/agent.ts). */
export const STATE_DIR = "/var/lib/edgeha";
const CIB_DIR = `${STATE_DIR}/cib`;
const STARTED_PATH = `${STATE_DIR}/${STARTED_FILE}`;

/** A rule broken on purpose, injected through the seams (see mutations.ts). */
export interface Mutation {
  name: string;
  rule: string;
  controller?(inner: ControllerPort, context: { nodeId: number; nodes: number[] }): ControllerPort;
  codec?: MembershipStackSettings["codec"];
  quorumRules?: QuorumRules;
}

export interface WorldOptions { mutation?: Mutation; quorumRules?: QuorumRules; traceLines?: number }

/** One agent process on a node: its stack, controller, executor and pending client requests. */
export interface Agent {
  incarnation: number;
  startedAtMs: number;
  core: NodeCore;
  controller: ControllerPort;
  executor: SimExecutor;
  clients: Map<number, (reply: ClientReply | undefined) => void>;
  /** Invalidates the timer event of an earlier schedule. */
  wakeToken: number;
}

export interface SimNode {
  id: number;
  name: string;
  powered: boolean;
  agent: Agent | undefined;
  /** Agent processes started so far on this node. */
  starts: number;
  /** A stalled process (SIGSTOP) does nothing until then; its work and datagrams wait. */
  stalledUntilMs: number;
  held: Array<() => void>;
  /** The node's disk (the agent's own store and loaders run over it; a write can be where the agent dies). */
  disk: SimDisk;
  /** The agent's CIB store over that disk (src/cib/store.ts). */
  store: CibStore;
  rate: number;
  wallOffsetMs: number;
  agentFaults: AgentFaults;
  /** Executor actions of agents that ended, for the counters. */
  pastActions: number;
}

export interface Counters { steps: number; transitions: number; actions: number; fences: number; crashes: number; acknowledged: number; frames: number }

export class World {
  readonly scenario: Scenario;
  readonly random: Random;
  readonly agenda = new Agenda();
  readonly network: Network;
  readonly nodes: SimNode[];
  readonly trace: Trace;
  readonly arbiter: ArbiterResponder;
  /** What really runs where (services only; fence devices are not processes). */
  readonly active = new Map<string, Set<string>>();
  /** Fence devices that misbehave: fails, slow or dead (no answer). */
  readonly deviceFaults = new Map<string, "fails" | "slow" | "dead">();
  readonly counters: Counters = { steps: 0, transitions: 0, actions: 0, fences: 0, crashes: 0, acknowledged: 0, frames: 0 };
  readonly transitionsSeen = new Set<string>();
  /** When an executor last recorded a failed operation, or a DC learned of one (world time; -1: never): the operator cleans up after it. */
  lastFailureMs = -1;
  observer: Observer | undefined;
  nowMs = 0;
  private clientIds = 0;
  private agentIncarnations = 0;

  constructor(scenario: Scenario, readonly options: WorldOptions = {}) {
    this.scenario = scenario;
    this.trace = new Trace(options.traceLines ?? 60);
    this.random = new Random(scenario.seed * 7919 + 1);
    this.network = new Network(scenario, this.random, this.agenda, () => this.nowMs, (datagram) => this.deliver(datagram));
    this.arbiter = new ArbiterResponder({ clusterName: CLUSTER_NAME, authkey: AUTHKEY, settings: { leaseMs: 2000, holdMs: 300, preference: "priority-then-lowest" }, incarnation: 1, knownSenders: scenario.nodeIds });
    this.nodes = scenario.nodeIds.map((id) => {
      const disk = new SimDisk();
      disk.mkdirSync(STATE_DIR, { recursive: true, mode: 0o700 });
      const store = new CibStore(CIB_DIR, undefined, disk);
      // Set up with the initial configuration, as `cluster setup` leaves it.
      if (scenario.cluster) store.save(scenario.initialCib);
      return {
        id, name: nodeName(id), powered: true, agent: undefined, starts: 0, stalledUntilMs: 0, held: [],
        disk, store, rate: scenario.clockRates[id - 1]!, wallOffsetMs: 0,
        agentFaults: scenario.agentFaults, pastActions: 0,
      };
    });
  }

  node(name: string): SimNode {
    return this.nodes.find((node) => node.name === name)!;
  }

  localMs(node: SimNode): number {
    return Math.floor((this.nowMs - (node.agent?.startedAtMs ?? this.nowMs)) * node.rate);
  }

  now(node: SimNode): Now {
    return { nowMs: this.localMs(node), wallMs: WALL_BASE_MS + Math.floor(this.nowMs * node.rate) + node.wallOffsetMs };
  }

  stalled(node: SimNode): boolean {
    return this.nowMs < node.stalledUntilMs;
  }

  /** The node's agent runs and takes part: not stalled, and not on its way out after a stall (its stack halted). */
  serving(node: SimNode): boolean {
    return node.agent !== undefined && !this.stalled(node) && !node.agent.core.stack.halted;
  }

  note(line: string): void {
    this.trace.add(this.nowMs, line);
  }

  /** Runs work in the node's current agent process: later if it is stalled, never if it ended. */
  inAgent(node: SimNode, agent: Agent, work: () => void): void {
    if (node.agent !== agent) return;
    if (this.stalled(node)) {
      if (node.held.length < HELD_MAX) node.held.push(() => this.inAgent(node, agent, work));
      return;
    }
    work();
  }

  // ---- agents ------------------------------------------------------------------

  /** Starts the agent process on a powered node, from what its state directory holds. */
  startAgent(node: SimNode): void {
    if (!node.powered || node.agent !== undefined) return;
    const { scenario } = this;
    node.starts++;
    node.stalledUntilMs = 0;
    node.held = [];
    const incarnation = ++this.agentIncarnations;
    const mutation = this.options.mutation;
    const stack = new MembershipStack({
      clusterName: CLUSTER_NAME, authkey: AUTHKEY, localId: node.id, nodes: scenario.nodeIds.map((id) => ({ id, links: scenario.links })), localLinks: scenario.links,
      incarnation, heartbeatMs: scenario.heartbeatMs, tokenMs: scenario.tokenMs,
      // The agent's own membership tuning; the large membership-only runs keep the faster one they were tuned with.
      ...(scenario.cluster ? {} : { rejoinHoldMs: 200, flapDoublingsMax: 4, flapForgetMs: 10_000 }),
      quorum: scenario.quorum, arbiterLinks: scenario.quorum.arbiter ? [0] : [], reportQuorum: scenario.quorum.lastManStanding, saved: readMembershipFile(STATE_DIR, node.disk).state,
      ...(mutation?.codec ? { codec: mutation.codec as (options: ConstructorParameters<typeof import("../transport").FrameCodec>[0]) => Codec } : {}),
      ...(this.options.quorumRules ?? mutation?.quorumRules ? { quorumRules: this.options.quorumRules ?? mutation?.quorumRules } : {}),
    }, 0);
    const agent: Agent = { incarnation, startedAtMs: this.nowMs, core: undefined as unknown as NodeCore, controller: undefined as unknown as ControllerPort, executor: undefined as unknown as SimExecutor, clients: new Map(), wakeToken: 0 };
    node.agent = agent;
    const started = readStartedFile(STARTED_PATH, node.disk);
    if ("problem" in started) throw new Error(`${node.name} cannot read its record of started resources: ${started.problem}`);
    agent.executor = new SimExecutor(node.name, this.executorHost(node, agent), started.text);
    // The agent's own loader: the newest file whose digest checks, older ones as backups.
    const loaded = scenario.cluster ? node.store.load() : { cib: undefined, warnings: [] };
    const cib: Cib = loaded.cib ?? scenario.initialCib;
    const nodes = scenario.nodeIds.map((id) => ({ id, name: nodeName(id) }));
    let controller: ControllerPort = new Controller({ ...CONTROLLER_DEFAULTS, quorumGraceMs: quorumGraceMs(scenario), twoNodeWithoutArbiter: twoNodeActive(scenario.quorum), incarnation, localId: node.id, nodes }, cib, agent.executor.report(), [], loaded.cib !== undefined ? loaded.lineage : undefined);
    if (mutation?.controller) controller = mutation.controller(controller, { nodeId: node.id, nodes: scenario.nodeIds });
    agent.controller = new ObservedController(controller, (input, effects) => this.observer?.controller(node, agent, input, effects));
    agent.core = new NodeCore(stack, agent.controller, { random: () => this.random.next(), localName: node.name, nodes, fencerTopology: { pairWithoutArbiter: scenario.nodeIds.length === 2 && !scenario.quorum.arbiter, nodeCount: scenario.nodeIds.length, hasArbiter: scenario.quorum.arbiter } }, this.now(node));
    this.note(`${node.name} agent starts (CIB ${formatVersion(cib.version)}${loaded.warnings.length > 0 ? `, ${loaded.warnings.join("; ")}` : ""})`);
    if (scenario.cluster) this.perform(node, agent, agent.core.start(this.now(node)));
    else this.perform(node, agent, stack.tick(0).filter((effect) => effect.kind === "transmit" || effect.kind === "persist").map((effect) => (effect.kind === "persist" ? { kind: "persist-membership", state: effect.state } as NodeEffect : effect as NodeEffect)));
    this.scheduleWake(node, agent);
  }

  /** The agent process dies (a crash, or killed with its node); resources it started keep running unless the power went. */
  endAgent(node: SimNode, why: string): void {
    const agent = node.agent;
    if (agent === undefined) return;
    node.agent = undefined;
    node.held = [];
    node.stalledUntilMs = 0;
    node.pastActions += agent.executor.actions;
    node.disk.processEnded();
    for (const reply of agent.clients.values()) reply(undefined);
    agent.clients.clear();
    this.note(`${node.name} agent ends: ${why}`);
  }

  /** The agent crashes; systemd starts it again a moment later. */
  crashAgent(node: SimNode, why: string): void {
    if (node.agent === undefined) return;
    this.counters.crashes++;
    this.endAgent(node, why);
    this.agenda.at(this.nowMs + this.random.between(200, 1500), () => this.startAgent(node));
  }

  /**
   * The agent found that it was stalled as long as the token (src/stack/stall.ts): its stack has
   * halted and its controller gets nothing more; it stops everything it may run, exits 75, and
   * systemd starts it again (a new incarnation with nothing running).
   */
  private stallExit(node: SimNode, agent: Agent, silentMs: number): void {
    this.note(`${node.name} finds itself stalled ${silentMs} ms, as long as the token: it stops everything, then exits`);
    agent.executor.stopAll((failures) => {
      if (node.agent !== agent) return;
      this.endAgent(node, failures.length === 0 ? "exits after the stall (75)" : `exits after the stall (75); stops failed: ${failures.join("; ")}`);
      this.agenda.at(this.nowMs + this.random.between(100, 1000), () => this.startAgent(node));
    });
  }

  powerOff(node: SimNode, why: string): void {
    if (!node.powered) return;
    this.endAgent(node, why);
    node.powered = false;
    node.disk.powerLoss(this.random);
    for (const [resource, nodes] of this.active) if (nodes.delete(node.name)) this.note(`${resource} dies with ${node.name}`);
    this.observer?.poweredOff(node);
  }

  powerOn(node: SimNode): void {
    if (node.powered) return;
    node.powered = true;
    this.note(`${node.name} powers on`);
    this.startAgent(node);
  }

  private scheduleWake(node: SimNode, agent: Agent): void {
    if (node.agent !== agent) return;
    const token = ++agent.wakeToken;
    const local = this.localMs(node);
    // +1: local time is whole milliseconds, and a deadline is the first instant something changes.
    const wakeLocalMs = (this.scenario.cluster ? agent.core.nextWakeMs(local) : agent.core.stack.nextWakeMs(local)) + 1;
    const atMs = agent.startedAtMs + Math.ceil(wakeLocalMs / node.rate);
    this.agenda.at(Math.max(atMs, this.nowMs + 1), () => this.inAgent(node, agent, () => {
      if (agent.wakeToken !== token) return;
      this.step(node, agent, () => this.scenario.cluster ? agent.core.tick(this.now(node)) : this.membershipOnly(agent.core.stack.tick(this.localMs(node))));
    }));
  }

  private membershipOnly(effects: ReturnType<MembershipStack["tick"]>): NodeEffect[] {
    return effects.flatMap((effect): NodeEffect[] => effect.kind === "transmit" || effect.kind === "stalled" ? [effect] : effect.kind === "persist" ? [{ kind: "persist-membership", state: effect.state }] : []);
  }

  /** One input to a node: its effects performed, its timer moved, the invariants checked. */
  step(node: SimNode, agent: Agent, input: () => NodeEffect[]): void {
    this.counters.steps++;
    let effects: NodeEffect[];
    try {
      effects = input();
    } catch (error) {
      // A failed assertion (or any exception) ends the agent process, as it does for real.
      this.observer?.crashed(node, error instanceof Error ? error.message : String(error));
      this.crashAgent(node, "an assertion failed");
      return;
    }
    this.perform(node, agent, effects);
    this.scheduleWake(node, agent);
    this.observer?.stepped(node);
  }

  // ---- effects -------------------------------------------------------------------

  private perform(node: SimNode, agent: Agent, effects: NodeEffect[]): void {
    for (const effect of effects) {
      if (node.agent !== agent) return;
      switch (effect.kind) {
        case "transmit":
          this.counters.frames++;
          this.network.send({ from: node.id, to: effect.to, link: effect.link, bytes: effect.bytes });
          break;
        case "persist-membership":
          this.observer?.persistedMembership(node, effect.state);
          if (!this.onDisk(node, agent, "the membership file", () => writeMembershipFile(STATE_DIR, effect.state, node.disk))) return;
          break;
        case "persist":
          if (!this.onDisk(node, agent, `CIB ${formatVersion(effect.cib.version)}`, () => node.store.save(effect.cib, effect.lineage))) return;
          break;
        case "keep-conflict":
          // The agent keeps the losing configuration in a file beside the CIB and logs an error (the checker saw the effect).
          if (!this.onDisk(node, agent, `the losing configuration ${formatVersion(effect.cib.version)} of a conflict`, () => node.store.keepConflict(effect.cib))) return;
          this.note(`${node.name}: a configuration conflict; the losing configuration (${formatVersion(effect.cib.version)}) is kept in a file`);
          break;
        case "configure":
          agent.executor.configure(effect.cib);
          break;
        case "run":
          this.run(node, agent, effect);
          break;
        case "fence-attempt":
          this.fenceAttempt(node, agent, effect.request, effect.attempt, effect.device);
          break;
        case "fence-history":
        case "fence-record":
        case "fence-cancel":
          break;
        case "cleanup":
          agent.executor.cleanup(effect.resource);
          break;
        case "reply": {
          const client = agent.clients.get(effect.clientId);
          agent.clients.delete(effect.clientId);
          client?.(effect.reply);
          break;
        }
        case "may-exit":
        case "record-input":
        case "advert":
        case "peer-message":
        case "view":
        case "quorum":
          break;
        case "dropped-message":
          // Only our own nodes talk on these channels: a message they send that does not check out is a bug.
          this.observer?.crashed(node, `dropped an invalid message from node${effect.from}: ${effect.problem}`);
          break;
        case "log":
          // What the operator sees in the status is the DC's knowledge: a failure the DC learns of
          // after the operator's cleanup (its result was on the way) needs another cleanup too.
          if (effect.message === "operation failed") this.lastFailureMs = this.nowMs;
          this.observer?.logged(node, effect.message, effect.fields);
          break;
        case "stalled":
          this.stallExit(node, agent, effect.silentMs);
          return;
        default: {
          const unknown: never = effect;
          return unknown;
        }
      }
    }
  }

  /**
   * The agent's own code writes to its state directory; the agent process may die in the middle
   * (the disk's crash point). False when it did: the agent crashed there and is started again.
   */
  private onDisk(node: SimNode, agent: Agent, what: string, write: () => unknown): boolean {
    try {
      write();
    } catch (error) {
      if (!(error instanceof SimCrash) && node.disk.died === undefined) throw error;
    }
    const crash = node.disk.died;
    if (crash === undefined) return true;
    if (node.agent === agent) {
      this.note(`${node.name} crashes writing ${what}: ${crash.point}`);
      this.crashAgent(node, `crashed while writing ${what}`);
    }
    return false;
  }

  private run(node: SimNode, agent: Agent, effect: Extract<NodeEffect, { kind: "run" }>): void {
    this.transitionsSeen.add(`${node.name}/${effect.transition}/${effect.ringId}`);
    const operation = effect.operation;
    if (operation === "migrate_to" || operation === "migrate_from") {
      // The simulated resources never allow migration (no allow-migrate), so the DC never plans one.
      this.note(`${node.name}: ${operation} ${effect.resource} refused: simulated agents do not migrate`);
      this.agenda.at(this.nowMs + 1, () => this.inAgent(node, agent, () => this.step(node, agent, () => agent.core.operationDone({ transition: effect.transition, step: effect.step, ringId: effect.ringId, ok: false, reason: "simulated agents do not migrate", report: agent.executor.report() }, this.now(node)))));
      return;
    }
    agent.executor.operate(effect.resource, operation, (result) => {
      this.step(node, agent, () => agent.core.operationDone({ transition: effect.transition, step: effect.step, ringId: effect.ringId, ok: result.ok, reason: result.reason, report: agent.executor.report() }, this.now(node)));
    }, effect.params);
  }

  private executorHost(node: SimNode, agent: Agent): ExecutorHost {
    // A process that died (at a write of its record, say) does nothing more: what its executor
    // still does in the same call reaches nothing (a start it was about to run never runs).
    const live = () => node.agent === agent;
    return {
      epochSeconds: () => Math.floor(this.now(node).wallMs / 1000),
      localMs: () => this.localMs(node),
      later: (delayMs, work) => this.agenda.at(this.nowMs + Math.ceil(delayMs / node.rate), () => this.inAgent(node, agent, work)),
      random: () => this.random.next(),
      faults: () => node.agentFaults,
      active: (resource) => this.active.get(resource)?.has(node.name) ?? false,
      setActive: (resource, running, why) => {
        if (!live()) return;
        if (why === "start-began") this.observer?.startBegan(node, resource);
        const nodes = this.active.get(resource) ?? new Set<string>();
        this.active.set(resource, nodes);
        if (running) nodes.add(node.name);
        else nodes.delete(node.name);
        this.observer?.activeChanged(node, resource);
      },
      observed: (resource, running) => { if (live()) this.observer?.observed(node, resource, running); },
      stopFailed: (resource) => { if (live()) this.observer?.stopFailed(node, resource); },
      changed: () => { if (live()) this.step(node, agent, () => agent.core.localReport(agent.executor.report(), this.now(node))); },
      note: (event) => { if (live()) this.note(`${node.name}: ${event}`); },
      saveStarted: (text) => { if (live()) this.onDisk(node, agent, "its record of started resources", () => writeStartedFile(STARTED_PATH, text, node.disk)); },
      operationFailed: () => { if (live()) this.lastFailureMs = this.nowMs; },
    };
  }

  // ---- fence devices -------------------------------------------------------------

  /**
   * The node runs a fence device's action (in this process, as the agent does); the device
   * answers as the seed says. Power actions act on the target (a command the BMC took is carried
   * out even if the node that sent it dies meanwhile); status reads its power.
   */
  private fenceAttempt(node: SimNode, agent: Agent, request: string, attempt: Attempt, device: FenceDeviceConfig): void {
    const target = this.nodes.find((each) => device.hostList.includes(each.name) || each.name === attempt.plug);
    const fault = this.deviceFaults.get(device.id);
    const action = attempt.driverAction;
    this.note(`${node.name} runs ${device.id} (${action} ${attempt.plug})${fault ? `: the device ${fault === "dead" ? "does not answer" : fault}` : ""}`);
    const answer = (result: { ok: boolean; message: string; state?: "on" | "off" }) => this.inAgent(node, agent, () => this.step(node, agent, () => agent.core.fenceAttemptDone(request, result, this.now(node))));
    if (fault === "fails") {
      this.agenda.at(this.nowMs + this.random.between(20, 200), () => answer({ ok: false, message: "the BMC refused the command" }));
      return;
    }
    if (fault === "dead") {
      this.agenda.at(this.nowMs + attempt.timeoutMs, () => answer({ ok: false, message: `no answer within ${attempt.timeoutMs} ms` }));
      return;
    }
    const delayMs = fault === "slow" ? Math.floor(attempt.timeoutMs * (0.5 + 0.4 * this.random.next())) : this.random.between(30, 300);
    this.agenda.at(this.nowMs + delayMs, () => {
      if (action === "status" || action === "monitor" || action === "list") {
        answer({ ok: true, message: `${device.id}: ${attempt.plug} is ${target?.powered === false ? "off" : "on"}`, ...(target ? { state: target.powered ? "on" as const : "off" as const } : {}) });
        return;
      }
      if (target !== undefined) this.powerAction(target, action, device.id);
      answer({ ok: true, message: `${device.id}: ${action} ${attempt.plug} done` });
    });
  }

  /** A fence device switched the target's power: off (and, for a reboot, on again a moment later), or on. */
  private powerAction(target: SimNode, action: string, device: string): void {
    if (action === "on") {
      this.note(`${device} powers ${target.name} on`);
      this.powerOn(target);
      return;
    }
    this.counters.fences++;
    this.note(`${device} cuts the power of ${target.name} (${action})`);
    this.observer?.fenced(target);
    this.powerOff(target, `fenced (${action})`);
    if (action !== "off") this.agenda.at(this.nowMs + this.random.between(300, 1500), () => this.powerOn(target));
  }

  // ---- network ------------------------------------------------------------------

  private deliver(datagram: Datagram): void {
    if (datagram.to === "arbiter") {
      const answer = this.arbiter.receive(datagram.bytes, this.nowMs);
      if (answer !== undefined) this.network.send({ from: 0, to: datagram.from, link: datagram.link, bytes: answer.reply });
      return;
    }
    const node = this.nodes[datagram.to - 1]!;
    const agent = node.agent;
    if (agent === undefined) return;
    this.inAgent(node, agent, () => {
      this.step(node, agent, () => this.scenario.cluster ? agent.core.receive(datagram.link, datagram.bytes, this.now(node)) : this.membershipOnly(agent.core.stack.receive(datagram.link, datagram.bytes, this.localMs(node))));
      this.observer?.delivered(node, agent, datagram);
    });
  }

  // ---- clients ------------------------------------------------------------------

  /** A CLI request through a node's admin socket; `reply` gets the answer, or undefined when the agent went away or 30 s passed. */
  ask(node: SimNode, request: Parameters<NodeCore["client"]>[1], reply: (answer: ClientReply | undefined) => void): void {
    const agent = node.agent;
    if (agent === undefined) return reply(undefined);
    const clientId = ++this.clientIds;
    let answered = false;
    const once = (answer: ClientReply | undefined) => {
      if (answered) return;
      answered = true;
      agent.clients.delete(clientId);
      reply(answer);
    };
    agent.clients.set(clientId, once);
    this.agenda.at(this.nowMs + CLIENT_TIMEOUT_MS, () => once({ ok: false, code: "E_AGENT_TIMEOUT", error: "the cluster did not answer within 30 s" }));
    this.inAgent(node, agent, () => this.step(node, agent, () => agent.core.client(clientId, request, this.now(node))));
  }

  /**
   * Runs the agenda until the given time (or until stop() says so). More than
   * EVENTS_PER_INSTANT_MAX events at one instant is a livelock: `livelock` is told and the run ends.
   */
  runUntil(endMs: number, stop: () => boolean, livelock: (message: string) => void): void {
    let instantMs = -1;
    let atInstant = 0;
    while (this.agenda.nextAtMs() <= endMs && !stop()) {
      const event = this.agenda.pop()!;
      this.nowMs = Math.max(this.nowMs, event.atMs);
      if (this.nowMs !== instantMs) {
        instantMs = this.nowMs;
        atInstant = 0;
      } else if (++atInstant > EVENTS_PER_INSTANT_MAX) {
        livelock(`more than ${EVENTS_PER_INSTANT_MAX} events at ${this.nowMs} ms without time moving on`);
        return;
      }
      event.run();
    }
    if (!stop()) this.nowMs = Math.max(this.nowMs, endMs);
  }

  /** Resumes a stalled node at the end of its stall: what waited runs now, in order. */
  resume(node: SimNode): void {
    if (this.stalled(node)) return;
    const held = node.held.splice(0);
    for (const work of held) work();
    if (node.agent !== undefined) this.scheduleWake(node, node.agent);
  }
}
