// Runs an `edgeha` command in this process with captured output, for tests that
// need no separate process.
import { PassThrough } from "node:stream";
import type { Command } from "../../src/cli/command";
import { runCli } from "../../src/cli/main";

export interface CliOutcome {
  status: number;
  out: string;
  err: string;
}

export async function runInProcess(argv: string[], commands?: readonly Command[], stdinText = "", env: NodeJS.ProcessEnv = {}): Promise<CliOutcome> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (chunk) => (out += chunk));
  stderr.on("data", (chunk) => (err += chunk));
  const stdin = new PassThrough();
  stdin.end(stdinText);
  const status = await runCli(argv, { stdout, stderr, stdin, env }, commands);
  return { status, out, err };
}

/** The same, with the arguments spread: `cli("stonith", "history")`. */
export function cli(...argv: string[]): Promise<CliOutcome> {
  return runInProcess(argv);
}
