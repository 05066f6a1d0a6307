// The simulated world: N nodes running the real frame codec, membership and quorum cores
// over a simulated network and clock. Faults come from the seed; invariants are checked
// after every step; a liveness phase follows once every fault is healed.
import { FrameCodec } from "../transport";
import { decodeHeartbeat, encodeHeartbeat, initialMembership, probeTiming, stepMembership, type Heartbeat, type MembershipState } from "../membership";
import {
  arbiterRequest, holdsVote, initialArbiter, initialArbiterClient, initialQuorum, replyReceived, requestDue, requestSent,
  quorumReport, savedVoters, stepQuorum, summarize, twoNodeActive, type ArbiterClientState, type SavedVoters, type ArbiterState, type QuorumInput, type QuorumState, type QuorumSummary,
} from "../quorum";
import { Random } from "./random";
import { scenarioFor, type Scenario } from "./scenario";

export interface QuorumRules {
  step(state: QuorumState, input: QuorumInput): QuorumState;
  summarize(state: QuorumState): QuorumSummary;
}
const REAL_RULES: QuorumRules = { step: stepQuorum, summarize };

interface SimNode {
  id: number;
  up: boolean;
  restarts: number;
  /** A stalled node (its event loop blocked) handles nothing until then; packets wait for it. */
  stalledUntilMs: number;
  stalledSinceMs: number | undefined;
  held: Packet[];
  codec: FrameCodec;
  sequence: number;
  membership: MembershipState;
  quorum: QuorumState;
  arbiter: ArbiterClientState;
  /** Ring id last installed, kept across restarts as the agent keeps it in its state dir. */
  lastRingId: number;
  /** last_man_standing voter set, kept across restarts the same way. */
  saved: SavedVoters | undefined;
}

type Packet =
  | { kind: "frame"; to: number; bytes: Buffer }
  | { kind: "vote-request"; from: number; members: number[]; ringId: number; sentAtMs: number }
  | { kind: "vote-reply"; to: number; granted: boolean; members: number[]; ringId: number; leaseMs: number; sentAtMs: number };

interface InFlight { atMs: number; order: number; packet: Packet }

export interface Violation { timeMs: number; message: string }
export interface RunResult {
  seed: number;
  nodes: number;
  violation: Violation | undefined;
  viewChanges: number;
  frames: number;
  dropped: number;
  settledAfterMs: number | undefined;
}

const STEP_MS = 10;
const AUTHKEY = Buffer.from("edgeha simulated cluster authkey, not a secret");

export class World {
  readonly scenario: Scenario;
  private readonly random: Random;
  private readonly rules: QuorumRules;
  private readonly nodes: SimNode[];
  private arbiter: ArbiterState;
  private arbiterUp = true;
  private queue: InFlight[] = [];
  private order = 0;
  nowMs = 0;
  private loss = 0;
  /** Directed cuts "from>to" per link index; linkDown cuts a whole link. */
  private cuts: Set<string>[];
  private linkDown: boolean[];
  private frames = 0;
  private violation: Violation | undefined;

  constructor(scenario: Scenario, rules: QuorumRules = REAL_RULES) {
    this.scenario = scenario;
    this.random = new Random(scenario.seed * 7919 + 1);
    this.rules = rules;
    this.cuts = Array.from({ length: scenario.links }, () => new Set<string>());
    this.linkDown = Array.from({ length: scenario.links }, () => false);
    this.arbiter = initialArbiter({ leaseMs: 2000, holdMs: 300, preference: "priority-then-lowest" });
    this.nodes = scenario.nodeIds.map((id) => this.boot(id, 0, 0, undefined));
  }

  private localMs(id: number): number {
    return Math.floor(this.nowMs * this.scenario.clockRates[id - 1]!);
  }

