// A node added to or removed from the cluster while it runs (`edgeha cluster node add|remove`):
// the new node list, what it implies for quorum, and the bootstrap file as each member rewrites
// it. Pure: the running config and the file's text in, the new text and config out.
//
// As pcs does for corosync.conf: the node list changes, config_version grows by one, two_node
// is set when exactly two nodes remain (unless an arbiter or auto_tie_breaker decides ties) and
// cleared otherwise, and expected_votes follows the number of nodes (a file that writes it
// keeps it written, with the new count). Everything else in the file, its comments and this
// node's own settings (paths, watchdog, metrics, logging, system) stay as they are.
import { parseDocument, isMap, isScalar, isSeq, YAMLSeq } from "yaml";
import { EdgehaError } from "../common/errors";
import { checkConfigText } from "./check";
import { formatProblem } from "./problems";
import { parseLinkAddress, sameAddress } from "./address";
import { LIMITS } from "./defaults";

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
import { planReload } from "./reload";
import type { BootstrapConfig, NodeConfig } from "./types";

/** The whole node list after adding `node`; throws E_NODE_EXISTS or E_NODE_INVALID naming what is wrong. */
export function nodesWithAdded(config: BootstrapConfig, node: NodeConfig): NodeConfig[] {
  if (node.name.length > LIMITS.nameLengthMax || !NAME_PATTERN.test(node.name)) throw new EdgehaError("E_NODE_INVALID", `'${node.name}' is not a valid node name (letters, digits, '.', '_' and '-', starting with a letter or digit)`);
  if (!Number.isSafeInteger(node.id) || node.id < LIMITS.nodeIdMin || node.id > LIMITS.nodeIdMax) throw new EdgehaError("E_NODE_INVALID", `--id must be a whole number from ${LIMITS.nodeIdMin} to ${LIMITS.nodeIdMax}, not ${node.id}`);
  const linkCount = config.nodes[0]!.links.length;
  if (node.links.length !== linkCount) {
    throw new EdgehaError("E_NODE_INVALID", `${node.name} has ${node.links.length} ${node.links.length === 1 ? "link" : "links"} but every node of this cluster has ${linkCount}: give --link once per network, in the same order as the other nodes`);
  }
  node.links.forEach((link, index) => {
    const parsed = parseLinkAddress(link);
    if (!parsed.ok) throw new EdgehaError("E_NODE_INVALID", `--link ${link}: ${parsed.reason}`);
    const reference = parseLinkAddress(config.nodes[0]!.links[index]!);
    if (reference.ok && parsed.address.family !== reference.address.family) throw new EdgehaError("E_NODE_INVALID", `link ${index} of ${node.name} (${link}) is IPv${parsed.address.family} but link ${index} of the cluster is IPv${reference.address.family}: the nodes could not reach each other on that network`);
  });
  if (config.nodes.length >= LIMITS.nodesMax) throw new EdgehaError("E_NODE_INVALID", `the cluster has ${config.nodes.length} nodes already, the most edgeha supports`);
  for (const each of config.nodes) {
    if (each.name === node.name) throw new EdgehaError("E_NODE_EXISTS", `a node named '${node.name}' is in the cluster already (id ${each.id}, links ${each.links.join(", ")})`, { node: node.name });
    if (each.id === node.id) throw new EdgehaError("E_NODE_EXISTS", `node id ${node.id} belongs to ${each.name} already: choose a free id`, { node: each.name });
    const shared = node.links.find((link) => each.links.some((other) => sameAddress(other, link)));
    if (shared !== undefined) throw new EdgehaError("E_NODE_EXISTS", `address ${shared} is a link of ${each.name} already`, { node: each.name });
  }
  return [...config.nodes, { name: node.name, id: node.id, links: [...node.links] }];
}

