// Live migration as the DC runs it, and migrations left half-way in the history, read as
// Pacemaker 2.1.5 reads them (unpack_migrate_to_success/_failure, unpack_migrate_from_failure,
// pcmk__create_migration_actions, pcmk__order_migration_equivalents).
import { describe, expect, it } from "vitest";
import { importCibXml } from "../../../src/cib";
import { schedule, type GraphOperation } from "../../../src/scheduler";
import { parameterDigest } from "../../../src/scheduler/digest";

const vm = (id = "vm", agent = `class="ocf" provider="heartbeat" type="Dummy"`) => `<primitive id="${id}" ${agent}><meta_attributes id="${id}-m"><nvpair id="${id}-m1" name="allow-migrate" value="true"/></meta_attributes></primitive>`;
const plain = (id: string) => `<primitive id="${id}" class="ocf" provider="heartbeat" type="Dummy"/>`;
/**
 * One recorded operation; the transition key says what result was expected (7 for a probe,
 * else 0) and the digest is the one of no parameters, so that crm_simulate reads these inputs
 * as edgeha does (the expectations below were checked with crm_simulate 2.1.5).
 */
const op = (id: string, operation: string, callId: number, rc = 0, extra = "") => `<lrm_rsc_op id="${id}_${operation}_${callId}" operation="${operation}" call-id="${callId}" rc-code="${rc}" op-status="0" interval="0" transition-key="${callId}:1:${operation === "monitor" ? 7 : 0}:00000000-0000-0000-0000-000000000000" op-digest="${parameterDigest({})}" ${extra}/>`;
const migration = (source: string, target: string) => `migrate_source="${source}" migrate_target="${target}"`;
const history = (id: string, ...ops: string[]) => `<lrm_resource id="${id}" class="ocf" provider="heartbeat" type="Dummy">${ops.join("")}</lrm_resource>`;
const ban = (id: string, node: string) => `<rsc_location id="${id}-not-${node}" rsc="${id}" node="${node}" score="-INFINITY"/>`;
const prefer = (id: string, node: string) => `<rsc_location id="${id}-on-${node}" rsc="${id}" node="${node}" score="100"/>`;

function run(resources: string, constraints: string, status: Record<string, string>, nodes = ["a", "b"]) {
  const xml = `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="1"><configuration><crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
    <nodes>${nodes.map((node, index) => `<node id="${index + 1}" uname="${node}"/>`).join("")}</nodes><resources>${resources}</resources><constraints>${constraints}</constraints></configuration>
    <status>${nodes.map((node, index) => `<node_state id="${index + 1}" uname="${node}" in_ccm="true" crmd="online" join="member" expected="member"><lrm id="${index + 1}"><lrm_resources>${status[node] ?? ""}</lrm_resources></lrm></node_state>`).join("")}</status></cib>`;
  const graph = schedule(importCibXml(xml, "migration").cib, { now: 0 });
  return { summary: graph.actions.map((action) => `${action.action} ${action.resource} ${action.from ?? action.node}${action.to ? `->${action.to}` : ""}`), operations: graph.operations };
}

const name = (operation: GraphOperation) => `${operation.kind} ${operation.resource ?? ""} ${operation.node}`;
const names = (operations: GraphOperation[]) => operations.map(name).sort();
/** "x -> y" for every direct ordering edge. */
const edges = (operations: GraphOperation[]) => operations.flatMap((operation) => operation.after.map((id) => `${name(operations[id]!)} -> ${name(operation)}`)).sort();
/** Whether `first` is ordered (transitively) before `then`. */
function before(operations: GraphOperation[], first: string, then: string): boolean {
  const target = operations.find((operation) => name(operation) === then)!;
  const seen = new Set<number>();
  const stack = [...target.after];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    if (name(operations[id]!) === first) return true;
    stack.push(...operations[id]!.after);
  }
  return false;
}

