// A short command whose reader has gone (`edgeha ... | head -1`, `meta-data | xmllint` with no
// xmllint) ends quietly with 141, as a program killed by SIGPIPE does; the agent keeps Node's default.
import { spawn } from "node:child_process";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { CLOSED_PIPE_EXIT, endQuietlyOnClosedPipe } from "../../../src/cli/main";
import { bundleArgs } from "../../support/environment";

function closedPipe(): NodeJS.ErrnoException {
  return Object.assign(new Error("write EPIPE"), { code: "EPIPE" });
}

describe("a reader that closed the pipe", () => {
  it("ends a short command with 141 and nothing on stderr, not an unhandled EPIPE with a stack trace", async () => {
    const child = spawn(process.execPath, [...bundleArgs, "ocf", "dummy", "meta-data"], { stdio: ["ignore", "pipe", "pipe"] });
    // The read end closes before the child (still loading) writes a byte.
    child.stdout.destroy();
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => { stderr += chunk.toString("utf8"); });
    const status = await new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    expect(stderr).toBe("");
    expect(status).toBe(CLOSED_PIPE_EXIT);
  });

  it("leaves the agent and the arbiter to Node's default, and passes on other write errors", () => {
    const exits: number[] = [];
    for (const verb of ["agent", "arbiter"]) {
      const stream = new PassThrough();
      endQuietlyOnClosedPipe(verb, stream, (status) => exits.push(status));
      expect(stream.listenerCount("error")).toBe(0);
    }
    const stream = new PassThrough();
    endQuietlyOnClosedPipe("status", stream, (status) => exits.push(status));
    expect(() => stream.emit("error", Object.assign(new Error("write EIO"), { code: "EIO" }))).toThrow(/EIO/);
    stream.emit("error", closedPipe());
    expect(exits).toEqual([CLOSED_PIPE_EXIT]);
  });
});
