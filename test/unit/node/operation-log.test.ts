// Every node logs its own operations (issue 20, point 5): the executor's results on this node
// (LocalResources) reach its log through Observability as Pacemaker's controller words them —
// "Result of start operation for a on n2: ok" — with rc, exit reason, duration and queue time
// as fields; a failure is a warning, and the same failure repeated within a minute is held
// back and counted on the next line that is logged.
import { describe, expect, it } from "vitest";
import { Writable } from "node:stream";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { emptyCib, type Cib, type Primitive } from "../../../src/cib";
import { createLogger, silentLogger } from "../../../src/common/log";
import { LocalResources, type ActionRunner } from "../../../src/node/local-resources";
import { AlertRunner } from "../../../src/node/alerts";
import { Observability, type OperationEvent } from "../../../src/node/observability";

interface Line { level: number; msg: string; [field: string]: unknown }

function capture(): { lines: Line[]; logger: ReturnType<typeof createLogger> } {
  const lines: Line[] = [];
  const logger = createLogger({ destination: new Writable({ write: (chunk, _encoding, done) => { for (const text of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(text) as Line); done(); } }) });
  return { lines, logger };
}

function observe(logger: ReturnType<typeof createLogger>, nowMs: () => number): { observability: Observability; close: () => Promise<void> } {
  const directory = mkdtempSync(path.join(os.tmpdir(), "eh-oplog-"));
  const alertRunner = new AlertRunner(silentLogger(), async () => ({ exitCode: 0, signal: undefined, timedOut: false, stdout: "", stderr: "", runTimeMs: 1 }));
  const observability = new Observability({ clusterName: "c", node: { name: "n2", id: 2 }, nodes: [{ name: "n2", id: 2, links: [] }], stateDir: directory, version: "test", logger, write: () => {}, alertRunner, nowMs });
  return { observability, close: async () => { await observability.close(); rmSync(directory, { recursive: true, force: true }); } };
}

function cibWith(id: string): Cib {
  const cib = emptyCib();
  cib.version = { adminEpoch: 0, epoch: 2, numUpdates: 0 };
  cib.resources = [{ kind: "primitive", id, class: "ocf", provider: "test", type: "T", extra: {}, instance: [], meta: [], operations: [] } satisfies Primitive];
  return cib;
}

async function settle(predicate: () => boolean): Promise<void> {
  const deadline = Date.now() + 2000;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error("not settled");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const operationLines = (lines: Line[]) => lines.filter((line) => line.msg.startsWith("Result of "));

describe("per-operation log lines", () => {
  it("this node's probe, start and failed stop, each with rc, exit reason and duration", async () => {
    const { lines, logger } = capture();
    const { observability, close } = observe(logger, Date.now);
    const runner: ActionRunner = async (_primitive, action) => action === "monitor" ? { rc: 7, timedOut: false, runTimeMs: 3.4 }
      : action === "start" ? { rc: 0, timedOut: false, runTimeMs: 41.2 } : { rc: 1, reason: "port still bound", timedOut: false, runTimeMs: 7 };
    const resources = new LocalResources("n2", runner, logger, () => 1000);
    resources.onOperation((event) => observability.onOperation(event));
    try {
      resources.configure(cibWith("a"));
      await settle(() => resources.report().probed);
      await resources.operate("a", "start");
      await resources.operate("a", "stop");
      const logged = operationLines(lines);
      expect(logged.map((line) => [line.level, line.msg])).toEqual([
        [30, "Result of probe operation for a on n2: not running (rc 7, 3 ms)"],
        [30, "Result of start operation for a on n2: ok (rc 0, 41 ms)"],
        [40, "Result of stop operation for a on n2: error (rc 1, 7 ms, exit reason 'port still bound')"],
      ]);
      expect(logged[1]).toMatchObject({ node: "n2", resource: "a", operation: "start", intervalMs: 0, rc: 0, durationMs: 41 });
      expect(logged[1]!.queueMs).toEqual(expect.any(Number));
      expect(logged[2]).toMatchObject({ rc: 1, reason: "port still bound", repeatedSinceLastLog: 0 });
    } finally {
      resources.close();
      await close();
    }
  });

  it("the same failure repeated within a minute is logged once, then once more with how many were held back", async () => {
    const { lines, logger } = capture();
    let nowMs = 1_000_000;
    const { observability, close } = observe(logger, () => nowMs);
    const failure: OperationEvent = { resource: "web", operation: "monitor", intervalMs: 10_000, rc: 7, targetRc: 0, timedOut: false, reason: "no pid", durationMs: 5, queueMs: 0, failed: true };
    try {
      for (let index = 0; index < 5; index++) {
        observability.onOperation(failure);
        nowMs += 10_000;
      }
      observability.onOperation({ ...failure, rc: 1, reason: "crashed" });
      nowMs += 60_000;
      observability.onOperation(failure);
      const logged = operationLines(lines);
      expect(logged.map((line) => line.msg)).toEqual([
        "Result of monitor (interval 10000 ms) operation for web on n2: not running (rc 7, 5 ms, exit reason 'no pid')",
        "Result of monitor (interval 10000 ms) operation for web on n2: error (rc 1, 5 ms, exit reason 'crashed')",
        "Result of monitor (interval 10000 ms) operation for web on n2: not running (rc 7, 5 ms, exit reason 'no pid'); the same failure happened 4 more times since it was last logged",
      ]);
      expect(logged.at(-1)).toMatchObject({ level: 40, repeatedSinceLastLog: 4 });
      const timedOut = { ...failure, resource: "db", timedOut: true, rc: 1, reason: undefined };
      observability.onOperation(timedOut);
      expect(operationLines(lines).at(-1)!.msg).toBe("Result of monitor (interval 10000 ms) operation for db on n2: timed out (rc 1, 5 ms)");
    } finally {
      await close();
    }
  });
});
