// The typed, fully defaulted bootstrap config (/etc/edgeha/edgeha.yaml) and the
// problems a check reports. Names carry units last; the YAML keys are snake_case
// (heartbeat_ms) and map one to one onto these camelCase fields (heartbeatMs).

export interface NodeConfig {
  name: string;
  /** 1..65535, unique in the cluster. */
  id: number;
  /** Link i of every node forms network i; every node has the same number of links. */
  links: string[];
}

/** Which half wins a tie under auto_tie_breaker: the lowest or highest node id, or the first listed id present. */
export type TieBreaker = { kind: "lowest" } | { kind: "highest" } | { kind: "list"; nodeIds: number[] };

export interface ArbiterAddress {
  /** An IPv4 or IPv6 address (IPv6 written as [addr]:port in the file). */
  host: string;
  port: number;
}

export interface QuorumConfig {
  expectedVotes: number;
  twoNode: boolean;
  waitForAll: boolean;
  lastManStanding: boolean;
  lastManStandingWindowMs: number;
  autoTieBreaker: boolean;
  autoTieBreakerNode: TieBreaker;
  arbiter: ArbiterAddress | undefined;
}

export interface TimingConfig {
  heartbeatMs: number;
  tokenMs: number;
  consensusMs: number;
  joinMs: number;
  /** How often the standby asks the peers' machines whether they are still there (ARP); 0: never. */
  echoMs: number;
}

export interface PathsConfig {
  authkey: string;
  stateDir: string;
  socket: string;
}

export interface TransportConfig {
  port: number;
  crypto: boolean;
}

/** Where the metrics and status page listener binds; undefined: off (the default). */
export interface MetricsConfig {
  listen: { host: string; port: number } | undefined;
}

export type LogLevel = "debug" | "info" | "warn" | "error";

export interface LoggingConfig {
  level: LogLevel;
}

export interface WatchdogConfig {
  /** The watchdog device this node feeds while healthy. */
  device: string;
  /** The timeout to set where the driver allows; the device's own when absent. */
  timeoutSeconds: number | undefined;
  /**
   * sbd disks (sbd's SBD_DEVICE) whose slot this node watches: a "reset", "off" or "crashdump"
   * there stops the feeding, so the watchdog resets the machine (the shared-disk poison pill).
   */
  sbdDevices: string[];
  /** sbd's SBD_STARTMODE: "clean" refuses to start while a fencing message waits in the slot. */
  sbdStartMode: "always" | "clean";
}

/** How the agent asks the kernel to treat it (see docs/config.md, system.*). */
export interface SystemConfig {
  /** SCHED_RR priority of the agent's event loop and its echo thread (their children run normally); 0: the normal scheduler. */
  realtimePriority: number;
  /** Keep every page the agent touched in memory (mlockall with MCL_ONFAULT). */
  lockMemory: boolean;
}

export interface BootstrapConfig {
  clusterName: string;
  /**
   * Grows by one with every change made through the cluster (a node added or removed), like
   * corosync's totem.config_version: nodes announce it, so a node left with an older file shows.
   */
  configVersion: number;
  transport: TransportConfig;
  nodes: NodeConfig[];
  quorum: QuorumConfig;
  timing: TimingConfig;
  /**
   * The timing keys the file sets (e.g. "heartbeat_ms"); the others are defaults, which a newer
   * build may change. Only these are compared between nodes (src/config/digest.ts). Absent (a
   * config built in code): every timing key counts as written.
   */
  timingWritten?: readonly string[];
  paths: PathsConfig;
  metrics: MetricsConfig;
  logging: LoggingConfig;
  system: SystemConfig;
  /** Watchdog self-fencing (sbd's semantics); absent: this node runs no watchdog. */
  watchdog?: WatchdogConfig;
}

export type Severity = "error" | "warning";

export interface Position {
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
}

export interface ConfigProblem extends Position {
  severity: Severity;
  /** Where in the config, e.g. "nodes[1].links[0]" ("" for the whole file). */
  path: string;
  message: string;
}

/** Where a config path ("nodes[1].id") was in the file; its nearest ancestor, else 1:1. */
export interface PositionLookup {
  locate(path: string): Position;
  /** True when the file has a value at exactly `path`. */
  has(path: string): boolean;
}

/** The outcome of checking a config: every problem, and the config when there is no error. */
export interface ConfigCheck {
  fileName: string;
  /** In file order. */
  problems: ConfigProblem[];
  config: BootstrapConfig | undefined;
  positions: PositionLookup;
}
