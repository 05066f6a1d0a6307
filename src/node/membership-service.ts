// The membership service of a node agent: runs the node's protocol stack (src/stack: frames,
// membership, quorum, the arbiter client and reliable channels, all without I/O) on UDP
// sockets, a timer and the state directory. With a controller (runController), it runs the
// whole NodeCore instead, the same composition the simulator runs: views, quorum and messages
// go to the controller there, and what the controller asks of the node comes back here and is
// handed to the agent. Every input goes into the core; its effects come out and are performed
// in order (datagrams and the membership file here, the rest by the agent).
import type { BootstrapConfig, NodeConfig } from "../config";
import { UdpTransport, type DropReport } from "../transport";
import { AdvertReporter, localAdvert, type PeerAdvertStatus } from "./peer-adverts";
import { advertOf, LEGACY_ADVERT, type View } from "../membership";
import type { Logger } from "../common/log";
import { MembershipStack, NodeCore, lateToleranceMs, type ControllerPort, type MembershipStackEffect, type NodeEffect, type Now, type PersistedMembership, type StackReconfiguration } from "../stack";
import type { FencerTopology } from "../fencer";
import type { QuorumSummary as CoreQuorumSummary } from "../quorum";
import { mkdirSync } from "node:fs";
import { readMembershipFile, writeMembershipFile } from "./membership-file";
import { assert } from "../common/errors";
import { isIPv6 } from "node:net";
import { configDefaults } from "../config";
import { HostWatch, echoLinks, livenessAddon, type EchoEvent } from "./liveness";
import { wakeTimer, type WakeTimer } from "./wake-timer";
import { monotonicMs } from "../common/clock";

export type QuorumSummary = CoreQuorumSummary;

export interface MembershipStatus {
  cluster: string;
  node: { name: string; id: number };
  /** Every node of the config, member of the view or not (optional: agents before it do not say). */
  nodes?: Array<{ name: string; id: number; member: boolean }>;
  /** What each peer advertised (protocol, software, config differences) and what the view has in common. */
  versions?: PeerAdvertStatus;
  /** Frames dropped in the last minute for reasons that point at a misconfiguration, per source. */
  misconfiguration?: DropReport[];
  ringId: number;
  members: Array<{ name: string; id: number; links: Array<{ address: string; state: string }> }>;
  quorum: QuorumSummary;
  arbiter: { configured: boolean; state: string; address?: string; vote?: boolean };
  frames: Record<string, number>;
}

export interface MembershipListener {
  /** A new view, agreed by its members; quorum as computed after it. */
  view?(view: View, quorum: QuorumSummary): void;
  /** A whole reliable message from a member, in the order it sent them. */
  message?(from: number, payload: Buffer): void;
  /** Quorum changed without a view change (wait_for_all met, arbiter vote, ...). */
  quorum?(quorum: QuorumSummary): void;
  /**
   * The service woke up (its timer, or a frame arrived), before it does its own work: deferred
   * work that runs now shares the wake-up, and a reply it waits for can arrive meanwhile.
   */
  wake?(): void;
  /**
   * This node's last heartbeat went out silentMs ago, as long as the token: its peers may have
   * declared it lost and taken over (src/stack/stall.ts). Called once, before anything else
   * happens after the stall; membership has halted and sends nothing more. The listener must
   * stop this node's resources (or let the watchdog reset it) and end the process.
   */
  stalled?(silentMs: number, thresholdMs: number): void;
  /** The service's own timer fired lateMs after it was due: the event loop's delay, for the metrics. */
  timerLate?(lateMs: number): void;
}

