// First pass over the YAML document: reads every section into a draft whose fields
// are undefined when absent or unusable, reporting key, type and range problems.
// Cross-field rules (duplicates, link counts, quorum and timing relations) run on
// the draft afterwards, in rules.ts.
import { isScalar, isSeq, type Node as YamlNode } from "yaml";
import { type ParsedAddress, parseArbiter, parseLinkAddress, parseListenAddress } from "./address";
import { LIMITS } from "./defaults";
import type { ArbiterAddress, LogLevel, TieBreaker } from "./types";
import { type YamlReader, describe } from "./yaml-reader";

export interface DraftLink {
  text: string;
  address: ParsedAddress;
}

export interface DraftNode {
  name?: string;
  id?: number;
  /** Undefined when the list itself is missing or unusable; unusable entries are left out. */
  links?: DraftLink[];
  /** True when every link entry was a usable address. */
  linksComplete: boolean;
}

export interface DraftConfig {
  clusterName?: string;
  configVersion?: number;
  logging: { level?: LogLevel };
  transport: { port?: number; crypto?: boolean };
  nodes?: DraftNode[];
  quorum: {
    expectedVotes?: number;
    twoNode?: boolean;
    waitForAll?: boolean;
    lastManStanding?: boolean;
    lastManStandingWindowMs?: number;
    autoTieBreaker?: boolean;
    autoTieBreakerNode?: TieBreaker;
    arbiter?: ArbiterAddress;
  };
  timing: { heartbeatMs?: number; tokenMs?: number; consensusMs?: number; joinMs?: number; echoMs?: number };
  paths: { authkey?: string; stateDir?: string; socket?: string };
  metrics: { listen?: { host: string; port: number } };
  watchdog: { device?: string; timeoutSeconds?: number; sbdDevices?: string[]; sbdStartMode?: "always" | "clean" };
  system: { realtimePriority?: number; lockMemory?: boolean };
}

export const TOP_LEVEL_KEYS = ["cluster_name", "config_version", "transport", "nodes", "quorum", "timing", "paths", "metrics", "logging", "watchdog", "system"] as const;
export const LOGGING_KEYS = ["level"] as const;
export const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];
export const TRANSPORT_KEYS = ["port", "crypto"] as const;
export const NODE_KEYS = ["name", "id", "links"] as const;
export const QUORUM_KEYS = [
  "expected_votes",
  "two_node",
  "wait_for_all",
  "last_man_standing",
  "last_man_standing_window_ms",
  "auto_tie_breaker",
  "auto_tie_breaker_node",
  "arbiter",
] as const;
export const TIMING_KEYS = ["heartbeat_ms", "token_ms", "consensus_ms", "join_ms", "echo_ms"] as const;
/** Each timing key's field in DraftConfig.timing and TimingConfig. */
export const TIMING_FIELDS = { heartbeat_ms: "heartbeatMs", token_ms: "tokenMs", consensus_ms: "consensusMs", join_ms: "joinMs", echo_ms: "echoMs" } as const;
export const PATHS_KEYS = ["authkey", "state_dir", "socket"] as const;
export const WATCHDOG_KEYS = ["device", "timeout_s", "sbd_devices", "sbd_start_mode"] as const;
export const METRICS_KEYS = ["listen"] as const;
export const SYSTEM_KEYS = ["realtime_priority", "lock_memory"] as const;

