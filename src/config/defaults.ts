// Every default and every bound of the bootstrap config, in one place, each with
// the reason for its value and the formula that derives it from other settings
// (house style, rule 9). docs/config.md repeats these reasons for readers, and
// `edgeha config explain` prints the failover budget they add up to; a unit test
// checks that docs/config.md names every key listed here.

/** The UDP port every link of every node listens on (corosync's default port, so firewalls already open for it work). */
export const DEFAULT_TRANSPORT_PORT = 5405;

/** Frames are encrypted and authenticated with the authkey unless the config says otherwise. */
export const DEFAULT_CRYPTO = true;

/** The arbiter's port when `quorum.arbiter` names only a host: 5406, the port after the default transport port (fixed, not derived from transport.port). */
export const DEFAULT_ARBITER_PORT = 5406;

/**
 * A heartbeat goes out on every link every 500 ms. Each one wakes both nodes, and an idle node
 * costs about what its wake-ups cost (bench/failover: 100 ms heartbeats kept an idle agent near
 * 1 % of a CPU, 300 ms near 0.6 %, 500 ms under 0.5 %). A faster heartbeat would not make
 * failover faster: the standby notices a dead machine through its echo (echo_ms: ARP answered
 * by the peer's kernel, and carrier events) within about 140 ms whatever the heartbeat, so
 * heartbeats only have to catch a dead or stalled agent PROCESS on a live machine (within the
 * token) and carry membership. Lost heartbeats are made up for by probes (see TOKEN_HEARTBEATS).
 * A build with another default interoperates (src/config/digest.ts compares only written timing).
 */
export const DEFAULT_HEARTBEAT_MS = 500;

/**
 * A node is lost after this many heartbeat intervals of silence on all links
 * (default token_ms = 2 x 500 = 1000 ms). A peer silent for 1.25 heartbeats is probed
 * every quarter heartbeat with heartbeats it answers at once, so a lost heartbeat costs
 * a probe and its answer, not a view change: three probes go out before the token ends.
 */
export const TOKEN_HEARTBEATS = 2;

/**
 * token_ms below 2 heartbeats is an ERROR, not a warning: fewer than three probes would
 * then go out before a live node is declared dead, and a dead verdict leads to fencing
 * (a power cycle).
 */
export const TOKEN_HEARTBEATS_MIN = 2;

/**
 * Every 20 ms a node that runs no services asks each peer's machine, on every link, whether
 * it is still there: an ARP request that the peer's kernel answers, so neither agent wakes for
 * it (a thread of the standby's agent sends it and reads the answer when it sends the next).
 * A machine that leaves ECHO_SILENT_PROBES requests in a row unanswered (or whose link loses its
 * carrier) is confirmed with probe heartbeats, every echo_ms, that its agent must answer within
 * ECHO_CONFIRM_PROBES x echo_ms; if none is answered the peer is lost at once, without waiting
 * for the token. With the defaults a power loss is noticed after 60-80 ms and confirmed 60 ms
 * later, where the token would take 500-1000 ms; a live but busy agent has 60 ms to answer.
 * The node that runs the services does not echo: only the standby must notice a loss quickly.
 */
export const DEFAULT_ECHO_MS = 20;
export const ECHO_SILENT_PROBES = 3;
export const ECHO_CONFIRM_PROBES = 3;

/**
 * The agent's event loop (and its echo thread) runs SCHED_RR at priority 10, as corosync runs
 * its own (sched_rr, though corosync takes the highest priority): with every CPU busy, a normal
 * process waited 500-880 ms for a CPU on the development machine (bench/failover/false-failover),
 * long enough for its peer to declare it lost. Processes it starts (agents, daemons) run with
 * the normal scheduler (SCHED_RESET_ON_FORK). 10 leaves the kernel's own realtime threads
 * (watchdog, migration) above it. 0: the normal scheduler.
 */
export const DEFAULT_REALTIME_PRIORITY = 10;

