// Pass 1, unpack: node states from the nodes section and the membership entries, the
// no-quorum-policy in force, and the units the scheduler places (primitives, groups, clone
// instances) in configuration order. Reads the CIB; changes nothing.
import { clusterOptions, flattenSets, parseScore, type Cib, type ClusterOptions, type NodeStatus, type Primitive } from "../cib";
import { assert } from "../common/errors";
import { expandConstraints } from "./constraints";
import { evaluateConfigurationRules } from "./defaults";
import { buildScoreIndex } from "./scores";
import { truthy, type Model, type NodeState, type PlacementUnit } from "./types";

export interface Unpacked {
  model: Model;
  /** Node states before the history is read (fresh objects: later passes copy before changing them). */
  nodes: NodeState[];
  /** Configured units, in configuration order. */
  units: PlacementUnit[];
  factories: Map<string, CloneFactory>;
}

export function unpack(configured: Cib, nowSeconds: number): Unpacked {
  // The CIB as the later passes read it: tags, templates and resource sets turned into simple
  // constraints, the rules that need no node evaluated at now (property, node and meta sets,
  // rsc_defaults given to the resources they match).
  const cib: Cib = { ...evaluateConfigurationRules({ ...configured, status: configured.status.filter(wellFormed) }, { now: nowSeconds }), constraints: expandConstraints(configured) };
  const { options: cluster } = clusterOptions(cib);
  const nodes = unpackNodes(cib);
  // Without fencing a lost node is taken to be down: nothing runs there any more.
  if (!cluster.stonithEnabled) for (const node of nodes) node.unclean = false;
  const quorate = ["1", "true", "yes"].includes((cib.attributes["have-quorum"] ?? "1").toLowerCase());
  const policy = effectiveNoQuorumPolicy(cib, cluster, quorate);
  // no-quorum-policy=suicide: every node of the partition without quorum fences itself.
  if (policy === "suicide") for (const node of nodes) if (node.online) { node.unclean = true; node.online = false; node.uncleanReason = "cluster does not have quorum"; }
  const { units, factories } = placementUnits(cib, nodes.length);
  assert(new Set(units.map((unit) => unit.id)).size === units.length, "placement units have unique ids");
  assert(cib.constraints.every((constraint) => constraint.kind === "location" || constraint.kind === "colocation" || constraint.kind === "order"), "only simple constraints reach placement");
  return { model: { cib, cluster, policy, quorate, nowSeconds, index: buildScoreIndex(cib) }, nodes, units, factories };
}

/**
 * A node_state written without its id or without its uname is ignored, history and all, as
 * Pacemaker's unpack_node_state does ("Ignoring malformed node_state entry"): the node counts as
 * never seen (so unclean under startup-fencing). Entries the controller builds carry both as
 * fields and neither among the written attributes.
 */
function wellFormed(status: NodeStatus): boolean {
  return (status.attributes.id === undefined) === (status.attributes.uname === undefined);
}

