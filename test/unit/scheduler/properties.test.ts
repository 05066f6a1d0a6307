// Properties of the scheduler on generated clusters.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { importCibXml } from "../../../src/cib";
import { schedule, type ScheduledAction } from "../../../src/scheduler";

interface Generated { nodeCount: number; standby: boolean[]; lost: boolean[]; resources: { preferred: number; score: number; runningOn: number }[]; colocations: [number, number][] }

const clusterShape = fc.integer({ min: 2, max: 5 }).chain((nodeCount) => fc.record({
  nodeCount: fc.constant(nodeCount),
  standby: fc.array(fc.boolean(), { minLength: nodeCount, maxLength: nodeCount }),
  lost: fc.array(fc.boolean(), { minLength: nodeCount, maxLength: nodeCount }),
  resources: fc.array(fc.record({ preferred: fc.integer({ min: 0, max: nodeCount - 1 }), score: fc.integer({ min: -100, max: 100 }), runningOn: fc.integer({ min: -1, max: nodeCount - 1 }) }), { minLength: 1, maxLength: 8 }),
  colocations: fc.array(fc.tuple(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 7 })), { maxLength: 3 }),
}));

function toXml(shape: Generated): string {
  const nodes = Array.from({ length: shape.nodeCount }, (_, index) => `n${index}`);
  const resources = shape.resources.map((_, index) => `<primitive id="r${index}" class="ocf" provider="heartbeat" type="Dummy"/>`).join("");
  const locations = shape.resources.map((resource, index) => `<rsc_location id="l${index}" rsc="r${index}" node="n${resource.preferred}" score="${resource.score}"/>`).join("");
  const colocations = shape.colocations.filter(([dependent, primary]) => dependent < primary && primary < shape.resources.length)
    .map(([dependent, primary], index) => `<rsc_colocation id="c${index}" rsc="r${dependent}" with-rsc="r${primary}" score="INFINITY"/>`).join("");
  const status = nodes.map((node, position) => {
    const history = shape.resources.map((resource, index) => resource.runningOn === position
      ? `<lrm_resource id="r${index}" class="ocf" provider="heartbeat" type="Dummy"><lrm_rsc_op id="r${index}_start" operation="start" call-id="${index + 1}" rc-code="0" op-status="0" interval="0"/></lrm_resource>` : "").join("");
    const membership = shape.lost[position] && position > 0 ? `in_ccm="false" crmd="offline"` : `in_ccm="true" crmd="online"`;
    return `<node_state id="${position}" uname="${node}" ${membership} join="member" expected="member"><lrm id="${position}"><lrm_resources>${history}</lrm_resources></lrm></node_state>`;
  }).join("");
  const nodeXml = nodes.map((node, position) => `<node id="${position}" uname="${node}">${shape.standby[position] ? `<instance_attributes id="s${position}"><nvpair id="s${position}a" name="standby" value="on"/></instance_attributes>` : ""}</node>`).join("");
  return `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="1"><configuration><crm_config/><nodes>${nodeXml}</nodes><resources>${resources}</resources><constraints>${locations}${colocations}</constraints></configuration><status>${status}</status></cib>`;
}

/** Where each resource runs after the transition. */
function finalPlacement(shape: Generated, actions: ScheduledAction[]): Map<string, string | undefined> {
  const placement = new Map<string, string | undefined>(shape.resources.map((resource, index) => [`r${index}`, resource.runningOn >= 0 ? `n${resource.runningOn}` : undefined]));
  for (const action of actions) {
    if (action.action === "start" || action.action === "recover" || action.action === "restart") placement.set(action.resource!, action.node);
    else if (action.action === "move") placement.set(action.resource!, action.to);
    else if (action.action === "stop" && placement.get(action.resource!) === action.node) placement.set(action.resource!, undefined);
  }
  return placement;
}

describe("scheduler properties", () => {
  it("places nothing on standby or lost nodes, honours mandatory colocation and is deterministic", () => {
    fc.assert(fc.property(clusterShape, (shape) => {
      const xml = toXml(shape);
      const graph = schedule(importCibXml(xml, "generated").cib, { now: 0 });
      expect(JSON.stringify(schedule(importCibXml(xml, "generated").cib, { now: 0 }))).toBe(JSON.stringify(graph));
      for (const action of graph.actions) {
        const node = action.action === "move" ? action.to : action.action === "start" ? action.node : undefined;
        if (node === undefined) continue;
        const position = Number(node.slice(1));
        expect(shape.standby[position]).toBe(false);
        expect(shape.lost[position] && position > 0).toBe(false);
      }
      const placement = finalPlacement(shape, graph.actions);
      for (const [dependent, primary] of shape.colocations) {
        if (!(dependent < primary && primary < shape.resources.length)) continue;
        const dependentNode = placement.get(`r${dependent}`);
        if (dependentNode !== undefined) expect(dependentNode).toBe(placement.get(`r${primary}`));
      }
    }), { numRuns: 200, seed: 20261123 });
  });

  it("never starts again a resource already running on a healthy node when another node stops", () => {
    fc.assert(fc.property(clusterShape, (shape) => {
      const graph = schedule(importCibXml(toXml(shape), "generated").cib, { now: 0 });
      for (const action of graph.actions) {
        if (action.action !== "start") continue;
        const index = Number(action.resource!.slice(1));
        expect(shape.resources[index]!.runningOn).toBe(-1);
      }
    }), { numRuns: 200, seed: 7 });
  });
});
