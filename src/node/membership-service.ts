// The membership service of a node agent: wires the pure membership and quorum cores to
// UDP, and offers the controller two things on top: view changes (with quorum) and
// reliable, ordered messages to each peer. The runner loop is the seam: inputs go into
// the cores, effects come out and are performed here (send frames, report views).
import type { BootstrapConfig, NodeConfig } from "../config";
import { FrameCodec, LinkMonitor, ReliableReceiver, ReliableSender, UdpTransport, type Frame } from "../transport";
import { decodeHeartbeat, encodeHeartbeat, following, initialMembership, nextDeadlineMs, probeTiming, stepMembership, type Heartbeat, type MembershipInput, type MembershipState, type View } from "../membership";
import { initialQuorum, quorumDeadlineMs, quorumReport, stepQuorum, summarize, type QuorumInput, type QuorumState } from "../quorum";
import type { Logger } from "../common/log";
import {
  arbiterDeadlineMs, holdsVote, initialArbiterClient, replyReceived, requestDue, requestSent, savedVoters,
  type ArbiterClientState, type SavedVoters,
} from "../quorum";
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { isIPv6 } from "node:net";
import { join } from "node:path";
import { ARBITER_ID } from "./arbiter";

/** How often a node asks the arbiter for its vote (the arbiter's lease is 2000 ms). */
const ARBITER_REQUEST_MS = 250;
/** With no reply for this long the arbiter is reported unreachable. */
const ARBITER_SILENT_MS = 1000;
/** What membership keeps across restarts in the state dir, so ring ids never go backwards. */
const STATE_FILE = "membership.json";

interface PersistedState { ringId: number; voters?: SavedVoters }

/** The runner sleeps until the earliest deadline the cores report, but never longer than this. */
const SLEEP_MS_MAX = 1000;

export type QuorumSummary = ReturnType<typeof summarize>;

export interface MembershipStatus {
  cluster: string;
  node: { name: string; id: number };
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
}

interface PeerChannel { incarnation: number; sender: ReliableSender; receiver: ReliableReceiver }

export class MembershipService {
  private membership: MembershipState;
  private quorumState: QuorumState;
  private sequence = 0;
  private lastQuorate = false;
  private malformedHeartbeats = 0;
  /** Frames sent, by kind (all links counted), for status and the benchmarks. */
  private readonly sent: Record<Frame["kind"], number> = { heartbeat: 0, message: 0, ack: 0, fragment: 0 };
  private readonly channels = new Map<number, PeerChannel>();
  private readonly listeners: MembershipListener[] = [];
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** The earliest time membership needs a tick (from its last step). */
  private membershipDeadlineMs = 0;
  /** Wake-ups so far, for the idle-cost figures in bench/membership. */
  wakeups = 0;
  /** Times the event loop was found paused for longer than a heartbeat interval. */
  stalls = 0;
  /** When the pending timer should fire, and when the runner last handled anything (see notePause). */
  private wakeAtMs = 0;
  private lastActivityMs = 0;
  private readonly started = performance.now();
  readonly incarnation = Math.floor(Date.now() / 100) >>> 0;

  /** The arbiter client (pure, src/quorum) and its own codec: always encrypted, sender id 0 only. */
  private arbiterClient: ArbiterClientState = initialArbiterClient(ARBITER_REQUEST_MS);
  private readonly arbiterCodec: FrameCodec | undefined;
  private arbiterSequence = 0;
  private arbiterHeardMs = -Infinity;
  private arbiterPriority = 0;
  private persisted: string;

  private constructor(
    private readonly config: BootstrapConfig,
    private readonly node: NodeConfig,
    private readonly codec: FrameCodec,
    private readonly transport: UdpTransport,
    private readonly links: LinkMonitor,
    private readonly logger: Logger,
    private readonly stateDir: string,
    authkey: Buffer,
  ) {
    const nodeIds = config.nodes.map((each) => each.id);
    const saved = readPersisted(stateDir, logger);
    this.persisted = JSON.stringify(saved);
    this.membership = initialMembership({
      nodeIds, heartbeatMs: config.timing.heartbeatMs, tokenMs: config.timing.tokenMs,
      rejoinHoldMs: 2 * config.timing.heartbeatMs, flapDoublingsMax: 4, flapForgetMs: 60_000,
      ...probeTiming(config.timing.heartbeatMs),
    }, node.id, this.incarnation, this.nowMs(), saved.ringId);
    const arbiter = config.quorum.arbiter !== undefined;
    this.quorumState = initialQuorum({ ...config.quorum, nodeIds, arbiter, autoTieBreakerNode: config.quorum.autoTieBreakerNode }, saved.voters);
    if (arbiter) this.arbiterCodec = new FrameCodec({ clusterName: config.clusterName, authkey, knownSenders: [ARBITER_ID], localId: node.id });
  }

