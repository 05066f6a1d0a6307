// Live node changes (`cluster node add|remove`): the new node list and what follows from it in
// the bootstrap file (pure, src/config/node-change.ts); the change carried to every member and
// acknowledged only once stored and applied (src/node/node-change.ts, with stand-in members);
// the controller taking a node list live (a node added is not fenced as unseen, a node removed
// is forgotten).
import { describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { changeNodeList, nodesWithAdded, nodesWithout, parseConfig, type BootstrapConfig, type NodeConfig } from "../../../src/config";
import { NodeChanges, parseNodeChangeMessage, type NodeChangeHost } from "../../../src/node/node-change";
import { createLogger } from "../../../src/common/log";
import { emptyCib, type Cib } from "../../../src/cib";
import { ControllerWorld } from "../controller/harness";

const PAIR = [
  "# the operator's comment stays",
  "cluster_name: shelf",
  "transport: { port: 5405 }",
  "nodes:",
  "  - { name: alpha, id: 1, links: [10.0.0.1] }",
  "  - { name: beta, id: 2, links: [10.0.0.2] }",
  "paths: { authkey: /etc/edgeha/authkey, state_dir: /var/lib/edgeha-alpha }",
  "",
].join("\n");
const gamma: NodeConfig = { name: "gamma", id: 3, links: ["10.0.0.3"] };

describe("the node list and the file", () => {
  const pair = parseConfig(PAIR, "pair.yaml");

  it("refuses a name, id or address in use, a wrong link count or family, an unknown or last node", () => {
    expect(() => nodesWithAdded(pair, { ...gamma, name: "beta" })).toThrow(expect.objectContaining({ code: "E_NODE_EXISTS" }));
    expect(() => nodesWithAdded(pair, { ...gamma, id: 2 })).toThrow(/node id 2 belongs to beta/);
    expect(() => nodesWithAdded(pair, { ...gamma, links: ["10.0.0.2"] })).toThrow(/address 10.0.0.2 is a link of beta/);
    expect(() => nodesWithAdded(pair, { ...gamma, links: ["10.0.0.3", "10.1.0.3"] })).toThrow(expect.objectContaining({ code: "E_NODE_INVALID" }));
    expect(() => nodesWithAdded(pair, { ...gamma, links: ["fd00::3"] })).toThrow(/IPv6 but link 0 of the cluster is IPv4/);
    expect(() => nodesWithAdded(pair, { ...gamma, links: ["gamma.example"] })).toThrow(expect.objectContaining({ code: "E_NODE_INVALID" }));
    expect(() => nodesWithout(pair, "delta")).toThrow(expect.objectContaining({ code: "E_NODE_UNKNOWN" }));
    const solo = parseConfig(PAIR.replace("  - { name: beta, id: 2, links: [10.0.0.2] }\n", ""), "solo.yaml");
    expect(() => nodesWithout(solo, "alpha")).toThrow(expect.objectContaining({ code: "E_NODE_LAST" }));
  });

  it("adds a third node: config_version grows, two_node clears, expected votes 3; comments and local keys stay", () => {
    const change = changeNodeList(pair, PAIR, "pair.yaml", nodesWithAdded(pair, gamma), 1);
    expect(change.config.nodes.map((node) => node.name)).toEqual(["alpha", "beta", "gamma"]);
    expect(change.config.configVersion).toBe(1);
    expect(change.config.quorum).toMatchObject({ twoNode: false, expectedVotes: 3, waitForAll: false });
    expect(pair.quorum).toMatchObject({ twoNode: true, expectedVotes: 2, waitForAll: true });
    expect(change.text).toMatch(/^# the operator's comment stays\n/);
    expect(change.config.paths.stateDir).toBe("/var/lib/edgeha-alpha");
    // Removing it again gives the pair back: two_node and wait_for_all as corosync sets them.
    const back = changeNodeList(change.config, change.text, "pair.yaml", nodesWithout(change.config, "gamma"), 2);
    expect(back.config.quorum).toMatchObject({ twoNode: true, expectedVotes: 2, waitForAll: true });
    expect(back.config.nodes).toEqual(pair.nodes);
  });

  it("keeps expected_votes and two_node written when the file writes them, with the new values", () => {
    const text = PAIR.replace("transport:", "quorum: { expected_votes: 2, two_node: true }\ntransport:");
    const running = parseConfig(text, "pair.yaml");
    const change = changeNodeList(running, text, "pair.yaml", nodesWithAdded(running, gamma), 4);
    expect(change.text).toMatch(/expected_votes: 3/);
    expect(change.text).toMatch(/two_node: false/);
    expect(change.config.quorum).toMatchObject({ twoNode: false, expectedVotes: 3 });
  });

  it("leaves two_node off for two nodes with an arbiter, as corosync does with a quorum device", () => {
    const text = PAIR.replace("transport:", 'quorum: { arbiter: "10.0.0.9:5406" }\ntransport:').replace("  - { name: beta", "  - { name: gamma, id: 3, links: [10.0.0.3] }\n  - { name: beta");
    const running = parseConfig(text, "trio.yaml");
    const change = changeNodeList(running, text, "trio.yaml", nodesWithout(running, "gamma"), 1);
    expect(change.config.quorum.twoNode).toBe(false);
  });

  it("refuses a file edited since the agent started, or with errors", () => {
    expect(() => changeNodeList(pair, PAIR.replace("port: 5405", "port: 5409"), "pair.yaml", nodesWithAdded(pair, gamma), 1)).toThrow(expect.objectContaining({ code: "E_NODE_CHANGE_FILE", message: expect.stringMatching(/edited since the agent started \(transport.port\)/) }));
    expect(() => changeNodeList(pair, PAIR.replace("cluster_name: shelf", "cluster_name: [x"), "pair.yaml", nodesWithAdded(pair, gamma), 1)).toThrow(expect.objectContaining({ code: "E_NODE_CHANGE_FILE" }));
  });
});

describe("node-change messages", () => {
  it("accepts well-formed ones, names the problem of broken ones, ignores others", () => {
    expect(parseNodeChangeMessage({ t: "verb-request" })).toBeUndefined();
    expect(parseNodeChangeMessage({ t: "nodes-change", requestId: 1, version: 2, nodes: [gamma] })).toEqual({ t: "nodes-change", requestId: 1, version: 2, nodes: [gamma] });
    expect(parseNodeChangeMessage({ t: "nodes-change", requestId: 1, version: 0, nodes: [gamma] })).toMatch(/version/);
    expect(parseNodeChangeMessage({ t: "nodes-change", requestId: 1, version: 1, nodes: [{ name: "x", id: 0, links: ["a"] }] })).toMatch(/each node/);
    expect(parseNodeChangeMessage({ t: "nodes-change", requestId: 1, version: 1, nodes: Array.from({ length: 65 }, () => gamma) })).toMatch(/1 to 64/);
    expect(parseNodeChangeMessage({ t: "nodes-change-ack", requestId: 1, answer: { ok: false, code: "rm -rf", message: "x" } })).toMatch(/E_ code/);
  });
});

/** Members as stand-ins: each has its own file and running config; messages go straight through. */
class Members {
  readonly dir = mkdtempSync(join(tmpdir(), "ehnodechange-"));
  readonly running = new Map<number, BootstrapConfig>();
  readonly changes = new Map<number, NodeChanges>();
  readonly removed: number[] = [];
  /** Members that do not answer (their messages are lost). */
  readonly silent = new Set<number>();
  members = [1, 2];
  differences: Record<number, string[]> = {};

  constructor(ids: number[], base = PAIR) {
    for (const id of ids) {
      const text = base.replace("/var/lib/edgeha-alpha", `/var/lib/edgeha-${id}`);
      writeFileSync(this.file(id), text);
      this.running.set(id, parseConfig(text, this.file(id)));
      const host: NodeChangeHost = {
        localId: id, logger: createLogger({ level: "silent" }), configFile: this.file(id),
        running: () => this.running.get(id)!,
        members: () => this.members, quorate: () => true,
        send: (to, payload) => { if (!this.silent.has(to) && !this.silent.has(id)) queueMicrotask(() => this.changes.get(to)?.receive(id, JSON.parse(payload.toString()))); },
        advert: () => ({ features: ["config-change"], software: "test" }),
        configDifferences: (peer) => this.differences[peer] ?? [],
        apply: async (next) => { this.running.set(id, next); },
        removed: () => { this.removed.push(id); },
        resourcesOn: () => [], runsResources: () => false, editCib: async () => {},
        issueToken: () => ({ token: "EH1.token", expiresAt: "later" }),
      };
      this.changes.set(id, new NodeChanges(host));
    }
  }

  file(id: number): string {
    return join(this.dir, `node${id}.yaml`);
  }

  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

describe("a node change carried to every member", () => {
  it("succeeds only when every member stored it, and a retry finishes a change left half done", async () => {
    const members = new Members([1, 2]);
    try {
      members.silent.add(2);
      const failed = await members.changes.get(1)!.add(gamma);
      expect(failed).toMatchObject({ ok: false, code: "E_NODE_CHANGE_UNACKED", acknowledged: [], missing: [{ node: "alpha", reason: expect.stringMatching(/stores the change last/) }, { node: "beta", reason: expect.stringMatching(/no answer/) }] });
      expect(failed.message).toMatch(/run the same command again/);
      expect(readFileSync(members.file(1), "utf8")).not.toMatch(/gamma/);
      expect(readFileSync(members.file(2), "utf8")).not.toMatch(/gamma/);
      // beta stored it but its answer was lost: the same command again finishes the change.
      await members.changes.get(2)!.applyHere(1, [...members.running.get(2)!.nodes, gamma]);
      expect(readFileSync(members.file(2), "utf8")).toMatch(/gamma/);
      members.silent.clear();
      const retried = await members.changes.get(1)!.add(gamma);
      expect(retried).toMatchObject({ ok: true, version: 1, acknowledged: ["alpha", "beta"], join: { node: "gamma", token: "EH1.token" } });
      expect(readFileSync(members.file(2), "utf8")).toMatch(/config_version: 1[\s\S]*name: gamma/);
      expect(readFileSync(members.file(2), "utf8")).toMatch(/edgeha-2/);
      expect(members.running.get(2)!.quorum).toMatchObject({ expectedVotes: 3, twoNode: false });
      // A different node under a name in use is still refused.
      await expect(members.changes.get(2)!.add({ ...gamma, id: 4 })).rejects.toMatchObject({ code: "E_NODE_EXISTS" });
    } finally {
      members.close();
    }
  }, 30_000);

  it("refuses without quorum, with a node that stays but is down, and while another setting differs (a token being shrunk)", async () => {
    const members = new Members([1, 2]);
    try {
      members.members = [1];
      await expect(members.changes.get(1)!.add(gamma)).rejects.toMatchObject({ code: "E_NODE_CHANGE_OFFLINE", message: expect.stringMatching(/beta is not a member/) });
      members.members = [1, 2];
      members.differences = { 2: ["timing.token_ms"] };
      await expect(members.changes.get(1)!.add(gamma)).rejects.toMatchObject({ code: "E_NODE_CHANGE_CONFIG_DIFFERS", message: expect.stringMatching(/beta \(timing.token_ms\).*shorter token/) });
      // A difference in the node list itself is what a half-done change leaves: not a reason to refuse.
      members.differences = { 2: ["nodes", "quorum.two_node"] };
      await expect(members.changes.get(1)!.add(gamma)).resolves.toMatchObject({ ok: true });
      expect(readFileSync(members.file(1), "utf8")).toMatch(/name: gamma/);
    } finally {
      members.close();
    }
  }, 30_000);

  it("finishes a removal that stopped half-way when it is asked again (the node is gone from this node's list, not from a member's)", async () => {
    const trio = PAIR.replace("  - { name: beta, id: 2, links: [10.0.0.2] }\n", "  - { name: beta, id: 2, links: [10.0.0.2] }\n  - { name: gamma, id: 3, links: [10.0.0.3] }\n");
    const members = new Members([1, 2, 3], trio);
    try {
      members.members = [1, 2, 3];
      members.silent.add(2);
      const first = await members.changes.get(1)!.remove("gamma");
      expect(first).toMatchObject({ ok: false, code: "E_NODE_CHANGE_UNACKED" });
      expect(members.removed).toEqual([3]);
      // alpha took it by hand meanwhile (or its answer came late): alpha lists two nodes, beta three.
      await members.changes.get(1)!.applyHere(1, members.running.get(1)!.nodes.filter((node) => node.name !== "gamma"));
      members.silent.clear();
      members.members = [1, 2];
      members.differences = { 2: ["nodes", "quorum.two_node"] };
      const again = await members.changes.get(1)!.remove("gamma");
      expect(again).toMatchObject({ ok: true, version: 1, acknowledged: ["alpha", "beta"] });
      expect(members.running.get(2)!.nodes.map((node) => node.name)).toEqual(["alpha", "beta"]);
      expect(members.running.get(2)!.quorum.twoNode).toBe(true);
    } finally {
      members.close();
    }
  }, 30_000);

  it("removes a node: the others store the list without it, and it is told to leave", async () => {
    const members = new Members([1, 2]);
    try {
      const outcome = await members.changes.get(1)!.remove("beta");
      expect(outcome).toMatchObject({ ok: true, version: 1, acknowledged: ["alpha"] });
      expect(members.removed).toEqual([2]);
      expect(members.running.get(1)!.nodes.map((node) => node.name)).toEqual(["alpha"]);
      // beta's own file stays as it was (it left; it is not in the cluster any more).
      expect(readFileSync(members.file(2), "utf8")).toMatch(/name: beta/);
    } finally {
      members.close();
    }
  }, 30_000);
});

describe("the controller takes a node list live", () => {
  function pairCib(): Cib {
    const cib = emptyCib();
    cib.version = { adminEpoch: 0, epoch: 3, numUpdates: 0 };
    cib.properties = [{ id: "cib-bootstrap-options", values: { "stonith-enabled": "true" } }];
    cib.nodes = ["n1", "n2"].map((uname, index) => ({ id: String(index + 1), uname, extra: {}, instance: [], utilization: [] }));
    cib.resources = [{ kind: "primitive", id: "vip", class: "ocf", provider: "heartbeat", type: "Dummy", extra: {}, instance: [], meta: [], operations: [] }];
    cib.constraints = [{ kind: "location", id: "prefer-n1", rsc: "vip", node: "n1", score: "100", rules: [], extra: {} }];
    return cib;
  }
  const trio = [{ id: 1, name: "n1" }, { id: 2, name: "n2" }, { id: 3, name: "n3" }];

  it("a node just added is known down, not an unseen node to fence, and nothing moves; a node removed is forgotten", () => {
    const world = new ControllerWorld(["n1", "n2"], pairCib());
    world.view(1, ["n1", "n2"]);
    world.run(2000);
    expect(world.activeNodes("vip")).toEqual(["n1"]);
    const operations = world.operations.length;
    for (const name of ["n1", "n2"]) world.feed(world.node(name), { kind: "nodes", nowMs: world.nowMs, nodes: trio });
    world.run(3000);
    expect(world.fences).toEqual([]);
    expect(world.operations.slice(operations).filter((operation) => !operation.startsWith("monitor"))).toEqual([]);
    expect(world.activeNodes("vip")).toEqual(["n1"]);
    const dc = world.nodes.find((node) => node.controller.isDc)!;
    expect(dc.controller.summary?.nodes.find((node) => node.name === "n3")?.state).toBe("offline");
    for (const name of ["n1", "n2"]) world.feed(world.node(name), { kind: "nodes", nowMs: world.nowMs, nodes: trio.slice(0, 2) });
    world.run(2000);
    expect(dc.controller.summary?.nodes.map((node) => node.name)).toEqual(["n1", "n2"]);
    expect(world.fences).toEqual([]);
  });
});
