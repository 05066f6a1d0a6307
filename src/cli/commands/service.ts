// Commands about edgeha as an installed service: shell completion generated from the
// command registry, and the external programs this node can run (from the program registry).
import { PROGRAMS, PROGRAM_FAMILIES, programCommand, type ProgramEntry, type ProgramName } from "../../common/programs";
import { locateProgram } from "../../common/spawn";
import { UsageError } from "../../common/errors";
import { bashCompletion } from "../completion";
import type { Command } from "../command";

const completion: Command = {
  words: ["completion"],
  summary: "Print the bash completion script (generated from the command list).",
  usage: "bash",
  description: "The Debian package installs it as /usr/share/bash-completion/completions/edgeha. Elsewhere: `edgeha completion bash > /etc/bash_completion.d/edgeha`, or `source <(edgeha completion bash)` in a shell.",
  examples: ["completion bash", "completion bash > /etc/bash_completion.d/edgeha"],
  async run(args, context) {
    if (args.positionals.length !== 1 || args.positionals[0] !== "bash") throw new UsageError("'edgeha completion' needs the shell: bash (the only one supported)", "Run 'edgeha completion bash'.");
    const { allCommands } = await import("../registry");
    context.stdout.write(bashCompletion(allCommands()));
    return 0;
  },
};

const programs: Command = {
  words: ["diag", "programs"],
  summary: "List the external programs edgeha runs, where each is on this node, and its Debian package.",
  usage: "[--json]",
  description: "Every program edgeha may start (src/common/programs.ts): found or missing on this node (PATH, or the fixed path edgeha uses), the Debian package that ships it, how the edgeha package relates to it (depends, recommends, suggests, optional) and why it is run. Exit status 1 when a program the package depends on is missing.",
  examples: ["diag programs", "diag programs --json"],
  options: [{ name: "json", kind: "boolean", description: "Print JSON." }],
  run(args, context) {
    const rows = (Object.entries(PROGRAMS) as Array<[ProgramName, ProgramEntry]>)
      .filter(([, entry]) => entry.product !== undefined)
      .map(([name, entry]) => ({ program: name, found: locateProgram(programCommand(name)) ?? null, package: entry.package, need: entry.product!, why: entry.why }));
    const families = Object.entries(PROGRAM_FAMILIES).map(([name, family]) => ({ family: name, package: family.package, why: family.why }));
    const missingRequired = rows.filter((row) => row.need === "depends" && row.found === null);
    if (args.options.json) {
      context.stdout.write(`${JSON.stringify({ programs: rows, families })}\n`);
    } else {
      const width = Math.max(...rows.map((row) => row.program.length)) + 2;
      for (const row of rows) context.stdout.write(`${row.program.padEnd(width)}${(row.found ?? "MISSING").padEnd(28)}${row.need.padEnd(12)}${row.package}\n`);
      context.stdout.write("\nNamed by the configuration:\n");
      for (const family of families) context.stdout.write(`  ${family.family.padEnd(18)}${family.package}: ${family.why}\n`);
    }
    return missingRequired.length > 0 ? 1 : 0;
  },
};

export const serviceCommands: Command[] = [completion, programs];
