// `edgeha sim`: one JSON line per seed with the counters and the invariants checked; a failure
// names the invariant, the command that replays it and the last events in domain words.
import { describe, expect, it } from "vitest";
import { cli } from "../../support/cli";
import { mutationNamed, runSeed } from "../../../src/sim";

describe("edgeha sim", () => {
  it("prints one JSON object per seed with what happened and which invariants were checked", async () => {
    const { status, out } = await cli("sim", "--seed", "3", "--seeds", "2", "--json");
    const lines = out.trim().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.map((line) => line.seed)).toEqual([3, 4]);
    for (const line of lines) {
      for (const key of ["seed", "nodes", "steps", "transitions", "actions", "fences", "crashes", "invariants"]) expect(line).toHaveProperty(key);
      expect(line.invariants).toEqual(expect.arrayContaining(["acked-change-durable", "one-dc", "quorum-gates-resources", "bad-frames-change-nothing", "liveness"]));
    }
    expect(status).toBe(lines.every((line) => line.ok) ? 0 : 1);
  });

  it("names a mutation's failure with its invariant, the command that replays it and a trace in domain words", async () => {
    // The first seed whose first broken invariant is one-dc (the mutation's own; other defects may come first in other seeds).
    const mutation = mutationNamed("keep-two-dcs-after-merge")!;
    let seed = 1;
    while (seed <= 100 && runSeed(seed, { mutation }).violation?.invariant !== "one-dc") seed++;
    expect(seed).toBeLessThanOrEqual(100);
    const { status, err } = await cli("sim", "--seed", String(seed), "--mutation", "keep-two-dcs-after-merge");
    expect(status).toBe(1);
    expect(err).toMatch(new RegExp(`^seed ${seed} \\(\\d nodes\\) FAILED one-dc at [\\d.]+ s: (node\\d, )+node\\d are each DC of the quorate view`));
    expect(err).toContain(`replay: edgeha sim --seed ${seed} --mutation keep-two-dcs-after-merge`);
    // The trace speaks of nodes, views and DCs, never of functions.
    expect(err).toMatch(/new membership view|elected the DC/);
    expect(err).not.toMatch(/\w+\(\)|\bat \w+ \(/);
  });

  it("refuses an unknown mutation and names the known ones", async () => {
    const { status, err } = await cli("sim", "--mutation", "no-such-rule");
    expect(status).not.toBe(0);
    expect(err).toContain("keep-two-dcs-after-merge");
  });
});
