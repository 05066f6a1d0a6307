// Bash completion comes from the command registry: bash, running the generated script,
// offers every command's words at each level and every option of each command.
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { allCommands } from "../../../src/cli/registry";
import { bashCompletion, commandTree } from "../../../src/cli/completion";
import { commandName, type Command } from "../../../src/cli/command";

const commands = allCommands();
const script = bashCompletion(commands);

/** Completions bash gives for the words typed so far (the last one being completed). */
function complete(lines: string[][]): string[][] {
  const calls = lines.map((words) => `COMP_WORDS=(${words.map((word) => `'${word}'`).join(" ")}); COMP_CWORD=${words.length - 1}; COMPREPLY=(); _edgeha; printf '%s\\n' "\${COMPREPLY[*]}"`);
  // In an empty directory, so that file name completion adds nothing.
  const empty = mkdtempSync(path.join(tmpdir(), "eh-completion-"));
  const result = spawnSync("bash", ["--norc", "--noprofile", "-c", `${script}\n${calls.join("\n")}`], { encoding: "utf8", cwd: empty });
  rmSync(empty, { recursive: true, force: true });
  expect(result.stderr).toBe("");
  return result.stdout.split("\n").slice(0, lines.length).map((line) => line.split(" ").filter(Boolean));
}

describe("bash completion", () => {
  it("offers every first word, and after each command group its subcommands", () => {
    const groups = [...new Set(commands.map((command) => command.words[0]!))];
    const [top, ...subcommands] = complete([["edgeha", ""], ...groups.map((group) => ["edgeha", group, ""])]);
    expect(top!.sort()).toEqual([...groups].sort());
    groups.forEach((group, index) => {
      const expected = commands.filter((command) => command.words[0] === group && command.words.length > 1).map((command) => command.words[1]!);
      expect(subcommands[index]!.sort(), group).toEqual([...new Set(expected)].sort());
    });
  });

  it("offers each command's options, --help included", () => {
    const optionsOf = (command: Command) => [...(command.options ?? []).flatMap((spec) => [`--${spec.name}`, ...(spec.short ? [`-${spec.short}`] : [])]), "--help", "-h"].sort();
    const answers = complete(commands.map((command) => ["edgeha", ...command.words, "-"]));
    commands.forEach((command, index) => expect(answers[index]!.sort(), commandName(command)).toEqual(optionsOf(command)));
  });

  it("completes partial words and skips options and their values in the command path", () => {
    const [partial, afterOption, unknown, value] = complete([["edgeha", "con"], ["edgeha", "--json", "config", "ch"], ["edgeha", "frobnicate", ""], ["edgeha", "status", "--socket", "/sb"]]);
    expect(partial!.sort()).toEqual(["config", "constraint"]);
    expect(afterOption).toEqual(["check"]);
    expect(unknown).toEqual([]);
    // An option's value that is a path completes as a file name.
    expect(value).toEqual(["/sbin"]);
  });

  it("knows every command path of the registry", () => {
    const tree = commandTree(commands);
    for (const command of commands) expect(tree.get(command.words.join(" "))?.command, commandName(command)).toBe(command);
  });
});
