// The whole-cluster verbs between agents (src/node/cluster-verbs.ts): three agents wired to each
// other in memory. A verb reaches every member at once and each answers for its own node; a
// member that does not answer and a configured node outside the view are named, not waited
// for past the bound; a member on a build without the verb is not asked; `stop` asks every member before the asking node leaves; broken messages
// are refused with the problem named; views that disagree are said point by point.
import { describe, expect, it, vi } from "vitest";
import { silentLogger } from "../../../src/common/log";
import { ClusterVerbs, VERB_WAIT_MS, type ClusterVerbsHost } from "../../../src/node/cluster-verbs";
import { disagreements, parseVerbMessage, type NodeView } from "../../../src/node/verbs-protocol";

const NODES = [{ id: 1, name: "alpha" }, { id: 2, name: "beta" }, { id: 3, name: "gamma" }];

function viewOf(node: string, overrides: Partial<NodeView> = {}): NodeView {
  return { node, dc: "alpha", quorate: true, ringId: 7, members: ["alpha", "beta"], cibVersion: "0.3.0", running: [], configDigest: "d".repeat(64), protocol: 2, version: "0.0.0", ...overrides };
}

/** Agents 1 and 2 are members and reach each other; 3 is configured but outside the view. */
function cluster(options: { silent?: number[]; legacy?: number[] } = {}) {
  const events: string[] = [];
  const verbs = new Map<number, ClusterVerbs>();
  for (const { id, name } of NODES.slice(0, 2)) {
    const host: ClusterVerbsHost = {
      localId: id, logger: silentLogger(), nodes: () => NODES, members: () => [1, 2],
      send: (to, payload) => {
        events.push(`${name}->${to}`);
        if (options.silent?.includes(to)) return;
        // Delivered on a later turn, as the reliable channel does.
        setTimeout(() => {
          const handled = verbs.get(to)!.receive(id, JSON.parse(payload.toString("utf8")));
          if (handled !== true) throw new Error(`not handled: ${String(handled)}`);
        }, 1);
      },
      advert: (peer) => (options.legacy?.includes(peer) ? { features: [], software: "older than adverts" } : { features: ["cluster-stop", "config-change", "service-verbs", "status-all"], software: "0.0.0" }),
      view: () => viewOf(name, name === "beta" ? { dc: "beta" } : {}),
      leave: () => events.push(`${name} leaves`),
      service: async (action) => (events.push(`${name} ${action}`), { ok: name !== "beta", output: name === "beta" ? "Failed to enable unit: Unit file edgeha.service does not exist." : "", command: `systemctl ${action} edgeha.service` }),
    };
    verbs.set(id, new ClusterVerbs(host));
  }
  return { verbs, events };
}