export class MembershipService {
  private readonly stack: MembershipStack;
  private readonly reporter: AdvertReporter;
  private readonly listeners: MembershipListener[] = [];
  /** The one timer, moved to the earliest deadline (src/node/wake-timer.ts: no empty wake-ups). */
  private readonly timer: WakeTimer;
  /** When the timer is due (monotonicMs()), to measure how late it fires. */
  private timerDueMs = 0;
  private closed = false;
  /** The runner's echo (src/node/liveness.ts), running while this node runs no services. */
  private hostWatch: HostWatch | undefined;
  private following = false;
  private readonly unusableEchoes = new Set<string>();
  /** Set by runController: the core, what the agent performs, and where a failure of either goes. */
  private core: NodeCore | undefined;
  private agentEffect: ((effect: NodeEffect) => void) | undefined;
  private onFatal: ((error: unknown, during: string) => void) | undefined;
  private failed = false;
  /** Wake-ups so far, for the idle-cost figures in bench/membership. */
  wakeups = 0;
  private readonly started = monotonicMs();
  /** The ring id in the state file: the next one written must not be older. */
  private persistedRingId: number;
  readonly incarnation = Math.floor(Date.now() / 100) >>> 0;

  private cibSchemaHeld = 1;

  private constructor(
    private config: BootstrapConfig,
    private node: NodeConfig,
    private readonly transport: UdpTransport,
    private readonly logger: Logger,
    private readonly stateDir: string,
    authkey: Buffer,
  ) {
    const saved = readPersisted(stateDir, logger);
    this.persistedRingId = saved.ringId;
    this.stack = new MembershipStack({
      clusterName: config.clusterName, authkey, crypto: config.transport.crypto, localId: node.id, incarnation: this.incarnation,
      ...stackSettingsOf(config, node), reportQuorum: config.quorum.lastManStanding, saved, advert: localAdvert(config, this.cibSchemaHeld),
    }, this.nowMs());
    this.reporter = new AdvertReporter(config, node.id, logger);
    this.timer = wakeTimer(() => this.tick(), livenessAddon(logger));
  }

  static async start(options: { config: BootstrapConfig; node: NodeConfig; authkey: Buffer; logger: Logger; stateDir?: string }): Promise<MembershipService> {
    const { config, node, logger } = options;
    if (!config.transport.crypto) logger.warn({ crypto: false }, "TRANSPORT CRYPTO IS OFF: frames are neither encrypted nor authenticated; use only for debugging");
    const stateDir = options.stateDir ?? config.paths.stateDir;
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    const transport = await UdpTransport.open(node.links, config.transport.port);
    const service = new MembershipService(config, node, transport, logger, stateDir, options.authkey);
    transport.onReceive((datagram) => service.receive(datagram.link, datagram.bytes, datagram.from.address));
    service.tick();
    service.updateEcho();
    return service;
  }

  /**
   * Applies a changed bootstrap config while running: timing, link addresses (the sockets are
   * bound anew when this node's own links changed), the arbiter's address, and the node list (a
   * node added or removed). The caller has checked that nothing else changed (src/config/reload.ts).
   */
  async reconfigure(config: BootstrapConfig, node: NodeConfig): Promise<void> {
    if (JSON.stringify(node.links) !== JSON.stringify(this.node.links)) {
      // Throws, changing nothing, when a new address cannot be bound.
      await this.transport.relink(node.links);
      this.logger.info({ links: node.links }, "this node's links changed: new sockets bound, the old ones still receive for a minute");
    }
    const echoBefore = echoKey(this.config, this.node);
    this.config = config;
    this.node = node;
    const nowMs = this.nowMs();
    this.perform(this.stack.reconfigure(stackSettingsOf(config, node), nowMs));
    if (this.hostWatch !== undefined && echoKey(config, node) !== echoBefore) {
      // timing.echo_ms or the links it watches changed: the thread starts again with the new ones.
      this.hostWatch.stop();
      this.hostWatch = undefined;
      this.perform(this.stack.forgetEchoes(nowMs));
      this.unusableEchoes.clear();
    }
    // The new advert first: the differences with the peers are judged against it.
    this.perform(this.stack.setAdvert(localAdvert(config, this.cibSchemaHeld), nowMs));
    this.reporter.reconfigure(config, this.stack.adverts);
    this.updateEcho();
    this.schedule();
  }

  /** What a peer announced it speaks (a build from before adverts: no features). */
  peerAdvert(id: number): { features: readonly string[]; software: string } {
    const advert = this.stack.adverts === undefined ? LEGACY_ADVERT : advertOf(this.stack.adverts, id);
    return { features: advert.features, software: advert.software };
  }