  private boot(id: number, restarts: number, lastRingId: number, saved: SavedVoters | undefined): SimNode {
    const { scenario } = this;
    const settings = { nodeIds: scenario.nodeIds, heartbeatMs: scenario.heartbeatMs, tokenMs: scenario.tokenMs, rejoinHoldMs: 200, flapDoublingsMax: 4, flapForgetMs: 10_000, ...probeTiming(scenario.heartbeatMs) };
    return {
      id, up: true, restarts, sequence: 0, lastRingId, saved, stalledUntilMs: 0, stalledSinceMs: undefined, held: [],
      codec: new FrameCodec({ clusterName: "sim", authkey: AUTHKEY, knownSenders: scenario.nodeIds, localId: id }),
      membership: initialMembership(settings, id, restarts + 1, this.localMs(id), lastRingId),
      quorum: initialQuorum(scenario.quorum, saved),
      arbiter: initialArbiterClient(250),
    };
  }

  private send(packet: Packet, link: number, from: number | "arbiter", to: number | "arbiter"): void {
    if (link >= 0 && (this.linkDown[link] || this.cuts[link]!.has(`${from}>${to}`))) return;
    if (this.random.chance(this.loss)) return;
    const copies = this.random.chance(this.scenario.duplicateProbability) ? 2 : 1;
    for (let copy = 0; copy < copies; copy++) {
      const delay = this.random.between(this.scenario.delayMsMin, this.scenario.delayMsMax);
      this.queue.push({ atMs: this.nowMs + delay, order: this.order++, packet });
    }
  }

  private broadcast(node: SimNode, heartbeat: Heartbeat): void {
    const report = quorumReport(node.quorum, heartbeat.proposal === null);
    this.stepQuorum(node, { kind: "report", from: node.id, report });
    const body = encodeHeartbeat(heartbeat, report);
    for (const peer of this.scenario.nodeIds) {
      if (peer === node.id) continue;
      for (let link = 0; link < this.scenario.links; link++) {
        const bytes = node.codec.encode({ senderId: node.id, incarnation: node.restarts + 1, sequence: ++node.sequence, kind: "heartbeat", body });
        this.frames++;
        this.send({ kind: "frame", to: peer, bytes }, link, node.id, peer);
      }
    }
  }

  private feed(node: SimNode, input: Parameters<typeof stepMembership>[1]): void {
    const { state, effects } = stepMembership(node.membership, input);
    node.membership = state;
    for (const effect of effects) {
      if (effect.kind === "broadcast") this.broadcast(node, effect.heartbeat);
      else {
        if (effect.view.ringId <= node.lastRingId) this.fail(`node ${node.id}: ring id went from ${node.lastRingId} back to ${effect.view.ringId}`);
        node.lastRingId = effect.view.ringId;
        this.stepQuorum(node, { kind: "view", members: effect.view.members, ringId: effect.view.ringId, nowMs: this.localMs(node.id) });
      }
    }
  }

  private deliver(packet: Packet): void {
    if (packet.kind === "vote-request") {
      if (!this.arbiterUp) return;
      const result = arbiterRequest(this.arbiter, { nodeId: packet.from, members: packet.members, ringId: packet.ringId, priority: 0 }, this.nowMs);
      this.arbiter = result.state;
      this.send({ kind: "vote-reply", to: packet.from, ...result.reply, sentAtMs: packet.sentAtMs }, -1, "arbiter", packet.from);
      return;
    }
    const node = this.nodes[packet.to - 1]!;
    if (!node.up) return;
    if (this.nowMs < node.stalledUntilMs) {
      if (node.held.length < 10_000) node.held.push(packet);
      return;
    }
    if (packet.kind === "vote-reply") {
      node.arbiter = replyReceived(node.arbiter, packet);
      return;
    }
    const decoded = node.codec.decode(packet.bytes);
    if (!decoded.ok) return;
    const body = decodeHeartbeat(decoded.frame.body);
    if (!body.ok) return this.fail(`node ${node.id}: an authenticated heartbeat did not decode (${body.reason})`);
    if (body.report !== undefined) this.stepQuorum(node, { kind: "report", from: decoded.frame.senderId, report: body.report });
    this.feed(node, { kind: "heartbeat", from: decoded.frame.senderId, heartbeat: body.heartbeat, nowMs: this.localMs(node.id) });
  }

