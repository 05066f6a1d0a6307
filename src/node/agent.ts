// The agent process: connects the pure controller to the world. Membership views and
// peer messages come from the membership service; the configuration is kept in the CIB
// store; operations run through the executor; fencing through the fencer; the CLI talks
// to the admin socket. Every effect the controller returns is performed here, in order.
import { EdgehaError } from "../common/errors";
import { join } from "node:path";
import { mkdirSync } from "node:fs";
import { writeFileDurably } from "../common/durable";
import type { BootstrapConfig, NodeConfig } from "../config";
import type { Logger } from "../common/log";
import { startApiServer, type ApiServer } from "../api";
import { CibStore, formatVersion, parseNativeCib, serializeNativeCib, flattenSets, type Cib, type Primitive } from "../cib";
import { Controller, CONTROLLER_DEFAULTS, type ClientReply, type ClientRequest, type NodeReport, type ClusterSummary, checkFenceHistory, FENCE_HISTORY_MAX, MESSAGE_BYTES_MAX, type FenceHistoryEntry } from "../controller";
import { clusterOptionsAt, dcUnfences } from "../scheduler";
import { agentMetadata, DEFAULT_OCF_ROOT, locateOcfAgent, missingRequired, runLsbAction, runOcfAction, runSystemdAction, STARTED_FILE } from "../executor";
import { runDeviceResourceAction, localFenceRunner, nodePriorities, readHistory, devicesFromCib, canFence, plugFor, runDriverAction, type FenceRunner, type FencerTopology } from "../fencer";
import type { NodeEffect } from "../stack";
import { TRIM_AFTER_START_MS, applySystemSettings, livenessAddon, trimMemoryLater } from "./liveness";
import { shareTimeoutsOnAddon, wakeTimer } from "./wake-timer";
import { MembershipService, type MembershipStatus } from "./membership-service";
import { reloadBootstrap, type ReloadOutcome } from "./reload";
import { LocalResources, type ActionHints, type ActionOutcome, type ActionRunner } from "./local-resources";
import { startWatchdog, type WatchdogFeeder } from "./watchdog-feeder";
import { SbdWatcher } from "./sbd-watcher";
import { collectNodeFacts } from "./facts";
import { builtinAgents } from "../../agents";
import type { LogRing } from "../common/log-ring";
import { cibDigest } from "../cib";
import { VERSION } from "../cli/version";
import { Observability } from "./observability";
import { parseReportMessage, reportPartMessages, ReportAssembler, REPORT_MESSAGE_BYTES_MAX, REPORT_PIECES_FEATURE } from "./report-protocol";
import { ClusterVerbs } from "./cluster-verbs";
import { NodeChanges } from "./node-change";
import { clusterHash } from "../transport";
import { serviceAction } from "./service-control";
import { createHash } from "node:crypto";
import { clusterDigests, encodeJoinToken, iso, newJoinToken, storeToken, tokenFile, twoNodeFor } from "../config";
import { packReport, type ReportPart } from "./report";
import type { MetricsSnapshot, StatusPageView } from "../api";
import { monotonicMs } from "../common/clock";

const FACTS_INTERVAL_MS = 60_000;
/** Two arbiter leases (2 s each) and a margin. */
const ARBITER_QUORUM_GRACE_MS = 5000;

export interface Agent {
  status(): AgentStatus;
  /** Starts, moves or stops the metrics and status page listener (config reload). */
  reconfigureMetrics(listen: { host: string; port: number } | undefined): Promise<void>;
  /** Reads the bootstrap file again and applies what may change live (`config reload`, SIGHUP). */
  reload(): Promise<ReloadOutcome>;
  /** Resolves when the agent may exit after a graceful stop (`edgeha node stop`, SIGTERM). */
  readonly leaving: Promise<void>;
  /**
   * Starts a clean leave, as `edgeha node stop` does (SIGTERM and SIGINT call it): the DC moves
   * this node's resources away, then the node tells its peers it leaves and `leaving` resolves.
   * Without quorum nothing can move: the node stops its resources itself. After the cluster
   * property shutdown-escalation it stops whatever still runs and leaves anyway. False when a
   * leave is already under way.
   */
  leave(reason: string): boolean;
  close(): Promise<void>;
}

export interface AgentStatus extends MembershipStatus {
  dc: string | null;
  cluster_state: ClusterSummary | null;
  cibVersion: string;
  /** This agent process: memory in bytes (RSS, V8 heap used and total, external buffers). */
  agent: { pid: number; rss: number; heapUsed: number; heapTotal: number; external: number };
}

export interface AgentOptions {
  config: BootstrapConfig;
  node: NodeConfig;
  authkey: Buffer;
  socketPath: string;
  logger: Logger;
  /** The bootstrap file `config` came from, which a reload reads again. */
  configFile?: string;
  /** Where the CIB and the fence history live (default: the config's state_dir). */
  stateDir?: string;
  /** Used only when the state directory holds no CIB yet (a first start). */
  initialCib?: Cib;
  runner?: ActionRunner;
  fenceRunner?: FenceRunner;
  /** The agent's recent log lines, which `edgeha report` gathers. */
  logRing?: LogRing;
  /**
   * Called once when the controller breaks an invariant (an assertion) or fails on an input,
   * or performing one of its effects fails: the agent then stops feeding it (its state may be
   * half-updated) and by default ends the process (see exitOnFatal).
   */
  onFatal?: (error: unknown) => void;
  /**
   * Called once this node, stalled as long as the token, has stopped its resources (see
   * MembershipListener.stalled); by default the process ends (see exitAfterStall).
   */
  onStall?: () => void;
}

/** The exit status of an agent that stopped everything after finding itself stalled (EX_TEMPFAIL: start it again). */
export const STALL_EXIT_STATUS = 75;

/**
 * The default end after a stall: this node's peers may have declared it lost and taken over, so
 * it must not carry on as the member it was. It has stopped its resources; it ends, systemd
 * starts it again, and it joins as a new incarnation with nothing running.
 */
export function exitAfterStall(): void {
  process.exit(STALL_EXIT_STATUS);
}

/** The exit status of an agent that ended itself after a failed assertion or an unexpected exception (EX_SOFTWARE). */
export const FATAL_EXIT_STATUS = 70;

/**
 * The default reaction to a fatal error: the line is logged (the logger writes synchronously)
 * and the process ends with FATAL_EXIT_STATUS. systemd restarts the agent; its peers see a
 * crash and do what they do for one (with fencing on: fence this node). Carrying on with a
 * controller whose state is half-updated could break the cluster's safety; ending cannot.
 */
export function exitOnFatal(): void {
  process.exit(FATAL_EXIT_STATUS);
}

/** Written whole or not at all, and durably (src/common/durable.ts). */
function writeWhole(file: string, data: Uint8Array): void {
  writeFileDurably(file, data, { mode: 0o600 });
}

