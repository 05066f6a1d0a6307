// What the peers' adverts (src/membership/advert.ts, exchanged by src/stack) mean for a person:
// a peer whose bootstrap config differs is logged once per difference (naming the settings)
// and shown in `status`; so is a peer on another release.
import type { Logger } from "../common/log";
import { CIB_SCHEMA_READ_MAX } from "../cib";
import { clusterDigests, digestDifferences, timingInClear, type BootstrapConfig } from "../config";
import { advertOf, hasAdvert, negotiate, FEATURES, LEGACY_ADVERT, PROTOCOL_VERSION_MAX, PROTOCOL_VERSION_MIN, type Advert, type AdvertState, type Negotiated } from "../membership";
import { VERSION } from "../cli/version";

export interface PeerAdvertStatus {
  /** What the members of the view have in common. */
  negotiated: Negotiated;
  local: { protocol: string; software: string; cibSchemaReads: number; configVersion: number };
  peers: Array<{
    name: string;
    id: number;
    /** False for a node that never sent an advert: a build from before adverts (protocol 1), or one not heard yet. */
    advertised: boolean;
    protocol: string;
    software: string;
    configVersion: number;
    /** The cluster-wide settings on which its bootstrap config differs from ours. */
    configDifferences: string[];
  }>;
  /** One line per thing a person should look at. */
  warnings: string[];
}

export function localAdvert(config: BootstrapConfig, cibSchemaHeld: number): Advert {
  return {
    protocol: { min: PROTOCOL_VERSION_MIN, max: PROTOCOL_VERSION_MAX }, features: [...FEATURES], cibSchema: { reads: CIB_SCHEMA_READ_MAX, holds: cibSchemaHeld },
    software: VERSION, configVersion: config.configVersion, digests: clusterDigests(config), timing: timingInClear(config),
  };
}

/**
 * Says what the adverts mean for a person: logs a peer's versions when they change and a
 * config difference once (again only when it changes), and builds the status section.
 */
export class AdvertReporter {
  private config: BootstrapConfig;
  /** What was last logged per peer, so each difference is logged once. */
  private readonly logged = new Map<number, string>();

  constructor(config: BootstrapConfig, private readonly localId: number, private readonly logger: Logger) {
    this.config = config;
  }

  /** The config changed (a reload, a node added or removed): differences are judged afresh. */
  reconfigure(config: BootstrapConfig, state: AdvertState | undefined): void {
    this.config = config;
    this.logged.clear();
    if (state === undefined) return;
    for (const id of state.peers.keys()) if (hasAdvert(state, id)) this.noteDifferences(state, id, advertOf(state, id));
  }

  /** A peer announced its advert (the stack's "advert" effect). */
  learned(state: AdvertState, from: number, advert: Advert, before: Advert | undefined): void {
    if (before === undefined || before.software !== advert.software) {
      this.logger.info({ node: this.nameOf(from), protocol: `${advert.protocol.min}-${advert.protocol.max}`, software: advert.software, features: advert.features }, "a peer announced its versions");
    }
    this.noteDifferences(state, from, advert);
  }

  status(state: AdvertState | undefined, members: readonly number[]): PeerAdvertStatus {
    const local = state?.local ?? LEGACY_ADVERT;
    const advertOfPeer = (id: number) => (state === undefined ? LEGACY_ADVERT : advertOf(state, id));
    const negotiated = negotiate(members.map((id) => (id === this.localId ? local : advertOfPeer(id))));
    const peers = this.config.nodes.filter((node) => node.id !== this.localId).map((node) => {
      const advert = advertOfPeer(node.id);
      const advertised = state !== undefined && hasAdvert(state, node.id);
      return {
        name: node.name, id: node.id, advertised, protocol: `${advert.protocol.min}-${advert.protocol.max}`, software: advert.software, configVersion: advert.configVersion,
        configDifferences: advertised ? digestDifferences(local.digests, advert.digests) : [],
      };
    });
    const warnings: string[] = [];
    for (const peer of peers) {
      if (peer.configDifferences.length > 0) warnings.push(differsText(peer.name, peer.configDifferences, local, advertOfPeer(peer.id)));
      else if (peer.advertised && peer.configVersion !== local.configVersion) warnings.push(`${peer.name} runs config_version ${peer.configVersion}, this node ${local.configVersion}`);
    }
    const older = peers.filter((peer) => members.includes(peer.id) && !peer.advertised);
    if (older.length > 0) warnings.push(`${older.map((peer) => peer.name).join(", ")} ${older.length === 1 ? "runs" : "run"} a build from before versioned protocols (or ${older.length === 1 ? "has" : "have"} not answered yet): the cluster speaks protocol ${negotiated.protocol ?? "?"} until every node is upgraded`);
    return { negotiated, local: { protocol: `${local.protocol.min}-${local.protocol.max}`, software: local.software, cibSchemaReads: local.cibSchema.reads, configVersion: local.configVersion }, peers, warnings };
  }

  /** Logs a config difference with a peer once (again only when it changes). */
  private noteDifferences(state: AdvertState, id: number, advert: Advert): void {
    const differences = digestDifferences(state.local.digests, advert.digests);
    const signature = differences.join(",");
    if (this.logged.get(id) === signature) return;
    this.logged.set(id, signature);
    if (differences.length === 0) return;
    this.logger.warn({ node: this.nameOf(id), fields: differences }, differsText(this.nameOf(id), differences, state.local, advert));
  }

  private nameOf(id: number): string {
    return this.config.nodes.find((node) => node.id === id)?.name ?? `node ${id}`;
  }
}

/**
 * The warning for a peer whose bootstrap config differs. Timing is named key by key with both
 * values when the peer's advert carries its timing in clear; "timing.written" (src/config/digest.ts)
 * from a build that sends only digests is said in words: one file sets a timing key that the other
 * leaves to its default.
 */
function differsText(peer: string, fields: readonly string[], local: Advert, theirs: Advert): string {
  const named = fields.flatMap((field) => timingWords(field, peer, local.timing, theirs.timing) ?? [field]);
  return `${peer}'s bootstrap config differs from this node's in ${named.join(", ")}: the same file belongs on every node`;
}

type Timing = NonNullable<Advert["timing"]>;

/** A timing field in words with both values, or undefined when it is no timing field (or the values are unknown). */
function timingWords(field: string, peer: string, local: Timing | undefined, theirs: Timing | undefined): string[] | undefined {
  if (field === "timing.written") {
    if (local === undefined || theirs === undefined) return ["timing (a key one file sets and the other leaves to its default)"];
    const keys = [...new Set([...local.written, ...theirs.written])].filter((key) => local.written.includes(key) !== theirs.written.includes(key));
    if (keys.length === 0) return ["timing (a key one file sets and the other leaves to its default)"];
    return keys.map((key) => theirs.written.includes(key)
      ? `timing.${key} (${peer}'s file sets ${valueOf(theirs, key)}, this node's leaves it to its default, ${valueOf(local, key)})`
      : `timing.${key} (this node's file sets ${valueOf(local, key)}, ${peer}'s leaves it to its default, ${valueOf(theirs, key)})`);
  }
  const key = field.startsWith("timing.") ? field.slice("timing.".length) : undefined;
  if (key === undefined || local === undefined || theirs === undefined) return undefined;
  return [`timing.${key} (${peer}'s file sets ${valueOf(theirs, key)}, this node's ${valueOf(local, key)})`];
}

function valueOf(timing: Timing, key: string): string {
  return timing.values[key] === undefined ? "unknown" : String(timing.values[key]);
}
