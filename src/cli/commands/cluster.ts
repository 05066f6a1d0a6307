// Cluster area commands: the node agent itself, `status` (like pcs status) and the node
// lifecycle commands that need the running cluster (graceful stop).
import { join } from "node:path";
import { renderCommandHelp, type Command, type CommandContext } from "../command";
import { EdgehaError, UsageError } from "../../common/errors";
import { createLogger, stdoutIsJournal, withSyslogPriority } from "../../common/log";
import { LogRing } from "../../common/log-ring";
import { findLocalNode, loadAuthkey, loadConfig, machineIdentity, configDefaults } from "../../config";
import { readCibFile, type Cib } from "../../cib";
import { startAgent, type AgentStatus } from "../../node/agent";
import { JoinServer } from "../../node/join";
import { AgentService } from "../../node/service";
import { requestApi } from "../../api";
import type { ClusterSummary } from "../../controller";
import { ocfExitName } from "../../executor";

const socketOption = { name: "socket", kind: "string" as const, value: "PATH", description: `Admin socket of the local agent (default ${configDefaults.DEFAULT_SOCKET_PATH}).` };
const jsonOption = { name: "json", kind: "boolean" as const, description: "Print JSON." };

function socketOf(options: Record<string, unknown>): string {
  return typeof options.socket === "string" ? options.socket : configDefaults.DEFAULT_SOCKET_PATH;
}

const agentCommand: Command = {
  words: ["agent"],
  summary: "Run this node's cluster agent (membership, controller, executor, fencing)",
  usage: "--config FILE [--node NAME] [--state-dir DIR] [--socket PATH] [--initial-cib FILE]",
  description: "Starts this node's agent: heartbeats on every link, membership views and quorum, the controller (DC election, configuration replication, transitions), the resource executor and fencing, and the local admin socket. Logs JSON lines to stdout. The node is the one named, else the one matching the host name, else the one whose link address is on this machine. SIGTERM and SIGINT (systemctl stop) are a clean leave, as `edgeha node stop`: the resources move to a peer first, the peers are told, then it exits 0; bounded by the cluster property shutdown-escalation, after which it stops its resources itself. A second signal changes nothing; SIGKILL is a crash. Under systemd (Type=notify) it reports READY=1 once joined, a one-line STATUS=, STOPPING=1 while leaving, and pings the watchdog while its heartbeats go out. If the controller breaks one of its invariants (a failed assertion) or fails unexpectedly, the agent logs the error at level fatal and exits with status 70 rather than carry on with a half-updated state: the unit restarts it; its peers treat the exit as a crash (with fencing on, they fence this node).",
  examples: ["agent --config /etc/edgeha/edgeha.yaml", "agent --config pair.yaml --node alpha --socket /tmp/alpha.sock --initial-cib cluster.xml"],
  options: [
    { name: "config", kind: "string", value: "FILE", description: "The bootstrap config (default /etc/edgeha/edgeha.yaml)." },
    { name: "node", kind: "string", value: "NAME", description: "Which node of the config this is." },
    { name: "state-dir", kind: "string", value: "DIR", description: "State directory: CIB and fence history (default from the config)." },
    { name: "socket", kind: "string", value: "PATH", description: "Admin socket path (default from the config)." },
    { name: "initial-cib", kind: "string", value: "FILE", description: "A CIB (Pacemaker XML or edgeha's JSON/YAML) to start from when the state directory has none yet." },
  ],
  async run(args, context) {
    const file = typeof args.options.config === "string" ? args.options.config : configDefaults.DEFAULT_CONFIG_PATH;
    // Every line also goes to a bounded ring in memory, which `edgeha report` gathers.
    const logRing = new LogRing();
    // Under systemd the lines on stdout carry their syslog priority for journald; the ring keeps them plain.
    const out = context.stdout === process.stdout && stdoutIsJournal() ? withSyslogPriority(context.stdout) : context.stdout;
    const logger = createLogger({ name: "agent", journal: false, destination: { write: (chunk: string) => (logRing.write(chunk), out.write(chunk)) } as unknown as NodeJS.WritableStream });
    const config = loadConfig(file, { onWarning: (problem) => logger.warn({ path: problem.path, line: problem.line }, problem.message) });
    if (process.env.EDGEHA_LOG_LEVEL === undefined) logger.level = config.logging.level;
    // SIGHUP reloads the bootstrap file, as for corosync and keepalived (`edgeha config reload` does
    // the same); one that arrives before the agent runs is ignored rather than ending the process.
    let reloadOnHangup = () => {};
    const onHangup = () => reloadOnHangup();
    process.on("SIGHUP", onHangup);
    const match = findLocalNode(config, { ...machineIdentity(), name: typeof args.options.node === "string" ? args.options.node : undefined });
    logger.info({ node: match.node.name, reason: match.reason }, "this node chosen");
    const socketPath = typeof args.options.socket === "string" ? args.options.socket : config.paths.socket;
    const authkeyFile = config.paths.authkey.startsWith("/") ? config.paths.authkey : join(file, "..", config.paths.authkey);
    let initialCib: Cib | undefined;
    if (typeof args.options["initial-cib"] === "string") {
      const read = readCibFile(args.options["initial-cib"]);
      for (const warning of read.warnings) logger.warn({ file: args.options["initial-cib"] }, warning);
      initialCib = read.cib;
    }
    const stateDir = typeof args.options["state-dir"] === "string" ? args.options["state-dir"] : undefined;
    // SIGTERM and SIGINT are a clean leave from here on; under systemd, notifications follow.
    const service = new AgentService(logger, config.nodes.length, config.timing.heartbeatMs);
    try {
      const authkey = loadAuthkey(authkeyFile);
      const agent = await startAgent({ config, node: match.node, authkey, socketPath, logger, stateDir, initialCib, logRing, configFile: file });
      // Nodes joining with a token fetch the config and key from here (src/node/join.ts).
      const joins = new JoinServer({ configFile: file, stateDir: stateDir ?? config.paths.stateDir, addresses: match.node.links, port: config.transport.port, clusterName: config.clusterName, nodeName: match.node.name, authkey, logger });
      await joins.start();
      service.attach(agent);
      reloadOnHangup = () => void agent.reload();
      await agent.leaving;
      await joins.close();
      await agent.close();
      logger.info({}, "left the cluster");
      return 0;
    } finally {
      process.off("SIGHUP", onHangup);
      service.close();
    }
  },
};