  private tickNode(node: SimNode): void {
    const nowMs = this.localMs(node.id);
    this.feed(node, { kind: "tick", nowMs });
    if (this.scenario.quorum.arbiter) {
      const view = node.membership.view;
      if (requestDue(node.arbiter, nowMs)) {
        node.arbiter = requestSent(node.arbiter, nowMs);
        this.send({ kind: "vote-request", from: node.id, members: view.members, ringId: view.ringId, sentAtMs: nowMs }, -1, node.id, "arbiter");
      }
      const vote = holdsVote(node.arbiter, view.members, view.ringId, nowMs);
      if (vote !== node.quorum.arbiterVote) this.stepQuorum(node, { kind: "arbiter", granted: vote });
    }
    this.stepQuorum(node, { kind: "tick", nowMs });
  }

  private stepQuorum(node: SimNode, input: QuorumInput): void {
    const before = node.quorum.voters.epoch;
    node.quorum = this.rules.step(node.quorum, input);
    if (node.quorum.voters.epoch < before) this.fail(`node ${node.id}: last_man_standing voter epoch went from ${before} back to ${node.quorum.voters.epoch}`);
    node.saved = savedVoters(node.quorum);
  }

  /** One step of STEP_MS: deliver what is due, tick every live node, check the invariants. */
  step(): void {
    this.nowMs += STEP_MS;
    const due = this.queue.filter((item) => item.atMs <= this.nowMs).sort((a, b) => a.atMs - b.atMs || a.order - b.order);
    this.queue = this.queue.filter((item) => item.atMs > this.nowMs);
    for (const item of due) this.deliver(item.packet);
    for (const node of this.nodes) {
      if (!node.up || this.nowMs < node.stalledUntilMs) continue;
      if (node.stalledSinceMs !== undefined) this.resume(node);
      this.tickNode(node);
    }
    this.checkSafety();
  }

  private fail(message: string): void {
    this.violation ??= { timeMs: this.nowMs, message };
  }

  private quorate(node: SimNode): boolean {
    return node.up && this.rules.summarize(node.quorum).quorate;
  }

  /**
   * A node drops a member it no longer hears within this long: the token, then a few
   * heartbeats for the rest of its group to agree. It catches views kept stale forever.
   */
  private staleViewMsMax(): number {
    return this.scenario.tokenMs * 6;
  }

  private checkStaleViews(): void {
    for (const node of this.nodes) {
      // A stalled node cannot act; it is judged once it runs again (and has credited its pause).
      if (!node.up || this.nowMs < node.stalledUntilMs) continue;
      const nowMs = this.localMs(node.id);
      for (const member of node.membership.view.members) {
        const peer = node.membership.peers[member];
        if (member === node.id || peer === undefined) continue;
        if (nowMs - peer.lastHeardMs > this.staleViewMsMax()) {
          this.fail(`node ${node.id} keeps node ${member} in its view [${node.membership.view.members}] after ${nowMs - peer.lastHeardMs} ms without hearing it`);
        }
      }
    }
  }

  private checkSafety(): void {
    this.checkStaleViews();
    // two_node without an arbiter lets both halves be quorate on purpose (fencing decides).
    if (twoNodeActive(this.scenario.quorum)) return;
    const quorate = this.nodes.filter((node) => this.quorate(node));
    for (const a of quorate) for (const b of quorate) {
      if (a.id >= b.id) continue;
      const membersA = a.membership.view.members;
      if (!b.membership.view.members.some((id) => membersA.includes(id))) {
        this.fail(`disjoint partitions both quorate: node ${a.id} view [${membersA}] and node ${b.id} view [${b.membership.view.members}]`);
      }
    }
  }