/** Every key the file may contain, as dotted paths ("nodes[].links" for node keys). */
export const ALL_KEYS: readonly string[] = [
  "cluster_name",
  "config_version",
  ...TRANSPORT_KEYS.map((key) => `transport.${key}`),
  ...NODE_KEYS.map((key) => `nodes[].${key}`),
  ...QUORUM_KEYS.map((key) => `quorum.${key}`),
  ...TIMING_KEYS.map((key) => `timing.${key}`),
  ...PATHS_KEYS.map((key) => `paths.${key}`),
  ...METRICS_KEYS.map((key) => `metrics.${key}`),
  ...LOGGING_KEYS.map((key) => `logging.${key}`),
  ...WATCHDOG_KEYS.map((key) => `watchdog.${key}`),
  ...SYSTEM_KEYS.map((key) => `system.${key}`),
];

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function readDraft(reader: YamlReader, root: YamlNode | null): DraftConfig {
  const draft: DraftConfig = { transport: {}, quorum: {}, timing: {}, paths: {}, metrics: {}, logging: {}, watchdog: {}, system: {} };
  if (root === null) {
    reader.problems.error("", "the file is empty: it needs at least cluster_name and nodes");
    return draft;
  }
  const top = reader.mapping(root, "", TOP_LEVEL_KEYS);
  if (!top) return draft;
  const clusterName = top.get("cluster_name");
  if (clusterName === undefined) reader.problems.error("", "missing required key 'cluster_name'");
  else draft.clusterName = readName(reader, clusterName, "cluster_name");
  const nodes = top.get("nodes");
  if (nodes === undefined) reader.problems.error("", "missing required key 'nodes' (the list of nodes with their name, id and links)");
  else draft.nodes = readNodes(reader, nodes);
  readTransport(reader, top.get("transport") ?? null, draft);
  readQuorum(reader, top.get("quorum") ?? null, draft);
  readTiming(reader, top.get("timing") ?? null, draft);
  readPaths(reader, top.get("paths") ?? null, draft);
  if (top.has("watchdog")) readWatchdog(reader, top.get("watchdog") ?? null, draft);
  readMetrics(reader, top.get("metrics") ?? null, draft);
  if (top.has("config_version")) draft.configVersion = reader.integer(top.get("config_version"), "config_version", 0, LIMITS.configVersionMax);
  readLogging(reader, top.get("logging") ?? null, draft);
  readSystem(reader, top.get("system") ?? null, draft);
  return draft;
}

function readName(reader: YamlReader, node: YamlNode | null, path: string): string | undefined {
  const resolved = reader.resolve(node);
  if (isScalar(resolved) && typeof resolved.value === "number") {
    reader.problems.error(path, `${path} must be text, not the number ${resolved.value} (write it in quotes: '${resolved.value}')`, reader.position(resolved));
    return undefined;
  }
  const text = reader.string(node, path);
  if (text === undefined) return undefined;
  if (text.length > LIMITS.nameLengthMax || !NAME_PATTERN.test(text)) {
    reader.problems.error(
      path,
      `${path} '${text}' must be 1 to ${LIMITS.nameLengthMax} letters, digits, '.', '_' or '-', starting with a letter or digit`,
    );
    return undefined;
  }
  return text;
}

function readTransport(reader: YamlReader, node: YamlNode | null, draft: DraftConfig): void {
  const section = reader.mapping(node, "transport", TRANSPORT_KEYS);
  if (!section) return;
  if (section.has("port")) draft.transport.port = reader.integer(section.get("port"), "transport.port", LIMITS.portMin, LIMITS.portMax);
  if (section.has("crypto")) draft.transport.crypto = reader.boolean(section.get("crypto"), "transport.crypto");
}

function readNodes(reader: YamlReader, node: YamlNode | null): DraftNode[] | undefined {
  const items = reader.list(node, "nodes");
  if (!items) return undefined;
  if (items.length === 0) reader.problems.error("nodes", "nodes must list at least one node");
  if (items.length > LIMITS.nodesMax) reader.problems.error("nodes", `nodes lists ${items.length} nodes; at most ${LIMITS.nodesMax} are supported`);
  return items.map((item, index) => readNode(reader, item, `nodes[${index}]`));
}

function readNode(reader: YamlReader, node: YamlNode, path: string): DraftNode {
  const draft: DraftNode = { linksComplete: false };
  const entries = reader.mapping(node, path, NODE_KEYS);
  if (!entries) return draft;
  for (const key of NODE_KEYS) {
    if (!entries.has(key)) reader.problems.error(path, `node ${path} is missing required key '${key}'`);
  }
  if (entries.has("name")) draft.name = readName(reader, entries.get("name")!, `${path}.name`);
  if (entries.has("id")) draft.id = reader.integer(entries.get("id"), `${path}.id`, LIMITS.nodeIdMin, LIMITS.nodeIdMax);
  if (entries.has("links")) readLinks(reader, entries.get("links")!, `${path}.links`, draft);
  return draft;
}

function readLinks(reader: YamlReader, node: YamlNode | null, path: string, draft: DraftNode): void {
  const resolved = reader.resolve(node);
  if (resolved === null || (isScalar(resolved) && resolved.value === null)) {
    reader.problems.error(path, `${path} must list 1 to ${LIMITS.linksMax} addresses, not nothing`);
    return;
  }
  // A single address without brackets is accepted as a one-link list.
  const list = isScalar(resolved) ? [resolved] : reader.list(resolved, path);
  if (!list) return;
  if (list.length === 0 || list.length > LIMITS.linksMax) {
    reader.problems.error(path, `${path} must list 1 to ${LIMITS.linksMax} addresses, not ${list.length}`);
  }
  const links: DraftLink[] = [];
  list.forEach((item, index) => {
    const linkPath = `${path}[${index}]`;
    const text = reader.string(item, linkPath);
    if (text === undefined) return;
    const parsed = parseLinkAddress(text);
    if (parsed.ok) links.push({ text, address: parsed.address });
    else reader.problems.error(linkPath, `${linkPath}: ${parsed.reason}`, reader.position(item));
  });
  draft.links = links;
  draft.linksComplete = links.length === list.length;
}