function age(seconds: number | undefined): string {
  if (!seconds) return "";
  return ` at ${new Date(seconds * 1000).toISOString().replace(".000", "")}`;
}

/** Text in the spirit of `pcs status`: cluster, DC, quorum, nodes, resources, failures, fencing. */
export function renderClusterStatus(status: AgentStatus): string {
  const summary = status.cluster_state;
  const quorum = status.quorum;
  const lines = [`Cluster name: ${status.cluster}`];
  // Like pcs's WARNINGS: what a person must look at before anything else.
  const warnings = [...(status.misconfiguration ?? []).map((drop) => drop.message), ...(status.versions?.warnings ?? [])];
  // A pair without fencing whose peer was lost (not a clean stop): changes wait, and why.
  for (const peer of summary?.unconfirmed ?? []) warnings.push(`configuration changes wait (E_PEER_UNCONFIRMED): ${peer} left without a clean stop and fencing is off, so it may still run on the other side of a split; they go through once it rejoins, or after 'edgeha stonith confirm ${peer}' once you have made sure it is down ('--this-half-only' stores one change on this half only)`);
  if (warnings.length > 0) lines.push("", "WARNINGS:", ...warnings.map((warning) => `  * ${warning}`));
  lines.push(
    "",
    "Cluster Summary:",
    `  * Current DC: ${status.dc ?? "NONE (election in progress)"}${summary ? ` - partition ${summary.quorate ? "with" : "WITHOUT"} quorum` : ""}`,
    `  * Configuration version: ${status.cibVersion}`,
    `  * Membership: ring ${status.ringId}, quorum ${quorum.quorate ? "yes" : "NO"} (votes ${quorum.votes}/${quorum.expected}, needed ${quorum.quorum}${quorum.flags.length ? `, ${quorum.flags.join(" ")}` : ""})`,
    `  * This node: ${status.node.name}`,
  );
  if (summary?.transition) lines.push(`  * Transition ${summary.transition.id} in progress: ${summary.transition.running} running, ${summary.transition.pending} pending`);
  lines.push("", "Node List:");
  // Without a DC, this node's own view: the members online, every other node of the config offline.
  const nodes = summary?.nodes ?? (status.nodes ?? status.members.map((member) => ({ name: member.name, member: true }))).map((node) => ({ name: node.name, state: node.member ? "online" as const : "offline" as const }));
  const byState = new Map<string, string[]>();
  for (const node of nodes) byState.set(node.state, [...(byState.get(node.state) ?? []), node.name]);
  const label: Record<string, string> = { online: "Online", offline: "OFFLINE", standby: "Standby", unclean: "UNCLEAN (lost, fencing pending)", maintenance: "Maintenance", "shutting-down": "Shutting down", pending: "Pending (joining)" };
  for (const [state, names] of byState) lines.push(`  * ${label[state] ?? state}: [ ${names.join(" ")} ]`);
  const links = status.members.filter((member) => member.id !== status.node.id).flatMap((member) => member.links.map((link, index) => `${member.name} link${index} ${link.state}`));
  if (links.length) lines.push(`  * Links: ${links.join(", ")}`);
  lines.push("", "Full List of Resources:");
  if (!summary) lines.push("  * (no DC yet: resource state unknown)");
  else if (summary.resources.length === 0) lines.push("  * No resources");
  else {
    let group: string | undefined;
    for (const resource of summary.resources) {
      if (resource.group !== group) {
        group = resource.group;
        if (group) lines.push(`  * Resource Group: ${group}:`);
      }
      const indent = resource.group ? "    " : "  ";
      const where = resource.nodes.length ? ` ${resource.nodes.join(" ")}` : "";
      const flags = [resource.managed ? "" : "(unmanaged)", resource.targetRole && resource.role === "Stopped" ? `(target-role ${resource.targetRole})` : ""].filter(Boolean).join(" ");
      lines.push(`${indent}* ${resource.id}\t(${resource.agent}):\t ${resource.role}${where}${flags ? ` ${flags}` : ""}`);
    }
  }
  if (summary && summary.failedActions.length) {
    lines.push("", "Failed Resource Actions:");
    for (const failure of summary.failedActions) {
      lines.push(`  * ${failure.resource} ${failure.operation}${failure.intervalMs ? ` (interval ${failure.intervalMs / 1000}s)` : ""} on ${failure.node} returned rc ${failure.rc}${failure.reason ? ` '${failure.reason}'` : ""}${age(failure.atSeconds)}`);
    }
  }
  if (summary && summary.fencing.length) {
    lines.push("", "Fencing History:");
    for (const record of [...summary.fencing].reverse()) lines.push(`  * ${record.action} of ${record.target} ${record.state === "done" ? "successful" : record.state}${record.by ? ` (by ${record.by})` : ""}${age(record.atSeconds)}${record.state === "failed" && record.reason ? `: ${record.reason}` : ""}`);
  }
  if (summary?.conflicts?.length) {
    lines.push("", "Configuration Conflicts (two different copies of one version met; the other copy is saved as a conflict-*.json file on the node named):");
    for (const conflict of summary.conflicts) lines.push(`  * version ${conflict.version}: kept ${conflict.keptDigest.slice(0, 12)}, set aside ${conflict.lostDigest.slice(0, 12)} from ${conflict.lostFrom}${age(conflict.atSeconds)}`);
  }
  return `${lines.join("\n")}\n`;
}

