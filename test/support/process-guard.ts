// What test/setup-guard.ts checks after every test file: that no `edgeha agent` (or
// `edgeha arbiter`) process the file started is still alive, and that nothing wrote this
// host's default state directories.
//
// A file is told apart from the others by a marker in the environment: the setup file sets
// EDGEHA_TEST_GUARD to a value of that file's own before the file runs, and every process the
// file starts inherits it (spawn passes process.env on, `ip netns exec`, `unshare`, `sh -c`
// and `env` keep it), so /proc/PID/environ names the file that started an agent even after
// the process that spawned it died. Agents inside the systemd test machines (machine.ts,
// systemd.ts) do not carry it: those die with their PID namespace.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join } from "node:path";

export const GUARD_VARIABLE = "EDGEHA_TEST_GUARD";

/** This host's default places (src/config/defaults.ts): no test may use them. */
export const DEFAULT_DIRECTORIES = ["/var/lib/edgeha", "/etc/edgeha"];

export interface GuardedProcess {
  pid: number;
  command: string;
}

/** Whether argv is `edgeha agent|arbiter ...`: the bundle (edgeha.cjs) or an executable named edgeha*, then the verb. */
export function isAgentCommand(argv: string[]): boolean {
  return argv.some((word, index) => /^edgeha(\.cjs|[-.\w]*)$/.test(basename(word)) && (argv[index + 1] === "agent" || argv[index + 1] === "arbiter"));
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, "latin1");
  } catch {
    return undefined;
  }
}

/** Whether /proc/PID/stat shows a process that still runs (not gone, not a zombie). Its name may hold ") ". */
function runs(stat: string | undefined): boolean {
  const state = stat === undefined ? undefined : stat.slice(stat.lastIndexOf(") ") + 2, stat.lastIndexOf(") ") + 3);
  return state !== undefined && state !== "" && state !== "Z" && state !== "X";
}

/** The live (not zombie) agent and arbiter processes whose environment carries GUARD_VARIABLE=marker. */
export function markedAgents(marker: string, procRoot = "/proc"): GuardedProcess[] {
  const wanted = `${GUARD_VARIABLE}=${marker}`;
  const found: GuardedProcess[] = [];
  for (const entry of readdirSync(procRoot)) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const environ = read(join(procRoot, entry, "environ"));
    if (environ === undefined || !environ.split("\0").includes(wanted)) continue;
    const argv = (read(join(procRoot, entry, "cmdline")) ?? "").split("\0").filter(Boolean);
    if (!isAgentCommand(argv)) continue;
    // A killed child waits as a zombie until its parent reaps it: it runs nothing.
    if (!runs(read(join(procRoot, entry, "stat")))) continue;
    found.push({ pid: Number(entry), command: argv.join(" ") });
  }
  return found;
}

/**
 * The marked agents still alive after graceMs, each killed with SIGKILL. Empty when the file
 * left nothing behind. The grace is long because a file's cleanup may have sent SIGTERM a moment
 * ago: a clean leave stops the agent's resources first, which takes seconds on a loaded CI
 * machine, and a failing afterAll fails the whole file without a retry. It costs nothing when
 * the agents are already gone.
 */
export async function reapMarkedAgents(marker: string, graceMs = 12_000): Promise<GuardedProcess[]> {
  const deadline = Date.now() + graceMs;
  let alive = markedAgents(marker);
  while (alive.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    alive = markedAgents(marker);
  }
  for (const leaked of alive) {
    try { process.kill(leaked.pid, "SIGKILL"); } catch { /* gone meanwhile */ }
  }
  return alive;
}

/** SIGKILL to each process, then waits (at most timeoutMs) until none of them runs. */
export async function stopAgents(agents: GuardedProcess[], timeoutMs = 5000): Promise<void> {
  for (const agent of agents) {
    try { process.kill(agent.pid, "SIGKILL"); } catch { /* gone meanwhile */ }
  }
  const deadline = Date.now() + timeoutMs;
  while (agents.some((agent) => runs(read(`/proc/${agent.pid}/stat`))) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
}

/** What a default directory holds now (names, sizes and times of the top level), or null when it does not exist. */
export function directorySnapshot(directory: string): string | null {
  let top;
  try {
    top = statSync(directory);
  } catch {
    return null;
  }
  if (!top.isDirectory()) return `not a directory, mtime ${top.mtimeMs}`;
  const entries = readdirSync(directory).sort().map((name) => {
    try {
      const each = statSync(join(directory, name));
      return `${name}:${each.size}:${each.mtimeMs}`;
    } catch {
      return `${name}:gone`;
    }
  });
  return [`mtime ${top.mtimeMs}`, ...entries].join("\n");
}

/** A sentence for each default directory that appeared or changed between two snapshots. */
export function directoryChanges(before: Map<string, string | null>, after: Map<string, string | null>): string[] {
  const changes: string[] = [];
  for (const [directory, was] of before) {
    const now = after.get(directory) ?? null;
    if (was === now) continue;
    changes.push(was === null ? `${directory} appeared (${now?.split("\n").slice(1).map((line) => line.split(":")[0]).join(", ") || "empty"})` : now === null ? `${directory} was removed` : `${directory} changed`);
  }
  return changes;
}

export function snapshotDefaults(directories = DEFAULT_DIRECTORIES): Map<string, string | null> {
  return new Map(directories.map((directory) => [directory, directorySnapshot(directory)]));
}