  listen(listener: MembershipListener): void {
    this.listeners.push(listener);
  }

  nowMs(): number {
    return Math.floor(monotonicMs() - this.started);
  }

  /** The same clock as nowMs in microseconds: heartbeats carry it for the round trip (src/membership/wire.ts). */
  private nowUs(): number {
    return Math.round((monotonicMs() - this.started) * 1000);
  }

  /**
   * The last heartbeat round trip to each peer on each link (peers whose build echoes heartbeat
   * times; measured on heartbeats that go out anyway, within the token), for the metrics.
   */
  roundTrips(): Array<{ peer: string; link: number; seconds: number }> {
    return this.stack.roundTrips(this.nowMs()).map((each) => ({
      peer: this.config.nodes.find((node) => node.id === each.peerId)?.name ?? `node ${each.peerId}`, link: each.link, seconds: each.microseconds / 1e6,
    }));
  }

  get localId(): number {
    return this.node.id;
  }

  view(): View {
    return this.stack.view;
  }

  quorum(): QuorumSummary {
    return this.stack.quorum();
  }

  /**
   * The stall check (src/stack/stall.ts), for every wake-up that does not come through
   * membership (a controller timer, a monitor, the watchdog feeder, a client): true when the
   * caller may go on; false once a stall halted membership (the stalled listener has run).
   */
  awake(): boolean {
    if (this.closed) return false;
    this.perform(this.stack.observe(this.nowMs()));
    return !this.stack.halted;
  }

  /** True once a stall halted membership (see awake). */
  get halted(): boolean {
    return this.stack.halted;
  }

  /** This node's clocks as the core takes them: monotonic, and the wall clock. */
  now(): Now {
    return { nowMs: this.nowMs(), wallMs: Date.now(), nowUs: this.nowUs() };
  }

  /**
   * Runs the controller on this node's stack from now on (NodeCore): views, quorum and peer
   * messages go to it, its ticks share this service's timer, and every effect that is not a
   * datagram, the membership file, an advert or a stall goes to `perform`, in order. An
   * exception from the core or from performing an effect goes to onFatal once, and nothing is
   * fed any more (membership included: the peers see a crash).
   */
  runController(controller: ControllerPort, options: { localName: string; nodes: ReadonlyArray<{ id: number; name: string }>; fencerTopology: FencerTopology; otherKinds: readonly string[]; messageBytesMax: number; perform: (effect: NodeEffect) => void; onFatal: (error: unknown, during: string) => void }): void {
    assert(this.core === undefined, "the membership service runs one controller");
    this.core = new NodeCore(this.stack, controller, { random: Math.random, localName: options.localName, nodes: options.nodes, fencerTopology: options.fencerTopology, otherKinds: options.otherKinds, messageBytesMax: options.messageBytesMax }, this.now());
    this.agentEffect = options.perform;
    this.onFatal = options.onFatal;
    this.dispatch("the start", (core, now) => core.start(now));
  }

  /**
   * The controller gets nothing more (the agent is closing): from now on the stack runs alone, as
   * before runController, and its views and messages go to the listeners.
   */
  stopController(): void {
    this.core = undefined;
    this.agentEffect = undefined;
  }

  /**
   * One input to the core (a local report, an operation's or fence device's result, a client
   * request). The core runs the stall check first (src/stack/stall.ts): after a stall as long
   * as the token, nothing reaches the controller any more.
   */
  dispatch(during: string, input: (core: NodeCore, now: Now) => NodeEffect[]): void {
    if (this.closed) return;
    this.runCore(during, input);
    this.schedule();
  }

  private runCore(during: string, input: (core: NodeCore, now: Now) => NodeEffect[]): void {
    const core = this.core;
    if (core === undefined || this.closed || this.failed) return;
    try {
      this.performNode(input(core, this.now()));
    } catch (error) {
      this.failed = true;
      this.timer.disarm();
      this.onFatal?.(error, during);
    }
  }