describe("a live migration in the graph", () => {
  it("runs migrate_to on the source, then migrate_from on the target, then the stop on the source; no start", () => {
    const { operations } = run(vm(), ban("vm", "a"), { a: history("vm", op("vm", "start", 1)) });
    expect(names(operations)).toEqual(["migrate_from vm b", "migrate_to vm a", "stop vm a"]);
    expect(edges(operations)).toEqual(["migrate_from vm b -> stop vm a", "migrate_to vm a -> migrate_from vm b"]);
    expect(operations.filter((operation) => operation.kind.startsWith("migrate")).map((operation) => operation.migration)).toEqual([{ source: "a", target: "b" }, { source: "a", target: "b" }]);
  });

  it("what follows the migrating resource's start waits for its migrate_from and the stop on the source", () => {
    const { operations } = run(vm() + plain("app"), ban("vm", "a") + ban("app", "a") + `<rsc_order id="o" first="vm" then="app"/>`, { b: history("app", op("app", "stop", 1)), a: history("vm", op("vm", "start", 1)) });
    expect(before(operations, "migrate_from vm b", "start app b")).toBe(true);
    expect(before(operations, "stop vm a", "start app b")).toBe(true);
  });

  it("a start ordered before the migrating resource's start comes before its migrate_to", () => {
    const { operations } = run(plain("disk") + vm(), ban("vm", "a") + `<rsc_order id="o" first="disk" then="vm"/>`, { a: history("vm", op("vm", "start", 1)) });
    expect(names(operations)).toContain("start disk a");
    expect(before(operations, "start disk a", "migrate_to vm a")).toBe(true);
  });

  it("two migrating resources in order: the first's migrate_from comes before the second's migrate_to", () => {
    const { summary, operations } = run(vm("one") + vm("two"), ban("one", "a") + ban("two", "a") + `<rsc_order id="o" first="one" then="two"/>`, { a: history("one", op("one", "start", 1)) + history("two", op("two", "start", 2)) });
    expect(summary.sort()).toEqual(["migrate one a->b", "migrate two a->b"]);
    expect(before(operations, "migrate_from one b", "migrate_to two a")).toBe(true);
  });

  it("an optional order does not hold anything back behind a migrating resource's stop", () => {
    const stopped = `<primitive id="disk" class="ocf" provider="heartbeat" type="Dummy"><meta_attributes id="disk-m"><nvpair id="disk-m1" name="target-role" value="Stopped"/></meta_attributes></primitive>`;
    const { operations } = run(vm() + stopped, ban("vm", "a") + `<rsc_order id="o" first="disk" then="vm" kind="Optional"/>`, { a: history("vm", op("vm", "start", 1)) + history("disk", op("disk", "start", 2)) });
    expect(names(operations)).toContain("stop vm a");
    expect(before(operations, "stop vm a", "stop disk a")).toBe(false);
  });

  it("built-in agents, init scripts and systemd units are never asked to migrate: they move", () => {
    expect(run(vm("web", `class="ocf" provider="edgeha" type="dummy"`), ban("web", "a"), { a: history("web", op("web", "start", 1)) }).summary).toEqual(["move web a->b"]);
    expect(run(vm("web", `class="systemd" type="nginx"`), ban("web", "a"), { a: history("web", op("web", "start", 1)) }).summary).toEqual(["move web a->b"]);
  });
});

describe("migrations in the history", () => {
  it("a migrate_to done and no migrate_from: the migration continues with migrate_from and the stop (no second migrate_to)", () => {
    const { summary, operations } = run(vm(), prefer("vm", "b"), { a: history("vm", op("vm", "start", 1), op("vm", "migrate_to", 2, 0, migration("a", "b"))), b: history("vm", op("vm", "monitor", 1, 7)) });
    expect(summary).toEqual(["migrate vm a->b"]);
    expect(names(operations)).toEqual(["migrate_from vm b", "stop vm a"]);
    expect(edges(operations)).toEqual(["migrate_from vm b -> stop vm a"]);
  });

  it("a migration left half-way whose target is no longer wanted stops on both nodes and starts where it is to run (shown from its target, the first node it was found on)", () => {
    const { summary, operations } = run(vm(), ban("vm", "b") + prefer("vm", "c"), { a: history("vm", op("vm", "start", 1), op("vm", "migrate_to", 2, 0, migration("a", "b"))), b: history("vm", op("vm", "monitor", 1, 7)) }, ["a", "b", "c"]);
    expect(summary).toEqual(["move vm b->c"]);
    expect(names(operations)).toEqual(["start vm c", "stop vm a", "stop vm b"]);
  });

  it("a migration that completed but was not stopped on its source: the stop there is done, nothing else", () => {
    const { summary, operations } = run(vm(), prefer("vm", "b"), { a: history("vm", op("vm", "start", 1), op("vm", "migrate_to", 2, 0, migration("a", "b"))), b: history("vm", op("vm", "migrate_from", 3, 0, migration("a", "b"))) });
    expect(summary).toEqual([]);
    expect(names(operations)).toEqual(["stop vm a"]);
  });

  it("a failed migrate_from leaves it active on both: it is recovered where it is to run", () => {
    const { summary, operations } = run(vm(), prefer("vm", "b"), { a: history("vm", op("vm", "start", 1), op("vm", "migrate_to", 2, 0, migration("a", "b"))), b: history("vm", op("vm", "migrate_from", 3, 1, migration("a", "b"))) });
    expect(summary).toEqual(["recover vm b"]);
    expect(names(operations)).toEqual(["start vm b", "stop vm a", "stop vm b"]);
  });

  it("a failed migrate_to, stopped on the source since: it may still be on the target, where it is started again", () => {
    const { summary, operations } = run(vm(), prefer("vm", "b"), { a: history("vm", op("vm", "start", 1), op("vm", "migrate_to", 2, 1, migration("a", "b")), op("vm", "stop", 3)), b: history("vm", op("vm", "monitor", 1, 7)) });
    expect(summary).toEqual(["restart vm b"]);
    expect(names(operations)).toEqual(["start vm b"]);
  });

  it("a migration superseded by later operations on both nodes counts no longer", () => {
    const { summary } = run(vm(), prefer("vm", "a"), { a: history("vm", op("vm", "migrate_to", 2, 0, migration("a", "b")), op("vm", "start", 5)), b: history("vm", op("vm", "migrate_from", 3, 0, migration("a", "b")), op("vm", "stop", 4)) });
    expect(summary).toEqual([]);
  });
});
