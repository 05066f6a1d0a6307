// Small CIBs for test/unit/scheduler/unseen-rules.test.ts, each with the transition summary
// crm_simulate (Pacemaker 2.1.5, LC_ALL=C crm_simulate -x FILE -S) gives for it.
import { history, record, type SmallCib } from "./small-cib";

const dummy = (id: string, operations = "", meta = "") => `<primitive id="${id}" class="ocf" provider="heartbeat" type="Dummy">${meta ? `<meta_attributes id="${id}-meta">${meta}</meta_attributes>` : ""}<operations>${operations}</operations></primitive>`;
const nv = (id: string, name: string, value: string) => `<nvpair id="${id}" name="${name}" value="${value}"/>`;

// A fencing device whose password the CIB shows masked ("****"): its recorded digest was taken with
// the real one, so it differs; the "secure" digest (without passwd, and from a controller older
// than feature set 3.16.0 also without the pcmk_* parameters) is given per case.
const fenceDevice = `<primitive id="fence1" class="stonith" type="fence_ipmilan"><instance_attributes id="fence1-i">${nv("f1", "ipaddr", "192.0.2.10")}${nv("f2", "login", "admin")}${nv("f3", "passwd", "****")}${nv("f4", "pcmk_host_list", "alder")}</instance_attributes></primitive>`;
const fenceStarted = (secureDigest: string) => history("fence1", [record("fence1", "start", { call: 2, extra: ` crm_feature_set="3.0.12" op-digest="eb786f2507080c57adbcb4f022f6d637" op-secure-params=" passwd " op-secure-digest="${secureDigest}"` })], `class="stonith" type="fence_ipmilan"`);

// A promotable clone "pair" of two instances, at most one Promoted; st:0 runs Promoted on birch, st:1 Unpromoted on alder.
const stateful = `class="ocf" provider="pacemaker" type="Stateful"`;
const promotable = `<clone id="pair"><meta_attributes id="pair-meta">${nv("pm1", "promotable", "true")}${nv("pm2", "promoted-max", "1")}${nv("pm3", "clone-max", "2")}</meta_attributes><primitive id="st" ${stateful}/></clone>`;
const pairHistory = (frontOnAlder: boolean): Record<string, string> => ({
  alder: (frontOnAlder ? history("front", [record("front", "start", { call: 2 })]) : "") + history("st:1", [record("st:1", "start", { call: 3 })], stateful),
  birch: history("st:0", [record("st:0", "start", { call: 2 }), record("st:0", "promote", { call: 3 })], stateful),
});
const pairScores = { birch: { "master-st:0": "10" }, alder: { "master-st:1": "5" } };


// A promotable clone "duo" of two instances that may both be Promoted (promoted-max=2), each
// preferred Promoted on its node (100); one runs Promoted on birch, the other Unpromoted on alder
// (the summaries call the one on alder du:0: anonymous instances are numbered as found, alder first).
// "mover" must run with a Promoted instance and is banned from birch, where it runs. With
// `orderKind`, a order "duo promote then mover start" of that kind.
const duo = (promotedMax: number) => `<clone id="duo"><meta_attributes id="duo-meta">${nv("dm1", "promotable", "true")}${nv("dm2", "promoted-max", String(promotedMax))}${nv("dm3", "clone-max", "2")}</meta_attributes><primitive id="du" ${stateful}/></clone>`;
const duoHistory = {
  alder: history("du:1", [record("du:1", "start", { call: 3 })], stateful),
  birch: history("du:0", [record("du:0", "start", { call: 2 }), record("du:0", "promote", { call: 3 })], stateful) + history("mover", [record("mover", "start", { call: 4 })]),
};
const duoConstraints = (options: { alder?: number; order?: string; colocationFirst?: boolean }) => {
  const colocation = `<rsc_colocation id="mover-with-promoted" rsc="mover" with-rsc="duo" with-rsc-role="Promoted" score="INFINITY"/>`;
  const locations = `<rsc_location id="duo-alder" rsc="duo" role="Promoted" node="alder" score="${options.alder ?? 100}"/><rsc_location id="duo-birch" rsc="duo" role="Promoted" node="birch" score="100"/><rsc_location id="mover-not-birch" rsc="mover" node="birch" score="-INFINITY"/>`;
  const order = options.order === undefined ? "" : `<rsc_order id="promote-then-mover" first="duo" first-action="promote" then="mover" then-action="start" ${options.order}/>`;
  return (options.colocationFirst === false ? locations + colocation : colocation + locations) + order;
};
const migratable = dummy("mover", "", nv("mm1", "allow-migrate", "true"));


