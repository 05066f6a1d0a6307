// `edgeha watchdog test` (issue 17, point 4), like `sbd test-watchdog`: against the testbed's
// watchdog stand-in (test/support/watchdog-standin.mjs), whose "power-off" here kills the
// process running the command (the machine it tests). On a node whose agent answers on the
// admin socket (edgeha's own socket server, answering status) it refuses without --force and
// leaves the watchdog alone; otherwise (or with --force) it arms the watchdog, stops feeding
// it, and the stand-in fires. A watchdog that does not reset the machine is reported as failed.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startApiServer, type ApiServer } from "../../../src/api";
import { bundleArgs, reasonMissing, repositoryRoot } from "../../support/environment";

const missing = reasonMissing("mkfifo");
let dir = "";
const children: ChildProcess[] = [];
let agent: ApiServer | undefined;

beforeAll(() => { dir = mkdtempSync(join(tmpdir(), "eh-wdtest-")); });
afterAll(async () => {
  for (const child of children) child.kill("SIGKILL");
  await agent?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A stand-in whose power-off kills the process whose pid is in NAME.pid (when `resets`), else does nothing. */
async function standin(name: string, resets = true): Promise<{ fifo: string; events: () => string[]; pidFile: string }> {
  const fifo = join(dir, name);
  const pidFile = join(dir, `${name}.pid`);
  const powerOff = resets ? ["sh", "-c", `kill -9 "$(cat '${pidFile}')"`] : ["true"];
  children.push(spawn(process.execPath, [join(repositoryRoot, "test", "support", "watchdog-standin.mjs"), fifo, "1", "--", ...powerOff], { stdio: "ignore" }));
  for (let wait = 0; wait < 100 && !existsSync(`${fifo}.timeout`); wait++) await new Promise((resolve) => setTimeout(resolve, 50));
  await new Promise((resolve) => setTimeout(resolve, 200));
  return { fifo, pidFile, events: () => (existsSync(`${fifo}.events`) ? readFileSync(`${fifo}.events`, "utf8").trim().split("\n").map((line) => line.split(" ")[1]!) : []) };
}

/** Runs `edgeha watchdog test` as its own process (the one the stand-in kills). */
function watchdogTest(bed: { fifo: string; pidFile: string }, socket: string, ...extra: string[]): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...bundleArgs, "watchdog", "test", "--device", bed.fifo, "--socket", socket, ...extra], { stdio: ["ignore", "pipe", "pipe"] });
    children.push(child);
    writeFileSync(bed.pidFile, String(child.pid));
    let out = "";
    let err = "";
    child.stdout!.on("data", (chunk: Buffer) => { out += chunk.toString("utf8"); });
    child.stderr!.on("data", (chunk: Buffer) => { err += chunk.toString("utf8"); });
    child.on("close", (code, signal) => resolve({ code, signal, out, err }));
  });
}

describe.skipIf(missing !== "")(`edgeha watchdog test ${missing}`, () => { // skipped: without mkfifo (coreutils), the stand-in cannot be made
  it("refuses on a node whose agent runs, without --force, and leaves the watchdog unarmed", async () => {
    const socket = join(dir, "agent.sock");
    agent = await startApiServer(socket, (request) => (request.command === "status" ? { dc: "node1" } : { error: "unknown" }));
    const bed = await standin("live");
    const refused = await watchdogTest(bed, socket);
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/the edgeha agent runs on this node .* the reset would stop every resource it runs/);
    expect(refused.err).toMatch(/add --force/);
    expect(bed.events()).toEqual([]);
  });

  it("with --force on a live node, arms the watchdog, stops feeding it, and the machine is reset", async () => {
    const socket = join(dir, "agent.sock");
    const bed = await standin("forced");
    const result = await watchdogTest(bed, socket, "--force");
    expect(result.signal).toBe("SIGKILL");
    expect(result.out).toMatch(/armed, timeout 1 s; feeding it for 1 s\nno longer fed: this machine must reset within 1 s/);
    // Armed, fed (the stand-in reports feeding, once or more often as the timers fall), then
    // left to expire: nothing after the expiry.
    const events = bed.events();
    expect(events[0]).toBe("armed");
    expect(events.at(-1)).toBe("expired");
    expect(events.slice(1, -1).length).toBeGreaterThan(0);
    expect(new Set(events.slice(1, -1))).toEqual(new Set(["fed"]));
  });

  it("where no agent answers, runs without --force", async () => {
    const bed = await standin("idle");
    const result = await watchdogTest(bed, join(dir, "no-agent.sock"));
    expect(result.signal).toBe("SIGKILL");
    expect(bed.events().at(-1)).toBe("expired");
  });

  it("a watchdog that does not reset the machine is reported as failed", async () => {
    const bed = await standin("broken", false);
    const result = await watchdogTest(bed, join(dir, "no-agent.sock"));
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/watchdog test FAILED: this machine is still up 11 s after the watchdog was last fed/);
    expect(bed.events().at(-1)).toBe("expired");
  }, 30_000);
});
