// Commands for the bootstrap config and the authkey: config check, config explain,
// keygen; and for the cluster configuration: config show, export, import, apply.
import { writeFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { configurationOf, CONFIGURATION_SECTIONS, describeChanges, redactSecrets, renderConfiguration, replaceConfiguration, type ConfigurationSection } from "../../admin";
import { CIB_FILE_BYTES_MAX, readCibFile, type Cib } from "../../cib";
import { readBoundedText } from "../../common/bounded-read";
import { UsageError } from "../../common/errors";
import type { Command, CommandContext, ParsedArguments } from "../command";
import { type CibTarget, fileOption, forceOption, formatCibFor, socketOption, targetFor, thisHalfOnlyOption } from "./admin-target";
import { failoverPath, measureFailoverSteps } from "../../node/failover-measure";
import {
  type BootstrapConfig,
  type ConfigCheck,
  checkConfigFile,
  configDefaults,
  countBySeverity,
  failoverBudget,
  formatProblem,
  renderFailoverBudget,
  writeAuthkey,
} from "../../config/index";

function oneFile(args: ParsedArguments, commandWords: string, required: boolean): string | undefined {
  if (args.positionals.length > 1) {
    throw new UsageError(`'edgeha ${commandWords}' takes one FILE, not ${args.positionals.length}`, `Run 'edgeha ${commandWords} --help'.`);
  }
  const file = args.positionals[0];
  if (required && file === undefined) throw new UsageError(`'edgeha ${commandWords}' needs a FILE`, `Example: edgeha ${commandWords} ${configDefaults.DEFAULT_CONFIG_PATH}`);
  return file;
}

function summary(config: BootstrapConfig): string {
  const links = config.nodes[0]?.links.length ?? 0;
  const parts = [`cluster '${config.clusterName}'`, `${config.nodes.length} nodes`, `${links} ${links === 1 ? "link" : "links"} each`];
  if (config.quorum.twoNode) parts.push("two_node");
  if (config.quorum.arbiter) parts.push(`arbiter ${formatArbiter(config)}`);
  parts.push(`crypto ${config.transport.crypto ? "on" : "off"}`);
  return parts.join(", ");
}

function formatArbiter(config: BootstrapConfig): string {
  const arbiter = config.quorum.arbiter!;
  return arbiter.host.includes(":") ? `[${arbiter.host}]:${arbiter.port}` : `${arbiter.host}:${arbiter.port}`;
}

function printProblems(check: ConfigCheck, context: CommandContext): void {
  for (const problem of check.problems) context.stdout.write(`${formatProblem(check.fileName, problem)}\n`);
}

function checkJson(check: ConfigCheck): string {
  const counts = countBySeverity(check.problems);
  const document = { file: check.fileName, valid: check.config !== undefined, ...counts, problems: check.problems, config: check.config ?? null };
  return `${JSON.stringify(document, null, 2)}\n`;
}

const configCheck: Command = {
  words: ["config", "check"],
  summary: "Check a bootstrap config and print every problem as FILE:LINE:COLUMN: message.",
  usage: "FILE [--json] [--no-files]",
  description: `Reads the YAML bootstrap config (normally ${configDefaults.DEFAULT_CONFIG_PATH}) and reports every problem at once: unknown keys (with a suggestion), wrong types, missing keys, duplicate node names, ids or addresses, nodes with different numbers of links, quorum and timing settings that contradict each other, and a missing or unsafe authkey. Warnings are marked 'warning:'. Exit status 1 when there is an error, 0 otherwise.`,
  examples: ["config check /etc/edgeha/edgeha.yaml", "config check edgeha.yaml --no-files --json"],
  options: [
    { name: "json", kind: "boolean", description: "Print the problems and the normalized config (all defaults filled in) as JSON." },
    { name: "no-files", kind: "boolean", description: "Check only the text: do not look at the authkey the config names." },
  ],
  run(args, context) {
    const file = oneFile(args, "config check", true)!;
    const check = checkConfigFile(file, { checkFiles: args.options["no-files"] !== true });
    const counts = countBySeverity(check.problems);
    if (args.options.json) {
      context.stdout.write(checkJson(check));
      return counts.errors > 0 ? 1 : 0;
    }
    printProblems(check, context);
    if (check.config) {
      const warnings = counts.warnings > 0 ? ` (${counts.warnings} ${counts.warnings === 1 ? "warning" : "warnings"})` : "";
      context.stdout.write(`${file}: OK: ${summary(check.config)}${warnings}\n`);
      return 0;
    }
    context.stdout.write(`${file}: ${counts.errors} ${counts.errors === 1 ? "error" : "errors"}, ${counts.warnings} ${counts.warnings === 1 ? "warning" : "warnings"}\n`);
    return 1;
  },
};

const configExplain: Command = {
  words: ["config", "explain"],
  summary: "Show the effective timing and the failover budget it adds up to.",
  usage: "[FILE] [--json]",
  description:
    "Prints heartbeat, token, consensus, join and echo times (from FILE, or the built-in defaults when no FILE is given), whether each was set or defaulted, and the failover budget after a power loss, step by step in the order the code takes them, each with where its figure comes from: detect (from the timing), elect (election, join and the scheduler run: no timer, CPU time measured on the testbed), fence (the device's power reads: the pair's priority delay is skipped when the first read says off; a live node is read again after the IPMI poll waits), then each start of the longest group in group order (an address's duplicate address detection is skipped after a device fenced its former holder). Fence and starts depend on the fence devices and resource agents in the CIB, so they are taken from what this node measured: the median of the fencing in its fence history and of the starts in the scheduler inputs its flight recorder kept (the state directory: FILE's paths.state_dir, or --state-dir). On a node that has measured nothing they are shown as open.",
  examples: ["config explain /etc/edgeha/edgeha.yaml", "config explain", "config explain --state-dir /var/lib/edgeha --json"],
  options: [
    { name: "json", kind: "boolean", description: "Print the timing and the budget as JSON." },
    { name: "state-dir", kind: "string", value: "DIR", description: "Read measured fencing and starts from this state directory (default: FILE's paths.state_dir; none without FILE)." },
  ],
  run(args, context) {
    const file = oneFile(args, "config explain", false);
    const defaultsTiming = () => {
      const heartbeatMs = configDefaults.DEFAULT_HEARTBEAT_MS;
      const tokenMs = configDefaults.defaultTokenMs(heartbeatMs);
      return { heartbeatMs, tokenMs, consensusMs: configDefaults.defaultConsensusMs(tokenMs), joinMs: configDefaults.DEFAULT_JOIN_MS, echoMs: configDefaults.DEFAULT_ECHO_MS };
    };
    let timing = defaultsTiming();
    let stateDir = typeof args.options["state-dir"] === "string" ? args.options["state-dir"] : undefined;
    const explicit = new Set<string>();
    if (file !== undefined) {
      const check = checkConfigFile(file, { checkFiles: false });
      if (!check.config) {
        printProblems(check, context);
        context.stdout.write(`${file}: not valid; fix the errors above to explain its timing\n`);
        return 1;
      }
      timing = check.config.timing;
      for (const key of ["heartbeat_ms", "token_ms", "consensus_ms", "join_ms", "echo_ms"]) if (check.positions.has(`timing.${key}`)) explicit.add(key);
      stateDir ??= check.config.paths.stateDir;
    }
    const measured = stateDir === undefined ? {} : measureFailoverSteps(stateDir);
    const budget = failoverBudget(timing, explicit, measured, failoverPath());
    if (args.options.json) {
      context.stdout.write(`${JSON.stringify({ file: file ?? null, stateDir: stateDir ?? null, ...budget, measured }, null, 2)}\n`);
      return 0;
    }
    context.stdout.write(renderFailoverBudget(budget, file ?? "built-in defaults; pass FILE to explain a config"));
    return 0;
  },
};

const keygen: Command = {
  words: ["keygen"],
  summary: "Write a new random authkey (mode 0600) to copy to every node.",
  usage: "[-o FILE] [--force]",
  description: `Writes ${configDefaults.AUTHKEY_BYTES} random bytes to FILE (default ${configDefaults.DEFAULT_AUTHKEY_PATH}) with mode 0600, atomically: a crash leaves either the old state or a whole new key. Refuses to replace an existing key unless --force is given. Copy the same file to every node over a secure channel (e.g. scp -p). The key is never printed.`,
  examples: ["keygen", "keygen -o /tmp/authkey --force"],
  options: [
    { name: "output", short: "o", kind: "string", value: "FILE", description: `Where to write the key (default ${configDefaults.DEFAULT_AUTHKEY_PATH}).` },
    { name: "force", kind: "boolean", description: "Replace an existing key." },
  ],
  run(args, context) {
    if (args.positionals.length > 0) throw new UsageError(`'edgeha keygen' takes no arguments; name the file with -o FILE`, "Run 'edgeha keygen --help'.");
    const file = (args.options.output as string | undefined) ?? configDefaults.DEFAULT_AUTHKEY_PATH;
    if (file === "") throw new UsageError("-o needs a file name");
    const written = writeAuthkey(file, { overwrite: args.options.force === true });
    context.stdout.write(`wrote a new ${written.sizeBytes}-byte authkey to ${written.file} (mode 0600); copy it to every node\n`);
    return 0;
  },
};


// ---- The cluster configuration (the CIB's configuration sections): show, export, import, apply ----
// Like the admin commands, these read and write a CIB file (-f FILE, or --cib FILE
// for apply, whose -f names the desired configuration) or the running cluster.

function readDesired(file: string): { cib: Cib; sections: ConfigurationSection[]; ignored: string[] } {
  const { cib, format, warnings } = readCibFile(file);
  if (format === "xml") return { cib, sections: [...CONFIGURATION_SECTIONS], ignored: warnings };
  // A section the file leaves out stays as it is (nodes, above all, are added as they join).
  let data: unknown;
  try {
    const text = readBoundedText(file, CIB_FILE_BYTES_MAX, { readCode: "E_CIB_READ", tooLargeCode: "E_CIB_TOO_LARGE", what: "CIB file" });
    data = /\.ya?ml$/i.test(file) ? parseYaml(text) : JSON.parse(text);
  } catch {
    data = {};
  }
  const keys = data !== null && typeof data === "object" ? Object.keys(data) : [];
  const sections = CONFIGURATION_SECTIONS.filter((section) => keys.includes(section));
  const ignored = keys.filter((key) => ["version", "status", "attributes"].includes(key)).map((key) => `'${key}' in ${file} is not configuration and was ignored`);
  return { cib, sections, ignored };
}

function writeOutcome(context: CommandContext, args: ParsedArguments, outcome: { changes: string[]; warnings: string[]; changed: boolean; version: string; dryRun: boolean }): number {
  if (args.options.json) {
    context.stdout.write(`${JSON.stringify({ ok: true, ...outcome })}\n`);
    return 0;
  }
  for (const warning of outcome.warnings) context.stderr.write(`warning: ${warning}\n`);
  context.stdout.write(outcome.changes.length === 0 ? "no differences\n" : `${outcome.changes.join("\n")}\n`);
  if (outcome.dryRun) context.stdout.write(`dry run: nothing was changed (CIB version ${outcome.version})\n`);
  else context.stdout.write(outcome.changed ? `applied as one change: CIB version ${outcome.version}\n` : `nothing changed (CIB version ${outcome.version})\n`);
  return 0;
}

async function replaceFrom(args: ParsedArguments, context: CommandContext, desiredFile: string, target: CibTarget): Promise<number> {
  const desired = readDesired(desiredFile);
  const dryRun = args.options["dry-run"] === true;
  if (dryRun) {
    const { cib, version } = await target.read();
    const result = replaceConfiguration(cib, desired.cib, desired.sections);
    return writeOutcome(context, args, { changes: describeChanges(cib, result.cib), warnings: [...desired.ignored, ...result.warnings], changed: false, version, dryRun });
  }
  let changes: string[] = [];
  const { result, version } = await target.change((cib) => {
    const next = replaceConfiguration(cib, desired.cib, desired.sections);
    changes = describeChanges(cib, next.cib);
    return next;
  });
  return writeOutcome(context, args, { changes, warnings: [...desired.ignored, ...result.warnings], changed: result.changed, version, dryRun });
}

const configShow: Command = {
  words: ["config", "show"],
  summary: "Show the cluster configuration: nodes, resources, fence devices and levels, constraints, properties.",
  usage: "[-f FILE | --socket PATH] [--json]",
  examples: ["config show", "config show -f cib.json --json"],
  options: [fileOption, socketOption, { name: "json", kind: "boolean", description: "Print the configuration sections and the version as JSON." }],
  async run(args, context) {
    const { cib, version } = await targetFor(args).read();
    // Secrets (device passwords) are shown as asterisks; `config export` writes the configuration whole.
    context.stdout.write(args.options.json ? `${JSON.stringify({ version, ...configurationOf(redactSecrets(cib)) })}\n` : renderConfiguration(cib));
    return 0;
  },
};

const configExport: Command = {
  words: ["config", "export"],
  summary: "Write the whole CIB as native JSON, YAML or Pacemaker XML (the format of -o FILE's extension, or --format).",
  usage: "[-o OUT] [--format json|yaml|xml] [-f FILE | --socket PATH]",
  description: "Edit the export and give it to `edgeha config apply` to change the configuration declaratively.",
  examples: ["config export -o cluster.yaml", "config export --format xml -f cib.json"],
  options: [
    { name: "output", short: "o", kind: "string", value: "OUT", description: "Write to OUT instead of standard output." },
    { name: "format", kind: "string", value: "FORMAT", description: "json, yaml or xml (default: from OUT's extension, else json)." },
    fileOption, socketOption,
  ],
  async run(args, context) {
    const { cib } = await targetFor(args).read();
    const output = typeof args.options.output === "string" ? args.options.output : undefined;
    const format = typeof args.options.format === "string" ? args.options.format : output?.match(/\.(ya?ml|xml|json)$/i)?.[1]?.toLowerCase().replace("yml", "yaml") ?? "json";
    if (!["json", "yaml", "xml"].includes(format)) throw new UsageError(`--format must be json, yaml or xml, not '${format}'`);
    const text = formatCibFor(format === "yaml" ? "out.yaml" : "out.json", cib, format === "xml" ? "xml" : "native");
    if (output) writeFileSync(output, text);
    else context.stdout.write(text);
    return 0;
  },
};

const configImport: Command = {
  words: ["config", "import"],
  summary: "Replace the configuration with a Pacemaker CIB XML file's (or a native file's), as one versioned change.",
  usage: "FILE.xml [--dry-run] [-f FILE | --socket PATH] [--json]",
  description: "Prints what changes first (+ added, ~ changed, - removed), then applies it. The status section stays as it is. Elements outside edgeha's scope are listed as warnings.",
  examples: ["config import cluster.xml --dry-run", "config import cluster.xml -f cib.json"],
  options: [{ name: "dry-run", kind: "boolean", description: "Only print what would change." }, fileOption, socketOption, { name: "json", kind: "boolean", description: "Print the changes and the outcome as JSON." }, forceOption, thisHalfOnlyOption],
  async run(args, context) {
    if (args.positionals.length !== 1) throw new UsageError("'edgeha config import' needs one FILE", "Run 'edgeha config import --help'.");
    return replaceFrom(args, context, args.positionals[0]!, targetFor(args));
  },
};

const configApply: Command = {
  words: ["config", "apply"],
  summary: "Make the configuration what a YAML/JSON file says (declarative), as one versioned change, diff shown first.",
  usage: "-f FILE.yaml [--dry-run] [--cib CIBFILE | --socket PATH] [--json]",
  description: "FILE holds the desired configuration in the native form (docs/cib.schema.json): properties, nodes, resources, constraints, rscDefaults, opDefaults, fencingTopology. Each section the file names replaces the current one; a section it leaves out stays as it is. version and status in the file are ignored. --cib edits a CIB file offline instead of the running cluster.",
  examples: ["config apply -f cluster.yaml --dry-run", "config apply -f cluster.yaml --cib cib.json"],
  options: [
    { name: "file", short: "f", kind: "string", value: "FILE", description: "The desired configuration (YAML or JSON; may also be given as the only argument)." },
    { name: "cib", kind: "string", value: "CIBFILE", description: "Apply to this CIB file offline instead of the running cluster." },
    { name: "dry-run", kind: "boolean", description: "Only print what would change." },
    socketOption, { name: "json", kind: "boolean", description: "Print the changes and the outcome as JSON." }, forceOption, thisHalfOnlyOption,
  ],
  async run(args, context) {
    const desired = typeof args.options.file === "string" ? args.options.file : args.positionals[0];
    if (desired === undefined || args.positionals.length > (typeof args.options.file === "string" ? 0 : 1)) {
      throw new UsageError("'edgeha config apply' needs one desired configuration: -f FILE.yaml", "Run 'edgeha config apply --help'.");
    }
    return replaceFrom(args, context, desired, targetFor(args, "cib"));
  },
};

export const configCommands: Command[] = [configCheck, configExplain, keygen, configShow, configExport, configImport, configApply];
