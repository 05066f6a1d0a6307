// The membership layer of one node, without I/O: datagrams in, the frame codec, membership,
// quorum, the arbiter client and the reliable channels to each peer, and datagrams, views,
// quorum changes and whole messages out. The agent (src/node/membership-service.ts) performs
// these effects on UDP sockets, timers and its state file; the simulator (src/sim) performs
// them on a simulated network and disk. Time arrives with every input; nothing here reads a
// clock, opens a socket or touches a file.
//
// Effects are performed in order. A `persist` effect must be durable before any effect after
// it is performed: the ring id reaches the disk before any heartbeat or view that shows it.
import { DropLedger, FrameCodec, LinkMonitor, ReliableReceiver, ReliableSender, type DropReport, type Frame, type DecodeResult } from "../transport";
import {
  decodeHeartbeat, encodeHeartbeat, withTiming, following, initialMembership, nextDeadlineMs, probeTiming, reconfigureMembership, stepMembership,
  advertDeadlineMs, initialAdverts, negotiate, advertOf, stepAdverts, LEGACY_ADVERT,
  type Advert, type AdvertInput, type AdvertState, type Heartbeat, type MembershipInput, type MembershipSettings, type MembershipState, type Negotiated, type View, type WireTiming,
} from "../membership";
import {
  arbiterDeadlineMs, holdsVote, initialArbiterClient, initialQuorum, quorumDeadlineMs, quorumReport, reconfigureQuorum, replyReceived, requestDue, requestSent,
  savedVoters, stepQuorum, summarize, type ArbiterClientState, type QuorumInput, type QuorumSettings, type QuorumState, type QuorumSummary, type SavedVoters,
} from "../quorum";
import { judgeWake } from "./stall";
import { unreachable } from "../common/errors";

/** The sender id of the arbiter's frames; no node may have it. */
export const ARBITER_ID = 0;
/** How often a node asks the arbiter for its vote (the arbiter's lease is 2000 ms). */
export const ARBITER_REQUEST_MS = 250;
/** With no reply for this long the arbiter is reported unreachable. */
export const ARBITER_SILENT_MS = 1000;
/** The runner sleeps until the earliest deadline the cores report, but never longer than this. */
export const SLEEP_MS_MAX = 1000;

/** What membership keeps across restarts, so ring ids and last_man_standing voter epochs never go back. */
export interface PersistedMembership { ringId: number; voters?: SavedVoters }

/** Encodes and decodes frames (the real FrameCodec; the simulator may wrap it). */
export interface Codec {
  encode(frame: Frame): Buffer;
  decode(datagram: Uint8Array): DecodeResult;
  readonly counters: Record<string, number>;
  /** The node ids that may send changed (a node added or removed live). */
  setKnownSenders?(ids: Iterable<number>): void;
}

/** The quorum rules (votequorum); the simulator may hand in broken ones to prove its checks. */
export interface QuorumRules {
  step(state: QuorumState, input: QuorumInput): QuorumState;
  summarize(state: QuorumState): QuorumSummary;
}

export const QUORUM_RULES: QuorumRules = { step: stepQuorum, summarize };

export interface MembershipStackSettings {
  clusterName: string;
  authkey: Buffer;
  /** Frames encrypted and authenticated (default); off only for debugging. */
  crypto?: boolean;
  localId: number;
  /** Every configured node with the number of links it has. */
  nodes: ReadonlyArray<{ id: number; links: number }>;
  /** Links this node has (its own link count). */
  localLinks: number;
  /** This process's incarnation: larger after every restart. */
  incarnation: number;
  heartbeatMs: number;
  tokenMs: number;
  /** Membership tuning beyond the timing (defaults: a hold of two heartbeats, four doublings, a minute). */
  rejoinHoldMs?: number;
  flapDoublingsMax?: number;
  flapForgetMs?: number;
  /**
   * The runner watches the peers' machines (echo) and reports with echo(): a peer whose machine
   * went silent is probed every hostProbeEveryMs and lost when its agent answers none within
   * hostConfirmMs (see MembershipSettings.hostConfirmMs). Absent: only the token counts.
   */
  hostConfirmMs?: number;
  hostProbeEveryMs?: number;
  quorum: QuorumSettings;
  /** The links on which the arbiter is reached (those of its address family); empty: no arbiter. */
  arbiterLinks: readonly number[];
  /** last_man_standing: the quorum report rides on every heartbeat (nothing reads it otherwise). */
  reportQuorum: boolean;
  /** What the state directory held at start. */
  saved: PersistedMembership;
  /**
   * What this node advertises (protocol versions, features, config digests: src/membership/advert.ts).
   * Absent: the stack sends no hello and behaves as a build from before adverts (protocol 1).
   */
  advert?: Advert;
  /** Replace the frame codec or the quorum rules (the simulator's mutation tests). */
  codec?: (options: ConstructorParameters<typeof FrameCodec>[0]) => Codec;
  quorumRules?: QuorumRules;
}