function readQuorum(reader: YamlReader, node: YamlNode | null, draft: DraftConfig): void {
  const section = reader.mapping(node, "quorum", QUORUM_KEYS);
  if (!section) return;
  const quorum = draft.quorum;
  if (section.has("expected_votes")) quorum.expectedVotes = reader.integer(section.get("expected_votes"), "quorum.expected_votes", 1, LIMITS.nodesMax * 2);
  const flag = (key: string) => (section.has(key) ? reader.boolean(section.get(key), `quorum.${key}`) : undefined);
  quorum.twoNode = flag("two_node");
  quorum.waitForAll = flag("wait_for_all");
  quorum.lastManStanding = flag("last_man_standing");
  quorum.autoTieBreaker = flag("auto_tie_breaker");
  if (section.has("last_man_standing_window_ms")) {
    quorum.lastManStandingWindowMs = reader.integer(section.get("last_man_standing_window_ms"), "quorum.last_man_standing_window_ms", 1, LIMITS.timeoutMsMax);
  }
  if (section.has("auto_tie_breaker_node")) quorum.autoTieBreakerNode = readTieBreaker(reader, section.get("auto_tie_breaker_node")!);
  if (section.has("arbiter")) {
    const text = reader.string(section.get("arbiter"), "quorum.arbiter");
    if (text !== undefined) {
      const parsed = parseArbiter(text);
      if (parsed.ok) quorum.arbiter = parsed.arbiter;
      else reader.problems.error("quorum.arbiter", `quorum.arbiter: ${parsed.reason}`);
    }
  }
}

function readTieBreaker(reader: YamlReader, raw: YamlNode | null): TieBreaker | undefined {
  const path = "quorum.auto_tie_breaker_node";
  const node = reader.resolve(raw);
  const value = isScalar(node) ? node.value : undefined;
  if (value === "lowest" || value === "highest") return { kind: value };
  if (typeof value === "number") {
    const id = reader.integer(node, path, LIMITS.nodeIdMin, LIMITS.nodeIdMax);
    return id === undefined ? undefined : { kind: "list", nodeIds: [id] };
  }
  if (isSeq(node)) {
    const items = reader.list(node, path) ?? [];
    const ids = items.map((item, index) => reader.integer(item, `${path}[${index}]`, LIMITS.nodeIdMin, LIMITS.nodeIdMax));
    if (ids.length === 0) reader.problems.error(path, `${path} must list at least one node id`);
    if (ids.length === 0 || ids.some((id) => id === undefined)) return undefined;
    return { kind: "list", nodeIds: ids as number[] };
  }
  reader.problems.error(path, `${path} must be 'lowest', 'highest' or a list of node ids, not ${describe(node)}`, reader.position(node));
  return undefined;
}

function readTiming(reader: YamlReader, node: YamlNode | null, draft: DraftConfig): void {
  const section = reader.mapping(node, "timing", TIMING_KEYS);
  if (!section) return;
  const read = (key: string, minimum: number, maximum: number) =>
    section.has(key) ? reader.integer(section.get(key), `timing.${key}`, minimum, maximum) : undefined;
  draft.timing.heartbeatMs = read("heartbeat_ms", LIMITS.heartbeatMsMin, LIMITS.heartbeatMsMax);
  draft.timing.tokenMs = read("token_ms", LIMITS.heartbeatMsMin, LIMITS.timeoutMsMax);
  draft.timing.consensusMs = read("consensus_ms", LIMITS.heartbeatMsMin, LIMITS.timeoutMsMax);
  draft.timing.joinMs = read("join_ms", 1, LIMITS.timeoutMsMax);
  draft.timing.echoMs = read("echo_ms", 0, LIMITS.echoMsMax);
}

function readPaths(reader: YamlReader, node: YamlNode | null, draft: DraftConfig): void {
  const section = reader.mapping(node, "paths", PATHS_KEYS);
  if (!section) return;
  const read = (key: string) => {
    if (!section.has(key)) return undefined;
    const path = `paths.${key}`;
    const text = reader.string(section.get(key), path);
    if (text === undefined) return undefined;
    if (!text.startsWith("/") || text.includes("\0")) {
      reader.problems.error(path, `${path} must be an absolute path (starting with '/'), not '${text}'`);
      return undefined;
    }
    return text;
  };
  draft.paths.authkey = read("authkey");
  draft.paths.stateDir = read("state_dir");
  draft.paths.socket = read("socket");
}

