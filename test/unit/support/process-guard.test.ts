// The guard of test/setup-guard.ts: it finds a live process that looks like `edgeha agent`
// and carries a file's marker (not one with another marker, not another command), kills it
// after the grace period, and names a default directory that appeared.
import { afterEach, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GUARD_VARIABLE, directoryChanges, isAgentCommand, markedAgents, reapMarkedAgents, snapshotDefaults } from "../../support/process-guard";

const started: ChildProcess[] = [];
afterEach(() => {
  for (const child of started.splice(0)) child.kill("SIGKILL");
});

/** A sleeping node process whose command line reads `node -e ... DIR/edgeha.cjs VERB --node guard`. */
function fakeAgent(marker: string, verb = "agent"): ChildProcess {
  const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)", "/nonexistent/dist/edgeha.cjs", verb, "--node", "guard"], { stdio: "ignore", env: { ...process.env, [GUARD_VARIABLE]: marker } });
  started.push(child);
  return child;
}

async function until<T>(probe: () => T | undefined): Promise<T> {
  for (let i = 0; i < 100; i++) {
    const value = probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("the fake agent never showed in /proc");
}

describe("the leaked-agent guard", () => {
  it("knows an agent's command line", () => {
    expect(isAgentCommand(["/usr/bin/node", "/repo/dist/edgeha.cjs", "agent", "--config", "x.yaml"])).toBe(true);
    expect(isAgentCommand(["/usr/bin/edgeha", "arbiter", "--listen", "127.0.0.1:1"])).toBe(true);
    expect(isAgentCommand(["/tmp/build/edgeha-x64", "agent"])).toBe(true);
    expect(isAgentCommand(["/usr/bin/node", "/repo/dist/edgeha.cjs", "status", "--json"])).toBe(false);
    expect(isAgentCommand(["sleep", "agent"])).toBe(false);
  });

  it("finds and kills a live agent carrying the file's marker, and only that one", async () => {
    const marker = `unit-${process.pid}-${Date.now()}`;
    const agent = fakeAgent(marker);
    const other = fakeAgent(`${marker}-another-file`);
    const notAgent = fakeAgent(marker, "status");
    const found = await until(() => markedAgents(marker).find((each) => each.pid === agent.pid));
    expect(found.command).toContain("edgeha.cjs agent --node guard");
    expect(markedAgents(marker).map((each) => each.pid)).toEqual([agent.pid]);
    expect(markedAgents(`${marker}-another-file`).map((each) => each.pid)).toEqual([other.pid]);

    const exited = new Promise((resolve) => agent.once("exit", (_code, signal) => resolve(signal)));
    const leaked = await reapMarkedAgents(marker, 300);
    expect(leaked.map((each) => each.pid)).toEqual([agent.pid]);
    expect(await exited).toBe("SIGKILL");
    expect(other.exitCode === null && other.signalCode === null).toBe(true);
    expect(notAgent.exitCode === null && notAgent.signalCode === null).toBe(true);
    expect(await reapMarkedAgents(marker, 300)).toEqual([]);
  });

  it("waits out the grace period for an agent that is going away", async () => {
    const marker = `unit-grace-${process.pid}-${Date.now()}`;
    const agent = fakeAgent(marker);
    await until(() => markedAgents(marker)[0]);
    setTimeout(() => agent.kill("SIGKILL"), 200);
    expect(await reapMarkedAgents(marker, 3000)).toEqual([]);
  });

  it("names a default directory that appeared, changed or went away", () => {
    const root = mkdtempSync(join(tmpdir(), "ehguard-"));
    try {
      const directory = join(root, "var-lib-edgeha");
      const before = snapshotDefaults([directory]);
      expect(directoryChanges(before, snapshotDefaults([directory]))).toEqual([]);
      mkdirSync(directory);
      writeFileSync(join(directory, "cib.xml"), "<cib/>");
      const after = snapshotDefaults([directory]);
      expect(directoryChanges(before, after)).toEqual([`${directory} appeared (cib.xml)`]);
      writeFileSync(join(directory, "membership.json"), "{}");
      expect(directoryChanges(after, snapshotDefaults([directory]))).toEqual([`${directory} changed`]);
      rmSync(directory, { recursive: true });
      expect(directoryChanges(after, snapshotDefaults([directory]))).toEqual([`${directory} was removed`]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