/** What may change while the stack runs (see MembershipStack.reconfigure). */
export type StackReconfiguration = Pick<MembershipStackSettings, "nodes" | "localLinks" | "heartbeatMs" | "tokenMs" | "hostConfirmMs" | "hostProbeEveryMs" | "quorum" | "arbiterLinks">;

export type MembershipStackEffect =
  /** Send one datagram: to a node on one of its links, or to the arbiter. */
  | { kind: "transmit"; to: number | "arbiter"; link: number; frame: Frame["kind"]; bytes: Buffer }
  /** Write this state durably before performing the effects after it. */
  | { kind: "persist"; state: PersistedMembership }
  /** A new view, agreed by its members; quorum as computed after it. */
  | { kind: "view"; view: View; quorum: QuorumSummary; reason: string }
  /** Quorum changed without a view change (wait_for_all met, arbiter vote, ...). */
  | { kind: "quorum"; quorum: QuorumSummary }
  /** A whole reliable message from a member, in the order it sent them. */
  | { kind: "message"; from: number; payload: Buffer }
  /** A peer announced (or changed) its advert. */
  | { kind: "advert"; from: number; advert: Advert; before: Advert | undefined }
  | { kind: "log"; level: "info" | "warn" | "error"; message: string; fields: Record<string, unknown> }
  /**
   * This node's last heartbeat went out silentMs ago, at least the token (src/stack/stall.ts):
   * its peers may have declared it lost and taken over. The stack has halted (it sends and
   * reports nothing more); the runner must stop this node's resources, or let the watchdog
   * reset it, before it does anything else, and then start afresh (a new incarnation).
   */
  | { kind: "stalled"; silentMs: number; thresholdMs: number };

interface PeerChannel { incarnation: number; sender: ReliableSender; receiver: ReliableReceiver }

/** The last heartbeat round trip measured to a peer on one link. */
export interface RoundTrip { peerId: number; link: number; microseconds: number }

/** The feature a peer advertises when heartbeats to it may carry timing (src/membership/wire.ts). */
const TIMING_FEATURE = "heartbeat-timing";
const U32 = 2 ** 32;

interface VoteReplyBody { nodeId: number; granted: boolean; members: number[]; ringId: number; leaseMs: number; sentAtMs: number }

export class MembershipStack {
  private membershipState: MembershipState;
  private quorumState: QuorumState;
  private readonly codec: Codec;
  private readonly arbiterCodec: Codec | undefined;
  private readonly rules: QuorumRules;
  private readonly links: LinkMonitor;
  private readonly channels = new Map<number, PeerChannel>();
  private linkCounts: Map<number, number>;
  private sequence = 0;
  private arbiterSequence = 0;
  private arbiterClient: ArbiterClientState = initialArbiterClient(ARBITER_REQUEST_MS);
  private arbiterHeardMs = -Infinity;
  private arbiterPriority = 0;
  private lastQuorate = false;
  private persisted: string;
  /** The earliest time membership needs a tick (from its last step). */
  private membershipDeadlineMs = 0;
  /** When the runner last handled anything (see awaken). */
  private lastActivityMs: number | undefined;
  /** The latest the runner meant to wake (what nextWakeMs last returned). */
  private plannedWakeMs = Infinity;
  /** When a pause was last credited the whole gap (src/stack/stall.ts). */
  private lastWholeCreditMs = -Infinity;
  /** When this node last sent a heartbeat: what its peers last heard of it. */
  private lastHeartbeatSentMs: number;
  /** Set once a stall was found: nothing goes out any more (see the "stalled" effect). */
  private haltedState = false;
  private effects: MembershipStackEffect[] = [];
  /** The runner's echo per peer and link: true answering, false silent (absent: never answered). */
  private readonly echoes = new Map<number, Map<number, boolean>>();
  /** Frames sent, by kind (all links counted), for status and the benchmarks. */
  readonly sent: Record<Frame["kind"], number> = { heartbeat: 0, message: 0, ack: 0, fragment: 0, hello: 0 };
  malformedHeartbeats = 0;
  /** Heartbeats that arrived after a newer one from the same incarnation of their sender, and were not taken. */
  staleHeartbeats = 0;
  /** Per peer: the incarnation and frame sequence of the newest heartbeat taken from it. */
  private readonly lastHeartbeats = new Map<number, { incarnation: number; sequence: number }>();
  /** Who sent frames that were dropped for a misconfiguration (another key, cluster or nodes list). */
  private readonly drops = new DropLedger();
  private advertState: AdvertState | undefined;
  /** Times the runner was found paused for longer than a heartbeat interval. */
  stalls = 0;
  /**
   * The runner's clock in microseconds at the current input (finer than nowMs; the same
   * clock): heartbeats carry it, and echo it back, for the round trip per peer and link.
   */
  private clockUs = 0;
  /** When this stack first sent a heartbeat with timing: an echo older than that is another incarnation's. */
  private firstTimedUs: number | undefined;
  /** Per "peer/link": the send time of the peer's last timed heartbeat there, and when it arrived. */
  private readonly heardTimes = new Map<string, { sentUs: number; heardUs: number }>();
  /** Per "peer/link": the last round trip measured there, and when. */
  private readonly roundTripsByLink = new Map<string, RoundTrip & { atMs: number }>();