const REPORT_WAIT_MS = 10_000;
/**
 * The largest message a peer may send: a report message (at most REPORT_MESSAGE_BYTES_MAX); a
 * controller or verb message is held to MESSAGE_BYTES_MAX (NodeCore, and perform below).
 */
const PEER_MESSAGE_BYTES_MAX = Math.max(MESSAGE_BYTES_MAX, REPORT_MESSAGE_BYTES_MAX);
const TRANSITIONS_SHOWN = 10;
/** A read of the configuration waits this long at most for this node's copy to become current (the CLI waits 5 s). */
const READ_WAIT_MS = 3000;
const READ_POLL_MS = 50;

/**
 * The default action runner: OCF agents through the executor, from OCF_ROOT (the agent's
 * environment, else /usr/lib/ocf). Agents learn the node they run on from
 * OCF_RESKEY_CRM_meta_on_node, as under Pacemaker.
 */
export function createActionRunner(nodeName: string, ocfRoot = process.env.OCF_ROOT, setAttribute?: (name: string, value: string | undefined) => void): ActionRunner {
  return async (primitive: Primitive, action, intervalMs, timeoutMs, hints) => {
    if (primitive.class === "stonith") return runDeviceResourceAction(primitive, action, timeoutMs, nodeName);
    if (primitive.class === "builtin" || (primitive.class === "ocf" && primitive.provider === "edgeha" && builtinAgents.has(primitive.type))) return runBuiltin(primitive, action, intervalMs, timeoutMs, setAttribute, hints);
    if (primitive.class === "lsb" || primitive.class === "service") return runLsbAction(primitive.type, action, timeoutMs);
    if (primitive.class === "systemd") return runSystemdAction(primitive.type, action, timeoutMs);
    if (primitive.class !== "ocf" || primitive.provider === undefined) {
      return { rc: 5, reason: `resource class '${primitive.class}' is not supported by this agent's executor`, timedOut: false, runTimeMs: 0 };
    }
    const meta = { ...flattenSets(primitive.meta), on_node: nodeName };
    const params = flattenSets(primitive.instance);
    // Parameters are checked against the agent's meta-data before anything runs.
    let file: string | undefined;
    try { file = locateOcfAgent({ provider: primitive.provider, type: primitive.type }, ocfRoot); } catch { file = undefined; }
    if (file !== undefined) {
      const described = await agentMetadata(file, ocfRoot ?? DEFAULT_OCF_ROOT);
      const missing = described ? missingRequired(described, params) : [];
      if (missing.length > 0) return { rc: 6, reason: `missing required parameter${missing.length > 1 ? "s" : ""} ${missing.join(", ")} (from the meta-data of ocf:${primitive.provider}:${primitive.type})`, timedOut: false, runTimeMs: 0 };
    }
    const result = await runOcfAction({ id: primitive.id, provider: primitive.provider, type: primitive.type, params, meta }, { action, intervalMs, timeoutMs, ocfRoot });
    return { rc: result.rc, reason: result.exitReason ?? (result.timedOut ? `${action} timed out after ${timeoutMs} ms` : undefined), timedOut: result.timedOut, runTimeMs: result.runTimeMs };
  };
}