  static async start(options: { config: BootstrapConfig; node: NodeConfig; authkey: Buffer; logger: Logger; stateDir?: string }): Promise<MembershipService> {
    const { config, node, logger } = options;
    if (!config.transport.crypto) logger.warn({ crypto: false }, "TRANSPORT CRYPTO IS OFF: frames are neither encrypted nor authenticated; use only for debugging");
    const codec = new FrameCodec({ clusterName: config.clusterName, authkey: options.authkey, knownSenders: config.nodes.map((each) => each.id), localId: node.id, crypto: config.transport.crypto });
    const stateDir = options.stateDir ?? config.paths.stateDir;
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    const transport = await UdpTransport.open(node.links, config.transport.port);
    const service = new MembershipService(config, node, codec, transport, new LinkMonitor(config.timing.tokenMs), logger, stateDir, options.authkey);
    transport.onReceive((datagram) => service.receive(datagram.link, datagram.bytes));
    service.lastActivityMs = service.nowMs();
    service.tick();
    return service;
  }

  listen(listener: MembershipListener): void {
    this.listeners.push(listener);
  }

  nowMs(): number {
    return Math.floor(performance.now() - this.started);
  }

  get localId(): number {
    return this.node.id;
  }

  view(): View {
    return this.membership.view;
  }

  quorum(): QuorumSummary {
    return summarize(this.quorumState);
  }

  /** Queues a reliable message to a peer; lost silently if the peer restarts or leaves. */
  send(peerId: number, payload: Uint8Array): void {
    const channel = this.channel(peerId);
    if (channel === undefined) return;
    channel.sender.send(payload);
    this.flush(peerId, channel);
    this.schedule();
  }

  status(): MembershipStatus {
    const nowMs = this.nowMs();
    return {
      cluster: this.config.clusterName,
      node: { name: this.node.name, id: this.node.id },
      ringId: this.membership.view.ringId,
      members: this.membership.view.members.map((id) => {
        const member = this.config.nodes.find((each) => each.id === id)!;
        return { name: member.name, id, links: member.links.map((address, link) => ({ address, state: id === this.node.id ? "local" : this.links.state(id, link, nowMs) })) };
      }),
      quorum: this.quorum(),
      arbiter: this.arbiterStatus(nowMs),
      frames: {
        ...this.codec.counters, "malformed-heartbeat": this.malformedHeartbeats,
        "sent-heartbeat": this.sent.heartbeat, "sent-fragment": this.sent.fragment, "sent-ack": this.sent.ack,
        "event-loop-pauses": this.stalls, "send-errors": this.transport.sendErrors, wakeups: this.wakeups,
      },
    };
  }

  /**
   * Whether this node answers its peers' heartbeats rather than sending first (the agent sets it
   * while the node runs services, fence devices aside): the node with the work then wakes once
   * per heartbeat interval.
   */
  setFollowing(follows: boolean): void {
    const next = following(this.membership, follows);
    if (next === this.membership) return;
    this.membership = next;
    this.membershipDeadlineMs = nextDeadlineMs(next);
    this.schedule();
  }

  /** The priority of the resources this node runs, which the arbiter weighs in a split (the controller sets it). */
  setArbiterPriority(priority: number): void {
    this.arbiterPriority = Number.isFinite(priority) ? priority : 0;
  }

  private arbiterStatus(nowMs: number): MembershipStatus["arbiter"] {
    const address = this.config.quorum.arbiter;
    if (address === undefined) return { configured: false, state: "none" };
    const heard = nowMs - this.arbiterHeardMs < ARBITER_SILENT_MS;
    const vote = this.quorumState.arbiterVote;
    return { configured: true, address: `${address.host}:${address.port}`, state: !heard ? "unreachable" : vote ? "vote" : "no vote", vote };
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await this.transport.close();
  }

