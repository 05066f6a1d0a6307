// The safety invariants (DESIGN.md), checked against the simulated world's truth after every
// step: what really runs where, what the CLI was really told, which frames were really bad.
// The nodes' beliefs are read only where an invariant is about them (one DC per quorate
// partition, the quorum a node computed itself).
import { FrameCodec } from "../transport";
import type { ControllerEffect, ControllerInput } from "../controller";
import type { PersistedMembership } from "../stack";
import { twoNodeActive } from "../quorum";
import { changesIn } from "./changes";
import type { Datagram } from "./network";
import type { Observer } from "./observe";
import { readMembershipFile } from "../node/membership-file";
import { quorumGraceMs, STATE_DIR, type Agent, type SimNode, type World } from "./world";

export const SAFETY_INVARIANTS = [
  "no-double-active", "acked-change-durable", "one-dc", "quorum-gates-resources", "fence-before-start", "bad-frames-change-nothing", "fence-only-for-cause",
  "ring-ids-only-grow", "quorate-partitions-overlap", "silent-members-leave", "assertions-hold",
] as const;
export type Invariant = (typeof SAFETY_INVARIANTS)[number] | "liveness";

export interface Violation { invariant: Invariant; timeMs: number; message: string }

/** Two DCs in one quorate view are tolerated this long (joins crossing in flight). */
const ONE_DC_GRACE_MS = 2000;
/** More transitions than this within one simulated second on one DC is a re-planning storm (issue 15, A1). */
const TRANSITIONS_PER_SECOND_MAX = 15;
/** An operation the DC sent while it had quorum may arrive this much later. */
const IN_FLIGHT_MARGIN_MS = 200;
/** Injected bad frames per delivered frame. */
const BAD_FRAME_PROBABILITY = 0.01;

interface Acknowledged { id: number; version: string; words: string; atMs: number; held: Set<number> }

export class Checker implements Observer {
  /** The first violation of each invariant, in the order found. */
  readonly violations = new Map<Invariant, Violation>();
  readonly checked = new Set<Invariant>();
  readonly acknowledged: Acknowledged[] = [];
  badFrames = 0;
  /** Nodes where a resource may still run as far as anyone can know (started, not seen stopped, not fenced since). */
  private readonly mayRun = new Map<string, Set<string>>();
  private readonly twoDcsSince = new Map<string, number>();
  private readonly captured = new Map<number, Array<{ incarnation: number; datagram: Datagram }>>();
  private readonly foreign = new FrameCodec({ clusterName: "another-cluster", authkey: Buffer.from("another cluster's key"), knownSenders: [1, 2, 3, 4, 5], localId: 99 });
  private foreignSequence = 0;
  /** When each DC started its recent transitions (the last second's worth). */
  private readonly recentTransitions = new Map<string, number[]>();
  /** Since when each node's agent process has had no quorum (its own quorum core's answer). */
  private readonly quorumLostAt = new Map<string, { agent: Agent; sinceMs: number }>();
  /** Acknowledged changes in a configuration that a DC kept aside as the losing side of a conflict. */
  private readonly setAside = new Set<number>();
  /** Nodes where a simulated agent really failed or hung a stop since they last lost power. */
  private readonly stopFailedOn = new Set<string>();
  /** The nodes each agent process has had in a view. */
  private readonly seenInViews = new WeakMap<Agent, Set<number>>();
  /** The node each resource last started on. */
  private readonly lastStartedOn = new Map<string, number>();

  constructor(private readonly world: World) {
    const { scenario } = world;
    for (const name of ["ring-ids-only-grow", "quorate-partitions-overlap", "silent-members-leave", "bad-frames-change-nothing", "assertions-hold"] as const) this.checked.add(name);
    if (scenario.cluster) for (const name of ["acked-change-durable", "one-dc", "quorum-gates-resources"] as const) this.checked.add(name);
    if (scenario.cluster && scenario.stonith) for (const name of ["no-double-active", "fence-before-start", "fence-only-for-cause"] as const) this.checked.add(name);
  }

  /** The first invariant broken in the run. */
  get violation(): Violation | undefined {
    return this.violations.values().next().value;
  }

  fail(invariant: Invariant, message: string): void {
    if (this.violations.has(invariant)) return;
    this.violations.set(invariant, { invariant, timeMs: this.world.nowMs, message });
    this.world.note(`VIOLATION ${invariant}: ${message}`);
  }