function readMetrics(reader: YamlReader, node: YamlNode | null, draft: DraftConfig): void {
  const section = reader.mapping(node, "metrics", METRICS_KEYS);
  if (!section || !section.has("listen")) return;
  const text = reader.string(section.get("listen"), "metrics.listen");
  if (text === undefined) return;
  const parsed = parseListenAddress(text);
  if (parsed.ok) draft.metrics.listen = { host: parsed.host, port: parsed.port };
  else reader.problems.error("metrics.listen", `metrics.listen: ${parsed.reason}`);
}

function readLogging(reader: YamlReader, node: YamlNode | null, draft: DraftConfig): void {
  const section = reader.mapping(node, "logging", LOGGING_KEYS);
  if (!section || !section.has("level")) return;
  const text = reader.string(section.get("level"), "logging.level");
  if (text === undefined) return;
  if ((LOG_LEVELS as readonly string[]).includes(text)) draft.logging.level = text as LogLevel;
  else reader.problems.error("logging.level", `logging.level must be one of ${LOG_LEVELS.join(", ")}, not '${text}'`, reader.position(section.get("level")));
}

/** How the agent asks the kernel to treat it (corosync's system section). */
function readSystem(reader: YamlReader, node: YamlNode | null, draft: DraftConfig): void {
  const section = reader.mapping(node, "system", SYSTEM_KEYS);
  if (!section) return;
  if (section.has("realtime_priority")) draft.system.realtimePriority = reader.integer(section.get("realtime_priority"), "system.realtime_priority", 0, LIMITS.realtimePriorityMax);
  if (section.has("lock_memory")) draft.system.lockMemory = reader.boolean(section.get("lock_memory"), "system.lock_memory");
}

/** The watchdog this node feeds while healthy (sbd's semantics, src/node/watchdog-feeder.ts). */
function readWatchdog(reader: YamlReader, node: YamlNode | null, draft: DraftConfig): void {
  const section = reader.mapping(node, "watchdog", WATCHDOG_KEYS);
  if (!section) return;
  if (!section.has("device")) reader.problems.error("watchdog", "watchdog needs device (the watchdog to feed, e.g. /dev/watchdog)");
  else {
    const text = reader.string(section.get("device"), "watchdog.device");
    if (text !== undefined && (!text.startsWith("/") || text.includes("\0"))) reader.problems.error("watchdog.device", `watchdog.device must be an absolute path (starting with '/'), not '${text}'`);
    else if (text !== undefined) draft.watchdog.device = text;
  }
  if (section.has("timeout_s")) draft.watchdog.timeoutSeconds = reader.integer(section.get("timeout_s"), "watchdog.timeout_s", 1, 255);
  if (section.has("sbd_devices")) {
    // sbd's SBD_DEVICE: one to three shared disks whose slot this node watches (src/node/sbd-watcher.ts).
    const items = reader.list(section.get("sbd_devices"), "watchdog.sbd_devices") ?? [];
    const devices: string[] = [];
    items.forEach((item, index) => {
      const where = `watchdog.sbd_devices[${index}]`;
      const text = reader.string(item, where);
      if (text === undefined) return;
      if (!(text.startsWith("/") || text.startsWith("iscsi://")) || text.includes("\0")) reader.problems.error(where, `${where} must be a /dev path or iscsi://HOST:PORT/TARGET-IQN/LUN, not '${text}'`, reader.position(item));
      else devices.push(text);
    });
    if (items.length === 0 || items.length > 3) reader.problems.error("watchdog.sbd_devices", `watchdog.sbd_devices lists one to three sbd disks (as sbd allows), not ${items.length}`, reader.position(section.get("sbd_devices")));
    else draft.watchdog.sbdDevices = devices;
  }
  if (section.has("sbd_start_mode")) {
    const text = reader.string(section.get("sbd_start_mode"), "watchdog.sbd_start_mode");
    if (text === "always" || text === "clean") draft.watchdog.sbdStartMode = text;
    else if (text !== undefined) reader.problems.error("watchdog.sbd_start_mode", `watchdog.sbd_start_mode must be 'always' or 'clean' (sbd's SBD_STARTMODE), not '${text}'`, reader.position(section.get("sbd_start_mode")));
  }
}