/** Pass 1: node states from the nodes section and node_state entries. */
export function unpackNodes(cib: Cib): NodeState[] {
  const { startupFencing, stonithEnabled: fencingEnabled } = clusterOptions(cib).options;
  return cib.nodes.map((node) => {
    const status = cib.status.find((entry) => wellFormed(entry) && (entry.uname === node.uname || entry.id === node.id));
    const attributes = flattenSets(node.instance);
    const transient = status ? flattenSets(status.transient) : {};
    const inMembership = status !== undefined && truthy(status.attributes.in_ccm);
    const controllerUp = status !== undefined && status.attributes.crmd === "online";
    const online = inMembership && controllerUp && (status?.attributes.join ?? "member") === "member";
    // A node expected to be a member that left without a clean shutdown must be fenced.
    // Never seen since the cluster started: unclean too, unless startup-fencing is off.
    const membership = status === undefined ? undefined : membershipWithFencing(status.attributes, transient);
    const unclean = status === undefined ? startupFencing : fencingEnabled ? membership!.unclean : !online && status.attributes.expected === "member";
    const standby = truthy(attributes.standby) || truthy(transient.standby);
    // A shutdown request is the transient "shutdown" attribute (or the older node_state field): any non-zero time.
    const requested = (value: string | undefined) => value !== undefined && value !== "0" && value !== "";
    const shuttingDown = requested(transient.shutdown) || requested(status?.attributes.shutdown);
    const isDc = cib.attributes["dc-uuid"] !== undefined && cib.attributes["dc-uuid"] === node.id;
    const ruleAttributes = { ...transient, ...attributes, "#uname": node.uname, "#id": node.id, "#kind": node.type === "remote" ? "remote" : "cluster", "#is_dc": isDc ? "true" : "false" };
    const maintenance = truthy(attributes.maintenance) || truthy(transient.maintenance);
    // A node in maintenance that left is not fenced: its resources are unmanaged.
    const pending = fencingEnabled && membership?.pending === true && !shuttingDown;
    return { name: node.uname, online, unclean: unclean && !maintenance, standby, shuttingDown, attributes: ruleAttributes, ...(maintenance ? { maintenance } : {}), ...(pending ? { pending } : {}),
      ...(unclean && membership?.reason ? { uncleanReason: membership.reason } : {}) };
  });
}

/**
 * How a node's membership entry reads when fencing is enabled, as Pacemaker reads it: a node
 * whose entry says nothing about cluster membership was never seen and is fenced, so is one
 * the join refused (banned), one expected up that left the membership, one whose controller
 * is gone, and one asked to terminate. A node not expected up that is in the membership (or
 * whose controller runs), or one that has not finished joining, is pending: present, able to
 * run nothing yet. A node shutting down is never fenced for its membership.
 */
export function membershipWithFencing(entry: Record<string, string>, transient: Record<string, string>): { unclean: boolean; pending: boolean; reason?: string } {
  const shutdownValue = transient.shutdown ?? entry.shutdown;
  if (shutdownValue !== undefined && shutdownValue !== "0" && shutdownValue !== "") return { unclean: false, pending: false };
  const inCluster = entry.in_ccm;
  const member = truthy(inCluster);
  const controllerUp = entry.crmd === "online";
  const join = entry.join;
  const expected = entry.expected ?? "down";
  const terminateValue = transient.terminate;
  const terminate = truthy(terminateValue) || (terminateValue !== undefined && /^[1-9]/.test(terminateValue));
  const fence = (reason: string) => ({ unclean: true, pending: false, reason });
  if (inCluster === undefined) return fence("peer has not been seen by the cluster");
  if (join === "banned") return fence("peer failed Pacemaker membership criteria");
  if (!terminate && expected === "down") return { unclean: false, pending: member };
  if (terminate && join === "down" && !member && !controllerUp) return { unclean: false, pending: false };
  if (!member) return fence("peer is no longer part of the cluster");
  if (!controllerUp) return fence("peer process is no longer available");
  if (terminate) return fence("termination was requested");
  if (join === "member") return { unclean: false, pending: false };
  if (join === "pending" || join === "down") return { unclean: false, pending: true };
  return fence("peer was in an unknown state");
}

/**
 * The no-quorum-policy in force. With quorum it does not matter ("ignore"). "suicide" holds
 * only with fencing enabled and once the cluster had quorum (the CIB's no-quorum-panic flag);
 * otherwise, like an unknown value, it is "stop".
 */
export function effectiveNoQuorumPolicy(cib: Cib, cluster: ClusterOptions, quorate: boolean): string {
  if (quorate) return "ignore";
  const configured = cluster.noQuorumPolicy.toLowerCase();
  if (["ignore", "freeze", "demote", "stop"].includes(configured)) return configured;
  const panic = cib.attributes["no-quorum-panic"];
  if (configured === "suicide" && cluster.stonithEnabled && panic !== undefined && (truthy(panic) || /^[1-9]/.test(panic))) return "suicide";
  return "stop";
}