/**
 * Locking the agent's pages in memory is off by default: the pages it touched stay in RAM
 * (mlockall with MCL_ONFAULT: no page is read in for it), which the memory figure then shows
 * in full. See bench/failover/README.md for what memory pressure does with and without it.
 */
export const DEFAULT_LOCK_MEMORY = false;

/** consensus_ms = 1.2 x token_ms, corosync's rule: agreement needs slightly longer than detection. */
export const CONSENSUS_TOKEN_RATIO = 1.2;

/** Nodes wait 50 ms for join messages before proposing a membership (corosync's default join timeout). */
export const DEFAULT_JOIN_MS = 50;

/** last_man_standing recalculates expected votes after the membership has been stable this long (corosync's default). */
export const DEFAULT_LAST_MAN_STANDING_WINDOW_MS = 10_000;

export const DEFAULT_AUTHKEY_PATH = "/etc/edgeha/authkey";
export const DEFAULT_STATE_DIR = "/var/lib/edgeha";
export const DEFAULT_SOCKET_PATH = "/run/edgeha/edgeha.sock";
export const DEFAULT_CONFIG_PATH = "/etc/edgeha/edgeha.yaml";

/** Log events at info and above: state changes, decisions and their reasons; debug adds the chatter. */
export const DEFAULT_LOG_LEVEL = "info";

/** Bounds: everything has one (house style, rule 8). */
export const LIMITS = {
  /** Node ids fit 16 bits in a frame header; 0 means "no node". */
  nodeIdMin: 1,
  nodeIdMax: 65_535,
  /** edgeha is for small clusters; 32 keeps membership messages small. */
  nodesMax: 32,
  /** One link per network; 8 matches corosync's knet limit. */
  linksMax: 8,
  /** Cluster and node names: letters, digits, '.', '_' and '-', as in host names. */
  nameLengthMax: 63,
  portMin: 1,
  portMax: 65_535,
  /** Below 10 ms heartbeats load the CPU of small appliances for no gain. */
  heartbeatMsMin: 10,
  heartbeatMsMax: 10_000,
  /** An echo faster than 5 ms is a flood on a shared segment; slower than a second is no faster than a token. */
  echoMsMin: 5,
  echoMsMax: 1000,
  /** SCHED_RR priorities are 1..99 on Linux. */
  realtimePriorityMax: 99,
  /** No timeout longer than 10 minutes: a cluster that waits longer is not highly available. */
  timeoutMsMax: 600_000,
  /** config_version fits 32 bits, as the adverts carry it. */
  configVersionMax: 4_294_967_295,
  /** A config file larger than 1 MiB is not a bootstrap config. */
  configBytesMax: 1024 * 1024,
} as const;

/** Authkey: 256 random bytes are written; a key of fewer than 32 bytes (256 bits) is refused. */
export const AUTHKEY_BYTES = 256;
export const AUTHKEY_BYTES_MIN = 32;
/** Larger files are not authkeys (and reading them must stay bounded). */
export const AUTHKEY_BYTES_MAX = 4096;

/** token_ms when the config sets none: TOKEN_HEARTBEATS heartbeats. */
export function defaultTokenMs(heartbeatMs: number): number {
  return heartbeatMs * TOKEN_HEARTBEATS;
}

/** consensus_ms when the config sets none: CONSENSUS_TOKEN_RATIO x token_ms, rounded up. */
export function defaultConsensusMs(tokenMs: number): number {
  return Math.ceil(tokenMs * CONSENSUS_TOKEN_RATIO);
}

/** One documented default, as listed by docs/config.md and `edgeha config explain`. */
export interface DefaultEntry {
  key: string;
  value: string;
  reason: string;
}

