// Runs before every test file (vitest.config.ts setupFiles, both projects) and checks, after
// the file's own afterAll hooks, that (1) no `edgeha agent`/`edgeha arbiter` process the file
// started is still alive (one left running holds its port, SCHED_RR priority and CPU for every
// later file, and survives the run) and (2) the file did not create or change this host's
// default /var/lib/edgeha or /etc/edgeha. Either fails the file loudly, naming it and the
// process or directory; a leaked agent is killed first. See test/support/process-guard.ts.
import { randomBytes } from "node:crypto";
import { relative, sep } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, expect } from "vitest";
import { GUARD_VARIABLE, directoryChanges, markedAgents, reapMarkedAgents, snapshotDefaults, stopAgents } from "./support/process-guard";

const file = relative(process.cwd(), expect.getState().testPath ?? "an unnamed test file");
// Set before the file's module runs: every process it starts inherits it.
const marker = `${process.pid}-${randomBytes(4).toString("hex")}-${file}`;
process.env[GUARD_VARIABLE] = marker;

let before = snapshotDefaults();
beforeAll(() => {
  before = snapshotDefaults();
});

// A failed test (a failed attempt: the integration project retries once) may have left the
// agents it started running, and a helper that starts a node again under the same name forgets
// the old process: the retry would meet them (ports, sockets, state) and the file would end
// with them alive. Agents started by the failed attempt itself stop here, after the file's own
// afterEach hooks (which may still read them for a report); agents the file started in
// beforeAll or in an earlier test are left to it.
// (Integration files only: a unit test starts no agent, and /proc is not read for each of its thousands of tests.)
const integration = file.startsWith(`test${sep}integration${sep}`);
let runningBefore = new Set<number>();
beforeEach(() => {
  if (integration) runningBefore = new Set(markedAgents(marker).map((agent) => agent.pid));
});
afterEach(async (context) => {
  if (!integration || context.task.result?.state !== "fail") return;
  const started = markedAgents(marker).filter((agent) => !runningBefore.has(agent.pid));
  if (started.length === 0) return;
  console.error(`*** ${file}: "${context.task.name}" failed with ${started.length} agent(s) it started still running; stopping them so a retry starts clean:\n${started.map((agent) => `    ${agent.pid} ${agent.command}`).join("\n")}`);
  await stopAgents(started);
}, 15_000);

// Registered before the file's hooks, so it runs after them (vitest runs after-hooks in stack order).
afterAll(async () => {
  const problems: string[] = [];
  const leaked = await reapMarkedAgents(marker);
  for (const agent of leaked) problems.push(`left process ${agent.pid} running (killed now): ${agent.command}`);
  for (const change of directoryChanges(before, snapshotDefaults())) {
    problems.push(`${change} while it ran: tests must give every agent and CLI a directory of their own (--state-dir, --config, paths.authkey); this host's default places are not theirs (tell the lead; the guard deletes nothing)`);
  }
  if (problems.length === 0) return;
  const text = problems.map((problem) => `*** ${file} ${problem}`).join("\n");
  console.error(text);
  throw new Error(text);
}, 25_000);
