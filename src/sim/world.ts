// The simulated world: N nodes running the node's protocol stack (src/stack: the real frame
// codec, membership, quorum and arbiter client, as the agent runs them) over a simulated
// network, clock and disk. Faults come from the seed; invariants are checked after every step;
// a liveness phase follows once every fault is healed.
import { twoNodeActive } from "../quorum";
import { ArbiterResponder, MembershipStack, QUORUM_RULES, type MembershipStackEffect, type PersistedMembership, type QuorumRules } from "../stack";
import { Random } from "./random";
import { scenarioFor, type Scenario } from "./scenario";

export type { QuorumRules };

interface SimNode {
  id: number;
  up: boolean;
  restarts: number;
  /** A stalled node (its event loop blocked) handles nothing until then; packets wait for it. */
  stalledUntilMs: number;
  held: Packet[];
  stack: MembershipStack;
  /** When the node's runner next wakes its stack (on its own clock). */
  wakeAtMs: number;
  /** The membership state file, kept across restarts as the agent keeps it in its state dir. */
  saved: PersistedMembership;
  /** Its stack halted after a stall as long as the token: the agent exits and is started again. */
  stalledOut: boolean;
}

interface Packet { to: number | "arbiter"; from: number; link: number; bytes: Buffer }

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
  private readonly arbiter: ArbiterResponder;
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

  constructor(scenario: Scenario, rules: QuorumRules = QUORUM_RULES) {
    this.scenario = scenario;
    this.random = new Random(scenario.seed * 7919 + 1);
    this.rules = rules;
    this.cuts = Array.from({ length: scenario.links }, () => new Set<string>());
    this.linkDown = Array.from({ length: scenario.links }, () => false);
    this.arbiter = new ArbiterResponder({ clusterName: "sim", authkey: AUTHKEY, settings: { leaseMs: 2000, holdMs: 300, preference: "priority-then-lowest" }, incarnation: 1, knownSenders: scenario.nodeIds });
    this.nodes = scenario.nodeIds.map((id) => this.boot(id, 0, { ringId: 0 }));
  }

  private localMs(id: number): number {
    return Math.floor(this.nowMs * this.scenario.clockRates[id - 1]!);
  }

  private boot(id: number, restarts: number, saved: PersistedMembership): SimNode {
    const { scenario } = this;
    const stack = new MembershipStack({
      clusterName: "sim", authkey: AUTHKEY, localId: id, nodes: scenario.nodeIds.map((node) => ({ id: node, links: scenario.links })), localLinks: scenario.links,
      incarnation: restarts + 1, heartbeatMs: scenario.heartbeatMs, tokenMs: scenario.tokenMs, rejoinHoldMs: 200, flapDoublingsMax: 4, flapForgetMs: 10_000,
      quorum: scenario.quorum, arbiterLinks: scenario.quorum.arbiter ? [0] : [], reportQuorum: scenario.quorum.lastManStanding, saved, quorumRules: this.rules,
    }, this.localMs(id));
    return { id, up: true, restarts, stalledUntilMs: 0, held: [], stack, wakeAtMs: this.localMs(id), saved, stalledOut: false };
  }

  private send(packet: Packet): void {
    const { from, to, link } = packet;
    if (to !== "arbiter" && (this.linkDown[link] || this.cuts[link]!.has(`${from}>${to}`))) return;
    if (this.random.chance(this.loss)) return;
    const copies = this.random.chance(this.scenario.duplicateProbability) ? 2 : 1;
    for (let copy = 0; copy < copies; copy++) {
      const delay = this.random.between(this.scenario.delayMsMin, this.scenario.delayMsMax);
      this.queue.push({ atMs: this.nowMs + delay, order: this.order++, packet });
    }
  }

  private perform(node: SimNode, effects: MembershipStackEffect[]): void {
    for (const effect of effects) {
      switch (effect.kind) {
        case "transmit":
          if (effect.frame === "heartbeat") this.frames++;
          this.send({ from: node.id, to: effect.to, link: effect.link, bytes: effect.bytes });
          break;
        case "persist": {
          const before = node.saved;
          if (effect.state.ringId < before.ringId) this.fail(`node ${node.id}: ring id went from ${before.ringId} back to ${effect.state.ringId}`);
          const epochBefore = before.voters?.voters.epoch ?? 0;
          const epochAfter = effect.state.voters?.voters.epoch ?? 0;
          if (epochAfter < epochBefore) this.fail(`node ${node.id}: last_man_standing voter epoch went from ${epochBefore} back to ${epochAfter}`);
          node.saved = effect.state;
          break;
        }
        case "view":
          if (effect.view.ringId > node.saved.ringId) this.fail(`node ${node.id}: view ${effect.view.ringId} shown before it was stored`);
          break;
        case "quorum": case "message": case "log": case "advert":
          break;
        case "stalled":
          // The agent stops its resources and exits; its service manager starts it again.
          node.up = false;
          node.stalledOut = true;
          break;
        default: {
          const unknown: never = effect;
          return unknown;
        }
      }
    }
  }

  private deliver(packet: Packet): void {
    if (packet.to === "arbiter") {
      if (!this.arbiterUp) return;
      const answer = this.arbiter.receive(packet.bytes, this.nowMs);
      if (answer !== undefined) this.send({ from: 0, to: packet.from, link: packet.link, bytes: answer.reply });
      return;
    }
    const node = this.nodes[packet.to - 1]!;
    if (!node.up) return;
    if (this.nowMs < node.stalledUntilMs) {
      if (node.held.length < 10_000) node.held.push(packet);
      return;
    }
    this.perform(node, node.stack.receive(packet.link, packet.bytes, this.localMs(node.id)));
  }

  private tickNode(node: SimNode): void {
    const nowMs = this.localMs(node.id);
    if (nowMs < node.wakeAtMs) return;
    this.perform(node, node.stack.tick(nowMs));
    node.wakeAtMs = node.stack.nextWakeMs(nowMs) + 1;
  }

  /** One step of STEP_MS: deliver what is due, tick every live node, check the invariants. */
  step(): void {
    this.nowMs += STEP_MS;
    const due = this.queue.filter((item) => item.atMs <= this.nowMs).sort((a, b) => a.atMs - b.atMs || a.order - b.order);
    this.queue = this.queue.filter((item) => item.atMs > this.nowMs);
    for (const item of due) this.deliver(item.packet);
    for (const [index, node] of this.nodes.entries()) if (node.stalledOut) this.nodes[index] = this.boot(node.id, node.restarts + 1, node.saved);
    for (const node of this.nodes) {
      if (!node.up || this.nowMs < node.stalledUntilMs) continue;
      // A node that was stalled reads what queued up meanwhile (its stack notices the pause).
      for (const packet of node.held.splice(0)) this.deliver(packet);
      this.tickNode(node);
    }
    this.checkSafety();
  }

  private fail(message: string): void {
    this.violation ??= { timeMs: this.nowMs, message };
  }

  private quorate(node: SimNode): boolean {
    return node.up && node.stack.quorum().quorate;
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
      const membership = node.stack.membership;
      for (const member of membership.view.members) {
        const peer = membership.peers[member];
        if (member === node.id || peer === undefined) continue;
        if (nowMs - peer.lastHeardMs > this.staleViewMsMax()) {
          this.fail(`node ${node.id} keeps node ${member} in its view [${membership.view.members}] after ${nowMs - peer.lastHeardMs} ms without hearing it`);
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
      const membersA = a.stack.view.members;
      if (!b.stack.view.members.some((id) => membersA.includes(id))) {
        this.fail(`disjoint partitions both quorate: node ${a.id} view [${membersA}] and node ${b.id} view [${b.stack.view.members}]`);
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
    for (const [index, node] of this.nodes.entries()) if (!node.up) this.nodes[index] = this.boot(node.id, node.restarts + 1, node.saved);
  }

  private stall(node: SimNode, durationMs: number): void {
    if (!node.up || this.nowMs < node.stalledUntilMs) return;
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
    const first = this.nodes[0]!.stack.view;
    return this.nodes.every((node) => node.stack.view.ringId === first.ringId && node.stack.view.members.length === this.nodes.length && this.quorate(node));
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
      const views = this.nodes.map((node) => `${node.id}:r${node.stack.view.ringId}[${node.stack.view.members}]`).join(" ");
      this.fail(`views did not converge within ${scenario.settleMsMax} ms after faults healed: ${views}`);
    }
    const dropped = this.nodes.reduce((sum, node) => sum + (node.stack.counters.replay ?? 0) + (node.stack.counters.auth ?? 0), 0);
    const viewChanges = this.nodes.reduce((sum, node) => sum + node.stack.membership.viewChanges, 0);
    return { seed: scenario.seed, nodes: this.nodes.length, violation: this.violation, viewChanges, frames: this.frames, dropped, settledAfterMs };
  }
}

export function runSeed(seed: number, nodeCount?: number, rules?: QuorumRules): RunResult {
  return new World(scenarioFor(seed, nodeCount), rules).run();
}

export function replayCommand(result: RunResult, nodesGiven: boolean): string {
  return `edgeha sim --seed ${result.seed}${nodesGiven ? ` --nodes ${result.nodes}` : ""}`;
}
