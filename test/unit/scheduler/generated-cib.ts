// Generated small clusters for scheduler property tests (cycle-property.test.ts) and for the
// differential comparison with crm_simulate (scripts/scheduler-differential.mjs). fast-check draws:
// primitives (some migratable), groups, clones (interleaved or not, of primitives or of groups) and
// promotable clones (with promotion scores); location, colocation (with roles) and order constraints
// of random kinds, scores, actions and symmetry; a random current state (where each primitive or
// instance runs, which instance is promoted, failed monitors, starts and stops, monitors that found
// it stopped, lost nodes) and random fencing, quorum and no-quorum-policy. Configured orders only go
// from an earlier resource to a later one: an ordering loop written in the configuration is the
// user's, not the scheduler's. Nothing here is taken from Pacemaker's inputs.
import fc from "fast-check";
import { history, record, smallCibXml } from "./small-cib";

export type Kind = "primitive" | "group" | "clone" | "clone-of-group" | "promotable";
export interface Unit {
  kind: Kind;
  migrate: boolean;
  interleave: boolean;
  cloneMax: number;
  promotedMax: number;
  stickiness: number;
  targetRole: "" | "Stopped" | "Unpromoted" | "Started";
  /** Per node: -1 not running, 0 running, 1 promoted (promotable), for each of the unit's primitives. */
  state: { where: number[]; failure: number }[];
  /** Per node: the promotion score (master-NAME attribute) of a promotable clone's instance there, -1 for none. */
  promotion: number[];
}
export interface Shape {
  nodeCount: number;
  lost: boolean[];
  fencing: boolean;
  quorum: boolean;
  noQuorumPolicy: string;
  units: Unit[];
  locations: { unit: number; node: number; score: string; promotedOnly: boolean }[];
  colocations: { unit: number; with: number; score: string; role: string; withRole: string }[];
  orders: { first: number; then: number; kind: string; symmetrical: boolean; firstAction: string; thenAction: string }[];
}

const SCORES = ["INFINITY", "-INFINITY", "100", "10", "0", "-10", "-100"];
const ROLES = ["", "", "Started", "Promoted", "Unpromoted"];

const units = (nodeCount: number) => fc.array(fc.record({
  kind: fc.constantFrom<Kind>("primitive", "primitive", "group", "clone", "clone-of-group", "promotable"),
  migrate: fc.boolean(),
  interleave: fc.boolean(),
  cloneMax: fc.integer({ min: 1, max: nodeCount }),
  promotedMax: fc.integer({ min: 1, max: 2 }),
  stickiness: fc.constantFrom(0, 0, 10, 100),
  targetRole: fc.constantFrom<Unit["targetRole"]>("", "", "", "", "Stopped", "Unpromoted", "Started"),
  // Up to three primitives per unit (a group's members; one for the others); per primitive, one
  // state per node and a failure kind: 0 none, 1 failed monitor, 2 failed start, 3 failed stop,
  // 4 monitor found it not running.
  state: fc.array(fc.record({
    where: fc.array(fc.integer({ min: -1, max: 1 }), { minLength: nodeCount, maxLength: nodeCount }),
    failure: fc.constantFrom(0, 0, 0, 0, 1, 2, 3, 4),
  }), { minLength: 3, maxLength: 3 }),
  promotion: fc.array(fc.constantFrom(-1, 0, 5, 10, 100), { minLength: nodeCount, maxLength: nodeCount }),
}), { minLength: 2, maxLength: 5 });

export const shapes: fc.Arbitrary<Shape> = fc.integer({ min: 2, max: 4 }).chain((nodeCount) => units(nodeCount).chain((drawn) => {
  const unit = fc.integer({ min: 0, max: drawn.length - 1 });
  return fc.record({
    nodeCount: fc.constant(nodeCount),
    lost: fc.array(fc.boolean(), { minLength: nodeCount, maxLength: nodeCount }),
    fencing: fc.boolean(),
    quorum: fc.constantFrom(true, true, true, false),
    noQuorumPolicy: fc.constantFrom("stop", "freeze", "ignore", "demote"),
    units: fc.constant(drawn),
    locations: fc.array(fc.record({ unit, node: fc.integer({ min: 0, max: nodeCount - 1 }), score: fc.constantFrom(...SCORES), promotedOnly: fc.boolean() }), { maxLength: 3 }),
    colocations: fc.array(fc.record({ unit, with: unit, score: fc.constantFrom(...SCORES), role: fc.constantFrom(...ROLES), withRole: fc.constantFrom(...ROLES) }), { maxLength: 3 }),
    orders: fc.array(fc.record({ first: unit, then: unit, kind: fc.constantFrom("", "Mandatory", "Optional", "Serialize"), symmetrical: fc.boolean(), firstAction: fc.constantFrom("", "start", "promote"), thenAction: fc.constantFrom("", "start", "promote") }), { maxLength: 4 }),
  });
}));

