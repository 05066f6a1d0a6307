// An agent that exits 75 (stopped itself after a stall) is started again after RestartSec, as
// edgeha.service would, by the shared helper and by PairCluster, which uses it; one that exits
// otherwise, or that the test killed or replaced, is not. The "agent" here is a node one-liner
// that exits 75 on its first run and then sleeps; PairCluster runs it through a stand-in testbed
// that spawns it here instead of in a namespace.
import { afterEach, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PairCluster } from "../../support/pair-cluster";
import type { PairNode, PairTestbed } from "../../support/pair";
import { EXIT_AFTER_STALL, RESTART_DELAY_MS, restartAfterStall } from "../../support/stall-restart";

const children: ChildProcess[] = [];
const directories: string[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill("SIGKILL");
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

/** Exits 75 the first time (it leaves FILE behind), sleeps on every later run. */
const stallOnce = (file: string) => [process.execPath, "-e", `const fs = require("fs"); if (!fs.existsSync(${JSON.stringify(file)})) { fs.writeFileSync(${JSON.stringify(file)}, ""); process.exit(${EXIT_AFTER_STALL}); } setInterval(() => {}, 1000);`];

function temporary(): string {
  const directory = mkdtempSync(join(tmpdir(), "ehstall-"));
  directories.push(directory);
  return directory;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const exited = (child: ChildProcess) => new Promise<number | null>((resolve) => child.exitCode !== null ? resolve(child.exitCode) : child.once("exit", resolve));

/** Polls (a busy machine starts node slowly): the value once `probe` gives one, else undefined after 20 s. */
async function eventually<T>(probe: () => T | undefined): Promise<T | undefined> {
  for (const deadline = Date.now() + 20_000; Date.now() < deadline; await sleep(100)) {
    const value = probe();
    if (value !== undefined) return value;
  }
  return undefined;
}

describe("restartAfterStall", () => {
  it("starts again only after exit 75, only while wanted, and not once cancelled", async () => {
    const calls: string[] = [];
    const run = (code: number) => {
      const child = spawn(process.execPath, ["-e", `process.exit(${code})`], { stdio: "ignore" });
      children.push(child);
      return child;
    };
    const all = [run(EXIT_AFTER_STALL), run(1), run(EXIT_AFTER_STALL), run(EXIT_AFTER_STALL)];
    restartAfterStall("a", all[0]!, () => true, () => calls.push("a"));
    restartAfterStall("b", all[1]!, () => true, () => calls.push("b"));
    restartAfterStall("c", all[2]!, () => false, () => calls.push("c"));
    const cancel = restartAfterStall("d", all[3]!, () => true, () => calls.push("d"));
    await Promise.all(all.map(exited));
    expect(calls).toEqual([]);
    cancel();
    await sleep(RESTART_DELAY_MS + 500);
    expect(calls).toEqual(["a"]);
  });
});

describe("PairCluster", () => {
  const node = { name: "node1", namespace: "unused" } as PairNode;
  function cluster(directory: string, restart?: boolean): PairCluster {
    const testbed = {
      directory, nodes: [node], destroyed: false,
      spawn: (_node: PairNode, argv: string[]) => {
        const child = spawn(argv[0]!, argv.slice(1), { stdio: "ignore" });
        children.push(child);
        return child;
      },
    } as unknown as PairTestbed;
    return new PairCluster(testbed, { port: 1, repositoryRoot: directory, command: stallOnce(join(directory, "stalled")), ...(restart === undefined ? {} : { restartAfterStall: restart }) });
  }

  it("starts a node's agent again, with the same command, after it exits 75", async () => {
    const directory = temporary();
    const pair = cluster(directory);
    const first = pair.startAgent(node);
    expect(await exited(first)).toBe(EXIT_AFTER_STALL);
    expect(existsSync(join(directory, "stalled"))).toBe(true);
    expect(await eventually(() => pair.restarts.get("node1"))).toBe(1);
    const second = pair.agents.get("node1")!;
    expect(second).not.toBe(first);
    expect(second.exitCode === null && second.signalCode === null).toBe(true);
  });

  it("leaves it down when the test turns restarts off (a test of the stall itself)", async () => {
    const directory = temporary();
    const pair = cluster(directory, false);
    const first = pair.startAgent(node);
    expect(await exited(first)).toBe(EXIT_AFTER_STALL);
    await sleep(RESTART_DELAY_MS + 1000);
    expect(pair.agents.get("node1")).toBe(first);
    expect(pair.restarts.get("node1")).toBeUndefined();
  });
});
