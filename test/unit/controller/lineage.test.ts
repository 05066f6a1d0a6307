// A version number alone cannot tell a diverged branch (issue 15 A2, simulator seeds 1051 and
// 1972): every node keeps the newest change it knows a quorum acknowledged (its mark) and each
// copy carries the chain of copies it was built on. At a join a copy that does not hold the
// highest acknowledged mark offered loses whatever its version; the winner is written again
// above every offered version, and the conflict is logged naming both copies. Also: a member
// that lost quorum does not start what an earlier view ordered (simulator seed 1740).
import { describe, expect, it } from "vitest";
import { cibDigest, chainOf, emptyCib, markOf, type Cib, type CibLineage, type Primitive } from "../../../src/cib";
import { Controller, CONTROLLER_DEFAULTS, type ControllerEffect, type NodeReport } from "../../../src/controller";
import type { Context } from "../../../src/controller/context";
import { resolveOffers } from "../../../src/controller/conflicts";

function primitive(id: string): Primitive {
  return { kind: "primitive", id, class: "ocf", provider: "heartbeat", type: "Dummy", extra: {}, instance: [], meta: [], operations: [] };
}

function base(): Cib {
  const cib = emptyCib();
  cib.version = { adminEpoch: 0, epoch: 4, numUpdates: 0 };
  cib.properties = [{ id: "cib-bootstrap-options", values: { "stonith-enabled": "true", "no-quorum-policy": "stop" } }];
  cib.resources = [primitive("vip")];
  return cib;
}

/** `cib` with one more resource, one epoch later. */
function plus(cib: Cib, id: string): Cib {
  const next = structuredClone(cib);
  next.resources.push(primitive(id));
  next.version = { ...cib.version, epoch: cib.version.epoch + 1 };
  return next;
}

/** The lineage of the last copy of `copies`, each built on the one before. */
function lineageOf(copies: Cib[], mark?: Cib): CibLineage {
  let chain: ReturnType<typeof chainOf> = [];
  for (const copy of copies) chain = chainOf(copy, chain);
  return { chain, ...(mark ? { mark: markOf(mark) } : {}) };
}

const NODES = [{ id: 1, name: "node1" }, { id: 2, name: "node2" }, { id: 3, name: "node3" }];

function report(node: string): NodeReport {
  return { node, probed: true, cibVersion: "0.4.0", busy: false, resources: {}, attributes: {}, shutdown: false };
}

function contextOf(controller: Controller): Context {
  return (controller as unknown as { context: Context }).context;
}

function nodeWith(localId: number, nodes: typeof NODES, cib: Cib, lineage?: CibLineage): Controller {
  return new Controller({ ...CONTROLLER_DEFAULTS, localId, nodes }, cib, report(`node${localId}`), [], lineage);
}

const names = (cib: Cib) => cib.resources.map((resource) => resource.id);
const errors = (out: ControllerEffect[]) => out.flatMap((effect) => (effect.kind === "log" && effect.level === "error" ? [effect.message] : []));