  /** Performs the core's effects in order: datagrams, the membership file, adverts and a stall here, the rest by the agent. */
  private performNode(effects: NodeEffect[]): void {
    for (const effect of effects) {
      if (this.closed || this.failed) return;
      switch (effect.kind) {
        case "transmit":
          this.transmit(effect.to, effect.link, effect.bytes);
          break;
        case "persist-membership":
          this.persist(effect.state);
          break;
        case "advert":
          this.reporter.learned(this.stack.adverts!, effect.from, effect.advert, effect.before);
          break;
        case "stalled":
          this.onStalled(effect.silentMs, effect.thresholdMs);
          break;
        default:
          // The controller's effects, the stack's log lines, views and quorum, other protocols' messages.
          this.agentEffect!(effect);
      }
    }
  }

  /** Queues a reliable message to a peer; lost silently if the peer restarts or leaves. */
  send(peerId: number, payload: Uint8Array): void {
    if (this.core !== undefined) return this.dispatch("a message to a peer", (core, now) => core.sendOther(peerId, payload, now));
    this.perform(this.stack.send(peerId, payload, this.nowMs()));
    this.schedule();
  }

  status(): MembershipStatus {
    const nowMs = this.nowMs();
    const address = this.config.quorum.arbiter;
    const arbiter = this.stack.arbiterStatus(nowMs);
    return {
      cluster: this.config.clusterName,
      node: { name: this.node.name, id: this.node.id },
      nodes: this.config.nodes.map((each) => ({ name: each.name, id: each.id, member: this.stack.view.members.includes(each.id) })),
      versions: this.reporter.status(this.stack.adverts, this.stack.view.members),
      misconfiguration: this.stack.dropReports(nowMs),
      ringId: this.stack.view.ringId,
      members: this.stack.view.members.map((id) => {
        const member = this.config.nodes.find((each) => each.id === id)!;
        return { name: member.name, id, links: member.links.map((linkAddress, link) => ({ address: linkAddress, state: id === this.node.id ? "local" : this.stack.linkState(id, link, nowMs) })) };
      }),
      quorum: this.quorum(),
      arbiter: address === undefined ? arbiter : { ...arbiter, address: `${address.host}:${address.port}` },
      frames: {
        ...this.stack.counters, "malformed-heartbeat": this.stack.malformedHeartbeats,
        "sent-heartbeat": this.stack.sent.heartbeat, "sent-fragment": this.stack.sent.fragment, "sent-ack": this.stack.sent.ack,
        "event-loop-pauses": this.stack.stalls, "send-errors": this.transport.sendErrors, wakeups: this.wakeups,
      },
    };
  }

  /**
   * Whether this node answers its peers' heartbeats rather than sending first (the agent sets it
   * while the node runs services, fence devices aside): the node with the work then wakes once
   * per heartbeat interval.
   */
  setFollowing(follows: boolean): void {
    this.stack.setFollowing(follows);
    this.following = follows;
    this.updateEcho();
    this.schedule();
  }

  /**
   * Announces that this node leaves (its resources are gone): peers drop it from their view at
   * once instead of waiting for the token. Heartbeats go on saying so until close().
   */
  leave(): void {
    this.perform(this.stack.leave(this.nowMs()));
    this.schedule();
  }

  /**
   * Only a node that runs no services watches its peers' machines: it is the one that must take
   * over quickly, and the node with the work keeps its wake-ups (and its peers' kernels their
   * few ARP answers) to a minimum.
   */
  private updateEcho(): void {
    const wanted = this.config.timing.echoMs > 0 && !this.following && !this.closed && !this.stack.halted;
    if (wanted === (this.hostWatch !== undefined)) return;
    if (!wanted) {
      this.hostWatch!.stop();
      this.hostWatch = undefined;
      this.perform(this.stack.forgetEchoes(this.nowMs()));
      return;
    }
    const addon = livenessAddon(this.logger);
    if (addon === null) return;
    const links = echoLinks(this.node, this.config.nodes);
    if (links.length === 0) return;
    try {
      this.hostWatch = HostWatch.start(addon, links, this.config.timing.echoMs, configDefaults.ECHO_SILENT_PROBES, (event) => this.onEcho(event));
    } catch (error) {
      this.logger.warn({ error: error instanceof Error ? error.message : String(error) }, "cannot watch the peers' machines: a peer's loss is noticed by its token only");
    }
  }

