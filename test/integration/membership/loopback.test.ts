// Real agents on 127.0.x loopback addresses (no namespace needed): a three-node cluster
// forms one view, and after kill -9 of one node the other two agree on a new view and
// keep quorum. Every wait is bounded.
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { cliBundle } from "../../support/environment";

const directory = mkdtempSync(join(tmpdir(), "ehm-"));
const port = 30200 + (process.pid % 300);
const octet = 10 + (process.pid % 200);
const names = ["one", "two", "three"];
const agents = new Map<string, ChildProcess>();

function status(name: string): { ringId: number; members: Array<{ id: number; links: Array<{ state: string }> }>; quorum: { quorate: boolean; votes: number } } | undefined {
  const result = spawnSync(process.execPath, [cliBundle, "status", "--json", "--socket", join(directory, `${name}.sock`)], { encoding: "utf8", timeout: 5000 });
  return result.status === 0 ? JSON.parse(result.stdout) : undefined;
}

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** What each agent shows and logged last, for a failed test's report (a CI failure can be read without a rerun). */
function describeAgents(): string {
  return names.map((name) => {
    const agent = agents.get(name);
    const state = agent === undefined ? "never started" : agent.exitCode === null && agent.signalCode === null ? "running" : `exited ${agent.exitCode ?? agent.signalCode}`;
    const shown = agent?.exitCode === null && agent.signalCode === null ? status(name) : undefined;
    const view = shown === undefined ? "no answer" : `ring ${shown.ringId} members ${shown.members.map((member) => member.id).join(",")} quorate=${shown.quorum.quorate} votes=${shown.quorum.votes}`;
    const file = join(directory, `${name}.log`);
    const tail = existsSync(file) ? readFileSync(file, "utf8").trimEnd().split("\n").slice(-25).join("\n") : "(no log)";
    return `--- ${name} (${state}; ${view})\n${tail}`;
  }).join("\n");
}

afterEach((context) => {
  if (context.task.result?.state === "fail") console.error(describeAgents());
});

afterAll(() => {
  for (const agent of agents.values()) agent.kill("SIGKILL");
  rmSync(directory, { recursive: true, force: true });
});

describe("three real agents on loopback", () => {
  it("agree on one view, then survive kill -9 of a node with quorum", async () => {
    writeFileSync(join(directory, "authkey"), randomBytes(64), { mode: 0o600 });
    const nodes = names.map((name, index) => `  - { name: ${name}, id: ${index + 1}, links: [127.${octet}.1.${index + 1}, 127.${octet}.2.${index + 1}] }`).join("\n");
    writeFileSync(join(directory, "edgeha.yaml"), `cluster_name: ehmloop\ntransport: { port: ${port} }\npaths: { authkey: ${join(directory, "authkey")} }\nnodes:\n${nodes}\n`);
    for (const name of names) {
      const log = openSync(join(directory, `${name}.log`), "a");
      const agent = spawn(process.execPath, [cliBundle, "agent", "--config", join(directory, "edgeha.yaml"), "--node", name, "--socket", join(directory, `${name}.sock`), "--state-dir", join(directory, `${name}-state`)], { stdio: ["ignore", log, log] });
      closeSync(log);
      agents.set(name, agent);
    }
    const formed = await waitFor("one view of three", () => {
      const all = names.map(status);
      if (all.some((each) => each === undefined || each.members.length !== 3)) return undefined;
      return new Set(all.map((each) => each!.ringId)).size === 1 ? all : undefined;
    });
    expect(formed[0]!.quorum).toMatchObject({ quorate: true, votes: 3 });
    expect(formed[0]!.members.flatMap((member) => member.links.map((link) => link.state)).filter((state) => state === "up")).toHaveLength(4);

    agents.get("three")!.kill("SIGKILL");
    const after = await waitFor("a view of two", () => {
      const survivors = ["one", "two"].map(status);
      if (survivors.some((each) => each === undefined || each.members.length !== 2)) return undefined;
      return survivors[0]!.ringId === survivors[1]!.ringId ? survivors : undefined;
    });
    expect(after[0]!.ringId).toBeGreaterThan(formed[0]!.ringId);
    expect(after.map((each) => each!.members.map((member) => member.id))).toEqual([[1, 2], [1, 2]]);
    expect(after[0]!.quorum).toMatchObject({ quorate: true, votes: 2 });
  }, 60_000);
});
