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

// ---- stonith: the fencer's commands (devices from a CIB, local history for now) ----
// They run locally against a CIB file and a history file. When the agent runs,
// the same requests will go over the admin socket to the fencer of the DC; the
// planner, runner and history shapes are the ones used here.
import { hostname } from "node:os";
import { UsageError } from "../../common/errors";
import { readCibFile } from "../../cib";
import {
  appendHistory, fenceNow, fencerDrivers, findDriver, localFenceRunner, readHistory, runDriverAction, worldFromCib,
  type HistoryRecord,
} from "../../fencer";
import { requireOption, type CommandContext, type ParsedArguments } from "../command";

const HISTORY_FILE_DEFAULT = "/var/lib/edgeha/fence-history.json";
const historyOption = { name: "history", kind: "string" as const, value: "FILE", description: `Fence history file (default ${HISTORY_FILE_DEFAULT}).` };
const jsonOption = { name: "json", kind: "boolean" as const, description: "Print JSON." };
const cibOption = { name: "cib", kind: "string" as const, value: "FILE", description: "CIB file (Pacemaker XML or edgeha's own) with the stonith resources." };

function print(context: CommandContext, text: string): void {
  context.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
}

function historyFile(args: ParsedArguments): string {
  return typeof args.options.history === "string" ? args.options.history : HISTORY_FILE_DEFAULT;
}

function onePositional(args: ParsedArguments, what: string, usage: string): string {
  if (args.positionals.length !== 1) throw new UsageError(`expected one ${what}`, `usage: edgeha ${usage}`);
  return args.positionals[0]!;
}

function describeRecord(record: HistoryRecord): string {
  const when = new Date(record.completedAtMs ?? record.requestedAtMs).toISOString();
  const by = record.device ? ` by ${record.device}${record.executor ? ` on ${record.executor}` : ""}` : "";
  return `${when}  ${record.action} ${record.target}: ${record.state}${by} (origin ${record.origin}) - ${record.reason}`;
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
    const world = worldFromCib(readCibFile(requireOption(args, "cib", stonithTest)).cib);
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
  summary: "Fence a node with the devices and topology of a CIB, and record it in the history.",
  usage: "NODE --cib FILE [--off|--reboot] [--from NODE] [--history FILE] [--json]",
  examples: ["stonith fence node2 --cib cib.xml --off"],
  options: [
    cibOption, historyOption, jsonOption,
    { name: "off", kind: "boolean" as const, description: "Power off (the default is the cluster's stonith-action)." },
    { name: "reboot", kind: "boolean" as const, description: "Reboot." },
    { name: "from", kind: "string" as const, value: "NODE", description: "The node asking (default: this host's name)." },
  ],
  async run(args: ParsedArguments, context: CommandContext): Promise<number> {
    const target = onePositional(args, "node", "stonith fence NODE --cib FILE");
    if (args.options.off && args.options.reboot) throw new UsageError("--off and --reboot exclude each other");
    const { cib } = readCibFile(requireOption(args, "cib", stonithFence));
    const world = worldFromCib(cib);
    if (!world.members.includes(target)) throw new UsageError(`node "${target}" is not in the CIB`, `nodes: ${world.members.join(", ")}`);
    const action = args.options.off ? "off" : args.options.reboot ? "reboot" : cib.properties.some((set) => set.values["stonith-action"] === "off") ? "off" : "reboot";
    const origin = typeof args.options.from === "string" ? args.options.from : hostname();
    const file = historyFile(args);
    const record = await fenceNow(world, target, action, origin, localFenceRunner, (entry) => appendHistory(file, entry));
    print(context, args.options.json ? JSON.stringify(record) : describeRecord(record));
    return record.state === "done" ? 0 : 1;
  },
};

const stonithConfirm = {
  words: ["stonith", "confirm"],
  summary: "Record that a person made sure a node is down (its resources may then be recovered).",
  usage: "NODE [--history FILE]",
  description: "Use only after checking that the node is powered off or cut off from shared resources: the cluster will act as if it was fenced.",
  examples: ["stonith confirm node2"],
  options: [historyOption, { name: "from", kind: "string" as const, value: "NODE", description: "Who confirms (default: this host's name)." }],
  run(args: ParsedArguments, context: CommandContext): number {
    const target = onePositional(args, "node", "stonith confirm NODE");
    const nowMs = Date.now();
    const origin = typeof args.options.from === "string" ? args.options.from : hostname();
    const record: HistoryRecord = { id: `confirm-${nowMs}-${target}`, target, action: "confirm", origin, state: "done", requestedAtMs: nowMs, completedAtMs: nowMs, reason: `${origin} confirmed by hand that ${target} is down` };
    appendHistory(historyFile(args), record);
    print(context, describeRecord(record));
    return 0;
  },
};

const stonithHistory = {
  words: ["stonith", "history"],
  summary: "Show the fence history, of one node or all.",
  usage: "[NODE] [--history FILE] [--json]",
  examples: ["stonith history", "stonith history node2 --json"],
  options: [historyOption, jsonOption],
  run(args: ParsedArguments, context: CommandContext): number {
    if (args.positionals.length > 1) throw new UsageError("expected at most one node", "usage: edgeha stonith history [NODE]");
    const node = args.positionals[0];
    const records = readHistory(historyFile(args)).filter((record) => !node || record.target === node);
    if (args.options.json) print(context, JSON.stringify(records));
    else if (records.length === 0) print(context, node ? `no fencing of ${node} recorded` : "no fencing recorded");
    else for (const record of records) print(context, describeRecord(record));
    return 0;
  },
};

export const stonithCommands: Command[] = [stonithListDrivers, stonithDescribe, stonithTest, stonithFence, stonithConfirm, stonithHistory];
