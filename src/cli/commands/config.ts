// Commands for the bootstrap config and the authkey: config check, config explain, keygen.
import { UsageError } from "../../common/errors";
import type { Command, CommandContext, ParsedArguments } from "../command";
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
    "Prints heartbeat, token, consensus and join times (from FILE, or the built-in defaults when no FILE is given), whether each was set or defaulted, and the worst-case failover budget: detect (from the timing) + fence + start (which depend on the fence devices and resource agents in the CIB).",
  examples: ["config explain /etc/edgeha/edgeha.yaml", "config explain"],
  options: [{ name: "json", kind: "boolean", description: "Print the timing and the budget as JSON." }],
  run(args, context) {
    const file = oneFile(args, "config explain", false);
    const defaultsTiming = () => {
      const heartbeatMs = configDefaults.DEFAULT_HEARTBEAT_MS;
      const tokenMs = configDefaults.defaultTokenMs(heartbeatMs);
      return { heartbeatMs, tokenMs, consensusMs: configDefaults.defaultConsensusMs(tokenMs), joinMs: configDefaults.DEFAULT_JOIN_MS };
    };
    let timing = defaultsTiming();
    const explicit = new Set<string>();
    if (file !== undefined) {
      const check = checkConfigFile(file, { checkFiles: false });
      if (!check.config) {
        printProblems(check, context);
        context.stdout.write(`${file}: not valid; fix the errors above to explain its timing\n`);
        return 1;
      }
      timing = check.config.timing;
      for (const key of ["heartbeat_ms", "token_ms", "consensus_ms", "join_ms"]) if (check.positions.has(`timing.${key}`)) explicit.add(key);
    }
    const budget = failoverBudget(timing, explicit);
    if (args.options.json) {
      context.stdout.write(`${JSON.stringify({ file: file ?? null, ...budget }, null, 2)}\n`);
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

export const configCommands: Command[] = [configCheck, configExplain, keygen];