  /** Whether an invariant is still to be checked: it applies to this run and has not been broken yet. */
  private checks(invariant: Invariant): boolean {
    return this.checked.has(invariant) && !this.violations.has(invariant);
  }

  // ---- resources ------------------------------------------------------------------

  startBegan(node: SimNode, resource: string): void {
    if (this.checks("quorum-gates-resources") && node.agent !== undefined && !this.inQuoratePartition(node)) this.startWithoutQuorum(node, resource);
    this.lastStartedOn.set(resource, node.id);
    const others = [...(this.mayRun.get(resource) ?? [])].filter((name) => name !== node.name);
    if (this.checks("fence-before-start") && others.length > 0) {
      const unseen = this.unseenByDc(node, others);
      this.fail("fence-before-start", `${resource} starts on ${node.name} while it may still run on ${others.join(", ")}, not seen stopped and not fenced${unseen ? `; ${unseen}` : ""}`);
    }
    const set = this.mayRun.get(resource) ?? new Set<string>();
    set.add(node.name);
    this.mayRun.set(resource, set);
  }

  /**
   * A start on a node whose partition has no quorum goes no further than no-quorum-policy:
   * with freeze (and during the quorum grace, when the DC holds everything as it is) only a
   * resource that last started within the partition may start again there (recovered in
   * place, as Pacemaker does); with stop, nothing starts once the grace is over.
   */
  private startWithoutQuorum(node: SimNode, resource: string): void {
    const { scenario } = this.world;
    const lost = this.quorumLostAt.get(node.name);
    const lostForMs = lost !== undefined && lost.agent === node.agent ? this.world.nowMs - lost.sinceMs : 0;
    const frozen = scenario.noQuorumPolicy === "freeze" || lostForMs < quorumGraceMs(scenario) + IN_FLIGHT_MARGIN_MS;
    const last = this.lastStartedOn.get(resource);
    const partition = node.agent!.core.stack.view.members;
    if (!frozen) this.fail("quorum-gates-resources", `${resource} starts on ${node.name}, whose partition has had no quorum for ${lostForMs} ms (no-quorum-policy stop)`);
    else if (last === undefined || !partition.includes(last)) this.fail("quorum-gates-resources", `${resource} starts on ${node.name}, whose partition has no quorum, though it ${last === undefined ? "ran nowhere" : `last ran on node${last}, outside the partition`} (no-quorum-policy ${scenario.noQuorumPolicy}${scenario.noQuorumPolicy === "freeze" ? "" : " after a grace in which it freezes"})${this.groupPeerRunning(node, resource) ? "; another member of its group runs" : ""}`);
  }

  /** Another member of the resource's group runs (or may run) on a node of this node's partition. */
  private groupPeerRunning(node: SimNode, resource: string): boolean {
    const group = node.agent!.controller.configuration.resources.find((each) => each.kind === "group" && each.members.some((member) => member.id === resource));
    if (group === undefined || group.kind !== "group") return false;
    const partition = new Set(node.agent!.core.stack.view.members.map((id) => `node${id}`));
    // As far as the cluster knows: started there and not seen stopped since.
    return group.members.some((member) => member.id !== resource && [...(this.mayRun.get(member.id) ?? [])].some((name) => partition.has(name)));
  }

  /**
   * The node holds quorum, or a member of its agreed view does (a node that just restarted
   * with wait_for_all counts itself quorate only once it has seen every node, while the
   * partition it joined is quorate all along).
   */
  private inQuoratePartition(node: SimNode): boolean {
    const stack = node.agent!.core.stack;
    if (stack.quorate) return true;
    const view = stack.view;
    return this.world.nodes.some((other) => {
      const otherStack = other.agent?.core.stack;
      return otherStack !== undefined && other !== node && view.members.includes(other.id) && otherStack.view.ringId === view.ringId && otherStack.quorate;
    });
  }

  /** "the DC node2 has not seen node1 since its agent started", when that is so. */
  private unseenByDc(node: SimNode, others: string[]): string | undefined {
    const dcName = node.agent?.controller.dcName;
    const dc = dcName === undefined ? undefined : this.world.node(dcName)?.agent;
    if (dc === undefined) return undefined;
    const seen = this.seenInViews.get(dc) ?? new Set<number>();
    const unseen = others.filter((name) => !seen.has(this.world.node(name).id));
    return unseen.length > 0 ? `the DC ${dcName} has not seen ${unseen.join(", ")} since its agent started` : undefined;
  }

