// Property: on generated clusters with orders, running the graph's operations in ANY sequence
// its ordering allows (as the DC may) never deadlocks and keeps every mandatory order: "then"
// starts only while "first" runs, and (when symmetrical) "first" stops only once "then" is no
// longer running. Fences come before any operation of a resource that ran on the fenced node.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { importCibXml } from "../../../src/cib";
import { schedule, type GraphOperation, type TransitionGraph } from "../../../src/scheduler";

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

/** Runs the graph's operations in an order chosen by `pick` among those whose predecessors are done; undefined on a deadlock. */
function linearize(graph: TransitionGraph, pick: number[]): GraphOperation[] | undefined {
  const done = new Set<number>();
  const sequence: GraphOperation[] = [];
  for (let round = 0; sequence.length < graph.operations.length; round++) {
    const candidates = graph.operations.filter((operation) => !done.has(operation.id) && operation.after.every((id) => done.has(id)));
    if (candidates.length === 0) return undefined;
    const chosen = candidates[pick[round % pick.length]! % candidates.length]!;
    done.add(chosen.id);
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
      const fenced = new Set<string>();
      for (const [position, operation] of sequence!.entries()) {
        if (operation.kind === "fence") { fenced.add(operation.node); continue; }
        const id = operation.resource!;
        // A resource that ran on a node being fenced is acted on only after the fence.
        const ranOn = shape.resources[Number(id.slice(1))]!.runningOn;
        if (graph.operations.some((other) => other.kind === "fence" && other.node === `n${ranOn}`)) expect(fenced.has(`n${ranOn}`)).toBe(true);
        if (operation.kind === "stop") {
          for (const order of validOrders(shape)) {
            if (order.optional || order.asymmetric || `r${order.first}` !== id) continue;
            // first stops: then must not be running any more, unless it never stops in this transition.
            const thenRuns = running.get(`r${order.then}`) !== undefined;
            const thenStopsLater = sequence!.slice(position + 1).some((later) => later.resource === `r${order.then}` && later.kind === "stop");
            if (thenRuns) expect(thenStopsLater).toBe(false);
          }
          running.set(id, undefined);
        } else if (operation.kind === "start") {
          for (const order of validOrders(shape)) {
            if (order.optional || `r${order.then}` !== id) continue;
            expect(running.get(`r${order.first}`)).toBeDefined();
          }
          running.set(id, operation.node);
        }
      }
    }), { numRuns: 300, seed: 424242 });
  });
});
