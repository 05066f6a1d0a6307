// Issue 15 (what the simulator still found): a resource this node started must still be known
// after the agent restarts. The agent is killed (or crashes) while it runs "vip"; the
// configuration drops vip before the next agent process sees it. Pacemaker's operation
// history outlives a restart of the controller and is probed when the node joins; here the
// executor keeps the definitions of what it started in the state directory
// (started-resources.json, src/executor/started.ts), and the next LocalResources probes them
// with its first configuration, reports the orphan and stops it with the definition it ran with.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeStarted, encodeStarted, STARTED_FILE } from "../../../src/executor/started";
import { LocalResources, type ActionRunner } from "../../../src/node/local-resources";
import { capturingLogger as logger, cibOf as cib, fakeAgents, ipPrimitive as primitive, probed } from "../../support/local-resources";

/** The node's real agents: what runs survives the agent process (kill -9 of the agent leaves it running). */
const machine = () => fakeAgents();

let stateDir: string;
beforeEach(() => { stateDir = mkdtempSync(join(tmpdir(), "edgeha-started-")); });
afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

describe("what this node started is known across a restart of the agent", () => {
  // A leave (SIGTERM, cluster stop) or a stall right after a restart of the agent, before its
  // first probe answered: what the previous process started must be stopped before the agent
  // leaves, or it runs on while a peer starts it too.
  it("stopAll before the first probe stops what the previous agent process started, with the definition it ran with", async () => {
    const { running, calls, runner } = machine();
    const file = join(stateDir, STARTED_FILE);
    const first = new LocalResources("n1", runner, logger().log, () => 1000, { startedFile: file });
    first.configure(cib(2, primitive("vip", "10.0.0.1")));
    await probed(first, "0.2.0");
    expect(await first.operate("vip", "start")).toEqual({ ok: true });
    first.close();
    // The next process is stopped before any configuration reached it (so before any probe).
    const second = new LocalResources("n1", runner, logger().log, () => 1000, { startedFile: file });
    expect(await second.stopAll()).toEqual([]);
    expect(calls.at(-1)).toBe("stop vip ip=10.0.0.1");
    expect(running.has("vip")).toBe(false);
    // Nothing is left that may be active: a second stopAll has nothing to do, and the record is empty.
    const before = calls.length;
    expect(await second.stopAll()).toEqual([]);
    expect(calls.slice(before)).toEqual([]);
    expect(decodeStarted(readFileSync(file, "utf8"))).toEqual({ definitions: [] });
    second.close();
  });

  it("stopAll while the first probe is still queued stops the loaded entry with the definition it ran with, not the new configuration's", async () => {
    const { running, calls, runner } = machine();
    const file = join(stateDir, STARTED_FILE);
    writeFileSync(file, encodeStarted([primitive("vip", "10.0.0.1")]));
    running.add("vip");
    const resources = new LocalResources("n1", runner, logger().log, () => 1000, { startedFile: file });
    // The configuration changed vip's address meanwhile; the stop comes before the probe answered.
    resources.configure(cib(5, primitive("vip", "10.0.0.9")));
    expect(resources.report().resources.vip).toBeUndefined();
    expect(await resources.stopAll()).toEqual([]);
    expect(calls).toContain("stop vip ip=10.0.0.1");
    expect(running.has("vip")).toBe(false);
    expect(resources.report().resources.vip?.operations.at(-1)).toMatchObject({ operation: "stop", rcCode: 0 });
    const before = calls.length;
    expect(await resources.stopAll()).toEqual([]);
    expect(calls.slice(before)).toEqual([]);
    resources.close();
  });

  it("an orphan started by the previous agent process is probed, reported and stopped with the definition it ran with", async () => {
    const { running, calls, runner } = machine();
    const file = join(stateDir, STARTED_FILE);
    const first = new LocalResources("n1", runner, logger().log, () => 1000, { startedFile: file });
    first.configure(cib(2, primitive("vip", "10.0.0.1")));
    await probed(first, "0.2.0");
    expect(await first.operate("vip", "start")).toEqual({ ok: true });
    // The agent is killed: vip runs on; the next process gets a configuration without vip.
    first.close();
    const { lines, log } = logger();
    const second = new LocalResources("n1", runner, log, () => 1000, { startedFile: file });
    second.configure(cib(3));
    await probed(second, "0.3.0");
    expect(calls.at(-1)).toBe("monitor vip ip=10.0.0.1");
    expect(second.report().resources.vip).toMatchObject({ class: "ocf", provider: "test", type: "IP", operations: [{ operation: "monitor", rcCode: 0 }] });
    expect(lines.join("")).toContain("resources the previous agent process started here are probed again");
    // The DC sees it active and not configured: it stops it, with the definition it was started with.
    expect(await second.operate("vip", "stop")).toEqual({ ok: true });
    expect(calls.at(-1)).toBe("stop vip ip=10.0.0.1");
    expect(running.has("vip")).toBe(false);
    // Stopped and unconfigured: forgotten, on disk too; a third process probes nothing.
    expect(second.report().resources.vip).toBeUndefined();
    expect(decodeStarted(readFileSync(file, "utf8"))).toEqual({ definitions: [] });
    second.close();
    const third = new LocalResources("n1", runner, logger().log, () => 1000, { startedFile: file });
    const before = calls.length;
    third.configure(cib(3));
    await probed(third, "0.3.0");
    expect(calls.slice(before)).toEqual([]);
    third.close();
  });

  it("a start cut short by the crash is remembered before the agent runs: the next process probes it", async () => {
    const { calls } = machine();
    const file = join(stateDir, STARTED_FILE);
    // The start never returns: the agent process dies while it runs.
    const hanging: ActionRunner = async (each, action) => {
      if (action === "start") return new Promise(() => {});
      calls.push(`${action} ${each.id}`);
      return { rc: 7, timedOut: false, runTimeMs: 1 };
    };
    const first = new LocalResources("n1", hanging, logger().log, () => 1000, { startedFile: file });
    first.configure(cib(2, primitive("vip", "10.0.0.2")));
    await probed(first, "0.2.0");
    void first.operate("vip", "start");
    await new Promise((resolve) => setTimeout(resolve, 20));
    first.close();
    expect(decodeStarted(readFileSync(file, "utf8"))).toMatchObject({ definitions: [{ id: "vip", instance: [{ values: { ip: "10.0.0.2" } }] }] });
  });

  it("a resource that still runs and is still configured keeps its record; a probe that finds nothing forgets an orphan", async () => {
    const { running, runner } = machine();
    const file = join(stateDir, STARTED_FILE);
    writeFileSync(file, encodeStarted([primitive("db", "10.0.0.3"), primitive("vip", "10.0.0.4")]));
    running.add("db");
    const resources = new LocalResources("n1", runner, logger().log, () => 1000, { startedFile: file });
    resources.configure(cib(4, primitive("db", "10.0.0.3")));
    await probed(resources, "0.4.0");
    // vip was not running: forgotten; db runs: kept.
    expect(resources.report().resources.vip).toBeUndefined();
    expect(decodeStarted(readFileSync(file, "utf8"))).toMatchObject({ definitions: [{ id: "db" }] });
    resources.close();
  });

  it("a damaged record is said loudly and the agent goes on with what its configuration holds", async () => {
    const { runner } = machine();
    const file = join(stateDir, STARTED_FILE);
    writeFileSync(file, '{"format":"edgeha-started/1","resources":[{"kind":"primitive","id":"vip"}]}');
    const { lines, log } = logger();
    const resources = new LocalResources("n1", runner, log, () => 1000, { startedFile: file });
    resources.configure(cib(2));
    await probed(resources, "0.2.0");
    expect(lines.join("")).toMatch(/"level":50,.*"problem":"resources\[0\]: class is not a name","msg":"the record of the resources this node started is damaged/);
    resources.close();
  });

  it("the record's format refuses what it cannot trust", () => {
    expect(decodeStarted("{")).toMatchObject({ problem: expect.stringMatching(/^not JSON/) });
    expect(decodeStarted('{"format":"other","resources":[]}')).toEqual({ problem: "not a edgeha-started/1 file" });
    const twice = encodeStarted([primitive("vip", "1"), primitive("vip", "2")]);
    expect(decodeStarted(twice)).toEqual({ problem: "resources[1]: vip is listed twice" });
    const list = [primitive("b", "1"), primitive("a", "2")];
    expect(decodeStarted(encodeStarted(list))).toEqual({ definitions: [list[1], list[0]] });
  });

  it("the record keeps the parameters each resource ran with, and refuses those of a resource it does not list", () => {
    const list = [primitive("vip", "10.0.0.1"), primitive("db", "10.0.0.2")];
    expect(decodeStarted(encodeStarted(list, { vip: { ip: "10.0.0.1" } }))).toEqual({ definitions: [list[1], list[0]], parameters: { vip: { ip: "10.0.0.1" } } });
    const text = encodeStarted(list, { vip: { ip: "10.0.0.1" } }).replace('"vip":{', '"ghost":{');
    expect(decodeStarted(text)).toEqual({ problem: "parameters: ghost is not in the resources list" });
    expect(decodeStarted(encodeStarted(list, { vip: { ip: 1 } as unknown as Record<string, string> }))).toEqual({ problem: "parameters: vip's are not a set of strings" });
  });
});
