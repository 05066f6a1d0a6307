// Observability commands: `history` (the DC's recorded transitions with their reasons and
// inputs) and `report` (a support bundle gathered through the cluster).
import path from "node:path";
import type { Command } from "../command";
import { UsageError } from "../../common/errors";
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

export const observeCommands: Command[] = [historyCommand];
