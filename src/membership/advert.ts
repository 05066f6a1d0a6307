// What each node says about itself, so an upgrade can run one node at a time: the
// protocol versions it speaks, the features it has, the CIB schemas it reads, and a
// digest of the cluster-wide part of its bootstrap config. A pure state machine: the
// runner hands in what it heard and the time, and sends the hellos this returns.
//
// Adverts travel in "hello" frames (src/transport, kind 5), unicast per peer, and only when
// something is missing: a node sends one to a peer whose advert it lacks (for the peer's
// current incarnation), or whose last hello did not acknowledge this node's current advert.
// Three hellos settle a pair (ask, answer, acknowledge); an idle cluster sends none. A peer that never answers is a
// build from before adverts (protocol 1): it drops the hello as an unknown frame kind, and
// we ask again every LEGACY_RETRY_MS.
//
// Protocol 1 is the wire as it was before versioning (heartbeat layout 1, the controller's
// JSON messages of that time, CIB schema 1): a node that never sent a hello speaks exactly
// that. A cluster uses the highest protocol every member speaks, and the features every
// member has, so a new build beside an old one behaves as the old one expects.
//
// The hello body is JSON and forward compatible: unknown fields are ignored, known ones are
// checked, so a later build may add fields without splitting the cluster.

/** The protocols this build speaks. Protocol 1 is the wire before versioning. */
export const PROTOCOL_VERSION_MIN = 1;
export const PROTOCOL_VERSION_MAX = 2;

/**
 * Features beyond protocol 1, each usable only when every member of the view has it:
 * "config-change": nodes added and removed live (one versioned change on every member);
 * "cluster-stop": `cluster stop --all` carried through the cluster;
 * "status-all": each member answers `cluster status --all` with its own view;
 * "service-verbs": `cluster enable|disable --all` carried to each member's systemd.
 * "heartbeat-timing": heartbeats to this node may carry send times and echoes (the round trip
 *   per link, src/membership/wire.ts); used per peer, not only when the whole view has it.
 * "report-pieces": this node takes a member's `edgeha report` part in several messages
 *   (src/node/report-protocol.ts); used per peer.
 */
export const FEATURES = ["cluster-stop", "config-change", "heartbeat-timing", "report-pieces", "service-verbs", "status-all"] as const;
export type Feature = (typeof FEATURES)[number];

/** Resend a hello that was not acknowledged after this long, RETRIES_FAST times, then every LEGACY_RETRY_MS. */
export const HELLO_RETRY_MS = 1000;
export const HELLO_RETRIES_FAST = 5;
export const LEGACY_RETRY_MS = 30_000;
/** A hello body is at most this long (it must fit one frame). */
export const HELLO_BYTES_MAX = 1300;
const DIGEST_ENTRIES_MAX = 40;
/** Timing keys named in clear in an advert (five today). */
const TIMING_ENTRIES_MAX = 16;
const TEXT_MAX = 64;

export interface Advert {
  /** The protocol versions this node speaks, lowest and highest. */
  protocol: { min: number; max: number };
  /** Sorted feature names (unknown ones are kept: they only ever narrow the common set). */
  features: string[];
  /** The highest CIB schema this node reads, and the schema of the CIB it holds. */
  cibSchema: { reads: number; holds: number };
  /** The edgeha version, for status only. */
  software: string;
  /** The bootstrap config's config_version. */
  configVersion: number;
  /** Short digests of the cluster-wide settings of its bootstrap config, by key path. */
  digests: Record<string, string>;
  /**
   * Its timing in clear (src/config/digest.ts timingInClear): the keys its file writes and the
   * value of each key in force, so a difference can be named. Absent from older builds.
   */
  timing?: { written: string[]; values: Record<string, number> };
}

/** What a node that never sent a hello is taken to be: a build from before adverts. */
export const LEGACY_ADVERT: Advert = Object.freeze({
  protocol: { min: 1, max: 1 }, features: [], cibSchema: { reads: 1, holds: 1 }, software: "older than adverts", configVersion: 0, digests: {},
}) as Advert;