  private channel(peerId: number): PeerChannel | undefined {
    if (peerId === this.node.id || !this.config.nodes.some((each) => each.id === peerId)) return undefined;
    let channel = this.channels.get(peerId);
    const incarnation = this.membership.peers[peerId]?.incarnation ?? 0;
    if (channel === undefined || channel.incarnation !== incarnation || channel.sender.failed) {
      channel = { incarnation, sender: new ReliableSender(), receiver: new ReliableReceiver() };
      this.channels.set(peerId, channel);
    }
    return channel;
  }

  /**
   * Heartbeats go on every link (that is how a dead link is noticed). Reliable traffic goes on
   * the first link that is up, since retransmission covers a loss: doubling a bulk transfer on
   * every link would only crowd out the heartbeats. With no link known up, it uses them all.
   */
  private sendFrame(peerId: number, kind: Frame["kind"], body: Buffer): void {
    const peer = this.config.nodes.find((each) => each.id === peerId);
    if (peer === undefined) return;
    const usable = peer.links.map((_, link) => link).filter((link) => link < this.node.links.length);
    const nowMs = this.nowMs();
    const preferred = kind === "heartbeat" ? undefined : usable.find((link) => this.links.state(peerId, link, nowMs) === "up");
    peer.links.forEach((address, link) => {
      if (link >= this.node.links.length || (preferred !== undefined && link !== preferred)) return;
      this.sent[kind]++;
      this.transport.send(link, address, this.config.transport.port, this.codec.encode({ senderId: this.node.id, incarnation: this.incarnation, sequence: ++this.sequence, kind, body }));
    });
  }

  private flush(peerId: number, channel: PeerChannel): void {
    for (const fragment of channel.sender.poll(this.nowMs())) this.sendFrame(peerId, "fragment", fragment);
  }

  private broadcast(heartbeat: Heartbeat): void {
    // With last_man_standing the quorum report rides on every heartbeat and this node hears its
    // own too (see quorumReport); without it nothing reads the report, so it stays off the wire.
    let report: ReturnType<typeof quorumReport> | undefined;
    if (this.config.quorum.lastManStanding) {
      report = quorumReport(this.quorumState, heartbeat.proposal === null);
      this.stepQuorumState({ kind: "report", from: this.node.id, report });
    }
    this.persist();
    const body = encodeHeartbeat(heartbeat, report);
    for (const peer of this.config.nodes) if (peer.id !== this.node.id) this.sendFrame(peer.id, "heartbeat", body);
  }

  private feed(input: MembershipInput): void {
    const result = stepMembership(this.membership, input);
    this.membership = result.state;
    this.membershipDeadlineMs = result.nextDeadlineMs;
    for (const effect of result.effects) {
      if (effect.kind === "broadcast") this.broadcast(effect.heartbeat);
      else {
        // The ring id is durable before the view reaches anyone (the heartbeat follows this effect).
        this.persist();
        this.quorumState = stepQuorum(this.quorumState, { kind: "view", members: effect.view.members, ringId: effect.view.ringId, nowMs: this.nowMs() });
        if (this.config.quorum.arbiter !== undefined) this.quorumState = stepQuorum(this.quorumState, { kind: "arbiter", granted: holdsVote(this.arbiterClient, effect.view.members, effect.view.ringId, this.nowMs()) });
        const quorum = this.quorum();
        this.lastQuorate = quorum.quorate;
        this.logger.info({ ringId: effect.view.ringId, members: effect.view.members, quorate: quorum.quorate, reason: effect.reason }, "new membership view");
        for (const listener of this.listeners) listener.view?.(effect.view, quorum);
      }
    }
  }