  activeChanged(_node: SimNode, resource: string): void {
    const nodes = this.world.active.get(resource);
    if (this.checks("no-double-active") && nodes !== undefined && nodes.size > 1) this.fail("no-double-active", `${resource} runs on ${[...nodes].join(" and ")} at once`);
  }

  observed(node: SimNode, resource: string, running: boolean): void {
    if (!running) this.mayRun.get(resource)?.delete(node.name);
  }

  fenced(node: SimNode): void {
    for (const nodes of this.mayRun.values()) nodes.delete(node.name);
  }

  stopFailed(node: SimNode): void {
    this.stopFailedOn.add(node.name);
  }

  crashed(node: SimNode, message: string): void {
    if (this.checks("assertions-hold")) this.fail("assertions-hold", message.startsWith("dropped an invalid message") ? `${node.name} ${message}` : `${node.name}'s agent ends on a failed assertion: ${message}`);
  }

  poweredOff(node: SimNode): void {
    this.stopFailedOn.delete(node.name);
  }

  /**
   * A node the DC still sees in its view is fenced only when a stop really failed there (the
   * agent failed or hung, as the seed said): a routine change (a resource deleted, say) must
   * never turn into a fence. Nodes that left the view are fenced for being lost.
   */
  private fenceRequested(node: SimNode, agent: Agent, target: string): void {
    const member = this.world.node(target);
    if (member === undefined || !agent.core.stack.view.members.includes(member.id) || this.stopFailedOn.has(target)) return;
    this.fail("fence-only-for-cause", `${node.name} fences ${target}, a member of its view where no stop failed`);
  }

  // ---- configuration ------------------------------------------------------------------

  /** The CLI was told a change is done. */
  acknowledgedChange(id: number, version: string, words: string, held: Set<number>): void {
    this.world.counters.acknowledged++;
    if (this.checks("acked-change-durable")) {
      for (const earlier of this.acknowledged) {
        const contains = (outer: Set<number>, inner: Set<number>) => [...inner].every((each) => outer.has(each));
        if (!contains(held, earlier.held) && !contains(earlier.held, held)) {
          this.fail("acked-change-durable", `two acknowledged changes do not build on each other: "${earlier.words}" (${earlier.version}) and "${words}" (${version}); one of them is lost${this.pairWithoutFencing()}`);
        }
      }
    }
    this.acknowledged.push({ id, version, words, atMs: this.world.nowMs, held });
  }

  /** A DC dispatched a step of a transition: counted once per transition, and its rate bounded. */
  private transition(node: SimNode, agent: Agent, id: number): void {
    const key = `${node.name}/${agent.incarnation}/${id}`;
    if (this.world.transitionsSeen.has(key)) return;
    this.world.transitionsSeen.add(key);
    const recent = (this.recentTransitions.get(node.name) ?? []).filter((atMs) => this.world.nowMs - atMs < 1000);
    recent.push(this.world.nowMs);
    this.recentTransitions.set(node.name, recent);
    if (recent.length > TRANSITIONS_PER_SECOND_MAX) this.fail("liveness", `${node.name} as DC started ${recent.length} transitions within one second (re-planning without end)`);
  }

  controller(node: SimNode, agent: Agent, input: ControllerInput, effects: ControllerEffect[]): void {
    if (input.kind === "view") {
      const seen = this.seenInViews.get(agent) ?? new Set<number>();
      for (const id of input.members) seen.add(id);
      this.seenInViews.set(agent, seen);
    }
    for (const effect of effects) {
      if (effect.kind === "run" && !(input.kind === "message" && input.message.t === "op")) this.transition(node, agent, effect.transition);
      if (effect.kind === "fence" && this.checks("fence-only-for-cause")) this.fenceRequested(node, agent, effect.target);
      if (effect.kind === "keep-conflict") for (const id of changesIn(effect.cib)) this.setAside.add(id);
      if (effect.kind !== "send") continue;
      if (effect.message.t === "op") this.transition(node, agent, effect.message.transition);
      if (effect.message.t === "cib" && this.checks("acked-change-durable") && agent.controller.isDc && agent.core.stack.quorate) {
        const held = changesIn(agent.controller.configuration);
        const missing = this.acknowledged.filter((change) => !held.has(change.id));
        if (missing.length > 0) this.fail("acked-change-durable", `${node.name}, DC of a quorate partition, distributes a configuration without the acknowledged change "${missing[0]!.words}" (${missing[0]!.version})${this.setAsideWords(missing[0]!.id)}${this.pairWithoutFencing()}`);
      }
    }
  }

