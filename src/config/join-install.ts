// Installing what `cluster join` fetched: the config and the authkey, checked first and
// written so that a failure leaves nothing half done (the key is put back as it was when the
// config cannot be written). The config names where the key goes (paths.authkey), as on
// every other node.
import { readFileSync, rmSync } from "node:fs";
import { EdgehaError } from "../common/errors";
import { writeFileDurably } from "../common/durable";
import { checkConfigText } from "./check";
import { AUTHKEY_BYTES_MAX, AUTHKEY_BYTES_MIN } from "./defaults";
import { findLocalNode, type LocalIdentity } from "./local-node";
import type { BootstrapConfig, NodeConfig } from "./types";

export interface JoinInstallRequest {
  cluster: string;
  nodeId: number;
  configText: string;
  authkey: Buffer;
  /** Where the config goes on this machine. */
  configFile: string;
  identity: LocalIdentity;
  /** Replace a different config or key that is there already. */
  force: boolean;
}

export interface JoinInstallResult {
  config: BootstrapConfig;
  node: NodeConfig;
  /** The files written (a file already there with the same content is not rewritten). */
  written: string[];
  unchanged: string[];
}

/** Checks everything, then writes; throws before writing anything when a check fails. */
export function installJoin(request: JoinInstallRequest): JoinInstallResult {
  const check = checkConfigText(request.configText, "the config from the member");
  if (!check.config) throw new EdgehaError("E_JOIN_MEMBER_CONFIG", "the member sent a config with errors; run 'edgeha config check' on the member");
  const config = check.config;
  if (config.clusterName !== request.cluster) throw new EdgehaError("E_JOIN_MEMBER_CONFIG", `the member said cluster '${request.cluster}' but its config names '${config.clusterName}'`);
  const node = config.nodes.find((each) => each.id === request.nodeId);
  if (node === undefined) throw new EdgehaError("E_JOIN_MEMBER_CONFIG", `the token is for node id ${request.nodeId}, which the member's config does not list`);
  checkThisMachine(config, node, request.identity);
  if (request.authkey.length < AUTHKEY_BYTES_MIN || request.authkey.length > AUTHKEY_BYTES_MAX) throw new EdgehaError("E_JOIN_MEMBER_CONFIG", `the member sent an authkey of ${request.authkey.length} bytes`);
  const keyFile = config.paths.authkey;
  const plan = [
    { file: keyFile, data: request.authkey, mode: 0o600, what: "authkey" },
    { file: request.configFile, data: Buffer.from(request.configText, "utf8"), mode: 0o644, what: "config" },
  ].map((entry) => ({ ...entry, before: readIfThere(entry.file) }));
  for (const entry of plan) {
    if (entry.before !== undefined && !entry.before.equals(entry.data) && !request.force) {
      throw new EdgehaError("E_JOIN_EXISTS", `${entry.file} exists and differs from the cluster's ${entry.what}: this machine seems set up already. Nothing was written; pass --force to replace it`, { file: entry.file });
    }
  }
  const written: string[] = [];
  const unchanged: string[] = [];
  const done: typeof plan = [];
  try {
    for (const entry of plan) {
      if (entry.before !== undefined && entry.before.equals(entry.data)) {
        unchanged.push(entry.file);
        continue;
      }
      writeFileDurably(entry.file, entry.data, { mode: entry.mode, makeDirectory: true });
      done.push(entry);
      written.push(entry.file);
    }
  } catch (error) {
    rollBack(done);
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new EdgehaError("E_JOIN_WRITE", `cannot write ${plan.find((entry) => !done.includes(entry) && !unchanged.includes(entry.file))?.file ?? "a file"} (${code}); nothing was left half written`, {});
  }
  return { config, node, written, unchanged };
}

function checkThisMachine(config: BootstrapConfig, node: NodeConfig, identity: LocalIdentity): void {
  let match;
  try {
    match = findLocalNode(config, identity);
  } catch {
    match = undefined;
  }
  if (match?.node.id === node.id) return;
  const seen = match === undefined ? "none of the cluster's nodes" : `node '${match.node.name}'`;
  throw new EdgehaError(
    "E_JOIN_WRONG_NODE",
    `the token is for node '${node.name}' (${node.links.join(", ")}), but this machine is ${seen} (host name '${identity.hostname}'): run the join on ${node.name}, or name the node with --node if its host name and addresses differ. Nothing was written`,
    { node: node.name },
  );
}

function readIfThere(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new EdgehaError("E_JOIN_WRITE", `cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)})`, { file });
  }
}

/** Puts back what was there before (or removes what was not there). Best effort: it runs after a failure. */
function rollBack(done: ReadonlyArray<{ file: string; before: Buffer | undefined; mode: number }>): void {
  for (const entry of [...done].reverse()) {
    try {
      if (entry.before !== undefined) writeFileDurably(entry.file, entry.before, { mode: entry.mode });
      else rmSync(entry.file, { force: true });
    } catch {
      // The original error is what the user sees; this one would only hide it.
    }
  }
}