  private onEcho(event: EchoEvent): void {
    if (this.closed || this.hostWatch === undefined) return;
    const fields = { peer: event.peerId, link: event.link, address: event.peerAddress, detail: event.detail };
    switch (event.state) {
      case "answering":
      case "silent":
        if (!this.awake()) return;
        this.perform(this.stack.echo(event.peerId, event.link, event.state === "answering", this.nowMs()));
        this.schedule();
        return;
      case "carrier-down":
      case "carrier-up":
        this.logger[event.state === "carrier-down" ? "warn" : "info"](fields, event.state === "carrier-down" ? "a link lost its carrier" : "a link has its carrier again");
        return;
      case "unusable": {
        const key = `${event.peerId}/${event.link}`;
        if (this.unusableEchoes.has(key)) return;
        this.unusableEchoes.add(key);
        this.logger.info(fields, "no echo on this link (its loss is noticed by the token)");
        return;
      }
      default: {
        const unknown: never = event.state;
        return unknown;
      }
    }
  }

  /** The priority of the resources this node runs, which the arbiter weighs in a split (the controller sets it). */
  setArbiterPriority(priority: number): void {
    this.stack.setArbiterPriority(priority);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.hostWatch?.stop();
    this.hostWatch = undefined;
    this.timer.close();
    await this.transport.close();
  }

  private receive(link: number, bytes: Buffer, source: string): void {
    if (!this.awake()) return;
    this.wakeListeners();
    if (this.core !== undefined) this.runCore("a datagram", (core, now) => core.receive(link, bytes, now, source));
    else this.perform(this.stack.receive(link, bytes, this.nowMs(), source, this.nowUs()));
    this.schedule();
  }

  private tick(): void {
    if (this.closed) return;
    this.wakeups++;
    const lateMs = monotonicMs() - this.timerDueMs;
    for (const listener of this.listeners) listener.timerLate?.(lateMs);
    const late = this.stack.lateByMs(this.nowMs()) > lateToleranceMs(this.config.timing.heartbeatMs);
    if (!this.awake()) return;
    this.wakeListeners();
    if (late) {
      // Timers run before the event loop reads its sockets: after a pause, the datagrams that
      // queued up meanwhile are read first (setImmediate runs after that), and only then is
      // anyone's silence judged.
      setImmediate(() => {
        if (this.closed || this.stack.halted) return;
        this.tickCore();
        this.schedule();
      });
      return;
    }
    this.tickCore();
    this.schedule();
  }

  private tickCore(): void {
    if (this.core !== undefined) this.runCore("the timer", (core, now) => core.tick(now));
    else this.perform(this.stack.tick(this.nowMs(), this.nowUs()));
  }

  /**
   * Performs the stack's effects in order (a persist is durable before the next effect). With a
   * controller, they go through the core (a view or a message is the controller's input).
   */
  private perform(effects: MembershipStackEffect[]): void {
    if (this.core !== undefined) return this.runCore("membership", (core, now) => core.fromMembership(effects, now));
    for (const effect of effects) {
      switch (effect.kind) {
        case "transmit":
          this.transmit(effect.to, effect.link, effect.bytes);
          break;
        case "persist":
          this.persist(effect.state);
          break;
        case "view":
          for (const listener of this.listeners) listener.view?.(effect.view, effect.quorum);
          break;
        case "quorum":
          for (const listener of this.listeners) listener.quorum?.(effect.quorum);
          break;
        case "message":
          for (const listener of this.listeners) listener.message?.(effect.from, effect.payload);
          break;
        case "log":
          this.logger[effect.level](effect.fields, effect.message);
          break;
        case "advert":
          this.reporter.learned(this.stack.adverts!, effect.from, effect.advert, effect.before);
          break;
        case "stalled":
          this.onStalled(effect.silentMs, effect.thresholdMs);
          break;
        default: {
          const unknown: never = effect;
          return unknown;
        }
      }
    }
  }