describe("whole-cluster verbs between agents", () => {
  it("gathers every member's own view and names the node outside the view", async () => {
    const { verbs } = cluster();
    const outcome = await verbs.get(1)!.all("view");
    expect(outcome.answers.map((answer) => [answer.node, answer.view?.dc])).toEqual([["alpha", "alpha"], ["beta", "beta"]]);
    expect(outcome.unreachable).toEqual([{ node: "gamma", reason: expect.stringMatching(/not a member of this node's partition/) }]);
    // beta follows another DC than alpha: said as such.
    expect(disagreements(outcome.answers.map((answer) => answer.view!))).toEqual(["the DC differs: alpha sees alpha; beta sees beta"]);
  });

  it("stop: every member is asked before the asking node leaves, and each leaves once", async () => {
    const { verbs, events } = cluster();
    const outcome = await verbs.get(1)!.all("stop");
    expect(outcome.answers.every((answer) => answer.ok)).toBe(true);
    expect(events.indexOf("alpha->2")).toBeLessThan(events.indexOf("alpha leaves"));
    expect(events.filter((event) => event.endsWith("leaves")).sort()).toEqual(["alpha leaves", "beta leaves"]);
  });

  it("enable: each node runs systemctl on its own machine; a failure is that node's answer", async () => {
    const { verbs, events } = cluster();
    const outcome = await verbs.get(1)!.all("enable");
    expect(events.filter((event) => / enable$/.test(event)).sort()).toEqual(["alpha enable", "beta enable"]);
    expect(outcome.answers).toEqual([
      { node: "alpha", ok: true, message: "systemctl enable edgeha.service: done" },
      { node: "beta", ok: false, message: expect.stringMatching(/systemctl enable edgeha\.service failed: Failed to enable unit/) },
    ]);
  });

  it("a member that does not answer is named after the bound, not waited for longer", async () => {
    vi.useFakeTimers();
    try {
      const { verbs } = cluster({ silent: [2] });
      const pending = verbs.get(1)!.all("view");
      await vi.advanceTimersByTimeAsync(VERB_WAIT_MS.view + 10);
      const outcome = await pending;
      expect(outcome.answers.map((answer) => answer.node)).toEqual(["alpha"]);
      expect(outcome.unreachable.map((each) => `${each.node}: ${each.reason}`)).toEqual(["beta: no answer within 5 s", expect.stringMatching(/^gamma: not a member/)]);
    } finally {
      vi.useRealTimers();
    }
  });

  it("a member on an older build (no such feature in its advert) is not asked and is named", async () => {
    const { verbs, events } = cluster({ legacy: [2] });
    const outcome = await verbs.get(1)!.all("stop");
    expect(events).toEqual(["alpha leaves"]);
    expect(outcome.unreachable[0]).toEqual({ node: "beta", reason: "runs an edgeha build that cannot take this verb through the cluster (older than adverts)" });
  });

  it("refuses broken verb messages with the problem named and leaves other messages alone", () => {
    expect(parseVerbMessage({ t: "join", ringId: 1 })).toBeUndefined();
    expect(parseVerbMessage({ t: "verb-request", requestId: 1, verb: "reboot" })).toMatch(/verb must be one of view, stop, enable, disable/);
    expect(parseVerbMessage({ t: "verb-request", requestId: -1, verb: "view" })).toMatch(/requestId/);
    expect(parseVerbMessage({ t: "verb-reply", requestId: 1, answer: { ok: true, message: "x".repeat(3000) } })).toMatch(/at most 2000/);
    expect(parseVerbMessage({ t: "verb-reply", requestId: 1, answer: { ok: true, message: "", view: { ...viewOf("a"), members: "alpha" } } })).toMatch(/members and running must be lists/);
    expect(parseVerbMessage({ t: "verb-reply", requestId: 1, answer: { ok: true, message: "", view: viewOf("a") } })).toEqual({ t: "verb-reply", requestId: 1, answer: { ok: true, message: "", view: viewOf("a") } });
  });

  it("names every point where views disagree, and none when they agree", () => {
    expect(disagreements([viewOf("alpha"), viewOf("beta")])).toEqual([]);
    expect(disagreements([viewOf("alpha"), viewOf("beta", { members: ["beta"], quorate: false, cibVersion: "0.4.0", configDigest: "e".repeat(64) }), viewOf("gamma")])).toEqual([
      "membership differs: alpha, gamma see [alpha beta]; beta sees [beta]",
      "quorum differs: alpha, gamma see quorum; beta sees NO quorum",
      "the CIB version differs: alpha, gamma see 0.3.0; beta sees 0.4.0",
      "the cluster-wide config differs: alpha, gamma see digest dddddddddddd; beta sees digest eeeeeeeeeeee",
    ]);
  });

  it("a restarted agent does not take a member's late answer to its earlier process's request", async () => {
    vi.useFakeTimers();
    try {
      const sent: number[] = [];
      const alphaAs = (incarnation: number): ClusterVerbsHost => ({
        localId: 1, incarnation, logger: silentLogger(), nodes: () => NODES.slice(0, 2), members: () => [1, 2],
        send: (_to, payload) => void sent.push((JSON.parse(payload.toString("utf8")) as { requestId: number }).requestId),
        advert: () => ({ features: ["status-all"], software: "0.0.0" }),
        view: () => viewOf("alpha"), leave: () => undefined, service: async () => ({ ok: true, output: "", command: "systemctl" }),
      });
      void new ClusterVerbs(alphaAs(10)).all("view");
      // The agent restarts (a larger incarnation) and asks again before beta answered the first.
      const restarted = new ClusterVerbs(alphaAs(11));
      const outcome = restarted.all("view");
      const [earlier, current] = sent;
      // beta's answer to the earlier process arrives now, then its answer to this one.
      restarted.receive(2, { t: "verb-reply", requestId: earlier, answer: { ok: true, message: "", view: viewOf("beta", { cibVersion: "0.1.0" }) } });
      restarted.receive(2, { t: "verb-reply", requestId: current, answer: { ok: true, message: "", view: viewOf("beta", { cibVersion: "0.9.0" }) } });
      await vi.runAllTimersAsync();
      expect((await outcome).answers.find((answer) => answer.node === "beta")?.view?.cibVersion).toBe("0.9.0");
    } finally {
      vi.useRealTimers();
    }
  });
});