describe("acknowledged marks decide between diverged copies (issue 15 A2)", () => {
  it("a copy without the newest acknowledged change loses whatever its version; the winner is written above every offered version, loudly (seed 1051)", () => {
    const shared = base();
    // node2, DC while node1 was cut off, stored three changes nobody acknowledged (0.5.0-0.7.0);
    const unacknowledged = [plus(shared, "a"), plus(plus(shared, "a"), "b"), plus(plus(plus(shared, "a"), "b"), "c")];
    // node1, alone once node2 was fenced, acknowledged r31 as 0.5.0.
    const acknowledged = plus(shared, "r31");
    const node1 = nodeWith(1, NODES.slice(0, 2), acknowledged, lineageOf([shared, acknowledged], acknowledged));
    const out: ControllerEffect[] = [];
    const { chosen, mark } = resolveOffers(contextOf(node1), [{ from: "node2", cib: unacknowledged[2]!, lineage: lineageOf([shared, ...unacknowledged], shared) }], out);
    expect(chosen, "node1 adopts its own copy written again").toBeDefined();
    expect(names(chosen!.cib)).toContain("r31");
    expect(names(chosen!.cib)).not.toContain("c");
    // Above node2's 0.7.0, so node2 stores it too.
    expect(chosen!.cib.version).toEqual({ adminEpoch: 0, epoch: 8, numUpdates: 0 });
    expect(chosen!.chain.at(-1)).toEqual(markOf(chosen!.cib));
    expect(mark).toEqual(markOf(acknowledged));
    expect(errors(out).join("\n")).toMatch(/0\.7\.0 of node2 does not hold the newest change a quorum acknowledged/);
    const kept = out.find((effect) => effect.kind === "keep-conflict");
    expect(kept?.kind === "keep-conflict" && kept.conflict).toMatchObject({ lostFrom: "node2", lostVersion: "0.7.0", version: "0.8.0" });
  });

  it("an acknowledged copy beats an unacknowledged one of the same version, whatever the digests say (the tie seed 1972 once showed)", () => {
    const shared = base();
    const first = plus(shared, "standby-node1");
    const second = plus(shared, "r4");
    // The version rule alone keeps the greater digest: make the unacknowledged copy the one it would keep.
    const [unacknowledged, acknowledged] = cibDigest({ ...first, status: [] }) > cibDigest({ ...second, status: [] }) ? [first, second] : [second, first];
    const node1 = nodeWith(1, NODES, unacknowledged!, lineageOf([shared, unacknowledged!], shared));
    const out: ControllerEffect[] = [];
    const { chosen } = resolveOffers(contextOf(node1), [{ from: "node3", cib: acknowledged!, lineage: lineageOf([shared, acknowledged!], acknowledged) }], out);
    expect(chosen?.cib).toEqual(acknowledged);
    expect(errors(out).join("\n")).toMatch(/the copy 0\.5\.0 of node1 does not hold the newest change a quorum acknowledged/);
  });

  it("a copy from a node that keeps no lineage (an older peer) is judged by its version, as before", () => {
    const shared = base();
    const newer = plus(plus(shared, "x"), "y");
    const node1 = nodeWith(1, NODES.slice(0, 2), plus(shared, "x"), lineageOf([shared, plus(shared, "x")], plus(shared, "x")));
    const out: ControllerEffect[] = [];
    const { chosen } = resolveOffers(contextOf(node1), [{ from: "node2", cib: newer }], out);
    expect(chosen?.cib).toEqual(newer);
    expect(errors(out)).toEqual([]);
  });

  it("the DC stores the acknowledged mark with its copy before it answers the change", () => {
    const node1 = nodeWith(1, [NODES[0]!], base());
    const feed = (input: Parameters<Controller["handle"]>[0]) => node1.handle(input);
    feed({ kind: "view", nowMs: 0, ringId: 1, members: [1], quorate: true });
    feed({ kind: "tick", nowMs: 2000, epochSeconds: 1 });
    // The join put the node into the nodes section (0.5.0).
    const next = plus(node1.configuration, "r31");
    const out = feed({ kind: "client", nowMs: 2100, clientId: 7, request: { kind: "cib-replace", base: "0.5.0", cib: JSON.parse(JSON.stringify(next)) } });
    const reply = out.findIndex((effect) => effect.kind === "reply");
    expect(out[reply], JSON.stringify(out[reply])).toMatchObject({ reply: { ok: true } });
    const stored = out.findIndex((effect) => effect.kind === "persist" && effect.lineage?.mark?.version.epoch === 6);
    expect(stored, JSON.stringify(out.map((effect) => effect.kind))).toBeGreaterThanOrEqual(0);
    expect(stored).toBeLessThan(reply);
  });

  it("a member stores its DC's copy with the DC's chain and as its mark, before it acknowledges; a copy from an earlier ring without that mark is ignored", () => {
    const shared = base();
    const node2 = nodeWith(2, NODES, shared);
    node2.handle({ kind: "view", nowMs: 0, ringId: 3, members: [1, 2, 3], quorate: true });
    node2.handle({ kind: "message", nowMs: 10, from: 1, message: { t: "join", ringId: 3, since: 3 } });
    const acknowledged = plus(shared, "standby-node1");
    const out = node2.handle({ kind: "message", nowMs: 20, from: 1, message: { t: "cib", ringId: 3, writeId: 1, cib: JSON.parse(JSON.stringify(acknowledged)), chain: lineageOf([shared, acknowledged]).chain } });
    const persisted = out.findIndex((effect) => effect.kind === "persist");
    const acked = out.findIndex((effect) => effect.kind === "send" && effect.message.t === "cib-ack");
    expect(persisted).toBeGreaterThanOrEqual(0);
    expect(persisted).toBeLessThan(acked);
    const persist = out[persisted];
    // The mark names the ring its DC sent it in (marks are ordered by ring first: mark-rings.test.ts).
    expect(persist?.kind === "persist" && persist.lineage).toEqual({ ...lineageOf([shared, acknowledged]), mark: { ...markOf(acknowledged), ringId: 3 } });
    // The same DC's write of an earlier ring, sent again after a heal, on another branch.
    node2.handle({ kind: "view", nowMs: 30, ringId: 5, members: [1, 2, 3], quorate: true });
    node2.handle({ kind: "message", nowMs: 40, from: 1, message: { t: "join", ringId: 5, since: 3 } });
    const stale = plus(shared, "r4");
    const later = node2.handle({ kind: "message", nowMs: 50, from: 1, message: { t: "cib", ringId: 3, writeId: 0, cib: JSON.parse(JSON.stringify(stale)), chain: lineageOf([shared, stale]).chain } });
    expect(later.filter((effect) => effect.kind === "persist" || (effect.kind === "send" && effect.message.t === "cib-ack"))).toEqual([]);
    expect(names(node2.configuration)).toContain("standby-node1");
  });
});

describe("a member without quorum starts nothing an earlier view ordered (seed 1740)", () => {
  const FOUR = [...NODES, { id: 4, name: "node4" }];
  function follower(): Controller {
    const node3 = nodeWith(3, FOUR, base());
    node3.handle({ kind: "view", nowMs: 0, ringId: 6, members: [2, 3, 4], quorate: true });
    node3.handle({ kind: "message", nowMs: 10, from: 2, message: { t: "join", ringId: 6, since: 6 } });
    // node4 is gone: with auto_tie_breaker (lowest id) {node2, node3} has no quorum.
    node3.handle({ kind: "view", nowMs: 20, ringId: 8, members: [2, 3], quorate: false });
    return node3;
  }

  it("a start ordered in ring 6 that arrives after ring 8 took quorum away is answered as not run", () => {
    const out = follower().handle({ kind: "message", nowMs: 30, from: 2, message: { t: "op", ringId: 6, transition: 4, step: 0, resource: "vip", operation: "start" } });
    expect(out.filter((effect) => effect.kind === "run")).toEqual([]);
    expect(out.find((effect) => effect.kind === "send" && effect.message.t === "op-result")).toMatchObject({ to: 2, message: { ok: false, transition: 4, step: 0 } });
  });

  it("a stop from the earlier view still runs (stopping is always safe)", () => {
    const out = follower().handle({ kind: "message", nowMs: 30, from: 2, message: { t: "op", ringId: 6, transition: 4, step: 0, resource: "vip", operation: "stop" } });
    expect(out.filter((effect) => effect.kind === "run")).toHaveLength(1);
  });
});