  /** Membership halted after a stall: no timer any more, and the listeners act (see MembershipListener.stalled). */
  private onStalled(silentMs: number, thresholdMs: number): void {
    this.timer.disarm();
    this.hostWatch?.stop();
    this.hostWatch = undefined;
    this.logger.error({ silentMs, thresholdMs }, "this node was stalled as long as the token: its peers may have declared it lost and taken over; stopping everything here before anything else");
    for (const listener of this.listeners) listener.stalled?.(silentMs, thresholdMs);
  }

  private transmit(to: number | "arbiter", link: number, bytes: Buffer): void {
    if (to === "arbiter") {
      const address = this.config.quorum.arbiter!;
      this.transport.send(link, address.host, address.port, bytes);
      return;
    }
    const peer = this.config.nodes.find((each) => each.id === to);
    const address = peer?.links[link];
    if (address !== undefined) this.transport.send(link, address, this.config.transport.port, bytes);
  }

  /** Writes the ring id and the last_man_standing voters durably, before anyone hears of them. */
  private persist(state: PersistedMembership): void {
    // A ring id that went back would let a restarted node reuse ring ids its peers have seen.
    assert(state.ringId >= this.persistedRingId, `the ring id to persist (${state.ringId}) is older than the one stored (${this.persistedRingId})`);
    writeMembershipFile(this.stateDir, state);
    this.persistedRingId = state.ringId;
  }

  private wakeListeners(): void {
    for (const listener of this.listeners) {
      try {
        listener.wake?.();
      } catch (error) {
        this.logger.error({ error: error instanceof Error ? error.message : String(error) }, "a wake-up listener failed");
      }
    }
  }

  /** Sleeps until the earliest deadline of membership, quorum, the arbiter and the reliable channels (and, with one, the controller and its fencings). */
  private schedule(): void {
    if (this.closed || this.failed || this.stack.halted) return;
    const nowMs = this.nowMs();
    // +1: nowMs is whole milliseconds, and a deadline is the first instant something changes.
    const wakeAtMs = (this.core !== undefined ? this.core.nextWakeMs(nowMs) : this.stack.nextWakeMs(nowMs)) + 1;
    this.timerDueMs = monotonicMs() + (wakeAtMs - nowMs);
    this.timer.arm(wakeAtMs - nowMs);
  }
}

function readPersisted(stateDir: string, logger: Logger): PersistedMembership {
  const { state, damaged } = readMembershipFile(stateDir);
  if (damaged !== undefined) logger.warn({ file: damaged }, "membership state file unreadable; starting from ring 0");
  return state;
}

/** What the echo thread was started with: a change of it restarts the thread on reload. */
function echoKey(config: BootstrapConfig, node: NodeConfig): string {
  return JSON.stringify([config.timing.echoMs, echoLinks(node, config.nodes)]);
}

/** The parts of the stack's settings that come from the bootstrap config (and may change live). */
function stackSettingsOf(config: BootstrapConfig, node: NodeConfig): StackReconfiguration {
  const arbiter = config.quorum.arbiter;
  const family = arbiter === undefined ? undefined : isIPv6(arbiter.host);
  return {
    nodes: config.nodes.map((each) => ({ id: each.id, links: each.links.length })), localLinks: node.links.length,
    heartbeatMs: config.timing.heartbeatMs, tokenMs: config.timing.tokenMs,
    ...(config.timing.echoMs > 0 ? { hostConfirmMs: configDefaults.ECHO_CONFIRM_PROBES * config.timing.echoMs, hostProbeEveryMs: config.timing.echoMs } : { hostConfirmMs: undefined, hostProbeEveryMs: undefined }),
    quorum: { ...config.quorum, nodeIds: config.nodes.map((each) => each.id), arbiter: arbiter !== undefined, autoTieBreakerNode: config.quorum.autoTieBreakerNode },
    arbiterLinks: family === undefined ? [] : node.links.flatMap((local, link) => (isIPv6(local) === family ? [link] : [])),
  };
}
