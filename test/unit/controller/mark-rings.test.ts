// A node's acknowledged mark names the membership ring it was acknowledged in, and a join orders
// marks by ring first, then version, as raft orders entries by term. A member marks what its DC
// of a quorate view sends as it stores it; a DC whose view is stale (cut off, not yet aware of
// it) can send changes that no quorum ever stores, with versions above the changes a later
// quorate partition really acknowledged on another branch. Found by the simulator (5 nodes,
// seeds 367 and 421, regressions.test.ts): at the merge the stale branch's higher version won
// and an acknowledged change was lost (acked-change-durable).
import { describe, expect, it } from "vitest";
import { chainOf, markOf, type Cib, type CibLineage, type CibMark } from "../../../src/cib";
import { Controller, CONTROLLER_DEFAULTS, type ControllerEffect } from "../../../src/controller";
import type { Context } from "../../../src/controller/context";
import { resolveOffers } from "../../../src/controller/conflicts";
import { clusterCib, dummy } from "./fixtures";

const NAMES = ["node1", "node2", "node3", "node4", "node5"];
const NODES = NAMES.map((name, index) => ({ id: index + 1, name }));

/** `cib` with one more resource, one epoch later. */
function plus(cib: Cib, id: string): Cib {
  const next = structuredClone(cib);
  next.resources.push(dummy(id));
  next.version = { ...cib.version, epoch: cib.version.epoch + 1 };
  return next;
}

/** The lineage of the last of `copies` (each built on the one before), with `mark` as the node's acknowledged mark. */
function lineageOf(copies: Cib[], mark: CibMark): CibLineage {
  let chain: CibMark[] = [];
  for (const copy of copies) chain = chainOf(copy, chain);
  return { chain, mark };
}

function node(localId: number, cib: Cib, lineage: CibLineage): Controller {
  return new Controller({ ...CONTROLLER_DEFAULTS, localId, nodes: NODES }, cib, { node: `node${localId}`, probed: true, cibVersion: "0.0.0", busy: false, resources: {}, attributes: {}, shutdown: false }, [], lineage);
}

const contextOf = (controller: Controller) => (controller as unknown as { context: Context }).context;
const names = (cib: Cib) => cib.resources.map((resource) => resource.id);

describe("acknowledged marks are ordered by the ring they were acknowledged in", () => {
  // node1, DC of ring 2 (all five), was cut off with node5 and did not know it yet: it took three
  // changes (0.4.0-0.6.0) that node5 stored as its DC's, so node5 marked 0.6.0 in ring 2. The
  // majority (node2, node3, node4) formed ring 5 and acknowledged "prefer" as 0.4.0.
  const shared = clusterCib(NAMES, { fencing: false });
  const stale = [plus(shared, "a"), plus(plus(shared, "a"), "b"), plus(plus(plus(shared, "a"), "b"), "c")];
  const acknowledged = plus(shared, "prefer");
  const offers = () => [{ from: "node5", cib: stale[2]!, lineage: lineageOf([shared, ...stale], { ...markOf(stale[2]!), ringId: 2 }) }];

  it("a change a later ring acknowledged beats a higher version marked in an earlier ring, and is written above it, loudly", () => {
    const node2 = node(2, acknowledged, lineageOf([shared, acknowledged], { ...markOf(acknowledged), ringId: 5 }));
    const out: ControllerEffect[] = [];
    const { chosen, mark } = resolveOffers(contextOf(node2), offers(), out);
    expect(chosen, "node2 keeps its copy, written again above 0.6.0").toBeDefined();
    expect(names(chosen!.cib)).toContain("prefer");
    expect(names(chosen!.cib)).not.toContain("c");
    expect(chosen!.cib.version.epoch).toBeGreaterThan(stale[2]!.version.epoch);
    expect(mark).toEqual({ ...markOf(acknowledged), ringId: 5 });
    expect(out.some((effect) => effect.kind === "keep-conflict")).toBe(true);
  });

  it("within one ring, the newer version is the newer mark", () => {
    const node2 = node(2, acknowledged, lineageOf([shared, acknowledged], { ...markOf(acknowledged), ringId: 2 }));
    const { mark } = resolveOffers(contextOf(node2), offers(), []);
    expect(mark).toEqual({ ...markOf(stale[2]!), ringId: 2 });
  });
});
