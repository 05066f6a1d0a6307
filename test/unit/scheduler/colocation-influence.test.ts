// A colocation's dependent pulls its primary toward the nodes it prefers only when the
// colocation has influence (Pacemaker 2.1.5 pcmk__colocation_has_influence): influence="false"
// on the constraint (sets included), or critical=false on the dependent when the constraint
// does not say, keeps a running primary where it is; a primary that runs nowhere is pulled
// anyway. Checked against crm_simulate 2.1.5 on these CIBs.
import { describe, expect, it } from "vitest";
import { sameActions } from "../../conformance/scheduler-compare";
import { history, record, scheduleSmall } from "./small-cib";

const sticky = `<meta_attributes id="dbm"><nvpair id="dbm1" name="resource-stickiness" value="10"/></meta_attributes>`;
const notCritical = `<meta_attributes id="am"><nvpair id="am1" name="critical" value="false"/></meta_attributes>`;
const prefersBirch = `<rsc_location id="app-birch" rsc="app" node="birch" score="100"/>`;
const pair = (influence = "") => `<rsc_colocation id="app-with-db" rsc="app" with-rsc="db" score="INFINITY"${influence}/>`;

/** db (stickiness 10) runs on alder unless `dbStopped`; app must run with db and prefers birch (100). */
function run(colocation: string, appMeta = "", dbStopped = false): Record<string, unknown>[] {
  return scheduleSmall({
    resources: `<primitive id="db" class="ocf" provider="heartbeat" type="Dummy">${sticky}</primitive><primitive id="app" class="ocf" provider="heartbeat" type="Dummy">${appMeta}</primitive>`,
    constraints: prefersBirch + colocation,
    history: dbStopped ? {} : { alder: history("db", [record("db", "start", { call: 1 })]) },
  });
}

const appOnAlder = [{ action: "start", resource: "app", node: "alder" }];
const bothToBirch = [{ action: "move", resource: "db", from: "alder", to: "birch" }, { action: "start", resource: "app", node: "birch" }];

describe("a colocation's influence on its primary", () => {
  it("pulls the running primary to the dependent's node by default", () => {
    const actual = run(pair());
    expect(sameActions(actual, bothToBirch), JSON.stringify(actual)).toBe(true);
  });

  it("leaves a running primary where it is with influence=false", () => {
    const actual = run(pair(` influence="false"`));
    expect(sameActions(actual, appOnAlder), JSON.stringify(actual)).toBe(true);
  });

  it("leaves it there too when the dependent has critical=false and the constraint does not say", () => {
    const actual = run(pair(), notCritical);
    expect(sameActions(actual, appOnAlder), JSON.stringify(actual)).toBe(true);
  });

  it("holds for a colocation written as a resource set", () => {
    const actual = run(`<rsc_colocation id="app-with-db" score="INFINITY" influence="false"><resource_set id="s1"><resource_ref id="db"/><resource_ref id="app"/></resource_set></rsc_colocation>`);
    expect(sameActions(actual, appOnAlder), JSON.stringify(actual)).toBe(true);
  });

  it("still pulls a primary that runs nowhere", () => {
    const actual = run(pair(` influence="false"`), "", true);
    expect(sameActions(actual, [{ action: "start", resource: "db", node: "birch" }, { action: "start", resource: "app", node: "birch" }]), JSON.stringify(actual)).toBe(true);
  });
});