const meta = (id: string, pairs: [string, string][]) => pairs.length === 0 ? "" :
  `<meta_attributes id="${id}-meta">${pairs.map(([name, value]) => `<nvpair id="${id}-${name}" name="${name}" value="${value}"/>`).join("")}</meta_attributes>`;

/** The primitives of unit `index`, in order (a group's members, or the one primitive). */
function primitivesOf(shape: Shape, index: number): string[] {
  const unit = shape.units[index]!;
  return unit.kind === "group" || unit.kind === "clone-of-group" ? [`u${index}a`, `u${index}b`] : [`u${index}p`];
}

function resourceXml(shape: Shape, index: number): string {
  const unit = shape.units[index]!;
  const id = `u${index}`;
  const promotable = unit.kind === "promotable";
  const agent = promotable ? `class="ocf" provider="pacemaker" type="Stateful"` : `class="ocf" provider="heartbeat" type="Dummy"`;
  const primitive = (name: string) => `<primitive id="${name}" ${agent}>${unit.migrate && unit.kind === "primitive" ? meta(name, [["allow-migrate", "true"]]) : ""}`
    + `<operations><op id="${name}-mon" name="monitor" interval="10s"${promotable ? ` role="Unpromoted"` : ""}/>${promotable ? `<op id="${name}-monp" name="monitor" interval="11s" role="Promoted"/>` : ""}</operations></primitive>`;
  const own: [string, string][] = [];
  if (unit.stickiness > 0) own.push(["resource-stickiness", String(unit.stickiness)]);
  if (unit.targetRole !== "" && !(unit.targetRole === "Unpromoted" && !promotable)) own.push(["target-role", unit.targetRole]);
  switch (unit.kind) {
    case "primitive": return primitive(`${id}p`).replace("</primitive>", `${meta(`${id}x`, own)}</primitive>`);
    case "group": return `<group id="${id}">${meta(id, own)}${primitive(`${id}a`)}${primitive(`${id}b`)}</group>`;
    case "clone": case "clone-of-group": case "promotable": {
      const cloneMeta: [string, string][] = [...own, ["clone-max", String(unit.cloneMax)], ["interleave", String(unit.interleave)]];
      if (promotable) cloneMeta.push(["promotable", "true"], ["promoted-max", String(unit.promotedMax)]);
      const child = unit.kind === "clone-of-group" ? `<group id="${id}g">${primitive(`${id}a`)}${primitive(`${id}b`)}</group>` : primitive(`${id}p`);
      return `<clone id="${id}">${meta(id, cloneMeta)}${child}</clone>`;
    }
  }
}

function historyOf(shape: Shape, node: number, possible: boolean): string {
  let call = 10;
  return shape.units.flatMap((unit, index) => primitivesOf(shape, index).map((name, position) => {
    const state = unit.state[position]!;
    const where = state.where[node]!;
    const clone = unit.kind !== "primitive" && unit.kind !== "group";
    // A primitive outside a clone runs on at most one node (the first one drawn).
    if (where < 0 || (!clone && state.where.findIndex((value) => value >= 0) !== node)) return "";
    const records = [record(name, "start", { call: call++, rc: state.failure === 2 ? 1 : 0 })];
    // A controller never promotes an instance whose start failed (possible histories only).
    const promoted = where === 1 && unit.kind === "promotable" && !(possible && state.failure === 2);
    if (promoted) records.push(record(name, "promote", { call: call++ }));
    // A Promoted instance is monitored by its Promoted-role monitor (11 s, expecting "running
    // promoted"), the Unpromoted one's being cancelled at promotion; and it is demoted before
    // any stop. Possible histories only: the cycle property keeps its inputs.
    const monitor = possible && promoted ? { interval: 11000, expected: 8 } : { interval: 10000 };
    if (state.failure === 1) records.push(record(name, "monitor", { call: call++, ...monitor, rc: 1 }));
    if (state.failure === 4) records.push(record(name, "monitor", { call: call++, ...monitor, rc: 7 }));
    if (state.failure === 3 && possible && promoted) records.push(record(name, "demote", { call: call++ }));
    if (state.failure === 3) records.push(record(name, "stop", { call: call++, rc: 1 }));
    const agent = unit.kind === "promotable" ? `class="ocf" provider="pacemaker" type="Stateful"` : undefined;
    return history(name, records, agent);
  })).join("");
}

