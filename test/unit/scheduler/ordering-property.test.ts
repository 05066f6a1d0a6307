// Property: on generated clusters with orders, running the transition in ANY sequence the
// graph's edges allow keeps every mandatory order: "then" starts only while "first" runs,
// and (when symmetrical) "first" stops only once "then" is no longer running. Fences come
// before any action of a resource that ran on the fenced node.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { importCibXml } from "../../../src/cib";
import { schedule, type ScheduledAction, type TransitionGraph } from "../../../src/scheduler";

interface Shape {
  nodeCount: number;
  lost: boolean[];
  resources: { runningOn: number; failed: boolean; stopped: boolean; score: number; preferred: number }[];
  orders: { first: number; then: number; optional: boolean; asymmetric: boolean }[];
  groupSize: number;
  pick: number[];
}

const shapes = fc.integer({ min: 2, max: 4 }).chain((nodeCount) => fc.record({
  nodeCount: fc.constant(nodeCount),
  lost: fc.array(fc.boolean(), { minLength: nodeCount, maxLength: nodeCount }),
  resources: fc.array(fc.record({ runningOn: fc.integer({ min: -1, max: nodeCount - 1 }), failed: fc.boolean(), stopped: fc.boolean(), score: fc.integer({ min: -50, max: 50 }), preferred: fc.integer({ min: 0, max: nodeCount - 1 }) }), { minLength: 2, maxLength: 7 }),
  orders: fc.array(fc.record({ first: fc.integer({ min: 0, max: 6 }), then: fc.integer({ min: 0, max: 6 }), optional: fc.boolean(), asymmetric: fc.boolean() }), { maxLength: 5 }),
  groupSize: fc.integer({ min: 0, max: 3 }),
  pick: fc.array(fc.nat(), { minLength: 64, maxLength: 64 }),
}));

// Orders only from a lower to a higher index, so they never form a cycle.
const validOrders = (shape: Shape) => shape.orders.filter((order) => order.first < order.then && order.then < shape.resources.length);

function toXml(shape: Shape): string {
  const nodes = Array.from({ length: shape.nodeCount }, (_, index) => `n${index}`);
  const primitive = (index: number) => {
    const meta = shape.resources[index]!.stopped && index % 3 === 0 ? `<meta_attributes id="m${index}"><nvpair id="m${index}a" name="target-role" value="Stopped"/></meta_attributes>` : "";
    return `<primitive id="r${index}" class="ocf" provider="heartbeat" type="Dummy">${meta}</primitive>`;
  };
  // The last groupSize resources (at least two) form a group.
  const groupStart = shape.groupSize >= 2 && shape.resources.length > shape.groupSize ? shape.resources.length - shape.groupSize : shape.resources.length;
  const resources = shape.resources.map((_, index) => index).filter((index) => index < groupStart).map(primitive).join("")
    + (groupStart < shape.resources.length ? `<group id="g">${shape.resources.map((_, index) => index).filter((index) => index >= groupStart).map(primitive).join("")}</group>` : "");
  const locations = shape.resources.map((resource, index) => `<rsc_location id="l${index}" rsc="r${index}" node="n${resource.preferred}" score="${resource.score}"/>`).join("");
  const orders = validOrders(shape).map((order, index) =>
    `<rsc_order id="o${index}" first="r${order.first}" then="r${order.then}"${order.optional ? ` kind="Optional"` : ""}${order.asymmetric ? ` symmetrical="false"` : ""}/>`).join("");
  const status = nodes.map((node, position) => {
    const history = shape.resources.map((resource, index) => resource.runningOn !== position ? "" :
      `<lrm_resource id="r${index}" class="ocf" provider="heartbeat" type="Dummy"><lrm_rsc_op id="r${index}_start" operation="start" call-id="${index + 1}" rc-code="0" op-status="0" interval="0"/>${
        resource.failed ? `<lrm_rsc_op id="r${index}_mon" operation="monitor" call-id="${index + 50}" rc-code="1" op-status="0" interval="10000"/>` : ""}</lrm_resource>`).join("");
    const membership = shape.lost[position] && position > 0 ? `in_ccm="false" crmd="offline"` : `in_ccm="true" crmd="online"`;
    return `<node_state id="${position}" uname="${node}" ${membership} join="member" expected="member"><lrm id="${position}"><lrm_resources>${history}</lrm_resources></lrm></node_state>`;
  }).join("");
  const nodeXml = nodes.map((node, position) => `<node id="${position}" uname="${node}"/>`).join("");
  return `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="1"><configuration><crm_config><cluster_property_set id="c"><nvpair id="c1" name="stonith-enabled" value="true"/></cluster_property_set></crm_config><nodes>${nodeXml}</nodes><resources>${resources}</resources><constraints>${locations}${orders}</constraints></configuration><status>${status}</status></cib>`;
}

