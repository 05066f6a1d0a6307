// What the simulated CLI clients change, in the words of the CLI: create and delete
// resources, stop and start them, prefer or ban a node, put a node in standby. Every change
// also adds its number to the CIB's "sim-changes" attribute, so the checker can tell which
// acknowledged changes a CIB holds (changes are built on the version read, so a CIB that
// descends from an acknowledged one keeps its number).
import type { Cib, LocationConstraint, Primitive } from "../cib";
import type { Random } from "./random";

export const CHANGES_ATTRIBUTE = "sim-changes";
/** Resources a client may create (bounded: the scheduler's input stays small). */
const RESOURCES_MAX = 5;

export interface Change { id: number; words: string; cib: Cib }

/** The change numbers a CIB holds. */
export function changesIn(cib: Cib): Set<number> {
  const text = cib.attributes[CHANGES_ATTRIBUTE];
  return new Set(text === undefined || text === "" ? [] : text.split(" ").map(Number));
}

export function simPrimitive(id: string, monitorMs = 1000): Primitive {
  const op = (name: string, intervalMs: number) => ({ id: `${id}-${name}-${intervalMs}`, name, interval: `${intervalMs}ms`, intervalMs, timeout: "2s", extra: {}, meta: [], instance: [] });
  return { kind: "primitive", id, class: "ocf", provider: "heartbeat", type: "Dummy", extra: {}, instance: [], meta: [], operations: [op("start", 0), op("stop", 0), op("monitor", monitorMs)] };
}

/** A random change of `base` (the CIB the client read), numbered `id`. */
export function randomChange(base: Cib, id: number, nodes: readonly string[], random: Random): Change {
  const cib = structuredClone(base);
  const services = cib.resources.filter((resource): resource is Primitive => resource.kind === "primitive" && resource.class !== "stonith");
  let words: string;
  const taken = new Set(cib.resources.map((resource) => resource.id));
  const locations = cib.constraints.filter((constraint) => constraint.id.startsWith("loc-"));
  let choice = random.between(0, 5);
  // A change that does not apply to this CIB becomes a stop or start (always possible with a service).
  if (choice === 0 && (services.length >= RESOURCES_MAX || taken.has(`r${id}`))) choice = 2;
  if (choice === 4 && locations.length === 0) choice = 2;
  if (services.length === 0) choice = 0;
  if (choice === 0) {
    const name = `r${id}`;
    cib.resources.push(simPrimitive(name));
    words = `create resource ${name}`;
  } else if (choice === 1) {
    const victim = random.pick(services);
    cib.resources = cib.resources.filter((resource) => resource.id !== victim.id);
    cib.constraints = cib.constraints.filter((constraint) => !(constraint.kind === "location" && constraint.rsc === victim.id));
    words = `delete resource ${victim.id}`;
  } else if (choice === 2) {
    const target = random.pick(services);
    const stopped = target.meta.some((set) => set.values["target-role"] === "Stopped");
    target.meta = stopped ? [] : [{ id: `${target.id}-meta`, values: { "target-role": "Stopped" } }];
    words = `${stopped ? "start" : "stop"} resource ${target.id}`;
  } else if (choice === 3) {
    const target = random.pick(services);
    const node = random.pick(nodes);
    const ban = random.chance(0.3);
    const constraint: LocationConstraint = { kind: "location", id: `loc-${target.id}-${node}`, rsc: target.id, node, score: ban ? "-INFINITY" : "50", rules: [], extra: {} };
    cib.constraints = [...cib.constraints.filter((each) => each.id !== constraint.id), constraint];
    words = `${ban ? "ban" : "prefer"} ${target.id} ${ban ? "from" : "on"} ${node}`;
  } else if (choice === 4) {
    const removed = random.pick(locations);
    cib.constraints = cib.constraints.filter((constraint) => constraint.id !== removed.id);
    words = `clear constraint ${removed.id}`;
  } else {
    const name = random.pick(nodes);
    const node = cib.nodes.find((each) => each.uname === name);
    const standby = node?.instance.some((set) => set.values.standby === "on") ?? false;
    if (node !== undefined) node.instance = standby ? [] : [{ id: `${name}-attributes`, values: { standby: "on" } }];
    else cib.nodes.push({ id: name.replace(/^node/, ""), uname: name, extra: {}, instance: [{ id: `${name}-attributes`, values: { standby: "on" } }], utilization: [] });
    words = `${standby ? "unstandby" : "standby"} ${name}`;
  }
  const held = [...changesIn(base), id];
  cib.attributes = { ...cib.attributes, [CHANGES_ATTRIBUTE]: held.join(" ") };
  return { id, words, cib };
}