  private receive(link: number, bytes: Buffer): void {
    this.notePause(this.nowMs());
    this.wakeListeners();
    // The arbiter's replies carry sender id 0 (bytes 5-6 of the header) and use their own codec.
    if (this.arbiterCodec !== undefined && bytes.length >= 7 && bytes.readUInt16BE(5) === ARBITER_ID) {
      this.receiveArbiter(bytes);
      return;
    }
    const decoded = this.codec.decode(bytes);
    if (!decoded.ok) return;
    const frame = decoded.frame;
    this.links.heard(frame.senderId, link, this.nowMs());
    if (frame.kind === "heartbeat") {
      const body = decodeHeartbeat(frame.body);
      if (!body.ok) {
        this.malformedHeartbeats++;
        return;
      }
      if (body.report !== undefined) this.stepQuorumState({ kind: "report", from: frame.senderId, report: body.report });
      this.feed({ kind: "heartbeat", from: frame.senderId, heartbeat: body.heartbeat, nowMs: this.nowMs() });
      this.schedule();
      return;
    }
    // Reliable traffic only from the incarnation membership knows, so a restarted peer's
    // stream starts afresh on both sides.
    if (frame.incarnation !== this.membership.peers[frame.senderId]?.incarnation) return;
    // ... and only once the sender is a member of our view: retransmissions that a peer's
    // old channel still sends to this (new) incarnation of us are never taken for new traffic.
    if (!this.membership.view.members.includes(frame.senderId)) return;
    const channel = this.channel(frame.senderId);
    if (channel === undefined) return;
    if (frame.kind === "ack") {
      channel.sender.onAck(frame.body);
      this.flush(frame.senderId, channel);
    } else if (frame.kind === "fragment") {
      const { ack, messages } = channel.receiver.onFragment(frame.body);
      this.sendFrame(frame.senderId, "ack", ack);
      for (const message of messages) for (const listener of this.listeners) listener.message?.(frame.senderId, message);
    }
    this.schedule();
  }

  private receiveArbiter(bytes: Buffer): void {
    const decoded = this.arbiterCodec!.decode(bytes);
    if (!decoded.ok || decoded.frame.kind !== "message") return;
    const reply = parseVoteReply(decoded.frame.body);
    if (reply === undefined || reply.nodeId !== this.node.id) return;
    this.arbiterHeardMs = this.nowMs();
    this.arbiterClient = replyReceived(this.arbiterClient, reply);
    this.updateArbiterVote(this.nowMs());
    this.schedule();
  }

  /** Asks the arbiter when a request is due, and counts its vote only for the view it names. */
  private tickArbiter(nowMs: number): void {
    const address = this.config.quorum.arbiter;
    if (address === undefined || this.arbiterCodec === undefined) return;
    if (requestDue(this.arbiterClient, nowMs)) {
      this.arbiterClient = requestSent(this.arbiterClient, nowMs);
      const view = this.membership.view;
      const body = Buffer.from(JSON.stringify({ members: view.members, ringId: view.ringId, priority: this.arbiterPriority, sentAtMs: nowMs }));
      const family = isIPv6(address.host);
      this.node.links.forEach((local, link) => {
        if (isIPv6(local) !== family) return;
        const frame = this.arbiterCodec!.encode({ senderId: this.node.id, incarnation: this.incarnation, sequence: ++this.arbiterSequence, kind: "message", body });
        this.transport.send(link, address.host, address.port, frame);
      });
    }
    this.updateArbiterVote(nowMs);
  }

  private updateArbiterVote(nowMs: number): void {
    const view = this.membership.view;
    const vote = holdsVote(this.arbiterClient, view.members, view.ringId, nowMs);
    if (vote === this.quorumState.arbiterVote) return;
    this.logger.info({ vote, members: view.members, ringId: view.ringId }, vote ? "arbiter vote held" : "arbiter vote lost");
    this.stepQuorumState({ kind: "arbiter", granted: vote });
  }

