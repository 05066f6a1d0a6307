// The membership service of a node agent: wires the pure membership and quorum cores to
// UDP, and offers the controller two things on top: view changes (with quorum) and
// reliable, ordered messages to each peer. The runner loop is the seam: inputs go into
// the cores, effects come out and are performed here (send frames, report views).
import type { BootstrapConfig, NodeConfig } from "../config";
import { FrameCodec, LinkMonitor, ReliableReceiver, ReliableSender, UdpTransport, type Frame } from "../transport";
import { initialMembership, stepMembership, type Heartbeat, type MembershipInput, type MembershipState, type View } from "../membership";
import { initialQuorum, stepQuorum, summarize, type QuorumState } from "../quorum";
import type { Logger } from "../common/log";

const TICK_MS = 10;

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
  private readonly channels = new Map<number, PeerChannel>();
  private readonly listeners: MembershipListener[] = [];
  private timer: NodeJS.Timeout | undefined;
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
    service.timer = setInterval(() => service.tick(), TICK_MS);
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
      frames: { ...this.codec.counters },
    };
  }

  async close(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
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
    const body = Buffer.from(JSON.stringify(heartbeat));
    for (const peer of this.config.nodes) if (peer.id !== this.node.id) this.sendFrame(peer.id, "heartbeat", body);
  }

  private feed(input: MembershipInput): void {
    const result = stepMembership(this.membership, input);
    this.membership = result.state;
    for (const effect of result.effects) {
      if (effect.kind === "broadcast") this.broadcast(effect.heartbeat);
      else {
        this.quorumState = stepQuorum(this.quorumState, { kind: "view", members: effect.view.members, nowMs: this.nowMs() });
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
      let heartbeat: Heartbeat;
      try {
        heartbeat = JSON.parse(Buffer.from(frame.body).toString()) as Heartbeat;
      } catch {
        return;
      }
      this.feed({ kind: "heartbeat", from: frame.senderId, heartbeat, nowMs: this.nowMs() });
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
  }

  private tick(): void {
    const nowMs = this.nowMs();
    this.feed({ kind: "tick", nowMs });
    this.quorumState = stepQuorum(this.quorumState, { kind: "tick", nowMs });
    const quorum = this.quorum();
    if (quorum.quorate !== this.lastQuorate) {
      this.lastQuorate = quorum.quorate;
      for (const listener of this.listeners) listener.quorum?.(quorum);
    }
    for (const [peerId, channel] of this.channels) if (!channel.sender.idle) this.flush(peerId, channel);
  }
}