// A promotable clone of a group "tier" (lower, then upper), at most one Promoted, preferred Promoted
// on birch. With `upperStopped`, upper has target-role Stopped.
const tier = (upperStopped: boolean) => `<clone id="tiers"><meta_attributes id="tiers-meta">${nv("tm1", "promotable", "true")}${nv("tm2", "promoted-max", "1")}${nv("tm3", "clone-max", "2")}</meta_attributes><group id="tier"><primitive id="lower" ${stateful}/><primitive id="upper" ${stateful}>${upperStopped ? `<meta_attributes id="upper-meta">${nv("um1", "target-role", "Stopped")}</meta_attributes>` : ""}</primitive></group></clone>`;
const tierConstraints = `<rsc_location id="tiers-birch" rsc="tiers" role="Promoted" node="birch" score="100"/><rsc_location id="tiers-alder" rsc="tiers" role="Promoted" node="alder" score="50"/>`;

export const CASES: Record<string, { spec: SmallCib; expected: Record<string, unknown>[] }> = {
  // Only the masked parameter differs: the secure digest matches, nothing to do.
  "masked-secret": { spec: { resources: fenceDevice, history: { birch: fenceStarted("5b534adfbe5668fdc6d39c80fb94bd76") } }, expected: [] },
  // The secure digest does not match either: a real change, the device restarts.
  "changed-parameter": { spec: { resources: fenceDevice, history: { birch: fenceStarted("0d2c6630009ae8533d6a506aa99e68cd") } }, expected: [{ action: "restart", resource: "fence1", node: "birch" }] },
  // A monitor failed (on-fail restart), then the stop of the recovery failed (on-fail block, fencing
  // being off): the more severe on-fail decides, so web is left blocked where it is.
  "monitor-then-stop-failed": {
    spec: { resources: dummy("web", `<op id="web-m" name="monitor" interval="10s"/>`), history: { alder: history("web", [record("web", "start", { call: 2 }), record("web", "monitor", { call: 3, interval: 10000, rc: 1 }), record("web", "stop", { call: 4, rc: 1, id: "web_last_failure_0" })]) } },
    expected: [],
  },
  // The same monitor failure alone: recovered in place.
  "monitor-failed": {
    spec: { resources: dummy("web", `<op id="web-m" name="monitor" interval="10s"/>`), history: { alder: history("web", [record("web", "start", { call: 2 }), record("web", "monitor", { call: 3, interval: 10000, rc: 1 })]) } },
    expected: [{ action: "recover", resource: "web", node: "alder" }],
  },
  // A monitor failure taken as success (on-fail=ignore) with the fail count at migration-threshold:
  // a resource whose failures are ignored ignores its migration-threshold too, so web stays.
  "ignored-failure-threshold": {
    spec: {
      resources: dummy("web", `<op id="web-m" name="monitor" interval="10s" on-fail="ignore"/>`, nv("wm1", "migration-threshold", "1")),
      history: { alder: history("web", [record("web", "start", { call: 2 }), record("web", "monitor", { call: 3, interval: 10000, rc: 7 })]) },
      transient: { alder: { "fail-count-web#monitor_10000": "1", "last-failure-web#monitor_10000": "1700000000" } },
    },
    expected: [],
  },
  // The same fail count without on-fail=ignore: web is banned from alder and recovered on birch.
  "failure-threshold": {
    spec: {
      resources: dummy("web", `<op id="web-m" name="monitor" interval="10s"/>`, nv("wm1", "migration-threshold", "1")),
      history: { alder: history("web", [record("web", "start", { call: 2 }), record("web", "monitor", { call: 3, interval: 10000, rc: 7 })]) },
      transient: { alder: { "fail-count-web#monitor_10000": "1", "last-failure-web#monitor_10000": "1700000000" } },
    },
    expected: [{ action: "recover", resource: "web", from: "alder", to: "birch" }],
  },
  // web failed on alder and may start only after db, which is disabled (order with symmetrical=false):
  // its recovery needs a start that cannot happen, so it is stopped.
  "asymmetric-order-failed-then": {
    spec: {
      resources: dummy("db", "", nv("dm1", "target-role", "Stopped")) + dummy("web", `<op id="web-m" name="monitor" interval="10s"/>`),
      constraints: `<rsc_order id="db-then-web" first="db" then="web" kind="Mandatory" symmetrical="false"/>`,
      history: { alder: history("web", [record("web", "start", { call: 2 }), record("web", "monitor", { call: 3, interval: 10000, rc: 1 })]) },
    },
    expected: [{ action: "stop", resource: "web", node: "alder" }],
  },
  // A group whose first member is to start, whose last member is held by a failed stop (on-fail block):
  // the middle member would restart, but its stop waits for the held member's: a blocked stop.
  "group-behind-blocked-member": {
    spec: {
      nodes: ["alder"],
      resources: `<group id="g">${dummy("a")}${dummy("b")}${dummy("c")}</group>`,
      history: { alder: history("a", [record("a", "monitor", { call: 1, rc: 7, expected: 7 })]) + history("b", [record("b", "start", { call: 2 })]) + history("c", [record("c", "start", { call: 3 }), record("c", "stop", { call: 4, rc: 1, id: "c_last_failure_0" })]) },
    },
    expected: [{ action: "start", resource: "a", node: "alder" }, { action: "stop", resource: "b", node: "alder", blocked: true }],
  },
  // A monitor of the Stopped role on birch found web running (expected "not running"): a failure there;
  // web runs on alder too, so it is stopped on both and recovered on alder.
  "stopped-role-monitor-found-running": {
    spec: {
      resources: dummy("web", `<op id="web-m" name="monitor" interval="10s"/><op id="web-ms" name="monitor" interval="20s" role="Stopped"/>`),
      history: { alder: history("web", [record("web", "start", { call: 2 }), record("web", "monitor", { call: 3, interval: 10000 })]), birch: history("web", [record("web", "monitor", { call: 2, interval: 20000, expected: 7 })]) },
    },
    expected: [{ action: "recover", resource: "web", node: "alder" }],
  },
  // A promotable clone whose Unpromoted instance must run with "front" (rsc-role Unpromoted): front moves
  // to birch, where the Promoted instance runs, so that one is demoted and the other promoted.
  "unpromoted-with-primary": {
    spec: {
      resources: dummy("front") + promotable,
      constraints: `<rsc_location id="front-birch" rsc="front" node="birch" score="5000"/><rsc_colocation id="unpromoted-with-front" rsc="pair" rsc-role="Unpromoted" with-rsc="front" score="INFINITY"/>`,
      history: pairHistory(true),
      transient: pairScores,
    },
    expected: [{ action: "move", resource: "front", from: "alder", to: "birch" }, { action: "demote", resource: "st:1", node: "birch", from_role: "Promoted", to_role: "Unpromoted" }, { action: "promote", resource: "st:0", node: "alder", from_role: "Unpromoted", to_role: "Promoted" }],
  },
  // The same with front staying on alder, where the Unpromoted instance runs: nothing changes.
  "unpromoted-with-primary-in-place": {
    spec: {
      resources: dummy("front") + promotable,
      constraints: `<rsc_colocation id="unpromoted-with-front" rsc="pair" rsc-role="Unpromoted" with-rsc="front" score="INFINITY"/>`,
      history: pairHistory(true),
      transient: pairScores,
    },
    expected: [],
  },
  // The Promoted role of "pair" must run with "app", whose start cannot run (a mandatory order after
  // "gate", which is disabled): the instance chosen for promotion starts, its promote is blocked.
  "promoted-with-unrunnable-primary": {
    spec: {
      resources: dummy("gate", "", nv("gm1", "target-role", "Stopped")) + dummy("app") + promotable,
      constraints: `<rsc_order id="gate-then-app" first="gate" then="app" kind="Mandatory"/><rsc_location id="app-birch" rsc="app" node="birch" score="100"/><rsc_colocation id="promoted-with-app" rsc="pair" rsc-role="Promoted" with-rsc="app" score="INFINITY"/>`,
    },
    expected: [{ action: "start", resource: "app", node: "birch", blocked: true }, { action: "start", resource: "st:0", node: "alder" }, { action: "promote", resource: "st:1", node: "birch", from_role: "Stopped", to_role: "Promoted", blocked: true }],
  },
  // The mover's -INFINITY on birch merges into the clone's weight there after the birch instance's
  // promotion priority (100), so it leaves 1 (Pacemaker's add_sort_index_to_node_score, then
  // apply_coloc_to_primary with only-positive merging): both instances are Promoted, whatever
  // order the constraints are listed in.
  "promoted-dependent-banned-coloc-first": {
    spec: { resources: duo(2) + dummy("mover"), constraints: duoConstraints({}), history: duoHistory },
    expected: [{ action: "promote", resource: "du:0", node: "alder", from_role: "Unpromoted", to_role: "Promoted" }, { action: "move", resource: "mover", from: "birch", to: "alder" }],
  },
  "promoted-dependent-banned-coloc-last": {
    spec: { resources: duo(2) + dummy("mover"), constraints: duoConstraints({ colocationFirst: false }), history: duoHistory },
    expected: [{ action: "promote", resource: "du:0", node: "alder", from_role: "Unpromoted", to_role: "Promoted" }, { action: "move", resource: "mover", from: "birch", to: "alder" }],
  },
  // With both Promoted the mover migrates after the promote; nothing is demoted.
  "promote-then-migrate": {
    spec: { resources: duo(2) + migratable, constraints: duoConstraints({ order: `kind="Mandatory"` }), history: duoHistory },
    expected: [{ action: "promote", resource: "du:0", node: "alder", from_role: "Unpromoted", to_role: "Promoted" }, { action: "migrate", resource: "mover", from: "birch", to: "alder" }],
  },
  // One Promoted, moving to alder: the inverse of the mandatory order puts the mover's stop before
  // the demote, which is required and not migratable, so the mover moves by stop and start
  // (Pacemaker's pcmk__ar_then_implies_first clears the stop's migratable flag).
  "promote-moves-then-migratable-moves": {
    spec: { resources: duo(1) + migratable, constraints: duoConstraints({ alder: 200, order: `kind="Mandatory"` }), history: duoHistory },
    expected: [{ action: "promote", resource: "du:0", node: "alder", from_role: "Unpromoted", to_role: "Promoted" }, { action: "demote", resource: "du:1", node: "birch", from_role: "Promoted", to_role: "Unpromoted" }, { action: "move", resource: "mover", from: "birch", to: "alder" }],
  },
  // An optional or non-symmetrical order has no such inverse: the mover still migrates.
  "promote-moves-optional-order": {
    spec: { resources: duo(1) + migratable, constraints: duoConstraints({ alder: 200, order: `kind="Optional"` }), history: duoHistory },
    expected: [{ action: "promote", resource: "du:0", node: "alder", from_role: "Unpromoted", to_role: "Promoted" }, { action: "demote", resource: "du:1", node: "birch", from_role: "Promoted", to_role: "Unpromoted" }, { action: "migrate", resource: "mover", from: "birch", to: "alder" }],
  },
  "promote-moves-asymmetrical-order": {
    spec: { resources: duo(1) + migratable, constraints: duoConstraints({ alder: 200, order: `kind="Mandatory" symmetrical="false"` }), history: duoHistory },
    expected: [{ action: "promote", resource: "du:0", node: "alder", from_role: "Unpromoted", to_role: "Promoted" }, { action: "demote", resource: "du:1", node: "birch", from_role: "Promoted", to_role: "Unpromoted" }, { action: "migrate", resource: "mover", from: "birch", to: "alder" }],
  },
  // "duo demote then mover stop": its inverse puts the mover's start before the promote.
  "promote-moves-demote-then-stop": {
    spec: { resources: duo(1) + migratable, constraints: duoConstraints({ alder: 200 }) + `<rsc_order id="demote-then-stop" first="duo" first-action="demote" then="mover" then-action="stop"/>`, history: duoHistory },
    expected: [{ action: "promote", resource: "du:0", node: "alder", from_role: "Unpromoted", to_role: "Promoted" }, { action: "demote", resource: "du:1", node: "birch", from_role: "Promoted", to_role: "Unpromoted" }, { action: "move", resource: "mover", from: "birch", to: "alder" }],
  },
  // An instance of a cloned group is promoted only where every member will run (Pacemaker's
  // node_to_be_promoted_on, which returns no node when a member's does): upper is to stay
  // stopped, so lower starts on both nodes and neither instance is promoted.
  "cloned-group-member-stopped": { spec: { resources: tier(true), constraints: tierConstraints }, expected: [{ action: "start", resource: "lower:0", node: "alder" }, { action: "start", resource: "lower:1", node: "birch" }] },
  "cloned-group-all-members": { spec: { resources: tier(false), constraints: tierConstraints }, expected: [{ action: "start", resource: "lower:0", node: "alder" }, { action: "start", resource: "upper:0", node: "alder" }, { action: "promote", resource: "lower:1", node: "birch", from_role: "Stopped", to_role: "Promoted" }, { action: "promote", resource: "upper:1", node: "birch", from_role: "Stopped", to_role: "Promoted" }] },
  // A colocation written without a score has score 0, which Pacemaker ignores (pcmk__new_colocation):
  // b stays on the node it prefers instead of following a. The same for a colocation of sets.
  "colocation-without-score": {
    spec: { resources: dummy("a") + dummy("b"), constraints: `<rsc_colocation id="b-with-a" rsc="b" with-rsc="a"/><rsc_location id="a-alder" rsc="a" node="alder" score="100"/><rsc_location id="b-birch" rsc="b" node="birch" score="50"/>` },
    expected: [{ action: "start", resource: "a", node: "alder" }, { action: "start", resource: "b", node: "birch" }],
  },
  "colocation-set-without-score": {
    spec: { resources: dummy("a") + dummy("b"), constraints: `<rsc_colocation id="b-with-a"><resource_set id="ab"><resource_ref id="a"/><resource_ref id="b"/></resource_set></rsc_colocation><rsc_location id="a-alder" rsc="a" node="alder" score="100"/><rsc_location id="b-birch" rsc="b" node="birch" score="50"/>` },
    expected: [{ action: "start", resource: "a", node: "alder" }, { action: "start", resource: "b", node: "birch" }],
  },
  "colocation-with-score": {
    spec: { resources: dummy("a") + dummy("b"), constraints: `<rsc_colocation id="b-with-a" rsc="b" with-rsc="a" score="INFINITY"/><rsc_location id="a-alder" rsc="a" node="alder" score="100"/><rsc_location id="b-birch" rsc="b" node="birch" score="50"/>` },
    expected: [{ action: "start", resource: "a", node: "alder" }, { action: "start", resource: "b", node: "alder" }],
  },
};