  private injectFault(): void {
    const { random } = this;
    const ids = this.scenario.nodeIds;
    switch (random.between(0, 8)) {
      case 0: {
        const side = new Set(ids.filter(() => random.chance(0.5)));
        const oneWay = random.chance(0.4);
        const link = random.between(0, this.scenario.links - 1);
        for (const a of ids) for (const b of ids) if (side.has(a) && !side.has(b)) {
          this.cuts[link]!.add(`${a}>${b}`);
          if (!oneWay) this.cuts[link]!.add(`${b}>${a}`);
        }
        break;
      }
      case 1: this.cuts.forEach((cut) => cut.clear()); break;
      case 2: this.linkDown[random.between(0, this.scenario.links - 1)] = true; break;
      case 3: this.linkDown.fill(false); break;
      case 4: { const node = this.nodes[random.between(0, ids.length - 1)]!; node.up = false; break; }
      case 5: this.restartDown(); break;
      case 6: this.loss = random.next() * this.scenario.lossMax; break;
      case 7: if (this.scenario.quorum.arbiter) this.arbiterUp = !this.arbiterUp; break;
      case 8: this.stall(this.nodes[random.between(0, ids.length - 1)]!, random.between(100, 1500)); break;
    }
  }

  private restartDown(): void {
    for (const [index, node] of this.nodes.entries()) if (!node.up) this.nodes[index] = this.boot(node.id, node.restarts + 1, node.lastRingId, node.saved);
  }

  /** The runner's view of a stall: membership is told of the pause, then reads what queued up. */
  private resume(node: SimNode): void {
    const pausedMs = this.localMs(node.id) - Math.floor(node.stalledSinceMs! * this.scenario.clockRates[node.id - 1]!);
    node.stalledSinceMs = undefined;
    this.feed(node, { kind: "paused", pausedMs, nowMs: this.localMs(node.id) });
    for (const packet of node.held.splice(0)) this.deliver(packet);
  }

  private stall(node: SimNode, durationMs: number): void {
    if (!node.up || this.nowMs < node.stalledUntilMs) return;
    node.stalledSinceMs = this.nowMs;
    node.stalledUntilMs = this.nowMs + durationMs;
  }

  private healAll(): void {
    for (const node of this.nodes) node.stalledUntilMs = Math.min(node.stalledUntilMs, this.nowMs);
    this.cuts.forEach((cut) => cut.clear());
    this.linkDown.fill(false);
    this.loss = 0;
    this.arbiterUp = true;
    this.restartDown();
  }

  private settled(): boolean {
    const first = this.nodes[0]!.membership.view;
    return this.nodes.every((node) => node.membership.view.ringId === first.ringId && node.membership.view.members.length === this.nodes.length && this.quorate(node));
  }

  run(): RunResult {
    const { scenario } = this;
    while (this.nowMs < scenario.chaosMs && this.violation === undefined) {
      if (this.nowMs % scenario.faultEveryMs === 0 && this.random.chance(0.5)) this.injectFault();
      this.step();
    }
    this.healAll();
    const healedAtMs = this.nowMs;
    let settledAfterMs: number | undefined;
    while (this.violation === undefined && this.nowMs - healedAtMs <= scenario.settleMsMax) {
      this.step();
      if (this.settled()) { settledAfterMs = this.nowMs - healedAtMs; break; }
    }
    if (this.violation === undefined && settledAfterMs === undefined) {
      const views = this.nodes.map((node) => `${node.id}:r${node.membership.view.ringId}[${node.membership.view.members}]`).join(" ");
      this.fail(`views did not converge within ${scenario.settleMsMax} ms after faults healed: ${views}`);
    }
    const dropped = this.nodes.reduce((sum, node) => sum + node.codec.counters.replay + node.codec.counters.auth, 0);
    const viewChanges = this.nodes.reduce((sum, node) => sum + node.membership.viewChanges, 0);
    return { seed: scenario.seed, nodes: this.nodes.length, violation: this.violation, viewChanges, frames: this.frames, dropped, settledAfterMs };
  }
}

export function runSeed(seed: number, nodeCount?: number, rules?: QuorumRules): RunResult {
  return new World(scenarioFor(seed, nodeCount), rules).run();
}

export function replayCommand(result: RunResult, nodesGiven: boolean): string {
  return `edgeha sim --seed ${result.seed}${nodesGiven ? ` --nodes ${result.nodes}` : ""}`;
}
