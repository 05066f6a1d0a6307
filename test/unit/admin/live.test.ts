// The live protocol against a tiny fake agent on a unix socket: cib-get, then
// cib-replace with the version read as base; E_CIB_CONFLICT makes the CLI read
// again and retry (at most 3 times); other refusals end the command.
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import os from "node:os";
import path from "node:path";
import { serializeNativeCib, formatVersion, type Cib } from "../../../src/cib";
import { applyEdit } from "../../../src/admin";
import { runInProcess } from "../../support/cli";
import { FORCE_HALF_DEPRECATED } from "../../../src/cli/commands/admin-target";
import { dummy, twoNodeCib } from "./fixture";

const directory = mkdtempSync(path.join(os.tmpdir(), "edgeha-admin-live-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

type Request = Record<string, unknown>;
let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A fake agent answering each request line with `answer(request)`; returns its socket path and the requests seen. */
async function fakeAgent(answer: (request: Request) => unknown): Promise<{ socket: string; requests: Request[] }> {
  const socket = path.join(directory, `agent-${process.pid}-${Math.random().toString(16).slice(2)}.sock`);
  const requests: Request[] = [];
  server = createServer((connection) => {
    let buffered = "";
    connection.setEncoding("utf8");
    connection.on("data", (chunk: string) => {
      buffered += chunk;
      const newline = buffered.indexOf("\n");
      if (newline < 0) return;
      const request = JSON.parse(buffered.slice(0, newline)) as Request;
      requests.push(request);
      connection.end(`${JSON.stringify(answer(request))}\n`);
    });
    connection.on("error", () => {});
  });
  await new Promise<void>((resolve) => server!.listen(socket, resolve));
  return { socket, requests };
}

/** The agent's side of cib-get and cib-replace over one CIB, with a hook to refuse a replace. */
function cibAgent(initial: Cib, refuse: (request: Request, count: number) => { error: string; code: string } | undefined) {
  let cib = initial;
  let replaces = 0;
  return {
    get cib() { return cib; },
    set cib(value: Cib) { cib = value; },
    answer(request: Request): unknown {
      if (request.command === "cib-get") return { cib: JSON.parse(serializeNativeCib(cib)), version: formatVersion(cib.version) };
      if (request.command !== "cib-replace") return { error: "unknown command", code: "E_API_REQUEST" };
      replaces += 1;
      const refusal = refuse(request, replaces);
      if (refusal) return refusal;
      if (request.base !== formatVersion(cib.version)) return { error: "stale base", code: "E_CIB_CONFLICT" };
      cib = request.cib as Cib;
      return { ok: true, version: formatVersion(cib.version) };
    },
  };
}

describe("live edits through the admin socket", () => {
  it("re-reads and retries after a conflict, keeping the other writer's change", async () => {
    const agent = cibAgent(twoNodeCib(), (_request, count) => {
      // Someone else adds 'other' just before our first write lands.
      if (count === 1) agent.cib = applyEdit(agent.cib, dummy("other")).cib;
      return undefined;
    });
    const { socket, requests } = await fakeAgent((request) => agent.answer(request));
    const result = await runInProcess(["resource", "create", "vip", "ocf:heartbeat:Dummy", "--socket", socket]);
    expect(result).toMatchObject({ status: 0, out: "created resource vip (CIB version 0.7.0)\n" });
    expect(requests.map((request) => `${request.command}${request.base ? ` ${request.base}` : ""}`)).toEqual(["cib-get", "cib-replace 0.5.2", "cib-get", "cib-replace 0.6.0"]);
    expect(agent.cib.resources.map((resource) => resource.id)).toEqual(["other", "vip"]);
  });

  it("gives up with E_CIB_CONFLICT after three retries", async () => {
    const agent = cibAgent(twoNodeCib(), () => ({ error: "the configuration changed meanwhile", code: "E_CIB_CONFLICT" }));
    const { socket, requests } = await fakeAgent((request) => agent.answer(request));
    const result = await runInProcess(["property", "set", "stonith-enabled=false", "--socket", socket]);
    expect(result.status).toBe(1);
    expect(result.err).toMatch(/4 times in a row.*\[E_CIB_CONFLICT\]/);
    expect(requests.filter((request) => request.command === "cib-replace")).toHaveLength(4);
  });

  it("prints the refusal of a node without quorum and exits 1", async () => {
    const agent = cibAgent(twoNodeCib(), () => ({ error: "node1 has no quorum: configuration changes are refused", code: "E_NO_QUORUM" }));
    const { socket } = await fakeAgent((request) => agent.answer(request));
    const result = await runInProcess(["node", "standby", "node2", "--socket", socket]);
    expect(result).toMatchObject({ status: 1, out: "" });
    expect(result.err).toBe("edgeha: the cluster refused the change: node1 has no quorum: configuration changes are refused [E_NO_QUORUM]\n");
  });

  const half = "configuration 0.6.0 is stored on this half only (forced: node2 left without a clean stop and is not confirmed down); it may be set aside if the other half is alive and changed the configuration too";
  /** A pair's agent whose peer is lost and unconfirmed: a change goes through only when the request asks for this half. */
  async function unconfirmedPeerAgent(): Promise<{ socket: string; requests: Request[] }> {
    const agent = cibAgent(twoNodeCib(), (request) => (request.force === true ? undefined : { error: "node2 left the cluster without a clean stop ...", code: "E_PEER_UNCONFIRMED" }));
    return fakeAgent((request) => {
      const reply = agent.answer(request) as { ok?: boolean };
      return reply.ok === true ? { ...reply, message: half } : reply;
    });
  }

  it("--this-half-only passes a change past E_PEER_UNCONFIRMED, and the command says it is stored on one half only", async () => {
    const { socket, requests } = await unconfirmedPeerAgent();
    const refused = await runInProcess(["node", "standby", "node2", "--socket", socket]);
    expect(refused.status).toBe(1);
    expect(refused.err).toMatch(/\[E_PEER_UNCONFIRMED\]/);
    const stored = await runInProcess(["node", "standby", "node2", "--this-half-only", "--socket", socket]);
    expect(stored).toMatchObject({ status: 0, err: `warning: ${half}\n` });
    expect(requests.filter((request) => request.command === "cib-replace").map((request) => request.force === true)).toEqual([false, true]);
  });

  it("--force alone, the former spelling, still passes E_PEER_UNCONFIRMED, with a deprecation warning naming --this-half-only", async () => {
    const { socket } = await unconfirmedPeerAgent();
    const forced = await runInProcess(["node", "standby", "node2", "--force", "--socket", socket]);
    expect(forced.status).toBe(0);
    expect(forced.err).toBe(`warning: ${half}\nwarning: ${FORCE_HALF_DEPRECATED}\n`);
    expect(forced.err).toMatch(/deprecated.*use --this-half-only/);
  });

  it("--force on a change the cluster takes anyway says nothing of halves: pcs's meaning only", async () => {
    const agent = cibAgent(twoNodeCib(), () => undefined);
    const { socket } = await fakeAgent((request) => agent.answer(request));
    const forced = await runInProcess(["property", "set", "made-up-property=1", "--force", "--socket", socket]);
    expect(forced.status).toBe(0);
    expect(forced.err).toBe("warning: 'made-up-property' is not a cluster property Pacemaker knows; set anyway (--force)\n");
  });

  it("--this-half-only does not override the checks --force does (agent meta-data), and is refused on a file", async () => {
    const agent = cibAgent(twoNodeCib(), () => undefined);
    const { socket, requests } = await fakeAgent((request) => agent.answer(request));
    const unknown = await runInProcess(["resource", "create", "x", "ocf:heartbeat:NoSuchAgentHere", "--this-half-only", "--socket", socket], undefined, "", { OCF_ROOT: directory });
    expect(unknown.status).toBe(1);
    expect(unknown.err).toMatch(/\[E_ADMIN_AGENT\]/);
    expect(requests.filter((request) => request.command === "cib-replace")).toEqual([]);
    const onFile = await runInProcess(["property", "set", "maintenance-mode=true", "--this-half-only", "-f", path.join(directory, "half.xml")]);
    expect(onFile.status).toBe(2);
    expect(onFile.err).toMatch(/--this-half-only is for a change on the running cluster/);
  });

  it("--help says what each flag does: --force as pcs's, --this-half-only for the lost peer", async () => {
    const help = await runInProcess(["resource", "create", "--help"]);
    expect(help.status).toBe(0);
    expect(help.out).toMatch(/--force\s+Override a check of what is written, as pcs's --force does/);
    expect(help.out).toMatch(/Deprecated on the running cluster: it also stores a change on this half of a pair whose peer is lost; use --this-half-only for that/);
    expect(help.out).toMatch(/--this-half-only\s+On the running cluster: store this one change although the peer of a pair without fencing left without a clean stop/);
  });

  it("sends nothing to write when the edit changes nothing", async () => {
    const agent = cibAgent(twoNodeCib(), () => undefined);
    const { socket, requests } = await fakeAgent((request) => agent.answer(request));
    const result = await runInProcess(["resource", "clear", "vip", "--socket", socket]);
    expect(result.status).toBe(1);
    expect(result.err).toContain("E_ADMIN_UNKNOWN_RESOURCE");
    expect(requests.map((request) => request.command)).toEqual(["cib-get"]);
  });

  it("a node whose copy may be stale says so: a resource missing from it is not reported as simply unknown (issue 15, defect 6)", async () => {
    const agent = cibAgent(twoNodeCib(), () => undefined);
    const stale = "this node knows no DC yet (it has just started or the membership is changing)";
    const { socket, requests } = await fakeAgent((request) => (request.command === "cib-get" ? { ...(agent.answer(request) as object), stale } : agent.answer(request)));
    const result = await runInProcess(["resource", "clear", "web", "--socket", socket]);
    expect(result.status).toBe(1);
    expect(result.err).toContain("no resource named 'web'");
    expect(result.err).toContain(`may be stale: ${stale}`);
    expect(result.err).toContain("E_ADMIN_UNKNOWN_RESOURCE");
    expect(requests.map((request) => request.command)).toEqual(["cib-get"]);
  });

  it("reads for list commands and asks the agent to clean up a resource", async () => {
    const start = applyEdit(twoNodeCib(), { kind: "property-set", values: { "maintenance-mode": "true" }, force: false }).cib;
    const agent = cibAgent(start, () => undefined);
    const { socket, requests } = await fakeAgent((request) => (request.command === "resource-cleanup" ? { ok: true, message: "cleaned up web on node1" } : agent.answer(request)));
    expect((await runInProcess(["property", "list", "--socket", socket])).out).toBe("maintenance-mode=true\n");
    const cleanup = await runInProcess(["resource", "cleanup", "web", "--node", "node1", "--socket", socket]);
    expect(cleanup).toMatchObject({ status: 0, out: "cleaned up web on node1\n" });
    expect(requests.at(-1)).toEqual({ command: "resource-cleanup", resource: "web", node: "node1" });
  });

  it("constraint location RSC rule on the running cluster: one cib-replace whose CIB carries the rule; a bad expression sends nothing", async () => {
    const agent = cibAgent(applyEdit(twoNodeCib(), dummy("web")).cib, () => undefined);
    const { socket, requests } = await fakeAgent((request) => agent.answer(request));
    const added = await runInProcess(["constraint", "location", "web", "rule", "score=-INFINITY", "#uname", "eq", "node1", "--socket", socket]);
    expect(added).toMatchObject({ status: 0, out: expect.stringContaining("added location rule constraint for web") });
    expect(agent.cib.constraints).toMatchObject([{ id: "location-web", rsc: "web", rules: [{ id: "location-web-rule", score: "-INFINITY", expressions: [{ attribute: "#uname", operation: "eq", value: "node1" }] }] }]);
    expect(requests.map((request) => request.command)).toEqual(["cib-get", "cib-replace"]);
    const bad = await runInProcess(["constraint", "location", "web", "rule", "#uname", "eq", "--socket", socket]);
    expect(bad).toMatchObject({ status: 1, err: expect.stringContaining("is not a valid rule expression") });
    expect(requests).toHaveLength(2);
  });

  it("resource failcount reset asks the DC for a cleanup, with the node and the operation's interval in ms; an unknown resource asks nothing", async () => {
    const agent = cibAgent(applyEdit(twoNodeCib(), dummy("web")).cib, () => undefined);
    const { socket, requests } = await fakeAgent((request) => (request.command === "resource-cleanup" ? { ok: true, message: "cleaned up web (fail counts of monitor every 10000 ms) on node1" } : agent.answer(request)));
    const reset = await runInProcess(["resource", "failcount", "reset", "web", "node1", "operation=monitor", "interval=10s", "--socket", socket]);
    expect(reset).toMatchObject({ status: 0, out: "cleaned up web (fail counts of monitor every 10000 ms) on node1\n" });
    expect(requests.at(-1)).toEqual({ command: "resource-cleanup", resource: "web", node: "node1", operation: "monitor", intervalMs: 10_000 });
    expect((await runInProcess(["resource", "failcount", "reset", "--socket", socket])).status).toBe(0);
    expect(requests.at(-1)).toEqual({ command: "resource-cleanup" });
    const unknown = await runInProcess(["resource", "failcount", "reset", "wbe", "--socket", socket]);
    expect(unknown).toMatchObject({ status: 1, err: expect.stringContaining("no resource named 'wbe'") });
    expect(requests.at(-1)).toEqual({ command: "cib-get" });
  });

  it("ban without a node bans the resource from the node the agent says it runs on", async () => {
    const agent = cibAgent(applyEdit(twoNodeCib(), dummy("web")).cib, () => undefined);
    let runsOn: string[] = ["node2"];
    const { socket } = await fakeAgent((request) => (request.command === "status" ? { cluster_state: { resources: [{ id: "web", nodes: runsOn }] } } : agent.answer(request)));
    const banned = await runInProcess(["resource", "ban", "web", "--socket", socket]);
    expect(banned).toMatchObject({ status: 0, out: expect.stringContaining("banned web from node2") });
    expect(agent.cib.constraints).toMatchObject([{ id: "cli-ban-web-on-node2", node: "node2", score: "-INFINITY" }]);
    runsOn = [];
    const nowhere = await runInProcess(["resource", "ban", "web", "--socket", socket]);
    expect(nowhere.status).toBe(1);
    expect(nowhere.err).toContain("does not run on any node now");
  });

  it("restart enables the resource again when it does not stop in time", async () => {
    const agent = cibAgent(applyEdit(twoNodeCib(), dummy("web")).cib, () => undefined);
    const { socket, requests } = await fakeAgent((request) => (request.command === "status" ? { cluster_state: { resources: [{ id: "web", role: "Started", nodes: ["node1"] }] } } : agent.answer(request)));
    const result = await runInProcess(["resource", "restart", "web", "--timeout", "1", "--socket", socket]);
    expect(result.status).toBe(1);
    expect(result.err).toContain("'web' did not stop within 1 s (web: Started)");
    expect(requests.filter((request) => request.command === "cib-replace")).toHaveLength(2);
    expect(agent.cib.resources[0]!.meta.every((set) => set.values["target-role"] === undefined)).toBe(true);
  });

  it("refuses a change larger than the admin socket takes, before sending it", async () => {
    const agent = cibAgent(twoNodeCib(), () => undefined);
    const { socket, requests } = await fakeAgent((request) => agent.answer(request));
    const result = await runInProcess(["resource", "create", "big", "ocf:heartbeat:Dummy", ...Array.from({ length: 20 }, (_, index) => `note${index}=${"x".repeat(60_000)}`), "--socket", socket, "--force"]);
    expect(result.status).toBe(1);
    expect(result.err).toContain("[E_ADMIN_TOO_LARGE]");
    expect(requests.map((request) => request.command)).toEqual(["cib-get"]);
  });

  it("says which socket it could not reach", async () => {
    const result = await runInProcess(["constraint", "list", "--socket", path.join(directory, "missing.sock")]);
    expect(result.status).toBe(1);
    expect(result.err).toContain("[E_AGENT_UNREACHABLE]");
  });
});