const startsAt = (action: ScheduledAction) => action.blocked ? undefined : ["start", "restart", "promote"].includes(action.action) ? action.node : ["move", "recover"].includes(action.action) ? action.node ?? action.to : undefined;
const stopsAt = (action: ScheduledAction) => action.blocked ? undefined : ["stop", "restart", "demote"].includes(action.action) ? action.node : ["move", "recover"].includes(action.action) ? action.node ?? action.from : undefined;

interface Step { action: number; part: "stop" | "start" | "fence" }

/** Runs the graph in an order chosen by `pick` among the steps the edges allow; returns the sequence or undefined on a deadlock. */
function linearize(graph: TransitionGraph, pick: number[]): Step[] | undefined {
  const steps: Step[] = [];
  graph.actions.forEach((action, index) => {
    if (action.action === "fence") steps.push({ action: index, part: "fence" });
    if (stopsAt(action) !== undefined) steps.push({ action: index, part: "stop" });
    if (startsAt(action) !== undefined) steps.push({ action: index, part: "start" });
  });
  const done = new Set<string>();
  const key = (step: Step) => `${step.action}:${step.part}`;
  const has = (action: number, part: Step["part"]) => steps.some((step) => step.action === action && step.part === part);
  const ready = (step: Step) => {
    if (step.part === "start" && has(step.action, "stop") && !done.has(`${step.action}:stop`)) return false;
    for (const edge of graph.edges) {
      if (edge.then !== step.action) continue;
      if (edge.phase === "fence" && !done.has(`${edge.first}:fence`)) return false;
      if (edge.phase === "start" && step.part === "start" && has(edge.first, "start") && !done.has(`${edge.first}:start`)) return false;
      if (edge.phase === "stop" && step.part === "stop" && has(edge.first, "stop") && !done.has(`${edge.first}:stop`)) return false;
    }
    return true;
  };
  const sequence: Step[] = [];
  for (let round = 0; sequence.length < steps.length; round++) {
    const candidates = steps.filter((step) => !done.has(key(step)) && ready(step));
    if (candidates.length === 0) return undefined;
    const chosen = candidates[pick[round % pick.length]! % candidates.length]!;
    done.add(key(chosen));
    sequence.push(chosen);
  }
  return sequence;
}

describe("scheduler ordering property", () => {
  it("every sequence the edges allow keeps mandatory orders and fences first", () => {
    fc.assert(fc.property(shapes, (shape) => {
      const cib = importCibXml(toXml(shape), "ordering").cib;
      const graph = schedule(cib, { now: 0 });
      const sequence = linearize(graph, shape.pick);
      expect(sequence).toBeDefined();
      // Simulated state: where each resource runs as the steps execute.
      const running = new Map<string, string | undefined>();
      shape.resources.forEach((resource, index) => {
        const node = resource.runningOn >= 0 ? `n${resource.runningOn}` : undefined;
        running.set(`r${index}`, node !== undefined && !(shape.lost[resource.runningOn] && resource.runningOn > 0) ? node : undefined);
      });
      const fenced = new Set<number>();
      for (const step of sequence!) {
        const action = graph.actions[step.action]!;
        if (step.part === "fence") { fenced.add(step.action); continue; }
        const id = action.resource!;
        // A resource that ran on a node being fenced moves only after the fence.
        for (const [index, fence] of graph.actions.entries()) {
          if (fence.action === "fence" && shape.resources[Number(id.slice(1))]!.runningOn === Number(fence.node!.slice(1))) expect(fenced.has(index)).toBe(true);
        }
        if (step.part === "stop") {
          for (const order of validOrders(shape)) {
            if (order.optional || order.asymmetric || `r${order.first}` !== id) continue;
            // first stops: then must not be running any more, unless it never stops in this transition (then it must not depend on first).
            const thenRuns = running.get(`r${order.then}`) !== undefined;
            const thenStopsLater = graph.actions.some((other, index) => other.resource === `r${order.then}` && stopsAt(other) !== undefined && !sequence!.slice(0, sequence!.indexOf(step)).some((done) => done.action === index && done.part === "stop"));
            if (thenRuns) expect(thenStopsLater).toBe(false);
            if (thenRuns) expect(graph.actions.some((other) => other.resource === `r${order.then}` && startsAt(other) !== undefined)).toBe(true);
          }
          running.set(id, undefined);
        } else {
          for (const order of validOrders(shape)) {
            if (order.optional || `r${order.then}` !== id) continue;
            expect(running.get(`r${order.first}`)).toBeDefined();
          }
          running.set(id, startsAt(action));
        }
      }
    }), { numRuns: 300, seed: 424242 });
  });
});
