import { describe, expect, it } from "vitest";
import { commandName } from "../../../src/cli/command";
import { runInProcess as run } from "../../support/cli";
import { allCommands } from "../../../src/cli/registry";


describe("help", () => {
  it("lists every command in the general help", async () => {
    const { status, out } = await run(["--help"]);
    expect(status).toBe(0);
    for (const command of allCommands()) expect(out).toContain(commandName(command));
  });

  for (const command of allCommands()) {
    it(`explains 'edgeha ${commandName(command)}' with usage and an example`, async () => {
      const { status, out } = await run([...command.words, "--help"]);
      expect(status).toBe(0);
      expect(out).toContain(`Usage: edgeha ${commandName(command)}`);
      expect(command.examples.length).toBeGreaterThan(0);
      for (const example of command.examples) expect(example.startsWith(commandName(command))).toBe(true);
    });
  }

  it("names each command only once", () => {
    const names = allCommands().map(commandName);
    expect(new Set(names).size).toBe(names.length);
  });
});
