// Entry point of the `edgeha` executable: finds the command named by argv and
// runs it. Expected failures print one line (never a stack trace); usage mistakes
// exit 2, other failures exit 1 unless the command says otherwise.
import "./agent-flags";
import { isEdgehaError, UsageError, AssertionFailure } from "../common/errors";
import { didYouMean } from "../common/suggest";
import { type Command, type CommandContext, commandName, parseArguments, renderCommandHelp } from "./command";
import { VERSION } from "./version";
import { remedyFor } from "../common/remedies";

export interface Resolved {
  command: Command;
  rest: string[];
}

/** Options pcs users write before the command (`pcs -f FILE ...`), taken as if they came after it. */
const LEADING_OPTIONS_WITH_VALUE = new Set(["-f", "--file"]);
const LEADING_FLAGS = new Set(["--force", "--json", "--debug"]);

export function leadingOptions(argv: readonly string[]): { leading: string[]; words: string[] } {
  const leading: string[] = [];
  let index = 0;
  for (; index < argv.length; index++) {
    const word = argv[index]!;
    if (LEADING_OPTIONS_WITH_VALUE.has(word) && index + 1 < argv.length) leading.push(word, argv[++index]!);
    else if (/^(-f.+|--file=.+)$/.test(word) || LEADING_FLAGS.has(word)) leading.push(word);
    else break;
  }
  // --debug is pcs's; edgeha has EDGEHA_DEBUG instead, so it is accepted and dropped.
  return { leading: leading.filter((word) => word !== "--debug"), words: argv.slice(index) };
}

/**
 * pcs takes its global -f FILE anywhere on the line, between the command words too
 * (`pcs resource -f cfg create ...`). The words without every -f FILE (before a `--`), and
 * the -f options taken out, to be used when they name a longer command than the words as given.
 */
export function fileOptionsAmongWords(words: readonly string[]): { words: string[]; moved: string[] } {
  const kept: string[] = [];
  const moved: string[] = [];
  for (let index = 0; index < words.length; index++) {
    const word = words[index]!;
    if (word === "--") {
      kept.push(...words.slice(index));
      break;
    }
    if (LEADING_OPTIONS_WITH_VALUE.has(word) && index + 1 < words.length) moved.push(word, words[++index]!);
    else if (/^(-f.+|--file=.+)$/.test(word)) moved.push(word);
    else kept.push(word);
  }
  return { words: kept, moved };
}

/** Finds the command with the longest matching run of leading words. */
export function resolveCommand(argv: readonly string[], commands: readonly Command[]): Resolved | undefined {
  let best: Resolved | undefined;
  for (const command of commands) {
    const words = command.words;
    if (words.length > argv.length) continue;
    if (!words.every((word, index) => argv[index] === word)) continue;
    if (!best || words.length > best.command.words.length) best = { command, rest: argv.slice(words.length) };
  }
  return best;
}

export function renderGeneralHelp(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((command) => commandName(command).length)) + 2;
  const lines = [
    `edgeha ${VERSION}: a high-availability cluster agent for small clusters of appliances.`,
    "",
    "Usage: edgeha COMMAND [ARGUMENTS] [--json] [--help]",
    "",
    "Commands:",
    ...commands.map((command) => `  ${commandName(command).padEnd(width)}${command.summary}`),
    "",
    "Run 'edgeha COMMAND --help' for a command's options and an example.",
    "Example: edgeha config check /etc/edgeha/edgeha.yaml",
  ];
  return `${lines.join("\n")}\n`;
}

function unknownCommand(argv: readonly string[], commands: readonly Command[]): UsageError {
  const groups = new Set(commands.map((command) => command.words[0]!));
  const first = argv[0]!;
  if (groups.has(first)) {
    const subcommands = commands.filter((command) => command.words[0] === first && command.words.length > 1);
    const sub = argv[1];
    const names = subcommands.map((command) => command.words.slice(1).join(" "));
    const what = sub === undefined ? `'edgeha ${first}' needs a subcommand` : `unknown command 'edgeha ${first} ${sub}'${didYouMean(sub, names)}`;
    return new UsageError(what, `Subcommands: ${names.join(", ")}. Run 'edgeha ${first} SUBCOMMAND --help'.`);
  }
  return new UsageError(`unknown command '${first}'${didYouMean(first, groups)}`, "Run 'edgeha --help' to list the commands.");
}

/**
 * The commands, loaded on demand: the long-running agent loads only its own area, so the
 * modules of every other command (parsers, schema validators, ...) never take memory in it.
 */
async function loadCommands(argv: readonly string[]): Promise<readonly Command[]> {
  if (argv[0] === "agent") return (await import("./commands/cluster")).clusterCommands;
  return (await import("./registry")).allCommands();
}