  constructor(private settings: MembershipStackSettings, nowMs: number) {
    const nodeIds = settings.nodes.map((node) => node.id);
    this.linkCounts = new Map(settings.nodes.map((node) => [node.id, node.links]));
    const membership: MembershipSettings = {
      nodeIds, heartbeatMs: settings.heartbeatMs, tokenMs: settings.tokenMs,
      rejoinHoldMs: settings.rejoinHoldMs ?? 2 * settings.heartbeatMs, flapDoublingsMax: settings.flapDoublingsMax ?? 4, flapForgetMs: settings.flapForgetMs ?? 60_000,
      ...probeTiming(settings.heartbeatMs),
      ...(settings.hostConfirmMs !== undefined && settings.hostProbeEveryMs !== undefined ? { hostConfirmMs: settings.hostConfirmMs, hostProbeEveryMs: settings.hostProbeEveryMs } : {}),
    };
    this.membershipState = initialMembership(membership, settings.localId, settings.incarnation, nowMs, settings.saved.ringId);
    this.rules = settings.quorumRules ?? QUORUM_RULES;
    this.quorumState = initialQuorum(settings.quorum, settings.saved.voters);
    this.persisted = JSON.stringify(settings.saved);
    const make = settings.codec ?? ((options) => new FrameCodec(options));
    this.codec = make({ clusterName: settings.clusterName, authkey: settings.authkey, knownSenders: nodeIds, localId: settings.localId, crypto: settings.crypto });
    // The arbiter's frames are always encrypted and come from sender id 0 only.
    if (settings.arbiterLinks.length > 0) this.arbiterCodec = make({ clusterName: settings.clusterName, authkey: settings.authkey, knownSenders: [ARBITER_ID], localId: settings.localId });
    this.links = new LinkMonitor(settings.tokenMs);
    if (settings.advert !== undefined) this.advertState = initialAdverts(settings.localId, settings.advert, nodeIds);
    this.lastHeartbeatSentMs = nowMs;
  }

  /** True once a stall halted the stack (see the "stalled" effect). */
  get halted(): boolean {
    return this.haltedState;
  }

  get localId(): number {
    return this.settings.localId;
  }

  get incarnation(): number {
    return this.settings.incarnation;
  }

  get view(): View {
    return this.membershipState.view;
  }

  get membership(): MembershipState {
    return this.membershipState;
  }

  get quorumCore(): QuorumState {
    return this.quorumState;
  }

  quorum(): QuorumSummary {
    return this.rules.summarize(this.quorumState);
  }

  /** quorum().quorate, kept from the last quorum step (cheap to read after every input). */
  get quorate(): boolean {
    return this.lastQuorate;
  }

  get counters(): Record<string, number> {
    return this.codec.counters;
  }

  linkState(peerId: number, link: number, nowMs: number): "up" | "faulty" | "unknown" {
    return this.links.state(peerId, link, nowMs);
  }

  arbiterStatus(nowMs: number): { configured: boolean; state: string; vote?: boolean } {
    if (this.arbiterCodec === undefined) return { configured: false, state: "none" };
    const heard = nowMs - this.arbiterHeardMs < ARBITER_SILENT_MS;
    const vote = this.quorumState.arbiterVote;
    return { configured: true, state: !heard ? "unreachable" : vote ? "vote" : "no vote", vote };
  }

  /**
   * The runner woke (a datagram, its timer, or anything else it does). Judged before anything
   * else happens (src/stack/stall.ts): after a pause shorter than the token the peers are
   * credited it, so our own stall does not count as their silence or a flap; after one as long
   * as the token the stack halts and says so. Returns false when halted.
   */
  private awaken(nowMs: number, nowUs = nowMs * 1000): boolean {
    if (this.haltedState) return false;
    this.clockUs = nowUs;
    const verdict = judgeWake({
      nowMs, lastActivityMs: this.lastActivityMs ?? nowMs, plannedWakeMs: this.plannedWakeMs, lastWholeCreditMs: this.lastWholeCreditMs, lastHeartbeatSentMs: this.lastHeartbeatSentMs,
      heartbeatMs: this.settings.heartbeatMs, tokenMs: this.settings.tokenMs,
      peersInView: this.membershipState.view.members.some((id) => id !== this.settings.localId),
    });
    this.lastActivityMs = nowMs;
    switch (verdict.kind) {
      case "steady":
        return true;
      case "paused":
        // Judged once: the rest of this wake-up is on time.
        this.plannedWakeMs = nowMs;
        if (verdict.whole) this.lastWholeCreditMs = nowMs;
        if (verdict.pausedMs >= this.settings.heartbeatMs) {
          this.stalls++;
          this.log("warn", "event loop was paused; peers are credited the pause", { pausedMs: verdict.pausedMs });
        }
        this.feed({ kind: "paused", pausedMs: verdict.pausedMs, nowMs });
        return true;
      case "stalled":
        this.stalls++;
        this.haltedState = true;
        this.channels.clear();
        this.effects.push({ kind: "stalled", silentMs: verdict.silentMs, thresholdMs: verdict.thresholdMs });
        return false;
      default:
        return unreachable(verdict, "wake verdict");
    }
  }