function when(seconds: number | undefined): string {
  return seconds ? new Date(seconds * 1000).toISOString().replace(".000", "") : "unknown";
}

/** Node attributes shown under "Node Attributes" (fail counts and last failures have their own section; #-names are internal). */
function shownAttribute(name: string): boolean {
  return !name.startsWith("fail-count-") && !name.startsWith("last-failure-") && !name.startsWith("#");
}

/**
 * What `status --full` adds, as `crm_mon -1 -A -f -o` (pcs status --full) shows it: node
 * attributes, the operation history of each resource on each node, the migration summary
 * (fail counts against migration-threshold), and the DC's recent transitions with reasons.
 */
export function renderFullSections(status: AgentStatus): string {
  const summary = status.cluster_state;
  if (!summary) return "\nFull status: no DC yet: node attributes, operations and transitions are unknown\n";
  const lines: string[] = [];
  if (summary.attributes === undefined && summary.history === undefined) {
    lines.push("", `Full status: the DC (${summary.dc}) runs an older edgeha that does not send node attributes, operations or transitions`);
    return `${lines.join("\n")}\n`;
  }
  const nodes = summary.nodes.map((node) => node.name);
  lines.push("", "Node Attributes:");
  for (const node of nodes) {
    const permanent = Object.entries(summary.permanentAttributes?.[node] ?? {}).filter(([name]) => shownAttribute(name));
    const transient = Object.entries(summary.attributes?.[node] ?? {}).filter(([name]) => shownAttribute(name));
    if (permanent.length + transient.length === 0) continue;
    lines.push(`  * Node: ${node}:`);
    const width = Math.max(...[...permanent, ...transient].map(([name]) => name.length));
    for (const [name, value] of permanent.sort(([left], [right]) => left.localeCompare(right))) lines.push(`    * ${name.padEnd(width)} : ${value}\t(permanent)`);
    for (const [name, value] of transient.sort(([left], [right]) => left.localeCompare(right))) lines.push(`    * ${name.padEnd(width)} : ${value}`);
  }
  const thresholdOf = (node: string, resource: string) => summary.failCounts?.find((each) => each.node === node && each.resource === resource)?.migrationThreshold;
  lines.push("", "Migration Summary:");
  for (const node of nodes) {
    const counts = (summary.failCounts ?? []).filter((each) => each.node === node);
    if (counts.length === 0) continue;
    lines.push(`  * Node: ${node}:`);
    for (const each of counts) lines.push(`    * ${each.resource}: migration-threshold=${scoreText(each.migrationThreshold)}, fail-count=${scoreText(each.count)}${each.lastFailureSeconds ? `, last-failure='${when(each.lastFailureSeconds)}'` : ""}`);
  }
  lines.push("", "Operations:");
  for (const node of nodes) {
    const entries = (summary.history ?? []).filter((each) => each.node === node);
    if (entries.length === 0) continue;
    lines.push(`  * Node: ${node}:`);
    const resources = [...new Set(entries.map((each) => each.resource))];
    for (const resource of resources) {
      const threshold = thresholdOf(node, resource);
      lines.push(`    * ${resource}${threshold !== undefined ? `: migration-threshold=${scoreText(threshold)}` : ""}:`);
      for (const entry of entries.filter((each) => each.resource === resource)) {
        const task = entry.operation === "monitor" && entry.intervalMs === 0 ? "probe" : entry.operation;
        const fields = [
          entry.intervalMs ? `interval=${entry.intervalMs}ms` : "",
          entry.lastRcChangeSeconds ? `last-rc-change='${when(entry.lastRcChangeSeconds)}'` : "",
          entry.execMs !== undefined ? `exec-time=${entry.execMs}ms` : "",
          entry.queueMs !== undefined ? `queue-time=${entry.queueMs}ms` : "",
          `rc=${entry.rc} (${ocfExitName(entry.rc)})`,
          entry.opStatus === 2 ? "(timed out)" : "",
          entry.reason ? `exit-reason='${entry.reason}'` : "",
        ].filter(Boolean);
        lines.push(`      * (${entry.callId}) ${task}: ${fields.join(" ")}`);
      }
    }
  }
  lines.push("", "Recent Transitions:");
  if ((summary.transitions ?? []).length === 0) lines.push("  * none yet");
  for (const record of summary.transitions ?? []) {
    const took = record.durationMs !== undefined ? ` in ${(record.durationMs / 1000).toFixed(1)} s` : "";
    lines.push(`  * Transition ${record.id}${record.dc ? ` (DC ${record.dc})` : ""} at ${when(record.atSeconds)}: ${record.result}${took}, ${record.steps.length === 0 ? "nothing to do" : `${record.steps.length} steps`}: ${record.reason}`);
    for (const step of record.steps) lines.push(`    * ${step}`);
  }
  return `${lines.join("\n")}\n`;
}