export async function runCli(argv: readonly string[], context: CommandContext, given?: readonly Command[]): Promise<number> {
  try {
    const commands = given ?? (await loadCommands(argv));
    if (argv.length === 0 || argv[0] === "--help" || argv[0] === "-h" || argv[0] === "help") {
      const topic = argv[0] === "help" ? argv.slice(1) : [];
      const resolved = topic.length > 0 ? resolveCommand(topic, commands) : undefined;
      context.stdout.write(resolved ? renderCommandHelp(resolved.command) : renderGeneralHelp(commands));
      return argv.length === 0 ? 2 : 0;
    }
    if (argv[0] === "--version" || argv[0] === "-V" || argv[0] === "version") {
      context.stdout.write(`edgeha ${VERSION}\n`);
      return 0;
    }
    const { leading, words } = leadingOptions(argv);
    if (words.length === 0 || words[0]!.startsWith("-")) {
      throw new UsageError(`unknown option '${words[0] ?? argv[0]}'`, "Options come after the command (pcs's -f FILE, --force and --json may also come before it): run 'edgeha --help'.");
    }
    let resolved = resolveCommand(words, commands);
    const withoutFile = fileOptionsAmongWords(words);
    if (withoutFile.moved.length > 0) {
      const between = resolveCommand(withoutFile.words, commands);
      if (between && between.command.words.length > (resolved?.command.words.length ?? 0)) {
        resolved = between;
        leading.push(...withoutFile.moved);
      }
    }
    if (!resolved) throw unknownCommand(words, commands);
    const { command } = resolved;
    // Options given before the command (pcs -f FILE resource create ...) act as if after it.
    const rest = [...resolved.rest, ...leading];
    if (rest.includes("--help") || rest.includes("-h")) {
      context.stdout.write(renderCommandHelp(command));
      return 0;
    }
    const args = parseArguments(rest, command);
    return await command.run(args, context);
  } catch (error) {
    return wantsJson(argv) ? reportJsonError(error, context) : reportError(error, context);
  }
}

/** `--json` anywhere after the command words asks for JSON, errors included. */
function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf("--");
  return (end === -1 ? argv : argv.slice(0, end)).includes("--json");
}

/** The error as one JSON object on stdout, `{"error": {"code", "message", "remedy"}}`, with the same exit status as text. */
export function errorAsJson(error: unknown): { error: { code: string; message: string; remedy: string; hint?: string } } {
  if (error instanceof UsageError) return { error: { code: error.code, message: error.message, remedy: error.hint ?? remedyFor(error.code), ...(error.hint ? { hint: error.hint } : {}) } };
  if (isEdgehaError(error)) return { error: { code: error.code, message: error.message, remedy: remedyFor(error.code) } };
  if (error instanceof AssertionFailure) return { error: { code: "E_INTERNAL", message: `internal error: ${error.message}`, remedy: remedyFor("E_INTERNAL") } };
  return { error: { code: "E_UNEXPECTED", message: `unexpected error: ${error instanceof Error ? error.message : String(error)}`, remedy: remedyFor("E_UNEXPECTED") } };
}

export function reportJsonError(error: unknown, context: CommandContext): number {
  context.stdout.write(`${JSON.stringify(errorAsJson(error))}\n`);
  // The same exit status as the text form; the text also goes to stderr for a person watching.
  return reportError(error, context);
}

export function reportError(error: unknown, context: CommandContext): number {
  if (error instanceof UsageError) {
    context.stderr.write(`edgeha: ${error.message}\n`);
    if (error.hint) context.stderr.write(`hint: ${error.hint}\n`);
    return 2;
  }
  if (isEdgehaError(error)) {
    context.stderr.write(`edgeha: ${error.message} [${error.code}]\n`);
    const exitCode = error.details.exitCode;
    return typeof exitCode === "number" ? exitCode : 1;
  }
  if (error instanceof AssertionFailure) {
    context.stderr.write(`edgeha: internal error: ${error.message}\n${error.stack ?? ""}\n`);
    return 70;
  }
  const message = error instanceof Error ? error.message : String(error);
  context.stderr.write(`edgeha: unexpected error: ${message}\n`);
  if (process.env.EDGEHA_DEBUG && error instanceof Error) context.stderr.write(`${error.stack}\n`);
  return 1;
}

function isMainModule(): boolean {
  // In the single executable the bundle is the main script; with plain node
  // (dist/edgeha.cjs) require.main is this module. Under vitest neither holds.
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    if ((require("node:sea") as { isSea(): boolean }).isSea()) return true;
  } catch {
    // node:sea is missing before Node 20: not a single executable.
  }
  return typeof require !== "undefined" && require.main === module;
}

/** Exit status of a program that wrote to a pipe nobody reads any more (128 + SIGPIPE). */
export const CLOSED_PIPE_EXIT = 141;

/**
 * A short command whose reader closed the pipe early (`edgeha ... | head -1`, a missing xmllint
 * after `meta-data |`) ends quietly with CLOSED_PIPE_EXIT, as a C program killed by SIGPIPE does,
 * instead of an unhandled EPIPE and a stack trace. Not for the agent and the arbiter: a closed
 * log pipe must never end a cluster member, so they keep Node's default.
 */
export function endQuietlyOnClosedPipe(verb: string | undefined, stream: NodeJS.WritableStream, exit: (status: number) => void): void {
  if (verb === "agent" || verb === "arbiter") return;
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error;
    exit(CLOSED_PIPE_EXIT);
  });
}

if (isMainModule()) {
  const context: CommandContext = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env };
  endQuietlyOnClosedPipe(process.argv[2], process.stdout, (status) => process.exit(status));
  runCli(process.argv.slice(2), context).then(
    (status) => {
      // Long-running commands (agent, arbiter) never resolve; short ones exit here.
      process.exitCode = status;
    },
    (error: unknown) => {
      process.exitCode = reportError(error, context);
    },
  );
}