  /** How much later than planned the runner woke (0 when on time). */
  lateByMs(nowMs: number): number {
    return Math.max(0, nowMs - this.plannedWakeMs);
  }

  /**
   * Something other than the stack woke the runner (a controller timer, a monitor, the watchdog
   * feeder, a client): the stall check runs first, and anything it finds comes out here. The
   * caller goes on only while the stack is not halted.
   */
  observe(nowMs: number): MembershipStackEffect[] {
    this.awaken(nowMs);
    return this.take();
  }

  /** The adverts this node holds (undefined when it sends none: a pre-advert build in the simulator). */
  get adverts(): AdvertState | undefined {
    return this.advertState;
  }

  /** What the given members have in common; a node whose advert we lack counts as a pre-advert build. */
  negotiated(members: readonly number[]): Negotiated {
    const state = this.advertState;
    return negotiate(members.map((id) => (state === undefined ? LEGACY_ADVERT : advertOf(state, id))));
  }

  /** This node's advert changed (a reload, a CIB schema upgrade): peers are told. */
  setAdvert(advert: Advert, nowMs: number): MembershipStackEffect[] {
    this.stepAdverts({ kind: "local", advert, nowMs });
    return this.take();
  }

  /** Frames dropped in the last minute for a misconfiguration, per source. */
  dropReports(nowMs: number): DropReport[] {
    return this.drops.recent(nowMs);
  }

  /**
   * Live changes of the bootstrap config (a reload of the timing, links or arbiter address; a
   * node added or removed): the cores take the new settings without a restart. Removed nodes'
   * channels close; a quorum that changes with the node list is counted again at once.
   */
  reconfigure(change: StackReconfiguration, nowMs: number): MembershipStackEffect[] {
    // A reload wakes the runner like any input: the time until now is judged under the settings
    // it ran with. Judged after the change, a shorter token would count the silence since the
    // last heartbeat under the old, longer interval as this node's own stall and halt it.
    if (!this.awaken(nowMs)) return this.take();
    this.feed({ kind: "tick", nowMs });
    this.settings = { ...this.settings, ...change };
    const nodeIds = change.nodes.map((node) => node.id);
    this.linkCounts = new Map(change.nodes.map((node) => [node.id, node.links]));
    this.codec.setKnownSenders?.(nodeIds);
    const { hostConfirmMs: _confirm, hostProbeEveryMs: _every, ...membershipSettings } = this.membershipState.settings;
    this.membershipState = reconfigureMembership(this.membershipState, {
      ...membershipSettings, nodeIds, heartbeatMs: change.heartbeatMs, tokenMs: change.tokenMs,
      rejoinHoldMs: this.settings.rejoinHoldMs ?? 2 * change.heartbeatMs, ...probeTiming(change.heartbeatMs),
      ...(change.hostConfirmMs !== undefined && change.hostProbeEveryMs !== undefined ? { hostConfirmMs: change.hostConfirmMs, hostProbeEveryMs: change.hostProbeEveryMs } : {}),
    });
    this.membershipDeadlineMs = nextDeadlineMs(this.membershipState);
    this.links.setTokenMs(change.tokenMs);
    for (const id of [...this.channels.keys()]) if (!this.linkCounts.has(id)) this.channels.delete(id);
    if (JSON.stringify(change.quorum) !== JSON.stringify(this.quorumState.settings)) {
      this.quorumState = reconfigureQuorum(this.quorumState, change.quorum, nowMs);
      const quorum = this.quorum();
      if (quorum.quorate !== this.lastQuorate) {
        this.lastQuorate = quorum.quorate;
        this.effects.push({ kind: "quorum", quorum });
      }
    }
    this.stepAdverts({ kind: "peers", ids: nodeIds, nowMs });
    // What is due under the new settings goes out now (a heartbeat, when the interval shrank).
    this.feed({ kind: "tick", nowMs });
    return this.take();
  }

