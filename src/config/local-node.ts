// Which node of the config is this machine? findLocalNode is a pure function: the
// caller supplies the host name and the local addresses, e.g. from machineIdentity().
import { hostname, networkInterfaces } from "node:os";
import { EdgehaError } from "../common/errors";
import { sameAddress } from "./address";
import type { BootstrapConfig, NodeConfig } from "./types";

export interface LocalIdentity {
  /** A node name given explicitly (e.g. `edgeha agent --node NAME`); wins over everything else. */
  name?: string;
  /** This machine's host name, compared without regard to case; its short form (before the first '.') also matches. */
  hostname: string;
  /** Every address configured on this machine's interfaces. */
  localAddresses: readonly string[];
}

export interface LocalNodeMatch {
  node: NodeConfig;
  /** Why this node was chosen, for the agent's first log line. */
  reason: string;
}

/**
 * The node named, else the node whose name is the host name, else the one node
 * that has a link address on this machine. E_CONFIG_LOCAL_NODE when none or
 * several match.
 */
export function findLocalNode(config: BootstrapConfig, identity: LocalIdentity): LocalNodeMatch {
  const names = config.nodes.map((node) => node.name).join(", ");
  if (identity.name !== undefined) {
    const named = config.nodes.find((node) => node.name === identity.name);
    if (named) return { node: named, reason: `named '${identity.name}' on the command line` };
    throw new EdgehaError("E_CONFIG_LOCAL_NODE", `no node is named '${identity.name}' in the config (nodes: ${names})`, { name: identity.name });
  }
  // Host names are case-insensitive (RFC 4343); an exact match still wins.
  const hostname = identity.hostname.toLowerCase();
  const shortHostname = hostname.split(".")[0]!;
  const byHostname =
    config.nodes.find((node) => node.name === identity.hostname) ??
    config.nodes.find((node) => node.name.toLowerCase() === hostname) ??
    config.nodes.find((node) => node.name.toLowerCase() === shortHostname);
  if (byHostname) return { node: byHostname, reason: `its name matches the host name '${identity.hostname}'` };
  const matches = config.nodes
    .map((node) => ({ node, address: node.links.find((link) => identity.localAddresses.some((local) => sameAddress(local, link))) }))
    .filter((match): match is { node: NodeConfig; address: string } => match.address !== undefined);
  if (matches.length === 1) return { node: matches[0]!.node, reason: `its link address ${matches[0]!.address} is on this machine` };
  if (matches.length === 0) {
    throw new EdgehaError(
      "E_CONFIG_LOCAL_NODE",
      `this machine (host name '${identity.hostname}') is none of the nodes ${names}: no name matches and no link address is local; name the node explicitly`,
      { hostname: identity.hostname },
    );
  }
  throw new EdgehaError(
    "E_CONFIG_LOCAL_NODE",
    `link addresses of several nodes (${matches.map((match) => match.node.name).join(", ")}) are on this machine; name the node explicitly`,
    { hostname: identity.hostname },
  );
}

/** Reads this machine's host name and interface addresses (I/O; keep it out of pure code). */
export function machineIdentity(): { hostname: string; localAddresses: string[] } {
  const addresses = Object.values(networkInterfaces()).flatMap((entries) => (entries ?? []).map((entry) => entry.address));
  return { hostname: hostname(), localAddresses: addresses };
}
