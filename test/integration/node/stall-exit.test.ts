// The stall exit end to end, on real agents: an agent stalled longer than the token (SIGSTOP,
// then SIGCONT) stops everything it may have started, including what the previous agent
// process started here (its started-resources.json) and no probe has answered for yet, with
// the definition it ran with, and exits 75 (systemd starts it again). Without that, a
// resource the configuration dropped while the agent was down runs on unnoticed while the
// peer, which declared this node lost, is free to start it too.
//
// Scenario: two agents on loopback, no fencing. n1's state directory holds the previous
// process's record with "orphan" (no longer configured; its state file exists, so it runs);
// its probe takes 15 s (probe_delay). n1 joins n2, is stopped for 1.5 s (token 600 ms) while
// that probe runs, and continued. About 20 s.
import { afterAll, describe, expect, it } from "vitest";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { bundleArgs, repositoryRoot } from "../../support/environment";
import { encodeStarted, STARTED_FILE } from "../../../src/executor/started";
import type { Primitive } from "../../../src/cib";

const directory = mkdtempSync(join(tmpdir(), "ehx-"));
const port = 34500 + (process.pid % 300);
const octet = 10 + ((process.pid + 53) % 200);
const stateFiles = join(directory, "state");
const agents = new Map<string, ChildProcess>();
const ocfRoot = join(repositoryRoot, "test", "fixtures", "ocf");
const PROBE_DELAY_S = 15;
const STALL_MS = 1500;

interface Status { dc: string | null; cluster_state: { nodes: Array<{ name: string; state: string }> } | null }

const socket = (name: string) => join(directory, `${name}.sock`);
const logOf = (name: string) => join(directory, `${name}.log`);

function start(name: string): ChildProcess {
  const agent = spawn(process.execPath, [...bundleArgs, "agent", "--config", join(directory, "edgeha.yaml"), "--node", name, "--socket", socket(name), "--state-dir", join(directory, name), "--initial-cib", join(directory, "cib.json")], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, OCF_ROOT: ocfRoot } });
  const log = createWriteStream(logOf(name), { flags: "a" });
  agent.stdout!.pipe(log);
  agent.stderr!.pipe(log);
  agents.set(name, agent);
  return agent;
}

function status(name: string): Status | undefined {
  const result = spawnSync(process.execPath, [...bundleArgs, "status", "--json", "--socket", socket(name)], { encoding: "utf8", timeout: 5000 });
  return result.status === 0 ? (JSON.parse(result.stdout) as Status) : undefined;
}

async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

function stateResource(id: string, extra: Record<string, string> = {}): Primitive {
  return {
    kind: "primitive", id, class: "ocf", provider: "edgeha-test", type: "State", extra: {},
    instance: [{ id: `${id}-params`, values: { dir: stateFiles, ...extra } }], meta: [],
    operations: [{ id: `${id}-monitor`, name: "monitor", interval: "1s", intervalMs: 1000, timeout: "30s", extra: {}, meta: [], instance: [] }],
  };
}

function logLines(name: string): Array<{ msg: string; time: string }> {
  if (!existsSync(logOf(name))) return [];
  return readFileSync(logOf(name), "utf8").split("\n").filter((line) => line.startsWith("{")).map((line) => JSON.parse(line) as { msg: string; time: string });
}

afterAll(() => {
  for (const agent of agents.values()) agent.kill("SIGKILL");
  if (!process.env.EDGEHA_KEEP) rmSync(directory, { recursive: true, force: true });
});

describe("the stall exit on real agents", () => {
  it("stops what the previous agent process started and no probe has answered yet, with the definition it ran with, then exits 75", async () => {
    writeFileSync(join(directory, "authkey"), randomBytes(64), { mode: 0o600 });
    writeFileSync(join(directory, "edgeha.yaml"), `cluster_name: ehstall\ntransport: { port: ${port} }\ntiming: { heartbeat_ms: 200, token_ms: 600 }\npaths: { authkey: ${join(directory, "authkey")} }\nnodes:\n  - { name: n1, id: 1, links: [127.${octet}.9.1] }\n  - { name: n2, id: 2, links: [127.${octet}.9.2] }\n`);
    const cib = {
      version: { adminEpoch: 0, epoch: 1, numUpdates: 0 }, attributes: {},
      properties: [{ id: "cib-bootstrap-options", values: { "stonith-enabled": "false" } }], nodes: [],
      resources: [stateResource("vip")],
      constraints: [], rscDefaults: [], opDefaults: [], fencingTopology: [], status: [],
    };
    writeFileSync(join(directory, "cib.json"), JSON.stringify(cib));
    // What n1's previous agent process left: the record of "orphan", which still runs there.
    mkdirSync(join(directory, "n1"), { recursive: true, mode: 0o700 });
    mkdirSync(stateFiles, { recursive: true });
    writeFileSync(join(directory, "n1", STARTED_FILE), encodeStarted([stateResource("orphan", { probe_delay: String(PROBE_DELAY_S) })]), { mode: 0o600 });
    writeFileSync(join(stateFiles, "orphan@n1"), "");

    start("n2");
    await waitFor("n2 to answer", () => status("n2")?.dc ?? undefined);
    const startedAt = Date.now();
    const n1 = start("n1");
    let code: number | null | undefined;
    n1.once("exit", (value) => { code = value; });
    await waitFor("n1 to probe the record's orphan", () => logLines("n1").some((line) => line.msg === "resources the previous agent process started here are probed again"));
    await waitFor("both nodes online", () => status("n2")?.cluster_state?.nodes.every((node) => node.state === "online") && status("n2")?.cluster_state?.nodes.length === 2);
    // Its probe has not answered: the stall comes well before it can.
    expect(Date.now() - startedAt).toBeLessThan((PROBE_DELAY_S - 5) * 1000);
    expect(existsSync(join(stateFiles, "orphan@n1"))).toBe(true);

    const stoppedAt = Date.now();
    process.kill(n1.pid!, "SIGSTOP");
    await new Promise((resolve) => setTimeout(resolve, STALL_MS));
    process.kill(n1.pid!, "SIGCONT");

    await waitFor("n1 to exit", () => code !== undefined, (PROBE_DELAY_S + 15) * 1000);
    expect(code).toBe(75);
    // The orphan was stopped (its stop waited for the running probe), and nothing runs on n1.
    expect(existsSync(join(stateFiles, "orphan@n1"))).toBe(false);
    expect(existsSync(join(stateFiles, "vip@n1"))).toBe(false);
    const after = logLines("n1").filter((line) => Date.parse(line.time) >= stoppedAt);
    expect(after[0]?.msg).toMatch(/^this node was stalled as long as the token/);
    expect(after.some((line) => line.msg === "stopped every resource after the stall; the agent exits and starts again")).toBe(true);
    // The record is empty: a new agent process has nothing of the orphan left to stop.
    expect(readFileSync(join(directory, "n1", STARTED_FILE), "utf8")).not.toContain("orphan");
  }, 90_000);
});
