// Observability commands: `history` (the DC's recorded transitions with their reasons and
// inputs) and `report` (a support bundle gathered through the cluster).
import path from "node:path";
import type { Command } from "../command";
import { writeFileDurably } from "../../common/durable";
import { EdgehaError, UsageError } from "../../common/errors";
import { requestApi } from "../../api";
import { configDefaults, loadConfig } from "../../config";
import { historyOf } from "../../node/recorder";
import { RECORDER_DIRECTORY } from "../../node/observability-paths";

function stateDirOf(options: Record<string, unknown>): string {
  if (typeof options["state-dir"] === "string") return options["state-dir"];
  if (typeof options.config === "string") return loadConfig(options.config).paths.stateDir;
  return configDefaults.DEFAULT_STATE_DIR;
}

function time(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(".000Z", "Z");
}

const historyCommand: Command = {
  words: ["history"],
  summary: "List the transitions this node planned as DC, with their reasons and recorded inputs",
  usage: "[--state-dir DIR | --config FILE] [--limit N] [--json]",
  description: "Reads the flight recorder of this node's state directory (DIR/pe): every scheduler run the node made as DC, with the time, the reason it ran, the steps it planned and the file that `edgeha simulate --input FILE` replays. Run it on the DC (or on the node that was DC at the time); `edgeha report` gathers every node's.",
  examples: ["history", "history --limit 5 --json", "history --state-dir /var/lib/edgeha"],
  options: [
    { name: "state-dir", kind: "string", value: "DIR", description: `The agent's state directory (default ${configDefaults.DEFAULT_STATE_DIR}, or the config's).` },
    { name: "config", kind: "string", value: "FILE", description: "Take the state directory from this config." },
    { name: "limit", kind: "number", value: "N", description: "Only the last N transitions (default 20)." },
    { name: "json", kind: "boolean", description: "Print JSON." },
  ],
  run(args, context) {
    const limit = typeof args.options.limit === "number" ? args.options.limit : 20;
    if (!Number.isInteger(limit) || limit < 1 || limit > 100_000) throw new UsageError(`--limit must be a whole number from 1 to 100000, not ${limit}`);
    const directory = path.join(stateDirOf(args.options), RECORDER_DIRECTORY);
    const listing = historyOf(directory).slice(-limit);
    if (args.options.json) {
      context.stdout.write(`${JSON.stringify(listing)}\n`);
      return 0;
    }
    if (listing.length === 0) {
      context.stdout.write(`no recorded transitions in ${directory} (only the DC records them)\n`);
      return 0;
    }
    for (const entry of listing) {
      context.stdout.write(`${time(entry.nowSeconds)}  transition ${entry.transition} by ${entry.dc}: ${entry.reason}\n`);
      for (const step of entry.steps) context.stdout.write(`    ${step}\n`);
      if (entry.steps.length === 0) context.stdout.write("    (nothing to do)\n");
      context.stdout.write(`    input: ${entry.file}\n`);
    }
    return 0;
  },
};

function parseFrom(text: string | undefined, nowSeconds: number): number {
  if (text === undefined) return nowSeconds - 86_400;
  const relative = /^(\d+)\s*(s|m|h|d)$/.exec(text.trim());
  if (relative) return nowSeconds - Number(relative[1]) * { s: 1, m: 60, h: 3600, d: 86_400 }[relative[2] as "s" | "m" | "h" | "d"];
  const absolute = Date.parse(text);
  if (Number.isNaN(absolute)) throw new UsageError(`--from '${text}' is neither a time (2026-12-06T09:00:00Z, "2026-12-06 09:00") nor an age (30m, 2h, 1d)`);
  return Math.floor(absolute / 1000);
}

const reportCommand: Command = {
  words: ["report"],
  summary: "Gather a support bundle (tar.gz) from every reachable member, through the cluster",
  usage: "[--from TIME] [-o FILE] [--socket PATH] [--json]",
  description: "The local agent asks every member of its partition for its part over the cluster's own links (no ssh): its log for the window, CIB, recorded scheduler inputs, fence history, membership and versions, node facts. Passwords, keys and passwd_script output are blanked on each node before they leave it; the authkey is never included. summary.txt in the bundle names the members that could not be reached.",
  examples: ["report", "report --from 2h -o /tmp/cluster.tar.gz", "report --from \"2026-12-06 09:00\" --json"],
  options: [
    { name: "from", kind: "string", value: "TIME", description: "Start of the window: a time, or an age like 30m, 2h, 1d (default 1d)." },
    { name: "output", short: "o", kind: "string", value: "FILE", description: "Where to write the bundle (default edgeha-report-TIME.tar.gz here)." },
    { name: "socket", kind: "string", value: "PATH", description: `Admin socket of the local agent (default ${configDefaults.DEFAULT_SOCKET_PATH}).` },
    { name: "json", kind: "boolean", description: "Print the outcome as JSON." },
  ],
  async run(args, context) {
    const nowSeconds = Math.floor(Date.now() / 1000);
    const fromSeconds = parseFrom(typeof args.options.from === "string" ? args.options.from : undefined, nowSeconds);
    const socket = typeof args.options.socket === "string" ? args.options.socket : configDefaults.DEFAULT_SOCKET_PATH;
    const reply = (await requestApi(socket, { command: "report", fromSeconds }, 60_000)) as { ok?: boolean; bundle?: string; answered?: string[]; unreachable?: Array<{ node: string; reason: string }>; error?: string; code?: string };
    if (!reply.ok || typeof reply.bundle !== "string") throw new EdgehaError(reply.code && /^E_[A-Z0-9_]+$/.test(reply.code) ? reply.code : "E_API_REQUEST", `report: ${reply.error ?? "the agent's reply was not understood"}`);
    const file = typeof args.options.output === "string" ? args.options.output : `edgeha-report-${new Date(nowSeconds * 1000).toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z")}.tar.gz`;
    try {
      writeFileDurably(file, Buffer.from(reply.bundle, "base64"), { mode: 0o600 });
    } catch (error) {
      throw new EdgehaError("E_REPORT_WRITE", `cannot write the report to ${file}: ${(error as Error).message}`);
    }
    const outcome = { ok: true, file, answered: reply.answered ?? [], unreachable: reply.unreachable ?? [] };
    if (args.options.json) context.stdout.write(`${JSON.stringify(outcome)}\n`);
    else {
      context.stdout.write(`wrote ${file}: parts from ${outcome.answered.join(", ")}\n`);
      for (const each of outcome.unreachable) context.stdout.write(`could not reach ${each.node}: ${each.reason}\n`);
    }
    return 0;
  },
};

export const observeCommands: Command[] = [historyCommand, reportCommand];
