// Runs one agent action as a child process in its own process group, so a
// timeout can end the agent together with everything it started: SIGTERM to the
// group, then SIGKILL after a grace period. Output is captured up to a bound.
import { describeProgram, spawnProgram, type ProgramReference } from "../common/spawn";
import { monotonicMs } from "../common/clock";

export const OUTPUT_LIMIT_BYTES = 64 * 1024;
export const KILL_GRACE_MS = 2_000;

export interface ProcessResult {
  /** Exit status, or undefined when the process was ended by a signal. */
  exitCode: number | undefined;
  signal: NodeJS.Signals | undefined;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  runTimeMs: number;
}

function appendBounded(buffer: string, chunk: Buffer): string {
  if (buffer.length >= OUTPUT_LIMIT_BYTES) return buffer;
  return (buffer + chunk.toString("utf8")).slice(0, OUTPUT_LIMIT_BYTES);
}

export function runProcess(
  program: ProgramReference,
  args: readonly string[],
  options: { env: Record<string, string>; timeoutMs: number; killGraceMs?: number; cwd?: string },
): Promise<ProcessResult> {
  const started = monotonicMs();
  return new Promise((resolve) => {
    const child = spawnProgram(program, args, { env: options.env, cwd: options.cwd ?? "/", detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    let killTimer: NodeJS.Timeout | undefined;
    const signalGroup = (signal: NodeJS.Signals): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, signal);
      } catch {
        // The group is already gone.
      }
    };
    const timeout = setTimeout(() => {
      timedOut = true;
      signalGroup("SIGTERM");
      killTimer = setTimeout(() => signalGroup("SIGKILL"), options.killGraceMs ?? KILL_GRACE_MS);
    }, options.timeoutMs);
    child.stdout!.on("data", (chunk: Buffer) => (stdout = appendBounded(stdout, chunk)));
    child.stderr!.on("data", (chunk: Buffer) => (stderr = appendBounded(stderr, chunk)));
    const finish = (exitCode: number | undefined, signal: NodeJS.Signals | undefined): void => {
      clearTimeout(timeout);
      // Children the agent left behind in its group go too, whether it timed out or not.
      if (timedOut) signalGroup("SIGKILL");
      if (killTimer) clearTimeout(killTimer);
      resolve({ exitCode, signal, timedOut, stdout, stderr, runTimeMs: monotonicMs() - started });
    };
    child.on("error", (error) => {
      stderr = appendBounded(stderr, Buffer.from(`cannot run ${describeProgram(program)}: ${error.message}\n`));
      once(127, null);
    });
    // "close" waits for every holder of the pipes; a daemon the agent started may
    // keep them open, so the exit status is taken shortly after "exit" regardless.
    let finished = false;
    const once = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (finished) return;
      finished = true;
      finish(code ?? undefined, signal ?? undefined);
    };
    child.on("exit", (code, signal) => setTimeout(() => once(code, signal), 100));
    child.on("close", once);
  });
}