/** The node list without `name`; throws E_NODE_UNKNOWN or E_NODE_LAST. */
export function nodesWithout(config: BootstrapConfig, name: string): NodeConfig[] {
  if (!config.nodes.some((node) => node.name === name)) {
    throw new EdgehaError("E_NODE_UNKNOWN", `no node '${name}' in the cluster (nodes: ${config.nodes.map((node) => node.name).join(", ")})`, { node: name });
  }
  if (config.nodes.length === 1) throw new EdgehaError("E_NODE_LAST", `${name} is the last node of the cluster: a cluster keeps at least one node (stop it with 'edgeha cluster stop' instead)`, { node: name });
  return config.nodes.filter((node) => node.name !== name);
}

/** two_node as corosync and pcs set it for a node list: on for exactly two nodes, unless an arbiter or auto_tie_breaker breaks ties. */
export function twoNodeFor(config: BootstrapConfig, nodeCount: number): boolean {
  return nodeCount === 2 && config.quorum.arbiter === undefined && !config.quorum.autoTieBreaker;
}

export interface NodeListChange {
  /** The new text of this node's bootstrap file. */
  text: string;
  config: BootstrapConfig;
}

/**
 * This node's bootstrap file with the new node list and config_version `version`: the text it
 * has (`text`, which must be what runs: a file edited since the agent started is refused, so a
 * node change never slips in someone's unfinished edit) with only nodes, config_version and the
 * quorum keys that follow from the node list changed. Throws E_NODE_CHANGE_FILE.
 */
export function changeNodeList(running: BootstrapConfig, text: string, fileName: string, nodes: readonly NodeConfig[], version: number): NodeListChange {
  const current = checkConfigText(text, fileName);
  if (!current.config) {
    const errors = current.problems.filter((problem) => problem.severity === "error").map((problem) => formatProblem(fileName, problem));
    throw new EdgehaError("E_NODE_CHANGE_FILE", `${fileName} has errors, so it cannot take the new node list: ${errors.join("; ")}`, { file: fileName });
  }
  const pending = planReload(running, current.config).changes.filter((change) => change.path !== "config_version");
  if (pending.length > 0) {
    throw new EdgehaError("E_NODE_CHANGE_FILE", `${fileName} was edited since the agent started (${pending.map((change) => change.path).join(", ")}): run 'edgeha config reload' or undo the edit, then try again`, { file: fileName });
  }
  const document = parseDocument(text);
  const list = new YAMLSeq();
  for (const node of nodes) {
    const entry = document.createNode({ name: node.name, id: node.id, links: [...node.links] });
    if (isMap(entry)) {
      entry.flow = true;
      const links = entry.get("links", true);
      if (isSeq(links)) links.flow = true;
    }
    list.items.push(entry);
  }
  document.set("nodes", list);
  if (document.has("config_version") || !isMap(document.contents)) document.set("config_version", version);
  else {
    // A new key goes right after cluster_name, where a reader looks for it.
    const items = document.contents.items;
    const after = items.findIndex((pair) => isScalar(pair.key) && pair.key.value === "cluster_name");
    items.splice(after + 1, 0, document.createPair("config_version", version) as (typeof items)[number]);
  }
  const twoNode = twoNodeFor(running, nodes.length);
  // Written when the file writes it, or when it differs from what an absent key means (two nodes).
  if (document.hasIn(["quorum", "two_node"]) || twoNode !== (nodes.length === 2)) document.setIn(["quorum", "two_node"], twoNode);
  if (document.hasIn(["quorum", "expected_votes"])) document.setIn(["quorum", "expected_votes"], nodes.length);
  const next = document.toString();
  const checked = checkConfigText(next, fileName);
  if (!checked.config) {
    const errors = checked.problems.filter((problem) => problem.severity === "error").map((problem) => formatProblem(fileName, problem));
    throw new EdgehaError("E_NODE_CHANGE_FILE", `${fileName} with the new node list would have errors: ${errors.join("; ")}`, { file: fileName });
  }
  return { text: next, config: checked.config };
}

/** True when `config` has exactly these nodes (names, ids, links; order aside). */
export function hasNodeList(config: BootstrapConfig, nodes: readonly NodeConfig[]): boolean {
  const key = (list: readonly NodeConfig[]) => JSON.stringify([...list].sort((left, right) => left.id - right.id).map((node) => [node.name, node.id, node.links]));
  return key(config.nodes) === key(nodes);
}