  /** Words for a lost change that a DC set aside loudly (kept in a conflict file, logged as an error). */
  private setAsideWords(id: number): string {
    return this.setAside.has(id) && !this.world.nodes.some((node) => node.agent !== undefined && changesIn(node.agent.controller.configuration).has(id)) ? "; it was set aside loudly as the losing side of a conflict" : "";
  }

  /**
   * A pair without fencing and without an arbiter: both halves of a split keep quorum (two_node)
   * and each takes changes; at the merge one side's are set aside (the documented limit, see
   * known-defects.ts), since a half cannot tell a dead peer from a split.
   */
  private pairWithoutFencing(): string {
    const { scenario } = this.world;
    return !scenario.stonith && scenario.nodeIds.length === 2 && twoNodeActive(scenario.quorum) ? " (a pair without fencing, whose halves both keep quorum in a split)" : "";
  }

  /** At the end: every node's configuration holds every acknowledged change. */
  finalConfigurations(): void {
    if (!this.checks("acked-change-durable")) return;
    for (const node of this.world.nodes) {
      const cib = node.agent?.controller.configuration;
      if (cib === undefined) continue;
      const held = changesIn(cib);
      const missing = this.acknowledged.filter((change) => !held.has(change.id));
      if (missing.length > 0) this.fail("acked-change-durable", `${node.name}'s configuration lacks the acknowledged change "${missing[0]!.words}" (${missing[0]!.version})${this.setAsideWords(missing[0]!.id)}${this.pairWithoutFencing()}`);
    }
  }

  // ---- membership and the DC ------------------------------------------------------------

  persistedMembership(node: SimNode, state: PersistedMembership): void {
    const before = readMembershipFile(STATE_DIR, node.disk).state;
    if (state.ringId < before.ringId) this.fail("ring-ids-only-grow", `${node.name}: ring id went from ${before.ringId} back to ${state.ringId}`);
    const epochBefore = before.voters?.voters.epoch ?? 0;
    const epochAfter = state.voters?.voters.epoch ?? 0;
    if (epochAfter < epochBefore) this.fail("ring-ids-only-grow", `${node.name}: last_man_standing voter epoch went from ${epochBefore} back to ${epochAfter}`);
  }

  /** The controller's own words for the trace: elections, joins, yielding, fencing, quorum. */
  logged(node: SimNode, message: string, fields: Record<string, unknown>): void {
    if (!/DC|join|yield|fenc|quorum|adopting|conflict|membership view/i.test(message)) return;
    const words = (value: unknown): string => Array.isArray(value) ? value.map((each) => (typeof each === "number" ? `node${each}` : String(each))).join(" ") : String(value);
    const detail = Object.entries(fields)
      .filter(([key]) => ["dc", "to", "from", "target", "ringId", "version", "members", "missing"].includes(key))
      .map(([key, value]) => `${key === "ringId" ? "ring" : key} ${words(value)}`).join(", ");
    this.world.note(`${node.name}: ${message}${detail ? ` (${detail})` : ""}`);
  }

  /** After a step of one node: what that step can have changed is checked (views, quorum, DCs). */
  stepped(node: SimNode): void {
    const stack = node.agent?.core.stack;
    if (stack === undefined || !this.world.serving(node)) return;
    const quorate = stack.quorate;
    const lost = this.quorumLostAt.get(node.name);
    if (quorate) this.quorumLostAt.delete(node.name);
    else if (lost === undefined || lost.agent !== node.agent) this.quorumLostAt.set(node.name, { agent: node.agent!, sinceMs: this.world.nowMs });
    this.checkStaleView(node);
    if (quorate) this.checkDisjointQuorate(node);
    if (this.world.scenario.cluster) this.checkOneDc();
  }

  private running(): SimNode[] {
    return this.world.nodes.filter((node) => this.world.serving(node));
  }

  /** A node drops a member it no longer hears within the token and a few heartbeats for the rest of its group to agree. */
  private checkStaleView(node: SimNode): void {
    const membership = node.agent!.core.stack.membership;
    const staleMsMax = this.world.scenario.tokenMs * 6;
    const nowMs = this.world.localMs(node);
    for (const member of membership.view.members) {
      const peer = membership.peers[member];
      if (member === node.id || peer === undefined) continue;
      if (nowMs - peer.lastHeardMs > staleMsMax) this.fail("silent-members-leave", `${node.name} keeps node${member} in its view [${membership.view.members}] after ${nowMs - peer.lastHeardMs} ms without hearing it`);
    }
  }

