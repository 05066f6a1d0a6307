import { describe, expect, it } from "vitest";
import { PassThrough } from "node:stream";
import { runCli } from "../../../../src/cli/main";
import { fencingCommands } from "../../../../src/cli/commands/fencing";
import { xvmDriver } from "../../../../fence-drivers/xvm/index";

function io(stdinText: string) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdin = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (chunk) => (out += chunk));
  stderr.on("data", (chunk) => (err += chunk));
  stdin.end(stdinText);
  return { context: { stdout, stderr, stdin, env: {} }, out: () => out, err: () => err };
}

describe("edgeha fence-driver NAME", () => {
  it("reads stdin key=value lines when no options follow NAME (metadata)", async () => {
    const c = io("action=metadata\n");
    expect(await runCli(["fence-driver", "xvm"], c.context, fencingCommands)).toBe(0);
    expect(c.out()).toContain(`<resource-agent name="${xvmDriver.metadata.name}"`);
    expect(c.out()).toContain("<actions>");
  });
  it("takes fence-agents flags on the command line", async () => {
    const c = io("");
    expect(await runCli(["fence-driver", "fence_xvm", "-o", "metadata"], c.context, fencingCommands)).toBe(0);
    expect(c.out()).toContain("<parameters>");
  });
  it("an unknown driver is an error naming the known ones", async () => {
    const c = io("");
    expect(await runCli(["fence-driver", "nosuch", "-o", "status"], c.context, fencingCommands)).not.toBe(0);
    expect(c.err()).toContain("E_FENCE_DRIVER");
  });
});