interface PeerAdvert {
  /** The incarnation the advert (and the acknowledgement) belong to; 0 before we heard the peer at all. */
  incarnation: number;
  advert: Advert | undefined;
  /** The epoch of the peer's advert we hold. */
  theirEpoch: number | undefined;
  /** The epoch of our advert the peer last acknowledged. */
  acked: number | undefined;
  lastSentMs: number;
  /** Hellos sent since the peer last answered. */
  unanswered: number;
}

export interface AdvertState {
  localId: number;
  local: Advert;
  /** Grows whenever the local advert changes, so peers can acknowledge the one they hold. */
  epoch: number;
  peers: ReadonlyMap<number, PeerAdvert>;
}

export type AdvertInput =
  /** Any authenticated frame from a peer: the runner tells which incarnation it came from. */
  | { kind: "heard"; from: number; incarnation: number; nowMs: number }
  | { kind: "hello"; from: number; incarnation: number; body: Uint8Array; nowMs: number }
  | { kind: "tick"; nowMs: number }
  /** The local advert changed (a reload, a CIB schema upgrade). */
  | { kind: "local"; advert: Advert; nowMs: number }
  /** The nodes of the cluster changed (a node added or removed). */
  | { kind: "peers"; ids: number[]; nowMs: number };

export type AdvertEffect =
  | { kind: "send"; to: number; body: Buffer }
  /** A peer's advert arrived or changed. */
  | { kind: "learned"; from: number; advert: Advert; before: Advert | undefined }
  | { kind: "malformed"; from: number; reason: string };

export function initialAdverts(localId: number, local: Advert, peerIds: readonly number[]): AdvertState {
  const peers = new Map<number, PeerAdvert>();
  for (const id of peerIds) if (id !== localId) peers.set(id, emptyPeer(0));
  return { localId, local, epoch: 1, peers };
}

function emptyPeer(incarnation: number): PeerAdvert {
  return { incarnation, advert: undefined, theirEpoch: undefined, acked: undefined, lastSentMs: -Infinity, unanswered: 0 };
}

export function stepAdverts(state: AdvertState, input: AdvertInput): { state: AdvertState; effects: AdvertEffect[] } {
  // The hot path: every heartbeat is "heard"; from a settled peer it changes nothing.
  if (input.kind === "heard") {
    const peer = state.peers.get(input.from);
    if (peer === undefined || (peer.incarnation === input.incarnation && peer.advert !== undefined && peer.acked === state.epoch)) return { state, effects: [] };
  }
  const peers = new Map(state.peers);
  const effects: AdvertEffect[] = [];
  let next: AdvertState = { ...state, peers };
  switch (input.kind) {
    case "heard": {
      const peer = peers.get(input.from);
      if (peer === undefined) break;
      // A restarted peer is a new process: it may be another build, so its advert is asked afresh.
      if (peer.incarnation !== input.incarnation) peers.set(input.from, emptyPeer(input.incarnation));
      sendIfDue(next, input.from, input.nowMs, effects);
      break;
    }
    case "hello":
      next = onHello(next, input, effects);
      break;
    case "tick":
      for (const id of peers.keys()) sendIfDue(next, id, input.nowMs, effects);
      break;
    case "local":
      if (JSON.stringify(input.advert) === JSON.stringify(state.local)) break;
      next = { ...next, local: input.advert, epoch: state.epoch + 1 };
      for (const [id, peer] of peers) {
        peers.set(id, { ...peer, unanswered: 0, lastSentMs: -Infinity });
        sendIfDue(next, id, input.nowMs, effects);
      }
      break;
    case "peers":
      for (const id of [...peers.keys()]) if (!input.ids.includes(id)) peers.delete(id);
      for (const id of input.ids) if (id !== state.localId && !peers.has(id)) peers.set(id, emptyPeer(0));
      break;
    default: {
      const unknown: never = input;
      return unknown;
    }
  }
  return { state: next, effects };
}

