// The shape of an `edgeha` command and a small, strict option parser.
//
// Each subsystem declares its commands in src/cli/commands/<area>.ts as an array
// of Command; src/cli/registry.ts lists the areas. A command's words may be
// several ("config check", "stonith fence"); the longest registered match wins.
import { UsageError } from "../common/errors";
import { didYouMean } from "../common/suggest";

export type OptionKind = "boolean" | "string" | "number" | "list";

export interface OptionSpec {
  /** Long name without dashes, e.g. "json" for --json. */
  name: string;
  /** One-letter alias without the dash, e.g. "o" for -o. */
  short?: string;
  kind: OptionKind;
  /** Placeholder shown in help, e.g. "FILE". */
  value?: string;
  description: string;
}

export interface ParsedArguments {
  /** Positional arguments in order (including key=value words). */
  positionals: string[];
  /** Option values by long name: boolean, string, number or string[] for lists. */
  options: Record<string, string | number | boolean | string[] | undefined>;
}

export interface CommandContext {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
  env: NodeJS.ProcessEnv;
}

export interface Command {
  /** The words that name the command, e.g. ["config", "check"]. */
  words: string[];
  /** One line for the command list. */
  summary: string;
  /** Usage after "edgeha WORDS", e.g. "FILE [--json]". */
  usage: string;
  /** Paragraphs that explain what it does. */
  description?: string;
  /** At least one example invocation (without the leading "edgeha "). */
  examples: string[];
  options?: OptionSpec[];
  /** Allow positional arguments that start with "-" after "--" only (default). */
  allowUnknownOptions?: boolean;
  /** Returns the exit status. */
  run(args: ParsedArguments, context: CommandContext): Promise<number> | number;
}

export const HELP_OPTION: OptionSpec = { name: "help", short: "h", kind: "boolean", description: "Show this help." };

export function commandName(command: Command): string {
  return command.words.join(" ");
}

/** Parses argv against the command's options. Unknown options are usage errors. */
export function parseArguments(argv: readonly string[], command: Command): ParsedArguments {
  const specs = [...(command.options ?? []), HELP_OPTION];
  const byLong = new Map(specs.map((spec) => [spec.name, spec]));
  const byShort = new Map(specs.filter((spec) => spec.short).map((spec) => [spec.short!, spec]));
  const result: ParsedArguments = { positionals: [], options: {} };
  const name = commandName(command);

  for (let index = 0; index < argv.length; index++) {
    const word = argv[index]!;
    if (word === "--") {
      result.positionals.push(...argv.slice(index + 1));
      break;
    }
    if (!word.startsWith("-") || word === "-" || /^-\d/.test(word)) {
      result.positionals.push(word);
      continue;
    }
    let spec: OptionSpec | undefined;
    let inlineValue: string | undefined;
    if (word.startsWith("--")) {
      const equals = word.indexOf("=");
      const long = equals === -1 ? word.slice(2) : word.slice(2, equals);
      inlineValue = equals === -1 ? undefined : word.slice(equals + 1);
      spec = byLong.get(long);
      if (!spec) {
        if (command.allowUnknownOptions) {
          result.positionals.push(word);
          continue;
        }
        throw new UsageError(
          `unknown option '--${long}' for 'edgeha ${name}'${didYouMean(long, byLong.keys()).replace(/'(\w[\w-]*)'/g, "'--$1'")}`,
          `Run 'edgeha ${name} --help' to see its options.`,
        );
      }
    } else {
      spec = byShort.get(word.slice(1, 2));
      inlineValue = word.length > 2 ? word.slice(2) : undefined;
      if (!spec) {
        if (command.allowUnknownOptions) {
          result.positionals.push(word);
          continue;
        }
        throw new UsageError(`unknown option '${word}' for 'edgeha ${name}'`, `Run 'edgeha ${name} --help' to see its options.`);
      }
    }
    if (spec.kind === "boolean") {
      if (inlineValue !== undefined) throw new UsageError(`option '--${spec.name}' takes no value`);
      result.options[spec.name] = true;
      continue;
    }
    const value = inlineValue ?? argv[++index];
    if (value === undefined) {
      throw new UsageError(`option '--${spec.name}' needs a value (${spec.value ?? "VALUE"})`, `Run 'edgeha ${name} --help'.`);
    }
    if (spec.kind === "number") {
      const number = Number(value);
      if (!Number.isFinite(number)) throw new UsageError(`option '--${spec.name}' needs a number, not '${value}'`);
      result.options[spec.name] = number;
    } else if (spec.kind === "list") {
      const list = (result.options[spec.name] as string[] | undefined) ?? [];
      list.push(value);
      result.options[spec.name] = list;
    } else {
      result.options[spec.name] = value;
    }
  }
  return result;
}

/** Renders `edgeha WORDS --help`. */
export function renderCommandHelp(command: Command): string {
  const lines = [`Usage: edgeha ${commandName(command)} ${command.usage}`.trimEnd(), "", command.summary];
  if (command.description) lines.push("", command.description.trim());
  const specs = [...(command.options ?? []), HELP_OPTION];
  lines.push("", "Options:");
  for (const spec of specs) {
    const flag = `${spec.short ? `-${spec.short}, ` : "    "}--${spec.name}${spec.kind === "boolean" ? "" : ` ${spec.value ?? "VALUE"}`}`;
    lines.push(`  ${flag.padEnd(30)} ${spec.description}`);
  }
  lines.push("", command.examples.length > 1 ? "Examples:" : "Example:");
  for (const example of command.examples) lines.push(`  edgeha ${example}`);
  return `${lines.join("\n")}\n`;
}

/** Reads a required string option or throws a usage error naming it. */
export function requireOption(args: ParsedArguments, name: string, command: Command): string {
  const value = args.options[name];
  if (typeof value !== "string" || value === "") {
    throw new UsageError(`'edgeha ${commandName(command)}' needs --${name}`, `Run 'edgeha ${commandName(command)} --help'.`);
  }
  return value;
}