/** A built-in agent's action, in this process, ended by its timeout. */
async function runBuiltin(primitive: Primitive, action: string, intervalMs: number, timeoutMs: number, setAttribute?: (name: string, value: string | undefined) => void, hints?: ActionHints): Promise<ActionOutcome> {
  const agent = builtinAgents.get(primitive.type);
  if (!agent) return { rc: 5, reason: `built-in agent '${primitive.type}' does not exist (built in: ${[...builtinAgents.keys()].join(", ")})`, timedOut: false, runTimeMs: 0 };
  const started = monotonicMs();
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const call = { params: flattenSets(primitive.instance), instance: primitive.id, signal: controller.signal, setAttribute, ...(action === "monitor" ? { intervalMs } : {}), ...(action === "start" && hints?.formerHolderFenced ? { formerHolderFenced: true } : {}) };
    // Built-in agents keep no state a clone notification could change: notify succeeds.
    const run = action === "start" ? agent.start(call) : action === "stop" ? agent.stop(call) : action === "monitor" ? agent.monitor(call) : action === "notify" ? Promise.resolve({ rc: 0, reason: undefined }) : Promise.resolve({ rc: 3, reason: `action ${action} is not implemented by ${agent.name}` });
    const timedOut = new Promise<never>((_, reject) => controller.signal.addEventListener("abort", () => reject(new Error("timeout")), { once: true }));
    const outcome = await Promise.race([run, timedOut]);
    return { rc: outcome.rc, reason: outcome.reason, timedOut: false, runTimeMs: monotonicMs() - started };
  } catch (error) {
    const timedOut = controller.signal.aborted;
    return { rc: 1, reason: timedOut ? `${action} timed out after ${timeoutMs} ms` : `${action} failed: ${error instanceof Error ? error.message : String(error)}`, timedOut, runTimeMs: monotonicMs() - started };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * What the fencer's rules need of the cluster's shape: in a pair without an arbiter the serving
 * node wins a split by default (src/fencer/split.ts); watchdog fencing's safety rule needs the
 * node count and whether an arbiter votes. The node list may change live (cluster node add|remove).
 */
function fencerTopologyOf(config: BootstrapConfig): FencerTopology {
  return { pairWithoutArbiter: config.nodes.length === 2 && config.quorum.arbiter === undefined, nodeCount: config.nodes.length, hasArbiter: config.quorum.arbiter !== undefined };
}

/** Logs dropped messages: the first from a sender at once, then at most one line per sender every DROP_LOG_INTERVAL_MS with a count. */
const DROP_LOG_INTERVAL_MS = 10_000;

export class DroppedMessages {
  private readonly bySender = new Map<number, { lastLogMs: number; suppressed: number }>();

  constructor(private readonly logger: Logger, private readonly nowMs: () => number, private readonly nameOf: (id: number) => string) {}

  note(from: number, problem: string): void {
    const nowMs = this.nowMs();
    // Keyed by authenticated sender ids only (at most one entry per configured node).
    const entry = this.bySender.get(from);
    if (entry !== undefined && nowMs - entry.lastLogMs < DROP_LOG_INTERVAL_MS) {
      entry.suppressed++;
      return;
    }
    this.logger.warn({ from: this.nameOf(from), problem, droppedSinceLastLine: entry?.suppressed ?? 0 }, "dropped an invalid controller message");
    this.bySender.set(from, { lastLogMs: nowMs, suppressed: 0 });
  }
}

/** The fence history file this node wrote last; a damaged one is set aside with a warning (the cluster's copy replaces it). */
function loadFenceHistory(file: string, logger: Logger): FenceHistoryEntry[] {
  try {
    const checked = checkFenceHistory(readHistory(file).slice(-FENCE_HISTORY_MAX));
    if (typeof checked === "string") throw new Error(checked);
    return checked;
  } catch (error) {
    logger.warn({ file, error: error instanceof Error ? error.message : String(error) }, "the fence history file is damaged; starting with an empty history (the DC sends the cluster's)");
    return [];
  }
}

/**
 * Whether the two halves of a split pair of this cluster both keep quorum (two_node without an
 * arbiter): as configured for a pair, else as a live node change would set it for two nodes.
 */
function pairKeepsQuorumWhenSplit(config: BootstrapConfig): boolean {
  return config.nodes.length === 2 ? config.quorum.twoNode && config.quorum.arbiter === undefined : twoNodeFor(config, 2);
}

export async function startAgent(options: AgentOptions): Promise<Agent> {
  const { config, node, logger } = options;
  const stateDir = options.stateDir ?? config.paths.stateDir;
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const store = new CibStore(join(stateDir, "cib"), logger);
  const opened = store.open();
  let stored = opened.cib;
  if (opened.created && options.initialCib) {
    stored = { ...options.initialCib, status: [] };
    store.save(stored);
    logger.info({ version: formatVersion(stored.version) }, "stored the initial CIB");
  }
  // Validating a configuration compiles its JSON schema once (~300 ms); do it now, before
  // heartbeats start, rather than in the middle of the first CIB exchange.
  parseNativeCib(serializeNativeCib(stored), "the stored CIB");
  // The scheduler and memory locking first: the echo thread membership starts takes the priority.
  applySystemSettings(config.system, logger);
  // The built-in agents' time limits (connect, request) share one addon timer: cancelled, they cost no wake-up.
  shareTimeoutsOnAddon(livenessAddon(logger));
  const membership = await MembershipService.start(options);
  // The bootstrap config in force: what a reload compares the file with and replaces, and what a
  // live node change (`cluster node add|remove`, src/node/node-change.ts) replaces.
  let running = config;
  const epochSeconds = () => Math.floor(Date.now() / 1000);
  let publish: (name: string, value: string | undefined) => void = () => {};
  const resources = new LocalResources(node.name, options.runner ?? createActionRunner(node.name, undefined, (name, value) => publish(name, value)), logger, epochSeconds, {
    startedFile: join(stateDir, STARTED_FILE),
    // The addon's timer: run by a heartbeat's wake-up, the monitors move it later in place.
    timer: (onWake) => wakeTimer(onWake, livenessAddon(logger)),
  });
  publish = (name, value) => resources.setAttribute(name, value);
  const observability = new Observability({ clusterName: config.clusterName, node: { name: node.name, id: node.id }, nodes: config.nodes, stateDir, version: VERSION, logger, ring: options.logRing, write: writeWhole });
  observability.onConfiguration(stored);
  resources.onOperation((event) => observability.onOperation(event));
  resources.onAttribute((name, value) => observability.onAttribute(name, value));
  const transitions: StatusPageView["transitions"][number][] = [];
  let lastRecordedDigest = "";
  // Watchdog self-fencing (sbd's rules): fed only while this node is healthy.
  let quorate = false;
  // The shared-disk poison pill (sbd's servant): a reset in this node's slot starves the watchdog for good.
  let pill: string | undefined;
  let watchdog: WatchdogFeeder | undefined;
  const sbdDevices = config.watchdog?.sbdDevices ?? [];
  const sbd = config.watchdog && sbdDevices.length > 0
    // A start that fails here must not leave the membership running without a controller (a
    // member that answers heartbeats and never joins the DC): it is closed before the error ends the agent.
    ? await SbdWatcher.start({ node: node.name, devices: sbdDevices, startMode: config.watchdog.sbdStartMode, logger, preferredSlot: node.id - 1, selfFence: (why) => { pill = why; watchdog?.starve(why); } })
      .catch(async (error: unknown) => { await membership.close(); throw error; })
    : undefined;
  try {
    // As sbd does, the watchdog's timeout comes from the disk's header unless the configuration sets one.
    const watchdogConfig = config.watchdog && sbd && config.watchdog.timeoutSeconds === undefined ? { ...config.watchdog, timeoutSeconds: sbd.header.timeoutWatchdogSeconds } : config.watchdog;
    watchdog = watchdogConfig ? await startWatchdog(watchdogConfig, () => ({
      // The stall check first (perf, issue 21): a node that resumes after a pause as long as the token never feeds again.
      stalled: !membership.awake(),
      quorate, resourcesActive: resources.runsServices(), failedStopPending: (resources.report().failures ?? []).some((failure) => failure.operation === "stop"),
    }), publish, logger) : undefined;
    if (sbd && watchdog && watchdog.timeoutMs + sbd.loopMs > sbd.msgwaitMs) {
      watchdog.stop(true);
      throw new EdgehaError("E_FENCE_SBD", `sbd's msgwait (${sbd.msgwaitMs / 1000} s on ${sbdDevices.join(", ")}) does not cover one loop (${sbd.loopMs / 1000} s) plus this node's watchdog timeout (${watchdog.timeoutMs / 1000} s): a sender would take this node for fenced before its watchdog fired; lower watchdog.timeout_s or create the disk with a longer msgwait (sbd -d DEVICE -4 SECONDS create)`);
    }
  } catch (error) {
    await sbd?.stop();
    await membership.close();
    throw error;
  }
  if (pill !== undefined) watchdog?.starve(pill);
  // With an arbiter, its vote for a new view takes up to a lease: hold resources meanwhile.
  const quorumGraceMs = config.quorum.arbiter === undefined ? 0 : ARBITER_QUORUM_GRACE_MS;
  // With a device that provides unfencing (Pacemaker's way), the DC's graph unfences this node (a
  // "fence on" step before the starts here of what needs it). A driver that needs unfencing
  // (fence_scsi, fence_mpath) in a configuration without provides=unfencing, which Pacemaker
  // would never unfence, is unfenced by the node itself before it probes, as before.
  resources.unfence = async (cib, done) => {
    if (dcUnfences(cib)) return [];
    const devices = devicesFromCib(cib, { node: node.name, now: epochSeconds() }).filter((device) => device.needsUnfencing && canFence(device, node.name) && !done.has(device.id));
    const failures: string[] = [];
    for (const device of devices) {
      const result = await runDriverAction(device, "on", plugFor(device, node.name), device.actionTimeoutMs, node.name);
      if (result.ok) {
        done.add(device.id);
        logger.info({ device: device.id }, "unfenced this node");
      } else failures.push(`${device.id}: ${result.message}`);
    }
    return failures;
  };
  // The cluster's fence history as this node stored it last (the controller keeps it from now on).
  const historyFile = join(stateDir, "fence-history.json");
  // The fence device action running for each fence request (its id): a confirm by hand stops it.
  const fenceAttempts = new Map<string, AbortController>();
  const controller = new Controller({ ...CONTROLLER_DEFAULTS, quorumGraceMs, twoNodeWithoutArbiter: pairKeepsQuorumWhenSplit(config), incarnation: membership.incarnation, localId: node.id, nodes: config.nodes.map((each) => ({ id: each.id, name: each.name })) }, stored, resources.report(), loadFenceHistory(historyFile, logger), stored === opened.cib ? opened.lineage : undefined);
  const baseFenceRunner = options.fenceRunner ?? localFenceRunner;
  // Every attempt's result in the log: with a dead BMC the log shows level 1 failing before level 2.
  const fenceRunner: FenceRunner = {
    async run(attempt, device, signal, onOff) {
      // A reboot's confirmed off is when the fencing counts (the planner's off-confirmed): log it then.
      const offSeen = onOff && (() => {
        logger.info({ device: attempt.device, executor: attempt.executor, action: attempt.driverAction, message: "the target reads off; powering it on again" }, "fence attempt: the target is off");
        onOff();
      });
      const result = await baseFenceRunner.run(attempt, device, signal, offSeen);
      logger[result.ok ? "info" : "warn"]({ device: attempt.device, executor: attempt.executor, action: attempt.driverAction, ok: result.ok, message: result.message }, result.ok ? "fence attempt succeeded" : "fence attempt failed");
      return result;
    },
  };
  const dropped = new DroppedMessages(logger, () => membership.nowMs(), (id) => running.nodes.find((each) => each.id === id)?.name ?? `node-${id}`);
  const clients = new Map<number, (reply: ClientReply) => void>();
  let nextClientId = 1;
  let leave: () => void = () => {};
  const leaving = new Promise<void>((resolve) => { leave = resolve; });
  let closed = false;
  let leaveStarted = false;
  let escalationTimer: NodeJS.Timeout | undefined;
  // The last messages (the DC's summary saying this node may go) need a moment to reach the
  // peers, and the leave announcement rides on the next heartbeats: then the agent may exit.
  const LEAVE_LINGER_MS = 500;
  let leftAlready = false;
  const leaveNow = () => {
    if (escalationTimer !== undefined) clearTimeout(escalationTimer);
    if (leftAlready) return;
    leftAlready = true;
    membership.leave();
    setTimeout(leave, LEAVE_LINGER_MS).unref?.();
  };
  /** Stops what still runs here without the DC, then leaves (escalation, or no quorum). */
  const stopHereAndLeave = async (why: string) => {
    logger.warn({ why }, "stopping this node's resources without the DC, then leaving");
    const failures = await resources.stopAll();
    if (failures.length > 0) logger.error({ failures }, "some resources did not stop; leaving anyway");
    leaveNow();
  };
  const startLeave = (reason: string): boolean => {
    if (leaveStarted) return false;
    leaveStarted = true;
    const escalationMs = clusterOptionsAt(controller.configuration, { now: epochSeconds() }).options.shutdownEscalationMs;
    const { quorum, members } = membership.status();
    logger.info({ reason, shutdownEscalationMs: escalationMs, quorate: quorum.quorate, members: members.length }, "leaving the cluster");
    // The node's report says it shuts down (Pacemaker's shutdown attribute) whichever way it
    // leaves: the DC, this node itself when it is the last one, places nothing here any more.
    resources.requestShutdown();
    // Nothing can move when no peer is in the view (the last node of the cluster) or without quorum.
    if (members.length <= 1 || !quorum.quorate) {
      void stopHereAndLeave(members.length <= 1 ? "this is the last node of the cluster: its resources have nowhere to go" : "this node has no quorum: no peer can take its resources over");
      return true;
    }
    escalationTimer = setTimeout(() => void stopHereAndLeave(`shutdown-escalation (${escalationMs} ms) passed before the DC moved everything away`), escalationMs);
    return true;
  };

  let fatal = false;
  const failFatally = (error: unknown, during: string) => {
    if (fatal) return;
    fatal = true;
    closed = true;
    logger.fatal({ error: error instanceof Error ? error.stack : String(error), during }, "the controller failed; the agent exits (a restart and the peers' crash handling take over)");
    (options.onFatal ?? exitOnFatal)(error);
  };

  /**
   * This node's last heartbeat is as old as the token (SIGSTOP, starvation, a suspended VM): its
   * peers may have declared it lost and started its resources elsewhere. Membership has halted;
   * the controller gets no input any more; the resources stop (the group's last member first),
   * then the agent ends and starts afresh.
   */
  let stalled = false;
  const onStalled = () => {
    if (stalled) return;
    stalled = true;
    closed = true;
    void resources.stopAll().then(
      (failures) => (failures.length === 0 ? logger.warn({}, "stopped every resource after the stall; the agent exits and starts again") : logger.error({ failures }, "some resources did not stop after the stall; the agent exits (with fencing, the peers fence this node)")),
      (error: unknown) => logger.error({ error: String(error) }, "stopping the resources after the stall failed; the agent exits"),
    ).finally(() => (options.onStall ?? exitAfterStall)());
  };
  resources.mayRun = () => membership.awake();

  // The controller runs in the node's core (src/stack NodeCore, the composition the simulator
  // runs too), on the membership service's timer. Every input goes through dispatch (the core's
  // stall check first: after a pause as long as the token nothing else runs, see onStalled), and
  // what the core asks of this node comes to perform below, in order. An exception in either
  // ends the agent (failFatally).
  const dispatch: MembershipService["dispatch"] = (during, input) => {
    if (!closed) membership.dispatch(during, input);
  };

  const perform = (effect: NodeEffect) => {
    switch (effect.kind) {
      case "persist":
        store.save(effect.cib, effect.lineage);
        return;
      case "keep-conflict": {
        const file = store.keepConflict(effect.cib);
        logger.error({ ...effect.conflict, file }, "the configuration that lost a conflict is kept in this file");
        return;
      }
      case "configure":
        observability.onConfiguration(effect.cib);
        resources.configure(effect.cib);
        return;
      case "run":
        void resources.operate(effect.resource, effect.operation, effect.notify, effect.migration, effect.formerHolderFenced ? { formerHolderFenced: true } : undefined, effect.params).then((result) => {
          dispatch("an operation's result", (core, now) => core.operationDone({ transition: effect.transition, step: effect.step, ringId: effect.ringId, ok: result.ok, reason: result.reason, report: resources.report() }, now));
        });
        return;
      case "fence-attempt": {
        // The planner (in the core) chose the device, the executor and the time limit; the result goes back to it.
        const stop = new AbortController();
        fenceAttempts.set(effect.request, stop);
        const done = (result: { ok: boolean; message: string; state?: "on" | "off" | "unknown" }) => {
          if (fenceAttempts.get(effect.request) === stop) fenceAttempts.delete(effect.request);
          // A fencing stopped by a confirm has no result: the controller took its node for fenced already.
          if (stop.signal.aborted) return;
          dispatch("a fence device's result", (core, now) => core.fenceAttemptDone(effect.request, result, now));
        };
        // A reboot's confirmed off goes to the planner at once: the fencing may count as done there while the on continues.
        const offConfirmed = () => dispatch("a reboot's confirmed off", (core, now) => core.fenceOffConfirmed(effect.request, now));
        void fenceRunner.run(effect.attempt, effect.device, stop.signal, offConfirmed).then(
          (result) => done({ ok: result.ok, message: result.message, ...(result.result?.state ? { state: result.result.state } : {}) }),
          (error: unknown) => done({ ok: false, message: error instanceof Error ? error.message : String(error) }),
        );
        return;
      }
      case "fence-record": {
        // The planner's records go to the log (the controller keeps the cluster's history: fence-history).
        const record = effect.record;
        logger.info({ fence: record }, "fence history record");
        if (record.state !== "pending") observability.onFence({ target: record.target, action: record.action, ok: record.state === "done", reason: record.reason, durationMs: Math.max(0, (record.completedAtMs ?? record.requestedAtMs) - record.requestedAtMs), by: node.name });
        return;
      }
      case "fence-cancel":
        logger.warn({ target: effect.target, id: effect.id }, "stopping a fencing: its node was confirmed down by hand");
        fenceAttempts.get(effect.id)?.abort();
        fenceAttempts.delete(effect.id);
        return;
      case "fence-history":
        try {
          writeFileDurably(historyFile, JSON.stringify(effect.records, null, 1) + "\n", { mode: 0o600 });
        } catch (error) {
          logger.error({ error: String(error), file: historyFile }, "cannot write the fence history");
        }
        return;
      case "cleanup":
        resources.cleanup(effect.resource, effect.operation === undefined ? undefined : { operation: effect.operation, intervalMs: effect.intervalMs ?? 0 });
        return;
      case "reply": {
        const client = clients.get(effect.clientId);
        clients.delete(effect.clientId);
        client?.(effect.reply);
        return;
      }
      case "record-input": {
        const entry = { id: effect.transition, atSeconds: effect.nowSeconds, reason: effect.reason, result: effect.steps.length === 0 ? "complete" : "running", steps: effect.steps };
        transitions.push(entry);
        if (transitions.length > TRANSITIONS_SHOWN) transitions.shift();
        // An idle recheck that changes nothing is not kept again and again.
        const digest = cibDigest(effect.cib);
        if (effect.steps.length === 0 && digest === lastRecordedDigest) return;
        lastRecordedDigest = digest;
        observability.recordInput({ format: "edgeha-scheduler-input", version: 1, transition: effect.transition, dc: node.name, nowSeconds: effect.nowSeconds, reason: effect.reason, cib: effect.cib, graph: effect.graph, steps: effect.steps }, (file) => {
          if (file) logger.info({ transition: effect.transition, input: file, reason: effect.reason }, "scheduler input recorded");
        });
        return;
      }
      case "may-exit":
        logger.info({}, "everything has moved away; leaving the cluster");
        // The DC knows only what this node reported: a resource the previous agent process
        // started here and no probe has answered for yet is stopped too, before the leave is
        // announced (stopAll finds nothing to do when the DC moved everything away).
        if (escalationTimer !== undefined) clearTimeout(escalationTimer);
        void resources.stopAll().then(
          (failures) => { if (failures.length > 0) logger.error({ failures }, "some resources did not stop; leaving anyway"); },
          (error: unknown) => logger.error({ error: String(error) }, "stopping what may still run here failed; leaving anyway"),
        ).finally(leaveNow);
        return;
      case "view":
        quorate = effect.quorate;
        // The view formed before the controller ran is not a change the metrics and alerts count.
        if (!effect.formedBefore) observability.onView(effect.view.members, viewsSeen++ === 0);
        return;
      case "quorum":
        if (effect.quorate !== quorate) logger.info({ members: effect.members }, effect.quorate ? "quorum gained" : "quorum lost");
        quorate = effect.quorate;
        return;
      case "peer-message": {
        // Another protocol on the same channels (the sender is the one the transport authenticated).
        const reportMessage = parseReportMessage(effect.value);
        if (typeof reportMessage === "string") return dropped.note(effect.from, reportMessage);
        if (reportMessage && effect.bytes > REPORT_MESSAGE_BYTES_MAX) return dropped.note(effect.from, `report message of ${effect.bytes} bytes exceeds ${REPORT_MESSAGE_BYTES_MAX}`);
        if (reportMessage) return void onReportMessage(effect.from, reportMessage);
        if (effect.bytes > MESSAGE_BYTES_MAX) return dropped.note(effect.from, `message of ${effect.bytes} bytes exceeds ${MESSAGE_BYTES_MAX}`);
        const verb = verbs.receive(effect.from, effect.value);
        if (typeof verb === "string") return dropped.note(effect.from, verb);
        if (verb) return;
        const nodeChange = nodeChanges.receive(effect.from, effect.value);
        if (typeof nodeChange === "string") return dropped.note(effect.from, nodeChange);
        if (nodeChange) return;
        return dropped.note(effect.from, `no protocol takes messages of kind '${effect.value.t}'`);
      }
      case "dropped-message":
        dropped.note(effect.from, effect.problem);
        return;
      case "transmit":
      case "persist-membership":
      case "advert":
      case "stalled":
        // Performed by the membership service; they never come here.
        return;
      case "log":
        if (effect.message === "transition finished") {
          const entry = transitions.find((each) => each.id === effect.fields.transition);
          if (entry) {
            (entry as { result: string }).result = effect.level === "warn" ? "failed" : "complete";
            const durationMs = Math.max(0, Date.now() - entry.atSeconds * 1000);
            const steps = Array.isArray(effect.fields.steps) ? (effect.fields.steps as string[]) : [];
            observability.onTransitionEnd({ ok: effect.level !== "warn", durationMs, started: steps.filter((step) => / start /.test(step) && step.endsWith("[done]")).length });
          }
        }
        logger[effect.level](effect.fields, effect.message);
        return;
      default: {
        const unknown: never = effect;
        return unknown;
      }
    }
  };

  // The arbiter weighs the resources each side runs: this node's share is the priority of what it runs.
  const reportArbiterPriority = (report: NodeReport) => {
    const cib: Cib = {
      ...controller.configuration,
      status: [{ id: String(node.id), uname: node.name, attributes: {}, transient: [], resources: Object.entries(report.resources).map(([id, resource]) => ({ id, class: resource.class, provider: resource.provider, type: resource.type, extra: {}, operations: resource.operations })) }],
    };
    membership.setArbiterPriority(nodePriorities(cib)[node.name] ?? 0);
  };
  resources.onChange(() => {
    const report = resources.report();
    reportArbiterPriority(report);
    // The node that runs the services answers heartbeats instead of sending first: it wakes less.
    membership.setFollowing(resources.runsServices());
    dispatch("a local report", (core, now) => core.localReport(report, now));
  });
  // Monitors wait up to one heartbeat interval for a heartbeat's wake-up instead of waking the agent themselves.
  resources.coalesceMonitors(config.timing.heartbeatMs);
  let viewsSeen = 0;
  const reportWaits = new Map<number, { parts: ReportPart[]; waiting: Set<number>; assemblers: Map<number, ReportAssembler>; done: () => void }>();
  let nextReportId = 1;
  membership.listen({ stalled: () => onStalled(), wake: () => resources.wake(), timerLate: (lateMs) => observability.onTimerLateness(lateMs) });
  // From here the controller runs in the core: a view formed before (a node alone, or before its
  // peers answer) reaches it first, then its first tick.
  membership.runController(controller, {
    localName: node.name,
    nodes: running.nodes.map((each) => ({ id: each.id, name: each.name })),
    // In a pair without an arbiter the serving node wins a split by default (src/fencer/split.ts);
    // watchdog fencing's safety rule needs the node count and whether an arbiter votes.
    fencerTopology: fencerTopologyOf(running),
    // The report protocol, the whole-cluster verbs and node list changes share the channels; their messages come back as peer-message.
    otherKinds: ["report-request", "report-part", "verb-request", "verb-reply", "nodes-change", "nodes-change-ack"],
    messageBytesMax: PEER_MESSAGE_BYTES_MAX,
    perform: (effect) => perform(effect),
    onFatal: failFatally,
  });
  // Node facts as attributes, refreshed every minute (location rules may use them).
  const refreshFacts = () => void collectNodeFacts().then((facts) => resources.setFacts(facts), (error: unknown) => logger.warn({ error: String(error) }, "cannot collect node facts"));
  refreshFacts();
  const factsTimer = setInterval(refreshFacts, FACTS_INTERVAL_MS);
  factsTimer.unref();

  const ask = (request: ClientRequest, timeoutMs = 30_000): Promise<ClientReply> =>
    new Promise((resolve) => {
      const clientId = nextClientId++;
      const timeout = setTimeout(() => { clients.delete(clientId); resolve({ ok: false, code: "E_AGENT_TIMEOUT", error: `the cluster did not answer within ${Math.round(timeoutMs / 1000)} s; the change may or may not have been applied: check \`edgeha status\`` }); }, timeoutMs);
      clients.set(clientId, (reply) => { clearTimeout(timeout); resolve(reply); });
      dispatch("a client's request", (core, now) => core.client(clientId, request, now));
    });

  const onReportMessage = (from: number, message: Exclude<ReturnType<typeof parseReportMessage>, string | undefined>) => {
    if (message.t === "report-request") {
      // A member asks for this node's part: collect it now (bounded) and answer the asker only.
      // In messages of at most REPORT_MESSAGE_BYTES_MAX; an asker from before pieces gets the first only, saying so.
      const part = observability.reportPart(message.fromSeconds, controller.configuration, status());
      const asker = running.nodes.find((each) => each.id === from)?.name ?? `node ${from}`;
      for (const bytes of reportPartMessages(message.requestId, part, { single: !membership.peerAdvert(from).features.includes(REPORT_PIECES_FEATURE), asker })) membership.send(from, bytes);
      return;
    }
    const wait = reportWaits.get(message.requestId);
    if (!wait || !wait.waiting.has(from)) return;
    const assembler = wait.assemblers.get(from) ?? new ReportAssembler();
    wait.assemblers.set(from, assembler);
    if (!assembler.take(message)) return;
    wait.waiting.delete(from);
    wait.assemblers.delete(from);
    wait.parts.push(assembler.part(running.nodes.find((each) => each.id === from)?.name ?? `node-${from}`));
    if (wait.waiting.size === 0) wait.done();
  };

  // `cluster status|stop|enable|disable --all`, carried to every member (src/node/cluster-verbs.ts).
  const verbs = new ClusterVerbs({
    localId: node.id, incarnation: membership.incarnation, logger,
    nodes: () => running.nodes,
    members: () => membership.status().members.map((member) => member.id),
    send: (to, payload) => membership.send(to, payload),
    advert: (id) => membership.peerAdvert(id),
    view: () => {
      const current = status();
      return {
        node: node.name, dc: current.dc, quorate: current.quorum.quorate, ringId: current.ringId, members: current.members.map((member) => member.name).sort(), cibVersion: current.cibVersion,
        running: (current.cluster_state?.resources ?? []).filter((resource) => resource.nodes.includes(node.name)).map((resource) => resource.id).sort(),
        configDigest: createHash("sha256").update(JSON.stringify(clusterDigests(running))).digest("hex"),
        protocol: current.versions?.negotiated.protocol ?? null, version: VERSION,
      };
    },
    // As node stop and SIGTERM: bounded by shutdown-escalation, the last node stops its resources itself.
    leave: () => void startLeave("edgeha cluster stop --all"),
    service: (action) => serviceAction(action),
  });

  // `cluster node add|remove`: the node list changed live on every member (src/node/node-change.ts).
  const nodeChanges = new NodeChanges({
    localId: node.id, incarnation: membership.incarnation, logger, configFile: options.configFile,
    running: () => running,
    members: () => membership.view().members,
    quorate: () => membership.quorum().quorate,
    send: (to, payload) => membership.send(to, payload),
    advert: (id) => membership.peerAdvert(id),
    configDifferences: (id) => status().versions?.peers.find((peer) => peer.id === id)?.configDifferences ?? [],
    apply: async (next) => {
      // The controller first: it knows a new node before membership lets it in, and forgets a removed one before its view drops it.
      dispatch("a node list change", (core, now) => core.nodes(next.nodes.map((each) => ({ id: each.id, name: each.name })), fencerTopologyOf(next), now));
      await membership.reconfigure(next, next.nodes.find((each) => each.id === node.id)!);
      running = next;
    },
    // It was drained first (or runs nothing): it leaves at once, before its peers, which no longer list it, stop answering it.
    removed: () => {
      if (leaveStarted) return;
      leaveStarted = true;
      void stopHereAndLeave("this node was removed from the cluster's node list");
    },
    resourcesOn: (name) => controller.summary?.resources.filter((resource) => resource.nodes.includes(name)).map((resource) => resource.id),
    runsResources: () => resources.runsServices(),
    editCib: async (edit) => {
      const cib = JSON.parse(JSON.stringify(controller.configuration)) as Cib;
      if (!edit(cib)) return;
      const reply = await ask({ kind: "cib-replace", base: formatVersion(controller.configuration.version), cib });
      if (!reply.ok) throw new EdgehaError(reply.code, reply.error);
    },
    issueToken: (target) => {
      const nowSeconds = epochSeconds();
      const token = newJoinToken({ clusterHash: clusterHash(running.clusterName), nodeId: target.id, addresses: node.links, port: running.transport.port, nowSeconds });
      storeToken(tokenFile(stateDir), token, nowSeconds);
      return { token: encodeJoinToken(token), expiresAt: iso(token.expiresAtSeconds) };
    },
  });

  /** A report gathered through the cluster: this node's part and every member's, within REPORT_WAIT_MS. */
  const gatherReport = async (fromSeconds: number): Promise<{ bundle: Buffer; answered: string[]; unreachable: Array<{ node: string; reason: string }> }> => {
    const requestId = nextReportId++;
    const members = membership.status().members.map((member) => member.id).filter((id) => id !== node.id);
    const parts: ReportPart[] = [observability.reportPart(fromSeconds, controller.configuration, status())];
    const waiting = new Set(members);
    const assemblers = new Map<number, ReportAssembler>();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, REPORT_WAIT_MS);
      reportWaits.set(requestId, { parts, waiting, assemblers, done: () => { clearTimeout(timer); resolve(); } });
      for (const id of members) membership.send(id, Buffer.from(JSON.stringify({ t: "report-request", requestId, fromSeconds })));
      if (waiting.size === 0) { clearTimeout(timer); resolve(); }
    });
    reportWaits.delete(requestId);
    const nameOf = (id: number) => running.nodes.find((each) => each.id === id)?.name ?? `node-${id}`;
    // A member whose part was still arriving: what came is kept, and its part says the rest is missing.
    for (const [id, assembler] of assemblers) {
      waiting.delete(id);
      parts.push(assembler.part(nameOf(id)));
    }
    const unreachable = [
      ...[...waiting].map((id) => ({ node: nameOf(id), reason: `no answer within ${REPORT_WAIT_MS / 1000} s` })),
      ...running.nodes.filter((each) => each.id !== node.id && !members.includes(each.id)).map((each) => ({ node: each.name, reason: "not a member of this node's partition" })),
    ];
    const bundle = packReport({ cluster: config.clusterName, createdSeconds: epochSeconds(), fromSeconds, parts, unreachable });
    return { bundle, answered: parts.map((part) => part.node), unreachable };
  };

  const metricsSnapshot = (): MetricsSnapshot => {
    const current = status();
    const local = resources.report().attributes;
    return {
      version: VERSION, cluster: config.clusterName, node: { name: node.name, id: node.id }, configuredNodes: running.nodes, ringId: current.ringId, members: current.members,
      quorum: current.quorum, dc: current.dc, summary: current.cluster_state, cib: controller.configuration,
      nodeAttributes: { ...(current.cluster_state as { attributes?: Record<string, Record<string, string>> } | null)?.attributes, [node.name]: local },
      frames: current.frames, counters: { ...observability.counters, eventLoopPauses: current.frames["event-loop-pauses"] ?? 0, roundTripSeconds: membership.roundTrips() },
    };
  };

  const pageView = (): StatusPageView => {
    const current = status();
    const summary = current.cluster_state;
    return {
      cluster: config.clusterName, node: node.name, dc: current.dc, quorate: current.quorum.quorate, cibVersion: current.cibVersion, generatedAtSeconds: epochSeconds(),
      nodes: summary?.nodes ?? current.members.map((member) => ({ name: member.name, state: "online" })),
      resources: summary?.resources ?? [], transitions: summary?.transitions ?? [...transitions], fencing: summary?.fencing ?? [],
    };
  };

  const status = (): AgentStatus => {
    const memory = process.memoryUsage();
    return {
      ...membership.status(), dc: controller.dcName ?? null, cluster_state: controller.summary ?? null, cibVersion: formatVersion(controller.configuration.version),
      agent: { pid: process.pid, rss: memory.rss, heapUsed: memory.heapUsed, heapTotal: memory.heapTotal, external: memory.external },
    };
  };

  /** Waits (up to waitMs) until this node's copy of the configuration is current; says why not when the wait runs out. */
  const currentOrStale = async (waitMs: number): Promise<string | undefined> => {
    const untilMs = Date.now() + waitMs;
    while (controller.staleness !== undefined && Date.now() < untilMs && !closed) await new Promise((resolve) => setTimeout(resolve, READ_POLL_MS));
    return controller.staleness;
  };

  /** `stonith fence` and `stonith confirm` of the running cluster: served by the DC. */
  const stonithRequest = async (request: Record<string, unknown>): Promise<unknown> => {
    const text = (value: unknown) => (typeof value === "string" && value.length > 0 && value.length <= 256 ? value : undefined);
    const target = text(request.target);
    const client = text(request.client) ?? "unknown";
    if (target === undefined) return { error: `${String(request.command)} needs 'target' (a node name)`, code: "E_API_REQUEST" };
    if (request.command === "stonith-confirm") {
      const reply = await ask({ kind: "fence-confirm", target, client });
      return reply.ok ? { ok: true, message: reply.message, record: reply.fence } : { error: reply.error, code: reply.code };
    }
    const action = request.action === "off" || request.action === "reboot" ? request.action : undefined;
    // The person waits for the fencing's end, within the time the command asked for (1 s to 1 h).
    const timeoutMs = typeof request.timeoutMs === "number" && Number.isFinite(request.timeoutMs) ? Math.min(3_600_000, Math.max(1000, request.timeoutMs)) : 120_000;
    const reply = await ask({ kind: "fence", target, client, ...(action ? { action } : {}) }, timeoutMs);
    return reply.ok ? { ok: true, message: reply.message, record: reply.fence } : { error: reply.error, code: reply.code, record: reply.fence };
  };

  const reload = (): Promise<ReloadOutcome> => {
    if (options.configFile === undefined) return Promise.resolve({ ok: false, code: "E_RELOAD_REFUSED", error: "this agent was started without a config file to read again", details: [] });
    return reloadBootstrap({
      configFile: options.configFile, nodeName: node.name, logger, running: () => running,
      apply: async (next, local) => {
        if (JSON.stringify(next.metrics.listen) !== JSON.stringify(running.metrics.listen)) await observability.reconfigure(next.metrics.listen, metricsSnapshot, pageView);
        await membership.reconfigure(next, local);
        resources.coalesceMonitors(next.timing.heartbeatMs);
        if (process.env.EDGEHA_LOG_LEVEL === undefined) logger.level = next.logging.level;
        running = next;
      },
    });
  };

  /** `cluster node add|remove`, served here (this node asks every member); bad input is refused before anything changes. */
  const nodeChangeRequest = async (request: Record<string, unknown>): Promise<unknown> => {
    const name = typeof request.name === "string" && request.name.length > 0 && request.name.length <= 200 ? request.name : undefined;
    if (name === undefined) return { error: `${String(request.command)} needs 'name' (a node name)`, code: "E_API_REQUEST" };
    try {
      if (request.command === "node-remove") {
        const waitMs = typeof request.waitMs === "number" && Number.isFinite(request.waitMs) ? Math.min(3_600_000, Math.max(1000, request.waitMs)) : undefined;
        const outcome = await nodeChanges.remove(name, waitMs);
        return outcome.ok ? { ...outcome } : { ...outcome, error: outcome.message };
      }
      const links = Array.isArray(request.links) && request.links.length <= 8 && request.links.every((link) => typeof link === "string" && link.length <= 100) ? (request.links as string[]) : undefined;
      if (!Number.isSafeInteger(request.id) || links === undefined || links.length === 0) return { error: "node-add needs 'id' (a whole number) and 'links' (a list of addresses)", code: "E_API_REQUEST" };
      const outcome = await nodeChanges.add({ name, id: request.id as number, links });
      return outcome.ok ? { ...outcome } : { ...outcome, error: outcome.message };
    } catch (error) {
      return { ok: false, error: error instanceof Error ? error.message : String(error), code: error instanceof EdgehaError ? error.code : "E_NODE_CHANGE_FILE" };
    }
  };

  const handleRequest = async (request: Record<string, unknown>): Promise<unknown> => {
    switch (request.command) {
      case "config-reload":
        return reload();
      case "status":
        return status();
      case "cib-get": {
        // A node that just started (or whose view changed) may hold an older copy than the
        // cluster's: wait a moment for the join, and say so when it is still not current.
        const stale = await currentOrStale(READ_WAIT_MS);
        return { cib: JSON.parse(JSON.stringify(controller.configuration)) as unknown, version: formatVersion(controller.configuration.version), ...(stale === undefined ? {} : { stale }) };
      }
      case "cib-replace": {
        if (typeof request.base !== "string" || typeof request.cib !== "object" || request.cib === null) return { error: "cib-replace needs 'base' (a version string) and 'cib' (an object)", code: "E_API_REQUEST" };
        try {
          parseNativeCib(JSON.stringify(request.cib), "the requested configuration");
        } catch (error) {
          return { error: error instanceof Error ? error.message : String(error), code: (error as { code?: string }).code ?? "E_CIB_INVALID" };
        }
        const reply = await ask({ kind: "cib-replace", base: request.base, cib: request.cib, ...(request.force === true ? { force: true } : {}) });
        return reply.ok ? { ok: true, version: reply.version, message: reply.message } : { error: reply.error, code: reply.code };
      }
      case "resource-cleanup": {
        const operation = typeof request.operation === "string" ? { operation: request.operation, intervalMs: typeof request.intervalMs === "number" && Number.isSafeInteger(request.intervalMs) && request.intervalMs >= 0 ? request.intervalMs : 0 } : {};
        const reply = await ask({ kind: "cleanup", resource: typeof request.resource === "string" ? request.resource : undefined, node: typeof request.node === "string" ? request.node : undefined, ...operation });
        return reply.ok ? { ok: true, message: reply.message } : { error: reply.error, code: reply.code };
      }
      case "relocation-plan": {
        const names = Array.isArray(request.resources) ? request.resources.filter((name): name is string => typeof name === "string") : undefined;
        const reply = await ask({ kind: "placement", ...(names && names.length > 0 ? { resources: names } : {}) });
        return reply.ok ? { ok: true, relocations: reply.relocations ?? [] } : { error: reply.error, code: reply.code };
      }
      case "report": {
        const fromSeconds = typeof request.fromSeconds === "number" && Number.isFinite(request.fromSeconds) && request.fromSeconds >= 0 ? request.fromSeconds : epochSeconds() - 86_400;
        const gathered = await gatherReport(fromSeconds);
        return { ok: true, bundle: gathered.bundle.toString("base64"), answered: gathered.answered, unreachable: gathered.unreachable };
      }
      case "stonith-fence":
      case "stonith-confirm":
        return stonithRequest(request);
      case "stonith-history":
        return { ok: true, records: [...controller.fenceHistory] };
      case "cluster-verb": {
        const verb = request.verb;
        if (verb !== "view" && verb !== "stop" && verb !== "enable" && verb !== "disable") return { error: "cluster-verb needs verb: view, stop, enable or disable", code: "E_API_REQUEST" };
        return { ok: true, ...(await verbs.all(verb)) };
      }
      case "node-add":
      case "node-remove":
        return nodeChangeRequest(request);
      case "node-stop":
        if (!startLeave("edgeha node stop")) return { ok: true, message: `${node.name} is already leaving` };
        return { ok: true, message: `${node.name} is leaving: its resources move away first` };
      default:
        return { error: `unknown command '${String(request.command)}'`, code: "E_API_REQUEST" };
    }
  };

  let api: ApiServer;
  try {
    api = await startApiServer(options.socketPath, handleRequest, { logger });
  } catch (error) {
    closed = true;
    clearInterval(factsTimer);
    // Nothing runs yet: a start that fails disarms the watchdog rather than resetting the machine.
    watchdog?.stop(true);
    await sbd?.stop();
    await membership.close();
    throw error;
  }
  try {
    await observability.reconfigure(config.metrics.listen, metricsSnapshot, pageView);
  } catch (error) {
    closed = true;
    clearInterval(factsTimer);
    watchdog?.stop(true);
    await sbd?.stop();
    await api.close();
    await membership.close();
    throw error;
  }
  logger.info({ node: node.name, id: node.id, incarnation: membership.incarnation, links: node.links, socket: options.socketPath, cib: formatVersion(stored.version) }, "agent started");
  // Start-up's freed malloc memory back to the kernel once it has settled (issue 21, RSS).
  const cancelTrim = trimMemoryLater(livenessAddon(logger), TRIM_AFTER_START_MS, logger);
  return {
    status,
    reconfigureMetrics: (listen) => observability.reconfigure(listen, metricsSnapshot, pageView),
    reload,
    leaving,
    leave: startLeave,
    async close() {
      closed = true;
      if (escalationTimer !== undefined) clearTimeout(escalationTimer);
      // The controller gets nothing more; membership goes on alone until it closes below.
      membership.stopController();
      clearInterval(factsTimer);
      cancelTrim();
      // Disarmed only when nothing runs here any more; otherwise the watchdog resets the machine, as
      // the others will take it for fenced stonith-watchdog-timeout after losing it.
      await sbd?.stop();
      watchdog?.stop(!resources.runsServices() && !sbd?.selfFenced);
      resources.close();
      await observability.close();
      await api.close();
      await membership.close();
    },
  };
}