  /** Writes the ring id and the last_man_standing voters durably when they changed, before anyone hears of them. */
  private persist(): void {
    const state: PersistedState = { ringId: this.membership.view.ringId, voters: savedVoters(this.quorumState) };
    const text = JSON.stringify(state);
    if (text === this.persisted) return;
    writeAtomically(join(this.stateDir, STATE_FILE), text);
    this.persisted = text;
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

  /** Steps quorum and tells the listeners when quorate changed without a view change. */
  private stepQuorumState(input: QuorumInput): void {
    this.quorumState = stepQuorum(this.quorumState, input);
    const quorum = this.quorum();
    if (quorum.quorate !== this.lastQuorate) {
      this.lastQuorate = quorum.quorate;
      for (const listener of this.listeners) listener.quorum?.(quorum);
    }
  }

  private tick(): void {
    this.timer = undefined;
    if (this.closed) return;
    const nowMs = this.nowMs();
    this.notePause(nowMs);
    this.wakeups++;
    this.wakeListeners();
    this.feed({ kind: "tick", nowMs });
    this.tickArbiter(nowMs);
    this.stepQuorumState({ kind: "tick", nowMs });
    for (const [peerId, channel] of this.channels) {
      // A channel to an incarnation of the peer that is gone stops at once (a restarted peer
      // gets a new channel from sequence 0 when we next talk to it).
      if (channel.incarnation !== (this.membership.peers[peerId]?.incarnation ?? 0)) {
        this.channels.delete(peerId);
        continue;
      }
      if (!channel.sender.idle) this.flush(peerId, channel);
    }
    this.schedule();
  }

  /**
   * Something blocked the event loop (CPU starvation, a long synchronous job): whatever is read
   * now was sent meanwhile, and the timer that would have judged the peers is late. Membership is
   * told of the pause first, so our own stall does not count as the peers' silence or a flap.
   * Between two events the loop never sleeps longer than a heartbeat interval.
   */
  private notePause(nowMs: number): void {
    const heartbeatMs = this.config.timing.heartbeatMs;
    const pausedMs = nowMs - this.lastActivityMs - heartbeatMs;
    this.lastActivityMs = nowMs;
    if (pausedMs <= heartbeatMs) return;
    this.stalls++;
    this.logger.warn({ pausedMs }, "event loop was paused; peers are credited the pause");
    this.feed({ kind: "paused", pausedMs, nowMs });
  }

  /** Sleeps until the earliest deadline of membership, quorum and the reliable channels. */
  private schedule(): void {
    if (this.closed) return;
    const nowMs = this.nowMs();
    let wakeMs = Math.min(this.membershipDeadlineMs, nowMs + SLEEP_MS_MAX);
    const quorumMs = quorumDeadlineMs(this.quorumState, nowMs);
    if (quorumMs !== undefined) wakeMs = Math.min(wakeMs, quorumMs);
    if (this.arbiterCodec !== undefined) wakeMs = Math.min(wakeMs, arbiterDeadlineMs(this.arbiterClient, nowMs));
    for (const channel of this.channels.values()) {
      const channelMs = channel.sender.nextDeadlineMs();
      if (channelMs !== undefined) wakeMs = Math.min(wakeMs, channelMs);
    }
    if (this.timer !== undefined) clearTimeout(this.timer);
    // +1: nowMs is whole milliseconds, and a deadline is the first instant something changes.
    this.wakeAtMs = Math.max(wakeMs, nowMs) + 1;
    this.timer = setTimeout(() => this.tick(), this.wakeAtMs - nowMs);
  }
}

function readPersisted(stateDir: string, logger: Logger): PersistedState {
  let text: string;
  try {
    text = readFileSync(join(stateDir, STATE_FILE), "utf8");
  } catch {
    return { ringId: 0 };
  }
  try {
    const parsed = JSON.parse(text) as PersistedState;
    if (Number.isSafeInteger(parsed.ringId) && parsed.ringId >= 0) return parsed;
  } catch {
    // Fall through: a damaged file is reported and ignored; peers still carry the ring ids they saw.
  }
  logger.warn({ file: join(stateDir, STATE_FILE) }, "membership state file unreadable; starting from ring 0");
  return { ringId: 0 };
}

function writeAtomically(file: string, text: string): void {
  const temporary = `${file}.${process.pid}.tmp`;
  const descriptor = openSync(temporary, "w", 0o600);
  try {
    writeSync(descriptor, text);
    fsyncSync(descriptor);
  } finally {
    closeSync(descriptor);
  }
  renameSync(temporary, file);
}

interface VoteReplyBody { nodeId: number; granted: boolean; members: number[]; ringId: number; leaseMs: number; sentAtMs: number }

function parseVoteReply(body: Uint8Array): VoteReplyBody | undefined {
  try {
    const reply = JSON.parse(Buffer.from(body).toString()) as VoteReplyBody;
    const numbers = [reply.nodeId, reply.ringId, reply.leaseMs, reply.sentAtMs];
    if (!numbers.every(Number.isFinite) || typeof reply.granted !== "boolean" || !Array.isArray(reply.members) || !reply.members.every(Number.isInteger)) return undefined;
    return reply;
  } catch {
    return undefined;
  }
}