/** Every key that has a default, with its value (or formula) and reason (the arbiter's port: DEFAULT_ARBITER_PORT). */
export const DEFAULTS: readonly DefaultEntry[] = [
  { key: "config_version", value: "0", reason: "a config written by hand starts at 0; raise it with every change of the file, and nodes announce it, so a node left with an older file shows in `status`" },
  { key: "transport.port", value: String(DEFAULT_TRANSPORT_PORT), reason: "corosync's port: firewalls already open for it work" },
  { key: "transport.crypto", value: "on", reason: "frames are encrypted and authenticated with the authkey" },
  { key: "quorum.expected_votes", value: "number of nodes", reason: "one vote per node, as corosync counts its nodelist" },
  { key: "quorum.two_node", value: "true with exactly two nodes", reason: "a pair must survive the loss of one node; pcs sets it for two-node clusters too" },
  { key: "quorum.wait_for_all", value: "same as two_node", reason: "after a cold start both nodes must have seen each other once, so a pair cut apart at boot cannot fence each other" },
  { key: "quorum.last_man_standing", value: "false", reason: "recalculating expected votes is opt-in, as in corosync" },
  { key: "quorum.last_man_standing_window_ms", value: String(DEFAULT_LAST_MAN_STANDING_WINDOW_MS), reason: "corosync's default window" },
  { key: "quorum.auto_tie_breaker", value: "false", reason: "opt-in, as in corosync" },
  { key: "quorum.auto_tie_breaker_node", value: "lowest", reason: "corosync's default: the half with the lowest node id wins a tie" },
  { key: "quorum.arbiter", value: "none", reason: "an arbiter is a third host; it must be named to be used" },
  { key: "timing.heartbeat_ms", value: String(DEFAULT_HEARTBEAT_MS), reason: "every heartbeat wakes both nodes: 500 ms keeps an idle agent under 0.5 % of a CPU; a dead machine is noticed by the echo (echo_ms), so heartbeats only catch a stalled agent (within token_ms) and carry membership; lost ones are made up for by probes" },
  { key: "timing.token_ms", value: `${TOKEN_HEARTBEATS} x heartbeat_ms`, reason: "a silent peer is probed from 1.25 heartbeats on, every quarter heartbeat, so three probes go out before it is lost; below 2 x heartbeat_ms is an error" },
  { key: "timing.consensus_ms", value: `${CONSENSUS_TOKEN_RATIO} x token_ms`, reason: "corosync's rule: agreeing on a membership takes a little longer than detecting a loss" },
  { key: "timing.join_ms", value: String(DEFAULT_JOIN_MS), reason: "corosync's join timeout: short on a direct link" },
  { key: "timing.echo_ms", value: String(DEFAULT_ECHO_MS), reason: `the standby asks the peers' machines (ARP, answered by their kernels, so no agent wakes) this often; ${ECHO_SILENT_PROBES} unanswered in a row, or a lost carrier, and the peer's agent gets ${ECHO_CONFIRM_PROBES} x echo_ms to answer probes before it is lost; 0: off, only the token counts` },
  { key: "paths.authkey", value: DEFAULT_AUTHKEY_PATH, reason: "the shared secret, mode 0600, same file on every node" },
  { key: "paths.state_dir", value: DEFAULT_STATE_DIR, reason: "the CIB and its backups, written atomically" },
  { key: "paths.socket", value: DEFAULT_SOCKET_PATH, reason: "the local admin socket (mode 0660, group haclient)" },
  { key: "system.realtime_priority", value: String(DEFAULT_REALTIME_PRIORITY), reason: "the agent's event loop and echo thread run SCHED_RR (as corosync's), so a machine whose CPUs are all busy does not delay its heartbeats past the token; what it starts runs normally; 0: the normal scheduler" },
  { key: "system.lock_memory", value: String(DEFAULT_LOCK_MEMORY), reason: "keeps every page the agent touched in memory (mlockall, MCL_ONFAULT), so memory pressure cannot make it wait for its own code to be read back" },
  { key: "metrics.listen", value: "off", reason: "metrics and the status page are served only where asked for (ha_cluster_exporter's port is 9664)" },
  { key: "logging.level", value: DEFAULT_LOG_LEVEL, reason: "state changes, decisions and their reasons; debug adds the chatter" },
];
