// The man pages come from the sources of --help and docs/config.md (scripts/manual.ts):
// edgeha(8) has every command with its options and examples, edgeha.yaml(5) every key of
// the config, and both are valid roff that man renders without warnings.
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { allCommands } from "../../../src/cli/registry";
import { commandName } from "../../../src/cli/command";
import { ALL_KEYS } from "../../../src/config/index";
import { configManual, edgehaManual, markdownToRoff, roffEscape, roffInline } from "../../../scripts/manual";
import { hasCommand } from "../../support/environment";

const root = path.resolve(__dirname, "../../..");
const info = { version: "9.8.7", date: "2026-12-06" };

const manMissing = !hasCommand("man");

/** The page as man shows it (Debian package man-db). */
function rendered(page: string): { text: string; warnings: string } {
  const result = spawnSync("man", ["--warnings", "-l", "-"], { input: page, encoding: "utf8", env: { ...process.env, MANWIDTH: "200", MAN_KEEP_FORMATTING: "", PAGER: "cat" } });
  return { text: result.stdout.replace(/.\x08/g, ""), warnings: result.stderr };
}

describe("edgeha(8)", () => {
  const commands = allCommands();
  const page = edgehaManual(commands, info);

  it("has a section for every command with its usage, options and examples", () => {
    for (const command of commands) {
      expect(page, commandName(command)).toContain(`.SS "${roffEscape(`edgeha ${commandName(command)} ${command.usage}`.trimEnd()).replace(/"/g, "\\(dq")}"`);
      for (const spec of command.options ?? []) expect(page, `${commandName(command)} --${spec.name}`).toContain(roffEscape(`--${spec.name}`));
      for (const example of command.examples) expect(page, example).toContain(roffEscape(`edgeha ${example}`));
    }
  });

  it("explains the service: SIGTERM is a leave, the watchdog, the files", () => {
    expect(page).toContain(".SH THE SERVICE");
    expect(page).toMatch(/SIGTERM and SIGINT/);
    expect(page).toContain(roffEscape("/run/edgeha/edgeha.sock"));
    expect(page).toContain(".TH EDGEHA 8 \"2026-12-06\" \"edgeha 9.8.7\"");
  });

  it.skipIf(manMissing)("renders without warnings and shows every command", () => { // skipped: without man (Debian package man-db, in the program registry)
    const man = rendered(page);
    expect(man.warnings).toBe("");
    for (const command of commands) expect(man.text).toContain(`edgeha ${commandName(command)}`);
  });
});

describe("edgeha.yaml(5)", () => {
  const markdown = readFileSync(path.join(root, "docs/config.md"), "utf8");
  const page = configManual(markdown, info);

  it("names every documented key of the config", () => {
    for (const key of ALL_KEYS) expect(page, key).toContain(roffEscape(key));
  });

  it.skipIf(manMissing)("renders without warnings", () => { // skipped: without man (Debian package man-db, in the program registry)
    const man = rendered(page);
    expect(man.warnings).toBe("");
    expect(man.text).toContain("transport.port");
  });
});

describe("Markdown to roff", () => {
  it("turns headings, tables, lists and code blocks into man macros", () => {
    const roff = markdownToRoff(["## Keys", "", "| key | default |", "|---|---|", "| `a.b` | 5 |", "", "- one", "  two", "", "```sh", ".hidden -x", "```", "Text with `code` and [a link](https://example.org)."].join("\n"));
    expect(roff).toEqual([
      '.SH "KEYS"', ".TP", "\\fBa.b\\fR", "default: 5", ".IP \\(bu 2", "one two", ".PP", ".RS 4", ".nf", "\\&.hidden \\-x", ".fi", ".RE",
      ".PP", "Text with \\fBcode\\fR and a link (https://example.org).",
    ]);
    expect(roffInline("a\\b")).toBe("a\\eb");
  });
});
