// Two resources with utilization, both allow-migrate, swap nodes under placement-strategy=
// utilization: A alder -> birch, B birch -> alder. What stops on a node frees its capacity before
// what migrates there (Pacemaker's load_stopped orderings), but each resource's stop waits for
// its own migration, so "A's stop before B's migrate_to" and "B's stop before A's migrate_to"
// together close a loop. Pacemaker drops the load orderings of one migration (the one it checks
// first) and both migrate, one after the other. crm_simulate 2.1.5 on this CIB: "Migrate B
// (birch -> alder)", "Migrate A (alder -> birch)"; A's migrate_to has no input, B's migrate_to
// waits for load_stopped_alder, which waits for A's stop on alder.
import { describe, expect, it } from "vitest";
import { importCibXml } from "../../../src/cib";
import { schedule, type GraphOperation } from "../../../src/scheduler";
import { before, history, record, smallCibXml } from "./small-cib";

const used = (id: string) => `<primitive id="${id}" class="ocf" provider="heartbeat" type="Dummy"><meta_attributes id="${id}-m"><nvpair id="${id}-m1" name="allow-migrate" value="true"/></meta_attributes>`
  + `<utilization id="${id}-u"><nvpair id="${id}-u1" name="cpu" value="1"/></utilization></primitive>`;
const spec = {
  properties: `<nvpair id="o2" name="placement-strategy" value="utilization"/>`,
  utilization: { alder: { cpu: "1" }, birch: { cpu: "1" } },
  resources: used("A") + used("B"),
  constraints: `<rsc_location id="la" rsc="A" node="birch" score="100"/><rsc_location id="lb" rsc="B" node="alder" score="100"/>`,
  history: { alder: history("A", [record("A", "start", { call: 1 })]), birch: history("B", [record("B", "start", { call: 1 })]) },
};

describe("load orderings and migrations that swap nodes", () => {
  it("both resources still migrate, one migration after the other's stop frees its target", () => {
    const graph = schedule(importCibXml(smallCibXml(spec), "swap.xml").cib, { now: 1800000000 });
    const summary = graph.actions.map((action) => [action.action, action.resource, action.node ?? `${action.from}->${action.to}`].join(" ")).sort();
    expect(summary).toEqual(["migrate A alder->birch", "migrate B birch->alder"]);
    const find = (kind: string, resource: string, node: string) => graph.operations.find((operation) => operation.kind === kind && operation.resource === resource && operation.node === node)!;
    const migrateToA = find("migrate_to", "A", "alder");
    const migrateToB = find("migrate_to", "B", "birch");
    // As crm_simulate orders them: B migrates to alder once A has stopped there.
    expect(before(graph.operations, find("stop", "A", "alder"), migrateToB)).toBe(true);
    expect(before(graph.operations, find("stop", "B", "birch"), migrateToA)).toBe(false);
  });
});
