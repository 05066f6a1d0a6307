import { describe, expect, it } from "vitest";
import { sameActions } from "../../conformance/scheduler-compare";
import { scheduleSmall } from "./small-cib";
import { CASES } from "./unseen-rules.cases";

// Pacemaker rules found missing on Pacemaker inputs outside the shared corpora (issue 18), each
// shown on a small CIB of our own (unseen-rules.cases.ts) whose expected transition summary was
// checked against crm_simulate 2.1.5. Pairs show the rule and the case it must leave alone.
function check(name: keyof typeof CASES): void {
  const { spec, expected } = CASES[name]!;
  const actual = scheduleSmall(spec);
  expect(sameActions(actual, expected), `${name}: got ${JSON.stringify(actual)}`).toBe(true);
}

describe("a record with a secure digest (a CIB whose secrets are masked)", () => {
  it("is no definition change when only the masked parameters differ", () => check("masked-secret"));
  it("is one when the secure digest differs too", () => check("changed-parameter"));
});

describe("several failures in a row", () => {
  it("take the most severe on-fail: a failed monitor then a failed stop (block) leaves the resource blocked", () => check("monitor-then-stop-failed"));
  it("a failed monitor alone is recovered", () => check("monitor-failed"));
});

describe("migration-threshold of a resource whose failure is ignored (on-fail=ignore)", () => {
  it("does not apply: the resource stays", () => check("ignored-failure-threshold"));
  it("applies without on-fail=ignore: the resource leaves", () => check("failure-threshold"));
});

describe("a failed resource behind an unrunnable first of a non-symmetrical order", () => {
  it("is stopped, not recovered (its start cannot happen)", () => check("asymmetric-order-failed-then"));
});

describe("a group member held by its own failed stop (on-fail=block)", () => {
  it("is not restarted, and an earlier member's restart becomes a blocked stop", () => check("group-behind-blocked-member"));
});

describe("a monitor of the Stopped role that found the resource running", () => {
  it("is a failure there: the resource active on two nodes is recovered, not restarted", () => check("stopped-role-monitor-found-running"));
});

describe("a colocation of a promotable clone's Unpromoted role with a primary", () => {
  it("keeps the instance that runs with the primary from being promoted: the other one is", () => check("unpromoted-with-primary"));
  it("changes nothing where the Unpromoted instance already runs with it", () => check("unpromoted-with-primary-in-place"));
});

describe("a mandatory colocation of the Promoted role with a primary whose start cannot run", () => {
  it("lists the promote as blocked; the instances still start", () => check("promoted-with-unrunnable-primary"));
});

describe("a resource that must run with the Promoted role of a clone that may promote two, banned where one is Promoted", () => {
  it("keeps that instance Promoted: the ban merges into the clone's weight after the instance's priority, leaving 1", () => check("promoted-dependent-banned-coloc-first"));
  it("whatever order the constraints are listed in", () => check("promoted-dependent-banned-coloc-last"));
  it("and a migratable dependent ordered after the promote migrates (the transition graph has no cycle)", () => check("promote-then-migrate"));
});

describe("a migratable resource ordered after a promote (mandatory, symmetrical) while the clone's Promoted instance moves", () => {
  it("moves by stop and start: its stop comes before the demote, which does not migrate", () => check("promote-moves-then-migratable-moves"));
  it("migrates when the order is optional", () => check("promote-moves-optional-order"));
  it("migrates when the order is not symmetrical", () => check("promote-moves-asymmetrical-order"));
  it("moves when a demote-then-stop order puts its start before the promote", () => check("promote-moves-demote-then-stop"));
});

describe("a promotable clone of a group", () => {
  it("promotes no instance one of whose members is to stay stopped", () => check("cloned-group-member-stopped"));
  it("promotes one whose members all run", () => check("cloned-group-all-members"));
});

describe("a colocation written without a score", () => {
  it("has score 0 and is ignored, as Pacemaker does", () => check("colocation-without-score"));
  it("also when it colocates a set", () => check("colocation-set-without-score"));
  it("while one with a score holds", () => check("colocation-with-score"));
});