function constraintsXml(shape: Shape): string {
  const promotable = (index: number) => shape.units[index]!.kind === "promotable";
  const roleAttribute = (name: string, role: string, index: number) => role === "" || ((role === "Promoted" || role === "Unpromoted") && !promotable(index)) ? "" : ` ${name}="${role}"`;
  const id = (index: number) => shape.units[index]!.kind === "primitive" ? `u${index}p` : `u${index}`;
  const locations = shape.locations.map((location, index) =>
    `<rsc_location id="loc${index}" rsc="${id(location.unit)}" node="n${location.node}" score="${location.score}"${location.promotedOnly && promotable(location.unit) ? ` role="Promoted"` : ""}/>`);
  const colocations = shape.colocations.filter((colocation) => colocation.unit !== colocation.with).map((colocation, index) =>
    `<rsc_colocation id="col${index}" rsc="${id(colocation.unit)}" with-rsc="${id(colocation.with)}" score="${colocation.score}"${roleAttribute("rsc-role", colocation.role, colocation.unit)}${roleAttribute("with-rsc-role", colocation.withRole, colocation.with)}/>`);
  const action = (value: string, index: number) => value === "promote" && !promotable(index) ? "start" : value;
  const orders = shape.orders.filter((order) => order.first < order.then).map((order, index) => {
    const firstAction = action(order.firstAction, order.first);
    const thenAction = action(order.thenAction, order.then);
    return `<rsc_order id="ord${index}" first="${id(order.first)}" then="${id(order.then)}"${order.kind ? ` kind="${order.kind}"` : ""}`
      + `${firstAction ? ` first-action="${firstAction}"` : ""}${thenAction ? ` then-action="${thenAction}"` : ""}${order.kind === "Serialize" || !order.symmetrical ? ` symmetrical="false"` : ""}/>`;
  });
  return [...locations, ...colocations, ...orders].join("");
}

export interface XmlOptions {
  /** With fencing on, configure a fence device (Pacemaker leaves resources alone when fencing is on and none exists). */
  fenceDevice?: boolean;
  /**
   * Only histories a controller could record: no promotion after a failed start, a Promoted
   * instance monitored by its Promoted-role monitor and demoted before it is stopped.
   */
  possibleHistories?: boolean;
}

export function toXml(shape: Shape, options: XmlOptions = {}): string {
  const nodes = Array.from({ length: shape.nodeCount }, (_, index) => `n${index}`);
  const xml = smallCibXml({
    nodes,
    properties: `<nvpair id="o-nq" name="no-quorum-policy" value="${shape.noQuorumPolicy}"/>`,
    resources: shape.units.map((_, index) => resourceXml(shape, index)).join("")
      + (options.fenceDevice && shape.fencing ? `<primitive id="fence0" class="stonith" type="fence_dummy"/>` : ""),
    constraints: constraintsXml(shape),
    history: Object.fromEntries(nodes.map((node, index) => [node, historyOf(shape, index, options.possibleHistories === true)])),
    transient: Object.fromEntries(nodes.map((node, index) => [node, Object.fromEntries(shape.units.flatMap((unit, position) =>
      unit.kind === "promotable" && unit.promotion[index]! >= 0 ? [[`master-u${position}p`, String(unit.promotion[index])]] : []))])),
  });
  // Node 0 (the DC) is always a member; others may be lost. Fencing and quorum as drawn.
  return nodes.reduce((text, node, index) => shape.lost[index] && index > 0
    ? text.replace(`uname="${node}" in_ccm="true" crmd="online"`, `uname="${node}" in_ccm="false" crmd="offline"`) : text, xml)
    .replace(`name="stonith-enabled" value="false"`, `name="stonith-enabled" value="${shape.fencing}"`)
    .replace(`have-quorum="1"`, `have-quorum="${shape.quorum ? 1 : 0}"`);
}
