// The membership service of a node agent: wires the pure membership and quorum cores to
// UDP, and offers the controller two things on top: view changes (with quorum) and
// reliable, ordered messages to each peer. The runner loop is the seam: inputs go into
// the cores, effects come out and are performed here (send frames, report views).
import type { BootstrapConfig, NodeConfig } from "../config";
import { FrameCodec, LinkMonitor, ReliableReceiver, ReliableSender, UdpTransport, type Frame } from "../transport";
import { decodeHeartbeat, encodeHeartbeat, initialMembership, stepMembership, type Heartbeat, type MembershipInput, type MembershipState, type View } from "../membership";
import { initialQuorum, quorumDeadlineMs, quorumReport, stepQuorum, summarize, type QuorumInput, type QuorumState } from "../quorum";
import type { Logger } from "../common/log";

/** The runner sleeps until the earliest deadline the cores report, but never longer than this. */
const SLEEP_MS_MAX = 1000;

export type QuorumSummary = ReturnType<typeof summarize>;

export interface MembershipStatus {
  cluster: string;
  node: { name: string; id: number };
  ringId: number;
  members: Array<{ name: string; id: number; links: Array<{ address: string; state: string }> }>;
  quorum: QuorumSummary;
  arbiter: { configured: boolean; state: string };
  frames: Record<string, number>;
}

export interface MembershipListener {
  /** A new view, agreed by its members; quorum as computed after it. */
  view?(view: View, quorum: QuorumSummary): void;
  /** A whole reliable message from a member, in the order it sent them. */
  message?(from: number, payload: Buffer): void;
  /** Quorum changed without a view change (wait_for_all met, arbiter vote, ...). */
  quorum?(quorum: QuorumSummary): void;
}

interface PeerChannel { incarnation: number; sender: ReliableSender; receiver: ReliableReceiver }

export class MembershipService {
  private membership: MembershipState;
  private quorumState: QuorumState;
  private sequence = 0;
  private lastQuorate = false;
  private malformedHeartbeats = 0;
  private readonly channels = new Map<number, PeerChannel>();
  private readonly listeners: MembershipListener[] = [];
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** The earliest time membership needs a tick (from its last step). */
  private membershipDeadlineMs = 0;
  /** Wake-ups so far, for the idle-cost figures in bench/membership. */
  wakeups = 0;
  private readonly started = performance.now();
  readonly incarnation = Math.floor(Date.now() / 100) >>> 0;

  private constructor(
    private readonly config: BootstrapConfig,
    private readonly node: NodeConfig,
    private readonly codec: FrameCodec,
    private readonly transport: UdpTransport,
    private readonly links: LinkMonitor,
    private readonly logger: Logger,
  ) {
    const nodeIds = config.nodes.map((each) => each.id);
    this.membership = initialMembership({
      nodeIds, heartbeatMs: config.timing.heartbeatMs, tokenMs: config.timing.tokenMs,
      rejoinHoldMs: 2 * config.timing.heartbeatMs, flapDoublingsMax: 4, flapForgetMs: 60_000,
    }, node.id, this.incarnation, this.nowMs());
    this.quorumState = initialQuorum({ ...config.quorum, nodeIds, arbiter: false, autoTieBreakerNode: config.quorum.autoTieBreakerNode });
  }

  static async start(options: { config: BootstrapConfig; node: NodeConfig; authkey: Buffer; logger: Logger }): Promise<MembershipService> {
    const { config, node, logger } = options;
    if (!config.transport.crypto) logger.warn({ crypto: false }, "TRANSPORT CRYPTO IS OFF: frames are neither encrypted nor authenticated; use only for debugging");
    const codec = new FrameCodec({ clusterName: config.clusterName, authkey: options.authkey, knownSenders: config.nodes.map((each) => each.id), localId: node.id, crypto: config.transport.crypto });
    const transport = await UdpTransport.open(node.links, config.transport.port);
    const service = new MembershipService(config, node, codec, transport, new LinkMonitor(config.timing.tokenMs), logger);
    transport.onReceive((datagram) => service.receive(datagram.link, datagram.bytes));
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
      arbiter: { configured: this.config.quorum.arbiter !== undefined, state: this.config.quorum.arbiter === undefined ? "none" : "client not wired yet" },
      frames: { ...this.codec.counters, "malformed-heartbeat": this.malformedHeartbeats },
    };
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

  private sendFrame(peerId: number, kind: Frame["kind"], body: Buffer): void {
    const peer = this.config.nodes.find((each) => each.id === peerId);
    if (peer === undefined) return;
    peer.links.forEach((address, link) => {
      if (link >= this.node.links.length) return;
      this.transport.send(link, address, this.config.transport.port, this.codec.encode({ senderId: this.node.id, incarnation: this.incarnation, sequence: ++this.sequence, kind, body }));
    });
  }

  private flush(peerId: number, channel: PeerChannel): void {
    for (const fragment of channel.sender.poll(this.nowMs())) this.sendFrame(peerId, "fragment", fragment);
  }

  private broadcast(heartbeat: Heartbeat): void {
    // The quorum report rides on every heartbeat; this node hears its own too (see quorumReport).
    const report = quorumReport(this.quorumState, heartbeat.proposal === null);
    this.stepQuorumState({ kind: "report", from: this.node.id, report });
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
        this.quorumState = stepQuorum(this.quorumState, { kind: "view", members: effect.view.members, ringId: effect.view.ringId, nowMs: this.nowMs() });
        const quorum = this.quorum();
        this.lastQuorate = quorum.quorate;
        this.logger.info({ ringId: effect.view.ringId, members: effect.view.members, quorate: quorum.quorate, reason: effect.reason }, "new membership view");
        for (const listener of this.listeners) listener.view?.(effect.view, quorum);
      }
    }
  }

  private receive(link: number, bytes: Buffer): void {
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
    this.wakeups++;
    const nowMs = this.nowMs();
    this.feed({ kind: "tick", nowMs });
    this.stepQuorumState({ kind: "tick", nowMs });
    for (const [peerId, channel] of this.channels) if (!channel.sender.idle) this.flush(peerId, channel);
    this.schedule();
  }

  /** Sleeps until the earliest deadline of membership, quorum and the reliable channels. */
  private schedule(): void {
    if (this.closed) return;
    const nowMs = this.nowMs();
    let wakeMs = Math.min(this.membershipDeadlineMs, nowMs + SLEEP_MS_MAX);
    const quorumMs = quorumDeadlineMs(this.quorumState, nowMs);
    if (quorumMs !== undefined) wakeMs = Math.min(wakeMs, quorumMs);
    for (const channel of this.channels.values()) {
      const channelMs = channel.sender.nextDeadlineMs();
      if (channelMs !== undefined) wakeMs = Math.min(wakeMs, channelMs);
    }
    if (this.timer !== undefined) clearTimeout(this.timer);
    // +1: nowMs is whole milliseconds, and a deadline is the first instant something changes.
    this.timer = setTimeout(() => this.tick(), Math.max(0, wakeMs - nowMs) + 1);
  }
}
