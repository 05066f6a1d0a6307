// Real `edgeha agent` processes inside network namespaces, read through their admin sockets.
// Every wait is bounded; every process and namespace is removed by `close()`.
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { requestApi } from "../../../src/api";
import { bundleCommand } from "../../support/environment";
import type { Namespace } from "../../support/netns";
import { EXIT_AFTER_STALL, RESTART_DELAY_MS, restartAfterStall } from "../../support/stall-restart";

export { EXIT_AFTER_STALL, RESTART_DELAY_MS };

export interface LinkStatus { address: string; state: string }
export interface AgentView {
  ringId: number;
  members: Array<{ id: number; name: string; links: LinkStatus[] }>;
  quorum: { quorate: boolean; votes: number; expected: number; flags: string[] };
  arbiter: { configured: boolean; state: string };
  /** From the cluster layer, when the agent runs it: the DC and the CIB version. */
  dc?: string | null;
  cibVersion?: string;
}

/**
 * The cluster layer settled on these agents: one DC and one CIB version everywhere. Fault
 * tests wait for it after forming, because the first CIB exchange costs each agent a few
 * hundred milliseconds of blocked event loop (compiling the CIB schema), which would overlap
 * the faults they inject. Agents without a cluster layer count as settled.
 */
export const clusterSettled = (all: AgentView[]): boolean =>
  all.every((view) => view.dc === undefined || (view.dc !== null && view.dc === all[0]!.dc && view.cibVersion === all[0]!.cibVersion));

export const memberIds = (view: AgentView | undefined): number[] => view?.members.map((member) => member.id) ?? [];

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` every 150 ms until it returns a value, for at most timeoutMs. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await sleep(150);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

export interface AgentProcessOptions {
  /**
   * Start the agent again, RESTART_DELAY_MS after it exits 75 (it stopped everything after
   * finding itself stalled as long as the token, as a CPU-starved agent in CI may), the way
   * edgeha.service's Restart=on-failure does, and say so on stderr (test/support/stall-restart.ts).
   * Off: it stays dead.
   */
  restartAfterStall?: boolean;
}

/** One agent (or arbiter) process started with `ip netns exec`, logging to a file in `directory`. */
export class AgentProcess {
  private child: ChildProcess | undefined;
  private cancelRestart: (() => void) | undefined;
  /** Times this agent was started again after exiting 75. */
  restarts = 0;
  readonly socket: string;
  readonly stateDir: string;

  constructor(readonly namespace: Namespace, readonly name: string, private readonly directory: string, private readonly args: string[], private readonly options: AgentProcessOptions = {}) {
    this.socket = join(directory, `${name}.sock`);
    this.stateDir = join(directory, `${name}-state`);
  }

  static agent(namespace: Namespace, name: string, directory: string, configFile: string, options: AgentProcessOptions = {}): AgentProcess {
    const process = new AgentProcess(namespace, name, directory, [], options);
    process.args.push("agent", "--config", configFile, "--node", name, "--socket", process.socket, "--state-dir", process.stateDir);
    return process;
  }

  start(): void {
    mkdirSync(this.directory, { recursive: true });
    const log = openSync(join(this.directory, `${this.name}.log`), "a");
    const child = spawn("ip", ["netns", "exec", this.namespace.name, ...bundleCommand, ...this.args], { stdio: ["ignore", log, log] });
    closeSync(log);
    this.child = child;
    if (this.options.restartAfterStall !== true) return;
    // Only the process this object still runs (kill() forgets it first).
    this.cancelRestart = restartAfterStall(this.name, child, () => this.child === child, () => {
      this.restarts++;
      this.start();
    });
  }

  /** Whether the process is still running (it may have died on its own). */
  get alive(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The last lines of the agent's log and whether it still runs, for a failed test's report. */
  describe(lines = 40): string {
    const file = join(this.directory, `${this.name}.log`);
    const tail = existsSync(file) ? readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n") : "(no log)";
    const restarted = this.restarts > 0 ? `, started again ${this.restarts} time(s) after exit ${EXIT_AFTER_STALL}` : "";
    return `--- ${this.name} (${this.alive ? "running" : `exited ${this.child?.exitCode ?? this.child?.signalCode ?? "or never started"}`}${restarted})\n${tail}`;
  }

  /** kill -9; `ip netns exec` execs the agent, so this pid is the agent itself. */
  kill(): void {
    this.cancelRestart?.();
    this.cancelRestart = undefined;
    this.child?.kill("SIGKILL");
    this.child = undefined;
  }

  async status(): Promise<AgentView | undefined> {
    try {
      return (await requestApi(this.socket, { command: "status" }, 2000)) as AgentView;
    } catch {
      return undefined;
    }
  }
}

/** The views of several agents once they all answer. */
export async function views(agents: AgentProcess[]): Promise<Array<AgentView | undefined>> {
  return Promise.all(agents.map((agent) => agent.status()));
}

/** Waits until every agent answers and `accept` holds for the list of views. */
export async function waitForViews(what: string, agents: AgentProcess[], accept: (all: AgentView[]) => boolean, timeoutMs = 15_000): Promise<AgentView[]> {
  let last: Array<AgentView | undefined> = [];
  try {
    return await waitFor(what, async () => {
      const all = (last = await views(agents));
      if (all.some((view) => view === undefined)) return undefined;
      return accept(all as AgentView[]) ? (all as AgentView[]) : undefined;
    }, timeoutMs);
  } catch (error) {
    // A timeout says what each agent showed last, so a failure in CI can be read without a rerun.
    const shown = agents.map((agent, index) => `${agent.name}: ${last[index] === undefined ? "no answer" : describeView(last[index]!)}`).join("; ");
    throw new Error(`${(error as Error).message} (last seen: ${shown})`);
  }
}

/** One line of what an agent's status shows: ring, members with their links, quorum, arbiter, DC and CIB. */
export function describeView(view: AgentView): string {
  const members = view.members.map((member) => `${member.id}[${member.links.map((link) => link.state).join(",")}]`).join(" ");
  const cluster = view.dc === undefined ? "" : ` dc=${view.dc} cib=${view.cibVersion}`;
  return `ring ${view.ringId} members ${members} quorate=${view.quorum.quorate} votes=${view.quorum.votes}/${view.quorum.expected} flags=${view.quorum.flags.join(",")} arbiter=${view.arbiter.state}${cluster}`;
}

/** Watches agents for durationMs, calling `check` on every round of views (for invariants that must hold throughout). */
export async function watch(agents: AgentProcess[], durationMs: number, check: (all: Array<AgentView | undefined>) => void): Promise<number> {
  const deadline = Date.now() + durationMs;
  let rounds = 0;
  while (Date.now() < deadline) {
    check(await views(agents));
    rounds++;
    await sleep(150);
  }
  return rounds;
}

export const linkState = (view: AgentView, peerId: number, link: number): string | undefined => view.members.find((member) => member.id === peerId)?.links[link]?.state;
