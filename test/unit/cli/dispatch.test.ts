import { describe, expect, it } from "vitest";
import { PassThrough } from "node:stream";
import { runCli } from "../../../src/cli/main";
import type { Command, CommandContext } from "../../../src/cli/command";

function capture(): { context: CommandContext; out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (chunk) => (out += chunk));
  stderr.on("data", (chunk) => (err += chunk));
  return { context: { stdout, stderr, stdin: new PassThrough(), env: {} }, out: () => out, err: () => err };
}

const echo: Command = {
  words: ["demo", "echo"],
  summary: "Prints its arguments.",
  usage: "WORDS... [--upper]",
  examples: ["demo echo hello --upper"],
  options: [{ name: "upper", kind: "boolean", description: "Upper-case the words." }],
  run(args, context) {
    const text = args.positionals.join(" ");
    context.stdout.write(`${args.options.upper ? text.toUpperCase() : text}\n`);
    return 0;
  },
};

describe("command dispatch", () => {
  it("runs the command named by the leading words", async () => {
    const io = capture();
    expect(await runCli(["demo", "echo", "a", "b", "--upper"], io.context, [echo])).toBe(0);
    expect(io.out()).toBe("A B\n");
  });

  it("rejects an unknown command with one line, a hint and exit 2", async () => {
    const io = capture();
    expect(await runCli(["dmeo"], io.context, [echo])).toBe(2);
    expect(io.err()).toMatch(/^edgeha: unknown command 'dmeo' \(did you mean 'demo'\?\)\nhint: /);
  });

  it("rejects an unknown subcommand and lists the real ones", async () => {
    const io = capture();
    expect(await runCli(["demo", "ecko"], io.context, [echo])).toBe(2);
    expect(io.err()).toContain("did you mean 'echo'");
  });

  it("rejects an unknown option naming the near match", async () => {
    const io = capture();
    expect(await runCli(["demo", "echo", "--uper"], io.context, [echo])).toBe(2);
    expect(io.err()).toContain("unknown option '--uper'");
    expect(io.err()).toContain("'--upper'");
    expect(io.err()).not.toContain("    at ");
  });

  it("explains a command with --help, including an example", async () => {
    const io = capture();
    expect(await runCli(["demo", "echo", "--help"], io.context, [echo])).toBe(0);
    expect(io.out()).toContain("Usage: edgeha demo echo WORDS... [--upper]");
    expect(io.out()).toContain("edgeha demo echo hello --upper");
  });
});