function onHello(state: AdvertState, input: Extract<AdvertInput, { kind: "hello" }>, effects: AdvertEffect[]): AdvertState {
  const peers = state.peers as Map<number, PeerAdvert>;
  let peer = peers.get(input.from);
  if (peer === undefined) return state;
  const decoded = decodeHello(input.body);
  if (!decoded.ok) {
    effects.push({ kind: "malformed", from: input.from, reason: decoded.reason });
    return state;
  }
  if (peer.incarnation !== input.incarnation) peer = emptyPeer(input.incarnation);
  const before = peer.advert;
  const changed = before === undefined || JSON.stringify(before) !== JSON.stringify(decoded.hello.advert);
  const newEpoch = peer.theirEpoch !== decoded.hello.epoch;
  peer = { ...peer, advert: decoded.hello.advert, theirEpoch: decoded.hello.epoch, acked: decoded.hello.ack ?? undefined, unanswered: 0 };
  peers.set(input.from, peer);
  if (changed) effects.push({ kind: "learned", from: input.from, advert: decoded.hello.advert, before });
  // Answer at once when the peer lacks our current advert, or must hear that we now hold its
  // own; a hello that brings nothing new is not answered, so two nodes settle.
  if (peer.acked !== state.epoch || newEpoch) send(state, input.from, input.nowMs, effects);
  return state;
}

/** Sends a hello to a peer that lacks our advert or whose advert we lack, when its retry is due. */
function sendIfDue(state: AdvertState, id: number, nowMs: number, effects: AdvertEffect[]): void {
  const peer = state.peers.get(id);
  if (peer === undefined || peer.incarnation === 0) return;
  const settled = peer.advert !== undefined && peer.acked === state.epoch;
  if (settled) return;
  const retryMs = peer.unanswered < HELLO_RETRIES_FAST ? HELLO_RETRY_MS : LEGACY_RETRY_MS;
  if (nowMs - peer.lastSentMs < retryMs) return;
  send(state, id, nowMs, effects);
}

function send(state: AdvertState, id: number, nowMs: number, effects: AdvertEffect[]): void {
  const peers = state.peers as Map<number, PeerAdvert>;
  const peer = peers.get(id)!;
  peers.set(id, { ...peer, lastSentMs: nowMs, unanswered: peer.unanswered + 1 });
  effects.push({ kind: "send", to: id, body: encodeHello({ epoch: state.epoch, ack: peer.advert === undefined ? null : peer.theirEpoch ?? null, advert: state.local }) });
}

/** When the next hello retry falls due (undefined: nothing pending). */
export function advertDeadlineMs(state: AdvertState): number | undefined {
  let deadline: number | undefined;
  for (const peer of state.peers.values()) {
    if (peer.incarnation === 0 || (peer.advert !== undefined && peer.acked === state.epoch)) continue;
    const dueMs = peer.lastSentMs + (peer.unanswered < HELLO_RETRIES_FAST ? HELLO_RETRY_MS : LEGACY_RETRY_MS);
    if (deadline === undefined || dueMs < deadline) deadline = dueMs;
  }
  return deadline;
}

/** A peer's advert: the one it sent, else (never heard a hello) a build from before adverts. */
export function advertOf(state: AdvertState, id: number): Advert {
  if (id === state.localId) return state.local;
  return state.peers.get(id)?.advert ?? LEGACY_ADVERT;
}

/** True when the peer has sent its advert (it speaks protocol 2 or later). */
export function hasAdvert(state: AdvertState, id: number): boolean {
  return id === state.localId || state.peers.get(id)?.advert !== undefined;
}

export interface Negotiated {
  /** The highest protocol every member speaks; undefined when their ranges do not meet. */
  protocol: number | undefined;
  features: Feature[];
  /** The highest CIB schema every member reads. */
  cibSchemaReads: number;
  /** The newest CIB schema any member holds. */
  cibSchemaHeld: number;
}

/** What a set of members has in common (pure; adverts for members, legacy for the silent). */
export function negotiate(adverts: readonly Advert[]): Negotiated {
  let low = -Infinity;
  let high = Infinity;
  let features: Set<string> | undefined;
  let reads = Infinity;
  let held = 0;
  for (const advert of adverts) {
    low = Math.max(low, advert.protocol.min);
    high = Math.min(high, advert.protocol.max);
    const common: Set<string> | undefined = features;
    features = new Set(common === undefined ? advert.features : advert.features.filter((feature) => common.has(feature)));
    reads = Math.min(reads, advert.cibSchema.reads);
    held = Math.max(held, advert.cibSchema.holds);
  }
  return {
    protocol: high >= low && Number.isFinite(high) ? high : undefined,
    features: FEATURES.filter((feature) => features?.has(feature) ?? false),
    cibSchemaReads: Number.isFinite(reads) ? reads : 1,
    cibSchemaHeld: Math.max(1, held),
  };
}