  /** Two quorate nodes never hold disjoint views (two_node without an arbiter excepted: there fencing decides). */
  private checkDisjointQuorate(node: SimNode): void {
    if (twoNodeActive(this.world.scenario.quorum)) return;
    const members = node.agent!.core.stack.view.members;
    for (const other of this.running()) {
      if (other === node || !other.agent!.core.stack.quorate) continue;
      const otherMembers = other.agent!.core.stack.view.members;
      if (!otherMembers.some((id) => members.includes(id))) {
        const [a, b] = node.id < other.id ? [node, other] : [other, node];
        this.fail("quorate-partitions-overlap", `disjoint partitions both quorate: ${a.name} with [${a.agent!.core.stack.view.members}] and ${b.name} with [${b.agent!.core.stack.view.members}]`);
      }
    }
  }

  private checkOneDc(): void {
    const byView = new Map<string, string[]>();
    for (const node of this.running()) {
      const agent = node.agent!;
      if (!agent.controller.isDc || !agent.core.stack.quorate) continue;
      const view = agent.core.stack.view;
      const key = `${view.ringId}:${view.members.join(",")}`;
      byView.set(key, [...(byView.get(key) ?? []), node.name]);
    }
    for (const [key, dcs] of byView) {
      if (dcs.length < 2) {
        this.twoDcsSince.delete(key);
        continue;
      }
      const since = this.twoDcsSince.get(key) ?? this.world.nowMs;
      this.twoDcsSince.set(key, since);
      if (this.world.nowMs - since > ONE_DC_GRACE_MS) this.fail("one-dc", `${dcs.join(", ")} are each DC of the quorate view ${key.replace(":", " [")}] for ${this.world.nowMs - since} ms`);
    }
    for (const key of [...this.twoDcsSince.keys()]) if (!byView.has(key)) this.twoDcsSince.delete(key);
  }

  // ---- bad frames ---------------------------------------------------------------------

  /** After a frame reached a node, sometimes a forged, replayed or foreign one follows: it must change nothing. */
  delivered(node: SimNode, agent: Agent, datagram: Datagram): void {
    const list = this.captured.get(node.id) ?? [];
    this.captured.set(node.id, list);
    if (list.length >= 16) list.shift();
    list.push({ incarnation: agent.incarnation, datagram });
    if (node.agent !== agent || this.world.stalled(node) || !this.world.random.chance(BAD_FRAME_PROBABILITY)) return;
    const kind = this.world.random.pick(["forged", "replayed", "foreign"] as const);
    let bytes: Buffer;
    let words: string;
    if (kind === "forged") {
      bytes = Buffer.from(datagram.bytes);
      const at = this.world.random.between(5, bytes.length - 1);
      bytes[at] = bytes[at]! ^ (1 + this.world.random.between(0, 254));
      words = `a forged frame (byte ${at} changed)`;
    } else if (kind === "replayed") {
      const earlier = list.filter((each) => each.incarnation === agent.incarnation);
      bytes = this.world.random.pick(earlier).datagram.bytes;
      words = "a replayed frame";
    } else {
      const sender = this.world.random.pick(this.world.scenario.nodeIds.filter((id) => id !== node.id));
      bytes = this.foreign.encode({ senderId: sender, incarnation: 1, sequence: ++this.foreignSequence, kind: "heartbeat", body: datagram.bytes.subarray(20, Math.min(datagram.bytes.length, 60)) });
      words = "a frame of another cluster";
    }
    this.badFrames++;
    const stack = agent.core.stack;
    const membership = stack.membership;
    const quorum = stack.quorumCore;
    const now = this.world.now(node);
    // A log line is allowed (a node says, rate-limited, that frames of another cluster or key arrive); nothing else.
    const effects = (this.world.scenario.cluster ? agent.core.receive(datagram.link, bytes, now) : stack.receive(datagram.link, bytes, now.nowMs)).filter((effect) => effect.kind !== "log");
    if (this.checks("bad-frames-change-nothing") && (effects.length > 0 || stack.membership !== membership || stack.quorumCore !== quorum)) {
      this.fail("bad-frames-change-nothing", `${node.name} took ${words} from node${datagram.from}: ${effects.length > 0 ? `it answered with ${effects.map((effect) => effect.kind).join(", ")}` : "its state changed"}`);
    }
  }
}