/** Scores as Pacemaker prints them: one million is INFINITY. */
function scoreText(score: number): string {
  return score >= 1_000_000 ? "INFINITY" : score <= -1_000_000 ? "-INFINITY" : String(score);
}

/** The version of docs/status.schema.json that `status --json` follows (changes only when a field goes or changes meaning). */
export const STATUS_SCHEMA_VERSION = 1;

/** What `status --json` prints: the agent's status under the schema's version. */
export function statusJson(status: AgentStatus): Record<string, unknown> {
  return { schemaVersion: STATUS_SCHEMA_VERSION, ...status };
}

async function fetchStatus(socket: string): Promise<AgentStatus> {
  const reply = (await requestApi(socket, { command: "status" })) as AgentStatus & { error?: string };
  if (reply.error) throw new EdgehaError("E_API_REQUEST", `the agent answered: ${reply.error}`);
  return reply;
}

async function watch(socket: string, context: CommandContext, intervalMs: number, rounds: number, full: boolean): Promise<number> {
  for (let round = 0; round < rounds; round++) {
    let text: string;
    try {
      const status = await fetchStatus(socket);
      text = renderClusterStatus(status) + (full ? renderFullSections(status) : "");
    } catch (error) {
      text = `${error instanceof Error ? error.message : String(error)}\n`;
    }
    context.stdout.write(`\x1b[H\x1b[2J${new Date().toISOString()}  (every ${intervalMs / 1000}s, Ctrl-C to stop)\n\n${text}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  return 0;
}

const statusCommand: Command = {
  words: ["status"],
  summary: "Show the cluster: DC, quorum, nodes, resources, failed actions, fencing",
  usage: "[nodes|resources] [--socket PATH | -f FILE] [--full] [--json] [--watch [--interval SECONDS]]",
  description: "Asks the local agent. Any member shows the whole cluster as the DC last reported it, plus its own membership and link states. --full adds what `crm_mon -1 -A -f -o` (pcs status --full) shows: node attributes (permanent and transient), the migration summary (fail counts against migration-threshold, last failure), the operation history of every resource on every node (call id, probe/start/monitor, rc, exec and queue time, exit reason), and the DC's recent transitions with the reason each was planned and how it ended. --json always carries all of it (docs/status.schema.json: cluster_state.attributes, permanentAttributes, history, failCounts, transitions), with or without --full. With -f FILE (as pcs -f FILE status): what a CIB file configures, in the shape of the status.",
  examples: ["status", "status --full", "status --json", "status --watch --interval 0.5", "status -f cib.xml"],
  options: [socketOption, jsonOption, { name: "full", kind: "boolean", description: "Also show node attributes, fail counts, operation history and recent transitions." }, { name: "watch", kind: "boolean", description: "Redraw until interrupted." }, { name: "interval", kind: "number", value: "SECONDS", description: "Redraw interval for --watch (default 1)." }, { name: "file", short: "f", kind: "string", value: "FILE", description: "What a CIB file configures, in the shape of the status (as pcs -f FILE status); nothing runs from a file, so resources are Stopped." }],
  async run(args, context) {
    const [what, ...more] = args.positionals;
    if (what === "help") return context.stdout.write(renderCommandHelp(statusCommand)), 0;
    if (more.length > 0 || (what !== undefined && what !== "nodes" && what !== "resources")) throw new UsageError(`'edgeha status' shows everything, 'nodes' or 'resources', not '${args.positionals.join(" ")}'`, "Run 'edgeha status --help'.");
    // Loaded here only: the agent loads this module and needs none of the admin code.
    if (typeof args.options.file === "string") return (await import("./pcs")).offlineStatus(args.options.file, what, context);
    const socket = socketOf(args.options);
    if (args.options.watch) {
      const interval = typeof args.options.interval === "number" ? args.options.interval : 1;
      if (!(interval >= 0.1 && interval <= 3600)) throw new UsageError("--interval must be between 0.1 and 3600 seconds");
      return watch(socket, context, Math.round(interval * 1000), Number.MAX_SAFE_INTEGER, args.options.full === true);
    }
    const status = await fetchStatus(socket);
    context.stdout.write(args.options.json ? `${JSON.stringify(statusJson(status), null, 2)}\n` : renderClusterStatus(status) + (args.options.full ? renderFullSections(status) : ""));
    return 0;
  },
};

const nodeStopCommand: Command = {
  words: ["node", "stop"],
  summary: "Leave the cluster gracefully: resources move away first, then the agent exits",
  usage: "[--socket PATH] [--json]",
  description: "Tells the local agent to leave. The DC moves every resource off this node (no fencing: it is a clean shutdown), and the agent exits once nothing runs here.",
  examples: ["node stop", "node stop --socket /tmp/alpha.sock"],
  options: [socketOption, jsonOption],
  async run(args, context) {
    const reply = (await requestApi(socketOf(args.options), { command: "node-stop" })) as { ok?: boolean; message?: string; error?: string; code?: string };
    if (!reply.ok) throw new EdgehaError(reply.code && /^E_[A-Z0-9_]+$/.test(reply.code) ? reply.code : "E_API_REQUEST", `node stop: ${reply.error ?? "the agent's reply was not understood"}`);
    context.stdout.write(args.options.json ? `${JSON.stringify(reply)}\n` : `${reply.message}\n`);
    return 0;
  },
};

export const clusterCommands: Command[] = [agentCommand, statusCommand, nodeStopCommand];

export type { ClusterSummary };
