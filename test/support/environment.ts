// What the machine offers the integration tests. A test that needs something
// missing skips with `describe.skipIf(!x)` and says why through `reasonMissing`.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

export const repositoryRoot = path.resolve(__dirname, "../..");
export const sharedRoot = path.resolve(repositoryRoot, "../shared");

export function isRoot(): boolean {
  return typeof process.getuid === "function" && process.getuid() === 0;
}

export function hasCommand(command: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
}

/** Network namespaces need root and iproute2. */
export function canUseNamespaces(): boolean {
  if (!isRoot() || !hasCommand("ip")) return false;
  const probe = `ehprobe${process.pid}`;
  const created = spawnSync("ip", ["netns", "add", probe], { stdio: "ignore" }).status === 0;
  if (created) spawnSync("ip", ["netns", "delete", probe], { stdio: "ignore" });
  return created;
}

/** Returns "" when every command exists, else a sentence naming the missing ones. */
export function reasonMissing(...commands: string[]): string {
  const missing = commands.filter((command) => !hasCommand(command));
  return missing.length === 0 ? "" : `needs ${missing.join(", ")} (as root, ./scripts/install-packages test installs the Debian packages of src/common/programs.ts)`;
}

export function sharedPath(...parts: string[]): string | undefined {
  const full = path.join(sharedRoot, ...parts);
  return existsSync(full) ? full : undefined;
}

/** The bundled CLI that tests run as a real process (built by test/global-setup.ts). */
export const cliBundle = path.join(repositoryRoot, "dist/edgeha.cjs");

/** The V8 flags the single executable is built with (scripts/build reads the same file). */
export const executableV8Flags: string[] = JSON.parse(readFileSync(path.join(repositoryRoot, "scripts/v8-flags.json"), "utf8"));

/** The arguments to Node.js that run the bundle as the executable runs: its V8 flags (heap limits, single-threaded GC), then the bundle. */
export const bundleArgs: string[] = [...executableV8Flags, cliBundle];

/** The command that runs the bundle as the executable runs (Node.js, bundleArgs). */
export const bundleCommand: string[] = [process.execPath, ...bundleArgs];

export function runCliProcess(args: string[], options: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}) {
  const result = spawnSync(process.execPath, [...bundleArgs, ...args], {
    input: options.input,
    env: { ...process.env, ...options.env },
    cwd: options.cwd,
    encoding: "utf8",
    timeout: options.timeoutMs ?? 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

export function run(command: string, args: string[]): string {
  return execFileSync(command, args, { encoding: "utf8" });
}