  /** The runner's timer fired (nowUs: the same clock in microseconds, for the heartbeats' timing). */
  tick(nowMs: number, nowUs?: number): MembershipStackEffect[] {
    if (!this.awaken(nowMs, nowUs)) return this.take();
    this.feed({ kind: "tick", nowMs });
    if (this.advertState !== undefined && (advertDeadlineMs(this.advertState) ?? Infinity) <= nowMs) this.stepAdverts({ kind: "tick", nowMs });
    this.tickArbiter(nowMs);
    this.stepQuorum({ kind: "tick", nowMs });
    for (const [peerId, channel] of this.channels) {
      // A channel to an incarnation of the peer that is gone stops at once (a restarted peer
      // gets a new channel from sequence 0 when we next talk to it).
      if (channel.incarnation !== (this.membershipState.peers[peerId]?.incarnation ?? 0)) {
        this.channels.delete(peerId);
        continue;
      }
      if (!channel.sender.idle) this.flush(peerId, channel, nowMs);
    }
    return this.take();
  }

  /** A datagram arrived on a link, from `source` (an address, for telling a person where bad frames come from). */
  receive(link: number, bytes: Uint8Array, nowMs: number, source = `link ${link}`, nowUs?: number): MembershipStackEffect[] {
    if (!this.awaken(nowMs, nowUs)) return this.take();
    // The arbiter's replies carry sender id 0 (bytes 5-6 of the header) and use their own codec.
    if (this.arbiterCodec !== undefined && bytes.length >= 7 && Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).readUInt16BE(5) === ARBITER_ID) {
      this.receiveArbiter(bytes, nowMs);
      return this.take();
    }
    const decoded = this.codec.decode(bytes);
    if (!decoded.ok) {
      const report = this.drops.note(source, decoded.reason, nowMs, decoded.claimedSender);
      if (report !== undefined) this.log("warn", report.message, { source, reason: report.reason, frames: report.count, claimedSender: report.claimedSender });
      return this.take();
    }
    const frame = decoded.frame;
    this.links.heard(frame.senderId, link, nowMs);
    if (this.advertState !== undefined) {
      this.stepAdverts({ kind: "heard", from: frame.senderId, incarnation: frame.incarnation, nowMs });
      if (frame.kind === "hello") {
        this.stepAdverts({ kind: "hello", from: frame.senderId, incarnation: frame.incarnation, body: frame.body, nowMs });
        return this.take();
      }
    }
    if (frame.kind === "heartbeat") {
      const body = decodeHeartbeat(frame.body);
      if (!body.ok) {
        this.malformedHeartbeats++;
        return this.take();
      }
      // A heartbeat sent before one already taken from the same incarnation (reordered: another
      // link's copy, or a delayed datagram) says nothing new, and what it said is out of date: a
      // peer's older reach without us would take us out of its group and split a view just
      // formed. The link counts as heard (above); membership keeps the newer heartbeat.
      const last = this.lastHeartbeats.get(frame.senderId);
      if (last !== undefined && last.incarnation === frame.incarnation && frame.sequence < last.sequence) {
        this.staleHeartbeats++;
        return this.take();
      }
      this.lastHeartbeats.set(frame.senderId, { incarnation: frame.incarnation, sequence: frame.sequence });
      if (body.timing !== undefined) this.noteTiming(frame.senderId, link, body.timing, nowMs);
      if (body.report !== undefined) this.stepQuorum({ kind: "report", from: frame.senderId, report: body.report });
      this.feed({ kind: "heartbeat", from: frame.senderId, heartbeat: body.heartbeat, nowMs });
      return this.take();
    }
    // Reliable traffic only from the incarnation membership knows, so a restarted peer's
    // stream starts afresh on both sides ...
    if (frame.incarnation !== this.membershipState.peers[frame.senderId]?.incarnation) return this.take();
    // ... and only once the sender is a member of our view: retransmissions that a peer's
    // old channel still sends to this (new) incarnation of us are never taken for new traffic.
    if (!this.membershipState.view.members.includes(frame.senderId)) return this.take();
    const channel = this.channel(frame.senderId);
    if (channel === undefined) return this.take();
    if (frame.kind === "ack") {
      channel.sender.onAck(frame.body);
      this.flush(frame.senderId, channel, nowMs);
    } else if (frame.kind === "fragment") {
      const { ack, messages } = channel.receiver.onFragment(frame.body);
      this.sendFrame(frame.senderId, "ack", ack, nowMs);
      for (const payload of messages) this.effects.push({ kind: "message", from: frame.senderId, payload: Buffer.from(payload) });
    }
    return this.take();
  }

  /** Queues a reliable message to a peer; lost silently if the peer restarts or leaves. */
  send(peerId: number, payload: Uint8Array, nowMs: number): MembershipStackEffect[] {
    if (!this.awaken(nowMs)) return this.take();
    const channel = this.channel(peerId);
    if (channel === undefined) return this.take();
    channel.sender.send(payload);
    this.flush(peerId, channel, nowMs);
    return this.take();
  }

  /**
   * This node leaves the cluster (a clean stop, once its resources are gone): its heartbeats
   * say so from now on, the first one at once, so peers drop it without waiting for the token.
   * Its own view stays as it is (see membership's decide).
   */
  leave(nowMs: number): MembershipStackEffect[] {
    if (this.haltedState) return this.take();
    this.feed({ kind: "leave", nowMs });
    return this.take();
  }

  /**
   * The runner's echo (src/node/liveness.ts): the peer's machine answers on a link, or has stopped
   * answering there. Its machine counts as silent once no link that ever answered still does; the
   * membership core then confirms the loss with probes its agent must answer.
   */
  echo(peerId: number, link: number, answering: boolean, nowMs: number): MembershipStackEffect[] {
    if (!this.awaken(nowMs)) return this.take();
    if (peerId === this.settings.localId || !this.linkCounts.has(peerId)) return this.take();
    const links = this.echoes.get(peerId) ?? new Map<number, boolean>();
    this.echoes.set(peerId, links);
    const before = hostAnswers(links);
    if (!answering && !links.has(link)) return this.take();
    links.set(link, answering);
    const after = hostAnswers(links);
    if (after !== before && after !== undefined) {
      this.log(after ? "info" : "warn", after ? "the peer's machine answers again" : "the peer's machine stopped answering on every link; confirming with its agent", { peer: peerId, link });
      this.feed({ kind: "host", from: peerId, answering: after, nowMs });
    }
    return this.take();
  }

  /** The runner stopped watching the peers' machines: what it said no longer holds. */
  forgetEchoes(nowMs: number): MembershipStackEffect[] {
    if (!this.awaken(nowMs)) return this.take();
    for (const [peerId, links] of this.echoes) if (hostAnswers(links) === false) this.feed({ kind: "host", from: peerId, answering: true, nowMs });
    this.echoes.clear();
    return this.take();
  }

  /**
   * Whether this node answers its peers' heartbeats rather than sending first (the agent sets it
   * while the node runs services): the node with the work then wakes once per heartbeat interval.
   */
  setFollowing(follows: boolean): void {
    const next = following(this.membershipState, follows);
    if (next === this.membershipState) return;
    this.membershipState = next;
    this.membershipDeadlineMs = nextDeadlineMs(next);
  }

  /**
   * The last heartbeat round trip to each peer on each link, measured within the token (a link
   * that went quiet, or a peer whose build does not echo, has none).
   */
  roundTrips(nowMs: number): RoundTrip[] {
    const fresh: RoundTrip[] = [];
    for (const each of this.roundTripsByLink.values()) {
      if (nowMs - each.atMs <= this.settings.tokenMs && this.linkCounts.has(each.peerId)) fresh.push({ peerId: each.peerId, link: each.link, microseconds: each.microseconds });
    }
    return fresh.sort((left, right) => left.peerId - right.peerId || left.link - right.link);
  }

  /** The priority of the resources this node runs, which the arbiter weighs in a split. */
  setArbiterPriority(priority: number): void {
    this.arbiterPriority = Number.isFinite(priority) ? priority : 0;
  }

  /** When the runner should next call tick(): the earliest deadline of membership, quorum, the arbiter and the channels. */
  nextWakeMs(nowMs: number): number {
    if (this.haltedState) return nowMs + SLEEP_MS_MAX;
    let wakeMs = Math.min(this.membershipDeadlineMs, nowMs + SLEEP_MS_MAX);
    const quorumMs = quorumDeadlineMs(this.quorumState, nowMs);
    if (quorumMs !== undefined) wakeMs = Math.min(wakeMs, quorumMs);
    if (this.arbiterCodec !== undefined) wakeMs = Math.min(wakeMs, arbiterDeadlineMs(this.arbiterClient, nowMs));
    for (const channel of this.channels.values()) {
      const channelMs = channel.sender.nextDeadlineMs();
      if (channelMs !== undefined) wakeMs = Math.min(wakeMs, channelMs);
    }
    const advertMs = this.advertState === undefined ? undefined : advertDeadlineMs(this.advertState);
    if (advertMs !== undefined) wakeMs = Math.min(wakeMs, advertMs);
    wakeMs = Math.max(wakeMs, nowMs);
    // The runner sleeps until then (the simulator and the agent wake 1 ms later: whole milliseconds).
    this.plannedWakeMs = wakeMs + 1;
    return wakeMs;
  }

  private stepAdverts(input: AdvertInput): void {
    if (this.advertState === undefined) return;
    const result = stepAdverts(this.advertState, input);
    this.advertState = result.state;
    for (const effect of result.effects) {
      if (effect.kind === "send") this.sendFrame(effect.to, "hello", effect.body, input.nowMs);
      else if (effect.kind === "learned") this.effects.push({ kind: "advert", from: effect.from, advert: effect.advert, before: effect.before });
      else this.log("warn", "dropped a malformed hello", { from: effect.from, reason: effect.reason });
    }
  }

  private take(): MembershipStackEffect[] {
    const effects = this.effects;
    this.effects = [];
    return effects;
  }

  private log(level: "info" | "warn" | "error", message: string, fields: Record<string, unknown>): void {
    this.effects.push({ kind: "log", level, message, fields });
  }

  private channel(peerId: number): PeerChannel | undefined {
    if (peerId === this.settings.localId || !this.linkCounts.has(peerId)) return undefined;
    let channel = this.channels.get(peerId);
    const incarnation = this.membershipState.peers[peerId]?.incarnation ?? 0;
    // A channel starts afresh only with a new incarnation of the peer (its receiver starts afresh
    // too); a sender that gave up on a peer that is still the same process goes on where it was.
    if (channel === undefined || channel.incarnation !== incarnation) {
      channel = { incarnation, sender: new ReliableSender(), receiver: new ReliableReceiver() };
      this.channels.set(peerId, channel);
    } else if (channel.sender.failed) {
      channel.sender.revive();
    }
    return channel;
  }

  /**
   * Heartbeats go on every link (that is how a dead link is noticed). Reliable traffic goes on
   * the first link that is up, since retransmission covers a loss: doubling a bulk transfer on
   * every link would only crowd out the heartbeats. With no link known up, it uses them all.
   */
  private sendFrame(peerId: number, kind: Frame["kind"], body: Buffer | ((link: number) => Buffer), nowMs: number): void {
    const peerLinks = this.linkCounts.get(peerId);
    if (peerLinks === undefined) return;
    const usable = Math.min(peerLinks, this.settings.localLinks);
    let preferred: number | undefined;
    if (kind !== "heartbeat") for (let link = 0; link < usable && preferred === undefined; link++) if (this.links.state(peerId, link, nowMs) === "up") preferred = link;
    for (let link = 0; link < usable; link++) {
      if (preferred !== undefined && link !== preferred) continue;
      this.sent[kind]++;
      if (kind === "heartbeat") this.lastHeartbeatSentMs = nowMs;
      const bytes = this.codec.encode({ senderId: this.settings.localId, incarnation: this.settings.incarnation, sequence: ++this.sequence, kind, body: typeof body === "function" ? body(link) : body });
      this.effects.push({ kind: "transmit", to: peerId, link, frame: kind, bytes });
    }
  }

  private flush(peerId: number, channel: PeerChannel, nowMs: number): void {
    for (const fragment of channel.sender.poll(nowMs)) this.sendFrame(peerId, "fragment", fragment, nowMs);
  }

  private broadcast(heartbeat: Heartbeat, nowMs: number): void {
    // With last_man_standing the quorum report rides on every heartbeat and this node hears its
    // own too (see quorumReport); without it nothing reads the report, so it stays off the wire.
    let report: ReturnType<typeof quorumReport> | undefined;
    if (this.settings.reportQuorum) {
      report = quorumReport(this.quorumState, heartbeat.proposal === null);
      this.stepQuorum({ kind: "report", from: this.settings.localId, report });
    }
    this.persist();
    const body = encodeHeartbeat(heartbeat, report);
    for (const peer of this.settings.nodes) {
      if (peer.id === this.settings.localId) continue;
      // Timing only to a peer that said it reads it: to any other the heartbeat stays as it was.
      if (this.advertState !== undefined && advertOf(this.advertState, peer.id).features.includes(TIMING_FEATURE)) this.sendFrame(peer.id, "heartbeat", (link) => withTiming(body, this.timingFor(peer.id, link)), nowMs);
      else this.sendFrame(peer.id, "heartbeat", body, nowMs);
    }
  }

  /** This heartbeat's send time, and the echo of the peer's last one on this link (when heard within the token). */
  private timingFor(peerId: number, link: number): WireTiming {
    this.firstTimedUs ??= this.clockUs;
    const sentUs = Math.round(this.clockUs) % U32;
    const heard = this.heardTimes.get(`${peerId}/${link}`);
    const heldUs = heard === undefined ? undefined : this.clockUs - heard.heardUs;
    if (heard === undefined || heldUs === undefined || heldUs < 0 || heldUs > this.settings.tokenMs * 1000) return { sentUs };
    return { sentUs, echo: { sentUs: heard.sentUs, heldUs } };
  }

  /**
   * A timed heartbeat arrived: its send time is kept to echo, and an echo of ours gives the
   * round trip, (now - our send time) - the time the peer held it. An echo from before this
   * stack sent any (a previous incarnation's), a negative one or one beyond the token is ignored.
   */
  private noteTiming(peerId: number, link: number, timing: WireTiming, nowMs: number): void {
    const key = `${peerId}/${link}`;
    this.heardTimes.set(key, { sentUs: timing.sentUs, heardUs: this.clockUs });
    if (timing.echo === undefined || this.firstTimedUs === undefined) return;
    const ageUs = (((Math.round(this.clockUs) - timing.echo.sentUs) % U32) + U32) % U32;
    const roundTripUs = ageUs - timing.echo.heldUs;
    if (ageUs > this.clockUs - this.firstTimedUs || roundTripUs < 0 || roundTripUs > this.settings.tokenMs * 1000) return;
    this.roundTripsByLink.set(key, { peerId, link, microseconds: roundTripUs, atMs: nowMs });
  }

  private feed(input: MembershipInput): void {
    const result = stepMembership(this.membershipState, input);
    this.membershipState = result.state;
    this.membershipDeadlineMs = result.nextDeadlineMs;
    for (const effect of result.effects) {
      if (effect.kind === "broadcast") {
        this.broadcast(effect.heartbeat, input.nowMs);
        continue;
      }
      // The ring id is durable before the view reaches anyone (the heartbeat follows this effect).
      this.persist();
      this.quorumState = this.rules.step(this.quorumState, { kind: "view", members: effect.view.members, ringId: effect.view.ringId, nowMs: input.nowMs });
      if (this.arbiterCodec !== undefined) this.quorumState = this.rules.step(this.quorumState, { kind: "arbiter", granted: holdsVote(this.arbiterClient, effect.view.members, effect.view.ringId, input.nowMs) });
      const quorum = this.quorum();
      this.lastQuorate = quorum.quorate;
      this.log("info", "new membership view", { ringId: effect.view.ringId, members: effect.view.members, quorate: quorum.quorate, reason: effect.reason });
      this.effects.push({ kind: "view", view: effect.view, quorum, reason: effect.reason });
    }
  }

  private receiveArbiter(bytes: Uint8Array, nowMs: number): void {
    const decoded = this.arbiterCodec!.decode(bytes);
    if (!decoded.ok || decoded.frame.kind !== "message") return;
    const reply = parseVoteReply(decoded.frame.body);
    if (reply === undefined || reply.nodeId !== this.settings.localId) return;
    this.arbiterHeardMs = nowMs;
    this.arbiterClient = replyReceived(this.arbiterClient, reply);
    this.updateArbiterVote(nowMs);
  }

  /** Asks the arbiter when a request is due, and counts its vote only for the view it names. */
  private tickArbiter(nowMs: number): void {
    if (this.arbiterCodec === undefined) return;
    if (requestDue(this.arbiterClient, nowMs)) {
      this.arbiterClient = requestSent(this.arbiterClient, nowMs);
      const view = this.membershipState.view;
      const body = Buffer.from(JSON.stringify({ members: view.members, ringId: view.ringId, priority: this.arbiterPriority, sentAtMs: nowMs }));
      for (const link of this.settings.arbiterLinks) {
        const bytes = this.arbiterCodec.encode({ senderId: this.settings.localId, incarnation: this.settings.incarnation, sequence: ++this.arbiterSequence, kind: "message", body });
        this.effects.push({ kind: "transmit", to: "arbiter", link, frame: "message", bytes });
      }
    }
    this.updateArbiterVote(nowMs);
  }

  private updateArbiterVote(nowMs: number): void {
    const view = this.membershipState.view;
    const vote = holdsVote(this.arbiterClient, view.members, view.ringId, nowMs);
    if (vote === this.quorumState.arbiterVote) return;
    this.log("info", vote ? "arbiter vote held" : "arbiter vote lost", { vote, members: view.members, ringId: view.ringId });
    this.stepQuorum({ kind: "arbiter", granted: vote });
  }

  /** The ring id and the last_man_standing voters go to the disk when they changed, before anyone hears of them. */
  private persist(): void {
    const state: PersistedMembership = { ringId: this.membershipState.view.ringId, voters: savedVoters(this.quorumState) };
    const text = JSON.stringify(state);
    if (text === this.persisted) return;
    this.persisted = text;
    this.effects.push({ kind: "persist", state });
  }

  /** Steps quorum and reports when quorate changed without a view change. */
  private stepQuorum(input: QuorumInput): void {
    this.quorumState = this.rules.step(this.quorumState, input);
    const quorum = this.quorum();
    if (quorum.quorate !== this.lastQuorate) {
      this.lastQuorate = quorum.quorate;
      this.effects.push({ kind: "quorum", quorum });
    }
  }
}

/** Whether a peer's machine answers: true on any answering link, false when every link that answered is silent, undefined before any answered. */
function hostAnswers(links: Map<number, boolean>): boolean | undefined {
  if (links.size === 0) return undefined;
  for (const answering of links.values()) if (answering) return true;
  return false;
}

/** What the state directory's membership file holds, checked; undefined when it is damaged. */
export function parsePersistedMembership(text: string): PersistedMembership | undefined {
  try {
    const parsed = JSON.parse(text) as PersistedMembership;
    if (typeof parsed === "object" && parsed !== null && Number.isSafeInteger(parsed.ringId) && parsed.ringId >= 0) return parsed;
  } catch {
    // A damaged file is reported by the caller; peers still carry the ring ids they saw.
  }
  return undefined;
}

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
