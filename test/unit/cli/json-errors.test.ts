import { describe, expect, it } from "vitest";
import { allCommands } from "../../../src/cli/registry";
import { runInProcess } from "../../support/cli";
import { parseRemedies, remedyFor } from "../../../src/common/remedies";
import { readFileSync } from "node:fs";
import path from "node:path";

// Every command that offers --json answers an error as {"error": {"code", "message", "remedy"}}
// on stdout, with the text form's exit status.
const jsonCommands = allCommands().filter((command) => (command.options ?? []).some((option) => option.name === "json"));

function parsedError(out: string): { code: string; message: string; remedy: string } {
  const lines = out.trim().split("\n");
  const value = JSON.parse(lines[lines.length - 1]!) as { error?: { code: string; message: string; remedy: string } };
  expect(value.error).toBeDefined();
  return value.error!;
}

describe("--json errors", () => {
  it("finds commands with --json to check", () => {
    expect(jsonCommands.length).toBeGreaterThan(10);
  });

  it.each(jsonCommands.map((command) => [command.words.join(" "), command] as const))("%s --json --no-such-option prints a usage error as JSON", async (_name, command) => {
    const outcome = await runInProcess([...command.words, "--json", "--no-such-option"]);
    expect(outcome.status).toBe(2);
    const error = parsedError(outcome.out);
    expect(error.code).toBe("E_USAGE");
    expect(error.message).toContain("--no-such-option");
    expect(error.remedy.length).toBeGreaterThan(10);
  });

  const socketCommands = jsonCommands.filter((command) => (command.options ?? []).some((option) => option.name === "socket"));
  const documented = parseRemedies(readFileSync(path.resolve(__dirname, "../../../docs/errors.md"), "utf8"));
  it.each(socketCommands.map((command) => [command.words.join(" "), command] as const))("%s --json against an absent agent prints a documented error with its remedy", async (_name, command) => {
    // A stand-in that does not exist: `cluster enable|disable|start` run systemctl, never this machine's.
    const outcome = await runInProcess([...command.words, "--json", "--socket", "/nonexistent/edgeha-test.sock"], undefined, "", { EDGEHA_SYSTEMCTL: "/nonexistent/systemctl" });
    expect(outcome.status).not.toBe(0);
    const error = parsedError(outcome.out);
    expect(Object.keys(documented)).toContain(error.code);
    expect(error.message.length).toBeGreaterThan(5);
    if (error.code !== "E_USAGE") expect(error.remedy).toBe(documented[error.code]);
  });

  it.each([["status"], ["node", "stop"]])("%s --json against an absent agent says E_AGENT_UNREACHABLE and how to fix it", async (...words) => {
    const outcome = await runInProcess([...words, "--json", "--socket", "/nonexistent/edgeha-test.sock"]);
    expect(outcome.status).toBe(1);
    expect(parsedError(outcome.out)).toEqual({ code: "E_AGENT_UNREACHABLE", message: expect.stringContaining("/nonexistent/edgeha-test.sock"), remedy: documented.E_AGENT_UNREACHABLE });
  });

  it("gives documented remedies, not the fallback, for documented codes", () => {
    const table = parseRemedies(readFileSync(path.resolve(__dirname, "../../../docs/errors.md"), "utf8"));
    expect(Object.keys(table).length).toBeGreaterThan(50);
    expect(remedyFor("E_USAGE")).toBe(table.E_USAGE);
    expect(remedyFor("E_USAGE")).toContain("--help");
  });

  it("leaves text output alone without --json", async () => {
    const outcome = await runInProcess(["status", "--socket", "/nonexistent/edgeha-test.sock"]);
    expect(outcome.out).toBe("");
    expect(outcome.err).toContain("E_AGENT_UNREACHABLE");
  });
});

