import type { Command } from "../command";
import { resolveFenceDriver } from "../../../fence-drivers/index";
import { optionsFor, runFenceAgent } from "../../../fence-drivers/common/index";
import { EdgehaError, UsageError as DriverUsageError } from "../../common/errors";

// ---- fence-driver NAME: a built-in driver behind the fence-agents stdin/CLI protocol ----
/** fence-agents options are a few key=value lines; stdin beyond this is not options. */
export const FENCE_STDIN_BYTES_MAX = 64 * 1024;

/** Reads stdin up to `bytesMax`; more is E_FENCE_OPTION (nothing more is read). */
async function readAll(stream: NodeJS.ReadableStream, bytesMax: number): Promise<string> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of stream) {
    const buffer = typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer);
    bytes += buffer.length;
    if (bytes > bytesMax) throw new EdgehaError("E_FENCE_OPTION", `stdin holds more than ${bytesMax} bytes; fence-agents options are a few key=value lines`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

const fenceDriverCommand: Command = {
  words: ["fence-driver"],
  summary: "Run a built-in fence driver exactly like a fence-agents fence_* program.",
  usage: "NAME [-o ACTION -a HOST -l USER -p PASS ...]  (or key=value lines on stdin)",
  description:
    "NAME is a built-in driver, or any fence-agents program (fence_ipmilan, /path/to/fence_x) run through the stdin protocol. " +
    "With no options after NAME, reads key=value lines on stdin (action=, plug=, ipaddr=, login=, passwd=, ...). " +
    "Exit status: 0 success (or ON for status), 1 error, 2 OFF for status. `-o metadata` prints fence-agents XML. " +
    "Passwords and keys never appear in the output.",
  examples: ["fence-driver xvm -o metadata", "fence-driver scsi"],
  allowUnknownOptions: true,
  async run(args, context) {
    const [name, ...rest] = args.positionals;
    if (!name) throw new DriverUsageError("expected a driver name", "usage: edgeha fence-driver NAME [options]");
    const driver = await resolveFenceDriver(name);
    const stdinText = rest.length === 0 ? await readAll(context.stdin, FENCE_STDIN_BYTES_MAX) : undefined;
    const parsed = optionsFor(driver, rest, stdinText);
    const write = (stream: NodeJS.WritableStream) => (line: string) => stream.write(`${line}\n`);
    for (const warning of parsed.warnings) write(context.stderr)(`Parse error: ${warning}`);
    return runFenceAgent(driver, parsed.options, { stdout: write(context.stdout), stderr: write(context.stderr) });
  },
};

export const fencingCommands: Command[] = [fenceDriverCommand];

// ---- stonith: the fencer's commands ----
// `stonith fence`, `confirm` and `history` act on the running cluster through the local
// agent's admin socket: the DC fences (or takes a node for fenced on a person's word) and
// keeps the cluster's fence history, which every member stores. Offline, `fence --cib FILE`
// runs the devices of a CIB file from this host and `--history FILE` keeps a history file.
import { hostname, userInfo } from "node:os";
import { createInterface } from "node:readline";
import { UsageError } from "../../common/errors";
import { requestApi } from "../../api";
import { configDefaults } from "../../config/index";
import { readCibFile } from "../../cib";
import { clusterOptionsAt } from "../../scheduler";
import {
  appendHistory, fenceNow, fencerDrivers, findDriver, localFenceRunner, readHistory, runDriverAction, worldFromCib,
  type HistoryRecord,
} from "../../fencer";
import { requireOption, type CommandContext, type ParsedArguments } from "../command";

const HISTORY_FILE_DEFAULT = "/var/lib/edgeha/fence-history.json";
const historyOption = { name: "history", kind: "string" as const, value: "FILE", description: `Use this fence history file instead of the running cluster (offline; the agent keeps the cluster's in ${HISTORY_FILE_DEFAULT}).` };
const socketOption = { name: "socket", kind: "string" as const, value: "PATH", description: `The agent's admin socket (default ${configDefaults.DEFAULT_SOCKET_PATH}).` };
/** stonith_admin's default wait for a fencing to end. */
const FENCE_WAIT_SECONDS_DEFAULT = 120;
const jsonOption = { name: "json", kind: "boolean" as const, description: "Print JSON." };
const cibOption = { name: "cib", kind: "string" as const, value: "FILE", description: "CIB file (Pacemaker XML or edgeha's own) with the stonith resources." };

function print(context: CommandContext, text: string): void {
  context.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
}

function socketOf(args: ParsedArguments): string {
  return typeof args.options.socket === "string" ? args.options.socket : configDefaults.DEFAULT_SOCKET_PATH;
}

/** Who runs the command, as the history names the person behind a request. */
function personName(): string {
  try {
    return userInfo().username || `uid ${process.getuid?.() ?? "?"}`;
  } catch {
    return `uid ${process.getuid?.() ?? "?"}`;
  }
}

/** An answer of the agent to a stonith request: its error as an EdgehaError with the agent's code. */
function agentAnswer(reply: unknown, what: string): { message?: string; record?: HistoryRecord; records?: HistoryRecord[] } {
  const answer = reply as { error?: string; code?: string; message?: string; record?: HistoryRecord; records?: HistoryRecord[] };
  if (typeof answer.error === "string") {
    const code = typeof answer.code === "string" && /^E_[A-Z0-9_]+$/.test(answer.code) ? answer.code : "E_ADMIN_LIVE";
    throw new EdgehaError(code, `${what}: ${answer.error}`);
  }
  return answer;
}

function onePositional(args: ParsedArguments, what: string, usage: string): string {
  if (args.positionals.length !== 1) throw new UsageError(`expected one ${what}`, `usage: edgeha ${usage}`);
  return args.positionals[0]!;
}

function describeRecord(record: HistoryRecord & { client?: string }): string {
  const when = new Date(record.completedAtMs ?? record.requestedAtMs).toISOString();
  const by = record.device ? ` by ${record.device}${record.executor ? ` on ${record.executor}` : ""}` : "";
  const who = record.client ? `${record.client} on ${record.origin}` : record.origin;
  return `${when}  ${record.action} ${record.target}: ${record.state}${by} (origin ${who}) - ${record.reason}`;
}

/**
 * A confirm goes ahead with --force or a person's "yes" at a terminal, as pcs asks: taking
 * a node that still runs for fenced can start its resources twice.
 */
async function confirmedByPerson(args: ParsedArguments, context: CommandContext, target: string): Promise<void> {
  if (args.options.force === true) return;
  const stdin = context.stdin as NodeJS.ReadableStream & { isTTY?: boolean };
  const warning = `${target} will be taken for fenced: its resources start elsewhere at once. If it still runs, or can still reach shared data, they run twice and data may be lost.`;
  if (!stdin.isTTY) throw new UsageError(`refusing to confirm ${target} without --force: ${warning}`, `make sure ${target} is powered off or cut off, then run: edgeha stonith confirm ${target} --force`);
  context.stderr.write(`WARNING: ${warning}\nIs ${target} powered off or cut off from everything it shares? Type yes to confirm: `);
  const lines = createInterface({ input: stdin, terminal: false });
  const answer = await new Promise<string>((resolve) => {
    lines.once("line", resolve);
    lines.once("close", () => resolve(""));
  });
  lines.close();
  if (!/^y(es)?$/i.test(answer.trim())) throw new UsageError(`${target} was not confirmed (the answer was not yes)`, "nothing changed");
}

const stonithListDrivers = {
  words: ["stonith", "list-drivers"],
  summary: "List the built-in fence drivers of this part (scsi, xvm).",
  usage: "[--json]",
  examples: ["stonith list-drivers", "stonith list-drivers --json"],
  options: [jsonOption],
  run(args: ParsedArguments, context: CommandContext): number {
    const drivers = [...fencerDrivers].map(([name, driver]) => ({ name, description: driver.metadata.shortDescription }));
    if (args.options.json) print(context, JSON.stringify(drivers));
    else for (const driver of drivers) print(context, `${driver.name.padEnd(10)} ${driver.description}`);
    return 0;
  },
};

const stonithDescribe = {
  words: ["stonith", "describe"],
  summary: "Show a fence driver's parameters and actions.",
  usage: "DRIVER [--json]",
  examples: ["stonith describe scsi", "stonith describe xvm --json"],
  options: [jsonOption],
  run(args: ParsedArguments, context: CommandContext): number {
    const name = onePositional(args, "driver name", "stonith describe DRIVER");
    if (!fencerDrivers.has(name.replace(/^fence_/, ""))) throw new UsageError(`no fence driver named "${name}"`, `known: ${[...fencerDrivers.keys()].join(", ")}`);
    const metadata = findDriver(name).metadata;
    if (args.options.json) return print(context, JSON.stringify(metadata)), 0;
    print(context, `${metadata.name} - ${metadata.shortDescription}\n\n${metadata.longDescription}\n\nParameters:`);
    for (const parameter of metadata.parameters) {
      const flags = [parameter.required ? "required" : "", parameter.secret ? "secret" : "", parameter.default !== undefined ? `default ${parameter.default}` : ""].filter(Boolean).join(", ");
      print(context, `  ${parameter.name.padEnd(20)} ${parameter.description}${flags ? ` (${flags})` : ""}`);
    }
    print(context, `\nActions: ${metadata.actions.join(", ")}`);
    return 0;
  },
};

const stonithTest = {
  words: ["stonith", "test"],
  summary: "Run a fence device's monitor action (and status of one node with --node).",
  usage: "DEVICE --cib FILE [--node NODE] [--json]",
  examples: ["stonith test fence-vms --cib cib.xml", "stonith test fence-disk --cib cib.xml --node node2"],
  options: [cibOption, { name: "node", kind: "string" as const, value: "NODE", description: "Also ask the device for this node's power state." }, jsonOption],
  async run(args: ParsedArguments, context: CommandContext): Promise<number> {
    const deviceId = onePositional(args, "device id", "stonith test DEVICE --cib FILE");
    // The device runs here: its parameters are resolved for this node, as the local fencer would.
    const world = worldFromCib(readCibFile(requireOption(args, "cib", stonithTest)).cib, undefined, {}, undefined, {}, undefined, hostname());
    const device = world.devices.find((candidate) => candidate.id === deviceId);
    if (!device) throw new UsageError(`no stonith resource "${deviceId}" in the CIB`, `devices: ${world.devices.map((candidate) => candidate.id).join(", ") || "none"}`);
    const results = [{ action: "monitor", ...(await runDriverAction(device, "monitor", undefined, device.actionTimeoutMs)) }];
    const node = typeof args.options.node === "string" ? args.options.node : undefined;
    if (node) results.push({ action: "status", ...(await runDriverAction(device, "status", device.hostMap[node] ?? node, device.actionTimeoutMs)) });
    if (args.options.json) print(context, JSON.stringify(results.map(({ action, ok, message, result }) => ({ action, ok, message, state: result?.state }))));
    else for (const result of results) print(context, `${deviceId} ${result.action}: ${result.ok ? "ok" : "FAILED"} - ${result.message}`);
    return results.every((result) => result.ok) ? 0 : 1;
  },
};

const stonithFence = {
  words: ["stonith", "fence"],
  summary: "Fence a node now through the running cluster's DC (or, with --cib, from this host with the devices of a CIB file).",
  usage: "NODE [--off|--reboot] [--timeout SECONDS] [--socket PATH] [--json] | NODE --cib FILE [--history FILE] [--from NODE]",
  description:
    "On the running cluster the DC fences the node with its devices and topology (as a lost node would be) and the command waits for the end (--timeout, default 120 s). " +
    "The result is in the cluster's fence history (`edgeha stonith history`) on every member, with the person who asked. The DC cannot fence itself: ask from another node once the DC role moved. " +
    "With --cib FILE, the devices of that CIB run from this host and the result goes to --history FILE (the cluster knows nothing of it). " +
    "Delays, as with Pacemaker's stonith_admin: the first device's pcmk_delay_base and pcmk_delay_max apply; priority-fencing-delay (and a pair's default split delay) does not, " +
    "since it only decides the fence race of a split, which the cluster's own fencing of a lost node runs. " +
    "A reboot on a topology level of several devices runs as off on every device, then on on each; it is done once all are off.",
  examples: ["stonith fence node2", "stonith fence node2 --off", "stonith fence node2 --cib cib.xml --off --history /tmp/history.json"],
  options: [
    cibOption, historyOption, socketOption, jsonOption,
    { name: "off", kind: "boolean" as const, description: "Power off (the default is the cluster's stonith-action)." },
    { name: "reboot", kind: "boolean" as const, description: "Reboot." },
    { name: "timeout", kind: "string" as const, value: "SECONDS", description: `How long to wait for the fencing's end (default ${FENCE_WAIT_SECONDS_DEFAULT}).` },
    { name: "from", kind: "string" as const, value: "NODE", description: "With --cib: the node asking (default: this host's name)." },
  ],
  async run(args: ParsedArguments, context: CommandContext): Promise<number> {
    const target = onePositional(args, "node", "stonith fence NODE");
    if (args.options.off && args.options.reboot) throw new UsageError("--off and --reboot exclude each other");
    if (typeof args.options.cib === "string") return fenceOffline(args, context, target);
    if (typeof args.options.history === "string" || typeof args.options.from === "string") throw new UsageError("--history and --from go with --cib FILE (offline)", "on the running cluster the DC keeps the history; drop them, or add --cib FILE");
    const waitSeconds = args.options.timeout === undefined ? FENCE_WAIT_SECONDS_DEFAULT : Number(args.options.timeout);
    if (!Number.isFinite(waitSeconds) || waitSeconds < 1 || waitSeconds > 3600) throw new UsageError(`--timeout ${String(args.options.timeout)} is not a number of seconds from 1 to 3600`);
    const action = args.options.off ? "off" : args.options.reboot ? "reboot" : undefined;
    const request = { command: "stonith-fence", target, client: personName(), timeoutMs: waitSeconds * 1000, ...(action ? { action } : {}) };
    const reply = (await requestApi(socketOf(args), request, waitSeconds * 1000 + 5000)) as { error?: string; code?: string; message?: string; record?: HistoryRecord };
    if (args.options.json) print(context, JSON.stringify(reply));
    else if (reply.record) print(context, describeRecord(reply.record));
    if (typeof reply.error === "string") agentAnswer(reply, `fencing ${target}`);
    if (!args.options.json && !reply.record) print(context, reply.message ?? `${target} was fenced`);
    return 0;
  },
};

async function fenceOffline(args: ParsedArguments, context: CommandContext, target: string): Promise<number> {
  const { cib } = readCibFile(args.options.cib as string);
  const origin = typeof args.options.from === "string" ? args.options.from : hostname();
  // The devices run at the origin: their parameters are resolved for it.
  const world = worldFromCib(cib, undefined, {}, undefined, {}, undefined, origin);
  if (!world.members.includes(target)) throw new UsageError(`node "${target}" is not in the CIB`, `nodes: ${world.members.join(", ")}`);
  const action = args.options.off ? "off" : args.options.reboot ? "reboot" : clusterOptionsAt(cib, { now: Math.floor(Date.now() / 1000) }).options.stonithAction === "off" ? "off" : "reboot";
  const file = typeof args.options.history === "string" ? args.options.history : undefined;
  const record = await fenceNow(world, target, action, origin, localFenceRunner, (entry) => { if (file) appendHistory(file, entry); }, undefined, undefined, { byPerson: true });
  print(context, args.options.json ? JSON.stringify(record) : describeRecord(record));
  return record.state === "done" ? 0 : 1;
}

const stonithConfirm = {
  words: ["stonith", "confirm"],
  summary: "Tell the cluster that a person made sure a node is down: it is taken for fenced and its resources recover at once.",
  usage: "NODE [--force] [--socket PATH] [--json] | NODE --history FILE [--from NODE] [--force]",
  description:
    "For a node that cannot be fenced (its BMC lost power with it): check that it is powered off or cut off from everything it shares, then confirm. " +
    "The DC stops a fencing of the node that still runs, records the confirmation with who made it in the cluster's fence history, and recovers the node's resources. " +
    "In a pair without fencing and without an arbiter it is also how configuration changes go through again after the peer was lost (E_PEER_UNCONFIRMED). " +
    "Asks for yes at a terminal; elsewhere it needs --force. A node that is a member of the cluster is refused: it answers heartbeats, so it is not down. " +
    "With --history FILE it only records the confirmation in that file (offline).",
  examples: ["stonith confirm node2", "stonith confirm node2 --force"],
  options: [historyOption, socketOption, jsonOption, { name: "force", kind: "boolean" as const, description: "Confirm without asking." }, { name: "from", kind: "string" as const, value: "NODE", description: "With --history: who confirms (default: this host's name)." }],
  async run(args: ParsedArguments, context: CommandContext): Promise<number> {
    const target = onePositional(args, "node", "stonith confirm NODE");
    await confirmedByPerson(args, context, target);
    if (typeof args.options.history === "string") {
      const nowMs = Date.now();
      const origin = typeof args.options.from === "string" ? args.options.from : hostname();
      const record: HistoryRecord = { id: `confirm-${nowMs}-${target}`, target, action: "confirm", origin, state: "done", requestedAtMs: nowMs, completedAtMs: nowMs, reason: `${origin} confirmed by hand that ${target} is down` };
      appendHistory(args.options.history, record);
      print(context, args.options.json ? JSON.stringify(record) : describeRecord(record));
      return 0;
    }
    if (typeof args.options.from === "string") throw new UsageError("--from goes with --history FILE (offline)", "on the running cluster the history names the person and the node the command ran on");
    const reply = agentAnswer(await requestApi(socketOf(args), { command: "stonith-confirm", target, client: personName() }, 15_000), `confirming ${target}`);
    print(context, args.options.json ? JSON.stringify(reply) : reply.record ? describeRecord(reply.record) : reply.message ?? `${target} confirmed`);
    return 0;
  },
};

const stonithHistory = {
  words: ["stonith", "history"],
  summary: "Show the cluster's fence history (every member's fencings and confirmations), of one node or all.",
  usage: "[NODE] [--socket PATH] [--json] | [NODE] --history FILE",
  description: "Asks the local agent for its copy of the cluster's fence history, which the DC keeps and sends to every member. With --history FILE, reads that file instead (an agent's own is /var/lib/edgeha/fence-history.json).",
  examples: ["stonith history", "stonith history node2 --json"],
  options: [historyOption, socketOption, jsonOption],
  async run(args: ParsedArguments, context: CommandContext): Promise<number> {
    if (args.positionals.length > 1) throw new UsageError("expected at most one node", "usage: edgeha stonith history [NODE]");
    const node = args.positionals[0];
    const all = typeof args.options.history === "string" ? readHistory(args.options.history) : agentAnswer(await requestApi(socketOf(args), { command: "stonith-history" }, 5000), "reading the fence history").records ?? [];
    const records = all.filter((record) => !node || record.target === node);
    if (args.options.json) print(context, JSON.stringify(records));
    else if (records.length === 0) print(context, node ? `no fencing of ${node} recorded` : "no fencing recorded");
    else for (const record of records) print(context, describeRecord(record));
    return 0;
  },
};

export const stonithCommands: Command[] = [stonithListDrivers, stonithDescribe, stonithTest, stonithFence, stonithConfirm, stonithHistory];
