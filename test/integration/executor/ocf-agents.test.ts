// The executor runs real OCF agents from resource-agents (Debian package) and
// agents of our own that misbehave.
import { afterAll, describe, expect, it } from "vitest";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { runOcfAction, type OcfResource } from "../../../src/executor";

const directory = mkdtempSync(path.join(os.tmpdir(), "edgeha-ocf-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
const call = (action: string, timeoutMs = 20_000) => ({ action, timeoutMs, intervalMs: action === "monitor" ? 10_000 : 0 });

// resource-agents ships ocf:heartbeat:Dummy; scripts/test installs it as root.
const dummyMissing = !existsSync("/usr/lib/ocf/resource.d/heartbeat/Dummy");
describe.skipIf(dummyMissing)("the real ocf:heartbeat:Dummy (skipped without the resource-agents package)", () => { // skipped: without the resource-agents package (its Dummy agent)
  const dummy: OcfResource = { id: "d1", provider: "heartbeat", type: "Dummy", params: { state: path.join(directory, "d1.state") } };

  it("goes through monitor, start, monitor, stop, monitor with the right results", async () => {
    const results = [];
    for (const action of ["monitor", "start", "monitor", "stop", "monitor"]) results.push((await runOcfAction(dummy, call(action))).rc);
    expect(results).toEqual([7, 0, 0, 0, 7]);
  });

  it("records a failing monitor when the resource vanished behind its back", async () => {
    expect((await runOcfAction(dummy, call("start"))).rc).toBe(0);
    rmSync(dummy.params.state!);
    const failed = await runOcfAction(dummy, call("monitor"));
    expect(failed).toMatchObject({ rc: 7, summary: "not running" });
  });
});

/** A process is gone when /proc has no entry for it or only a zombie waits to be reaped. */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

function writeAgent(name: string, body: string): OcfResource {
  const providerDirectory = path.join(directory, "root", "resource.d", "test");
  mkdirSync(providerDirectory, { recursive: true });
  const file = path.join(providerDirectory, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return { id: name, provider: "test", type: name, params: { marker: path.join(directory, `${name}.pid`) } };
}

describe("agents that misbehave", () => {
  const ocfRoot = path.join(directory, "root");

  it("kills an agent that hangs, with its children, and reports a timeout", async () => {
    const hanging = writeAgent("hangs", 'sleep 300 & echo $! > "$OCF_RESKEY_marker"; sleep 300');
    const result = await runOcfAction(hanging, { ...call("start", 500), ocfRoot });
    expect(result).toMatchObject({ timedOut: true, rc: 1, summary: "timed out" });
    expect(result.exitReason).toContain("did not finish within 500 ms");
    const child = Number(readFileSync(hanging.params.marker!, "utf8"));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(isAlive(child)).toBe(false);
  });

  it("captures the exit reason of a configuration error", async () => {
    const misconfigured = writeAgent("misconfigured", 'echo "ocf-exit-reason:the ip parameter is mandatory" >&2; exit 6');
    const result = await runOcfAction(misconfigured, { ...call("start"), ocfRoot });
    expect(result).toMatchObject({ rc: 6, severity: "fatal", exitReason: "the ip parameter is mandatory" });
  });

  it("reports an unknown agent as not installed, naming where it looked", async () => {
    const result = await runOcfAction({ id: "x", provider: "test", type: "nosuch", params: {} }, { ...call("start"), ocfRoot });
    expect(result).toMatchObject({ rc: 5, severity: "hard", summary: "not installed" });
    expect(result.exitReason).toContain(path.join(ocfRoot, "resource.d", "test", "nosuch"));
  });
});