/** Nodes in the cluster membership by their status entry (a node shutting down: while its controller runs). */
export function membershipNodes(cib: Cib): Set<string> {
  const members = new Set<string>();
  for (const status of cib.status) {
    const shutdown = flattenSets(status.transient).shutdown ?? status.attributes.shutdown;
    const leaving = shutdown !== undefined && shutdown !== "0" && shutdown !== "";
    if (leaving ? status.attributes.crmd === "online" : truthy(status.attributes.in_ccm)) members.add(status.uname);
  }
  return members;
}

/**
 * Whether a node can be fenced: fencing is enabled, and either the cluster may act (it has
 * quorum, or no-quorum-policy is ignore) or the node is still in this partition's membership.
 * (Pacemaker also requires a configured fencing device; edgeha's own configurations and tests
 * rely on fencing without one in the CIB, so that condition is not applied.)
 */
export function canFence(cluster: ClusterOptions, mayAct: boolean, inMembership: boolean): boolean {
  if (!cluster.stonithEnabled) return false;
  return mayAct || inMembership;
}

export function withId(primitive: Primitive, id: string): Primitive {
  return { ...primitive, id };
}

/** Primitives, groups and clone instances, in configuration order. */
export function placementUnits(cib: Cib, nodeCount: number): { units: PlacementUnit[]; factories: Map<string, CloneFactory> } {
  const units: PlacementUnit[] = [];
  const factories = new Map<string, CloneFactory>();
  for (const resource of cib.resources) {
    if (resource.kind === "primitive") units.push({ id: resource.id, members: [resource], meta: flattenSets(resource.meta), owners: [], ownersOf: () => [resource.id] });
    else if (resource.kind === "group") units.push({ id: resource.id, members: resource.members, meta: flattenSets(resource.meta), owners: [], ownersOf: (member) => [member.id, resource.id] });
    else {
      const cloneMeta = flattenSets(resource.meta);
      const child = resource.child;
      const meta = { ...cloneMeta, ...flattenSets(child.meta) };
      const count = meta["clone-max"] === undefined ? nodeCount : Math.max(0, parseScore(meta["clone-max"]));
      const nodeMax = meta["clone-node-max"] === undefined ? 1 : Math.max(0, parseScore(meta["clone-node-max"]));
      const anonymous = !truthy(meta["globally-unique"]);
      const childMembers = child.kind === "group" ? child.members : [child];
      const bases = childMembers.map((member) => member.id);
      const promotable = resource.legacyMaster || truthy(meta.promotable) ? {
        max: Math.max(0, parseScore(meta["promoted-max"] ?? meta["master-max"] ?? "1")),
        nodeMax: Math.max(0, parseScore(meta["promoted-node-max"] ?? meta["master-node-max"] ?? "1")),
      } : undefined;
      const make = (instance: number, orphan: boolean): PlacementUnit => {
        const members = childMembers.map((member) => withId(member, `${member.id}:${instance}`));
        const baseOf = new Map(members.map((member, index) => [member.id, childMembers[index]!.id]));
        const owners = child.kind === "group" ? [child.id, resource.id] : [resource.id];
        return { id: `${child.id}:${instance}`, members, meta: { ...cloneMeta, ...flattenSets(child.meta) }, owners,
          ownersOf: (member) => [member.id, baseOf.get(member.id) ?? member.id, ...owners], clone: { id: resource.id, nodeMax, anonymous, instance, bases, promotable, ...(child.kind === "group" ? { group: child.id } : {}) }, ...(orphan ? { orphan } : {}) };
      };
      factories.set(resource.id, { count, anonymous, bases, make });
      for (let instance = 0; instance < count; instance++) units.push(make(instance, false));
    }
  }
  return { units, factories };
}

export interface CloneFactory { count: number; anonymous: boolean; bases: string[]; make: (instance: number, orphan: boolean) => PlacementUnit }
