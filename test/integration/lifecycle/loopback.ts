// Real agents on loopback addresses for the lifecycle tests: each node gets 127.O.N.1 (O from
// the process id, so two runs do not meet), its own socket, state directory and log. Ports:
// the lifecycle tests use 34200-34299 (integration tests run one at a time under the lock).
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bundleArgs, bundleCommand } from "../../support/environment";

export const octet = 10 + (process.pid % 200);
export const address = (node: number) => `127.${octet}.${node}.1`;

export interface Status {
  dc: string | null;
  cibVersion: string;
  ringId: number;
  members: Array<{ name: string; id: number }>;
  nodes?: Array<{ name: string; id: number; member: boolean }>;
  misconfiguration?: Array<{ source: string; reason: string; count: number; message: string }>;
  versions?: { negotiated: { protocol?: number; features: string[] }; warnings: string[]; peers: Array<{ name: string; advertised: boolean; configDifferences: string[] }> };
  cluster_state: { nodes: Array<{ name: string; state: string }>; resources: Array<{ id: string; role: string; nodes: string[] }> } | null;
}

export class Loopback {
  readonly directory = mkdtempSync(join(tmpdir(), "ehlife-"));
  readonly agents = new Map<string, ChildProcess>();
  /** Every agent started, also ones a later start under the same name replaced: close() stops them all. */
  private readonly started: ChildProcess[] = [];

  socket(name: string): string {
    return join(this.directory, `${name}.sock`);
  }

  stateDir(name: string): string {
    return join(this.directory, `state-${name}`);
  }

  logOf(name: string): string {
    const file = join(this.directory, `${name}.log`);
    return existsSync(file) ? readFileSync(file, "utf8") : "";
  }

  /** Starts `edgeha agent` for node `name` from `config` (default DIR/NAME.yaml); extra environment optional. */
  start(name: string, options: { config?: string; command?: string[]; env?: NodeJS.ProcessEnv; initialCib?: string } = {}): ChildProcess {
    // A retried test starts its nodes again: the first attempt's agent of that name (still on
    // the port and the socket) goes first, rather than living on unseen.
    const previous = this.agents.get(name);
    if (previous !== undefined && previous.exitCode === null && previous.signalCode === null) {
      console.error(`*** agent ${name} (pid ${previous.pid}) still runs when the test starts ${name} again: killing it first`);
      previous.kill("SIGKILL");
    }
    const log = openSync(join(this.directory, `${name}.log`), "a");
    const command = options.command ?? bundleCommand;
    const args = ["agent", "--config", options.config ?? join(this.directory, `${name}.yaml`), "--node", name, "--socket", this.socket(name), "--state-dir", this.stateDir(name), ...(options.initialCib ? ["--initial-cib", options.initialCib] : [])];
    const agent = spawn(command[0]!, [...command.slice(1), ...args], { stdio: ["ignore", log, log], env: { ...process.env, ...options.env } });
    closeSync(log);
    this.agents.set(name, agent);
    this.started.push(agent);
    return agent;
  }

  async stop(name: string, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    const agent = this.agents.get(name);
    this.agents.delete(name);
    if (agent === undefined || agent.exitCode !== null || agent.signalCode !== null) return;
    const exited = new Promise((resolve) => agent.once("exit", resolve));
    agent.kill(signal);
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
  }

  cli(args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): { status: number | null; stdout: string; stderr: string } {
    const result = spawnSync(process.execPath, [...bundleArgs, ...args], { encoding: "utf8", timeout: options.timeoutMs ?? 30_000, env: { ...process.env, ...options.env } });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  status(name: string): Status | undefined {
    const result = this.cli(["status", "--json", "--socket", this.socket(name)], { timeoutMs: 5000 });
    if (result.status !== 0) return undefined;
    try { return JSON.parse(result.stdout) as Status; } catch { return undefined; }
  }

  statusText(name: string): string {
    return this.cli(["status", "--socket", this.socket(name)], { timeoutMs: 5000 }).stdout;
  }

  async waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const value = probe();
      if (value !== undefined && value !== false) return value;
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    const logs = [...this.agents.keys()].map((name) => `--- ${name} ---\n${this.logOf(name).split("\n").slice(-15).join("\n")}`).join("\n");
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${logs}`);
  }

  async close(): Promise<void> {
    for (const name of [...this.agents.keys()]) await this.stop(name);
    for (const agent of this.started.splice(0)) {
      if (agent.exitCode !== null || agent.signalCode !== null) continue;
      const exited = new Promise((resolve) => agent.once("exit", resolve));
      agent.kill("SIGKILL");
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
    }
    rmSync(this.directory, { recursive: true, force: true });
  }
}
