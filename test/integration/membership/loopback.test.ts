// Real agents on 127.0.x loopback addresses (no namespace needed): a three-node cluster
// forms one view, and after kill -9 of one node the other two agree on a new view and
// keep quorum. Every wait is bounded: 30 s, for a machine busy enough (stress-ng --cpu 4 on
// two cores) that forming once took 15 s; the agents are asked over their sockets from this
// process (no CLI process per node per poll) and a timeout says what each showed last.
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { requestApi } from "../../../src/api";
import { bundleArgs } from "../../support/environment";

const directory = mkdtempSync(join(tmpdir(), "ehm-"));
const port = 30200 + (process.pid % 300);
const octet = 10 + (process.pid % 200);
const names = ["one", "two", "three"];
const agents = new Map<string, ChildProcess>();
/** Every agent this file started (a retry starts them again under the same names). */
const started: ChildProcess[] = [];
/** What each node answered last, for a timeout's report. */
const lastSeen = new Map<string, View | undefined>();
/** How long a wait may take: forming took 15.6 s once on a machine under stress-ng --cpu 4. */
const WAIT_MS = 30_000;

interface View { ringId: number; members: Array<{ id: number; links: Array<{ state: string }> }>; quorum: { quorate: boolean; votes: number } }

async function status(name: string): Promise<View | undefined> {
  let view: View | undefined;
  try {
    view = (await requestApi(join(directory, `${name}.sock`), { command: "status" }, 3000)) as View;
  } catch {
    view = undefined;
  }
  lastSeen.set(name, view);
  return view;
}

const describeView = (view: View | undefined) => view === undefined ? "no answer" : `ring ${view.ringId} members ${view.members.map((member) => member.id).join(",")} quorate=${view.quorum.quorate} votes=${view.quorum.votes}`;

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = WAIT_MS): Promise<T> {
  const start = Date.now();
  let polls = 0;
  while (Date.now() - start < timeoutMs) {
    polls++;
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const seen = [...lastSeen].map(([name, view]) => `${name}: ${describeView(view)}`).join("; ");
  throw new Error(`timed out after ${Date.now() - start} ms (${polls} polls) waiting for ${what} (last seen: ${seen})`);
}

/** What each agent shows and logged last, for a failed test's report (a CI failure can be read without a rerun). */
async function describeAgents(): Promise<string> {
  const described = await Promise.all(names.map(async (name) => {
    const agent = agents.get(name);
    const state = agent === undefined ? "never started" : agent.exitCode === null && agent.signalCode === null ? "running" : `exited ${agent.exitCode ?? agent.signalCode}`;
    const view = describeView(agent?.exitCode === null && agent.signalCode === null ? await status(name) : undefined);
    const file = join(directory, `${name}.log`);
    const tail = existsSync(file) ? readFileSync(file, "utf8").trimEnd().split("\n").slice(-25).join("\n") : "(no log)";
    return `--- ${name} (${state}; ${view})\n${tail}`;
  }));
  return described.join("\n");
}

// A failed attempt reports what the agents showed, then stops them, so that a retry starts
// three fresh agents on free sockets and ports (and none outlives the file).
afterEach(async (context) => {
  if (context.task.result?.state === "fail") console.error(await describeAgents());
  await Promise.all(started.splice(0).map((agent) => agent.exitCode !== null || agent.signalCode !== null ? undefined : new Promise((resolve) => {
    agent.once("exit", resolve);
    agent.kill("SIGKILL");
  })));
  agents.clear();
  lastSeen.clear();
});

afterAll(() => {
  for (const agent of started) agent.kill("SIGKILL");
  rmSync(directory, { recursive: true, force: true });
});

describe("three real agents on loopback", () => {
  it("agree on one view, then survive kill -9 of a node with quorum", async () => {
    writeFileSync(join(directory, "authkey"), randomBytes(64), { mode: 0o600 });
    const nodes = names.map((name, index) => `  - { name: ${name}, id: ${index + 1}, links: [127.${octet}.1.${index + 1}, 127.${octet}.2.${index + 1}] }`).join("\n");
    writeFileSync(join(directory, "edgeha.yaml"), `cluster_name: ehmloop\ntransport: { port: ${port} }\npaths: { authkey: ${join(directory, "authkey")} }\nnodes:\n${nodes}\n`);
    for (const name of names) {
      const log = openSync(join(directory, `${name}.log`), "a");
      const agent = spawn(process.execPath, [...bundleArgs, "agent", "--config", join(directory, "edgeha.yaml"), "--node", name, "--socket", join(directory, `${name}.sock`), "--state-dir", join(directory, `${name}-state`)], { stdio: ["ignore", log, log] });
      closeSync(log);
      agents.set(name, agent);
      started.push(agent);
    }
    const formed = await waitFor("one view of three", async () => {
      const all = await Promise.all(names.map(status));
      if (all.some((each) => each === undefined || each.members.length !== 3)) return undefined;
      return new Set(all.map((each) => each!.ringId)).size === 1 ? all : undefined;
    });
    expect(formed[0]!.quorum).toMatchObject({ quorate: true, votes: 3 });
    expect(formed[0]!.members.flatMap((member) => member.links.map((link) => link.state)).filter((state) => state === "up")).toHaveLength(4);

    agents.get("three")!.kill("SIGKILL");
    const after = await waitFor("a view of two", async () => {
      const survivors = await Promise.all(["one", "two"].map(status));
      if (survivors.some((each) => each === undefined || each.members.length !== 2)) return undefined;
      return survivors[0]!.ringId === survivors[1]!.ringId ? survivors : undefined;
    });
    expect(after[0]!.ringId).toBeGreaterThan(formed[0]!.ringId);
    expect(after.map((each) => each!.members.map((member) => member.id))).toEqual([[1, 2], [1, 2]]);
    expect(after[0]!.quorum).toMatchObject({ quorate: true, votes: 2 });
  }, 90_000);
});