// ---- the hello body ----------------------------------------------------------

export interface Hello {
  /** The epoch of the sender's advert in this hello. */
  epoch: number;
  /** The epoch of the receiver's advert the sender holds (null: none). */
  ack: number | null;
  advert: Advert;
}

export function encodeHello(hello: Hello): Buffer {
  const body = Buffer.from(JSON.stringify({ v: 1, ...hello }));
  if (body.length > HELLO_BYTES_MAX) throw new RangeError(`a hello of ${body.length} bytes exceeds ${HELLO_BYTES_MAX}`);
  return body;
}

type Decoded = { ok: true; hello: Hello } | { ok: false; reason: string };

const isCount = (value: unknown): value is number => typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
const isText = (value: unknown): value is string => typeof value === "string" && value.length <= TEXT_MAX;

/** Checks every field this build knows and ignores the rest; never throws. */
export function decodeHello(bytes: Uint8Array): Decoded {
  if (bytes.length > HELLO_BYTES_MAX) return { ok: false, reason: "too long" };
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8"));
  } catch {
    return { ok: false, reason: "not JSON" };
  }
  if (typeof raw !== "object" || raw === null) return { ok: false, reason: "not an object" };
  const body = raw as Record<string, unknown>;
  if (!isCount(body.epoch) || !(body.ack === null || isCount(body.ack))) return { ok: false, reason: "epoch or ack" };
  const advert = readAdvert(body.advert);
  if (typeof advert === "string") return { ok: false, reason: advert };
  return { ok: true, hello: { epoch: body.epoch, ack: body.ack, advert } };
}

function readAdvert(value: unknown): Advert | string {
  if (typeof value !== "object" || value === null) return "advert";
  const advert = value as Record<string, unknown>;
  const protocol = advert.protocol as Record<string, unknown> | undefined;
  if (typeof protocol !== "object" || protocol === null || !isCount(protocol.min) || !isCount(protocol.max) || protocol.min < 1 || protocol.max < protocol.min) return "protocol";
  if (!Array.isArray(advert.features) || advert.features.length > 64 || !advert.features.every(isText)) return "features";
  const schema = advert.cibSchema as Record<string, unknown> | undefined;
  if (typeof schema !== "object" || schema === null || !isCount(schema.reads) || !isCount(schema.holds) || schema.reads < 1 || schema.holds < 1) return "cibSchema";
  if (!isText(advert.software) || !isCount(advert.configVersion)) return "software or configVersion";
  const digests = advert.digests as Record<string, unknown> | undefined;
  if (typeof digests !== "object" || digests === null || Array.isArray(digests)) return "digests";
  const entries = Object.entries(digests);
  if (entries.length > DIGEST_ENTRIES_MAX || !entries.every(([key, digest]) => isText(key) && isText(digest))) return "digests";
  const timing = readTiming(advert.timing);
  if (timing === "timing") return timing;
  return {
    protocol: { min: protocol.min, max: protocol.max },
    features: [...(advert.features as string[])].sort(),
    cibSchema: { reads: schema.reads, holds: schema.holds },
    software: advert.software,
    configVersion: advert.configVersion,
    digests: Object.fromEntries(entries.sort(([left], [right]) => (left < right ? -1 : left > right ? 1 : 0))) as Record<string, string>,
    ...(timing ? { timing } : {}),
  };
}

/** The optional timing in clear: absent (an older build) is undefined, malformed is refused like any other field. */
function readTiming(value: unknown): Advert["timing"] | "timing" {
  if (value === undefined) return undefined;
  if (typeof value !== "object" || value === null) return "timing";
  const timing = value as Record<string, unknown>;
  if (!Array.isArray(timing.written) || timing.written.length > TIMING_ENTRIES_MAX || !timing.written.every(isText)) return "timing";
  const values = timing.values as Record<string, unknown> | undefined;
  if (typeof values !== "object" || values === null || Array.isArray(values)) return "timing";
  const entries = Object.entries(values);
  if (entries.length > TIMING_ENTRIES_MAX || !entries.every(([key, each]) => isText(key) && isCount(each))) return "timing";
  return { written: [...(timing.written as string[])], values: Object.fromEntries(entries) as Record<string, number> };
}
