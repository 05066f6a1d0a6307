// The `scsi` fence driver: fence_scsi's semantics over our own iSCSI initiator.
// A node's key is derived from the cluster name and its node id (protocol.ts).
// Devices are iSCSI LUNs written iscsi://HOST:PORT/TARGET-IQN/LUN. Sessions stay
// open for the life of the process, one per device and node, because the target
// ties a registration to the I_T nexus that made it.
import { EdgehaError, isEdgehaError } from "../../src/common/errors";
import type { FenceAction, FenceContext, FenceDriver, FenceDriverMetadata, FenceOptions, FenceResult } from "../types";
import { openIscsiSession, type IscsiSession, type IscsiTarget } from "./iscsi";
import { formatKey, nodeKey, parseKey } from "./protocol";
import { SgPersistTransport } from "./sg-persist";
import { fenceDevice, isRegistered, readKeys, unfenceDevice, type ScsiTransport } from "./reservations";

export const scsiMetadata: FenceDriverMetadata = {
  name: "scsi",
  shortDescription: "Fence nodes off shared storage with SCSI-3 persistent reservations",
  longDescription: "Registers each node's key on the shared LUNs (unfence) and preempts the key of a node to fence it (PREEMPT AND ABORT, or PREEMPT where the target lacks it), like fence_scsi. Keys: first 4 hex digits of md5(cluster_name), then the node id as 4 decimal digits.",
  parameters: [
    { name: "devices", aliases: ["device"], flags: ["-d", "--devices"], type: "string", required: true, description: "Comma-separated LUNs: iscsi://HOST:PORT/TARGET-IQN/LUN (our initiator) or /dev/sd*, /dev/mapper/*, /dev/disk/by-id/* (through sg_persist)" },
    { name: "plug", aliases: ["port", "nodename"], flags: ["-n", "--plug"], type: "string", required: true, description: "The node to fence, unfence or check" },
    { name: "cluster_name", type: "string", required: true, description: "Cluster name, the first half of every key" },
    { name: "node_ids", type: "string", required: true, description: "Node ids as name:id pairs, e.g. node1:1,node2:2" },
    { name: "local_node", type: "string", description: "The node this driver runs on (its key does the preempting); required for off" },
    { name: "initiator_prefix", type: "string", default: "iqn.2026-11.io.edgeha", description: "iSCSI initiator names are PREFIX:NODE" },
    { name: "chap_user", type: "string", description: "CHAP user name, when the target demands CHAP" },
    { name: "chap_secret", aliases: ["passwd"], type: "string", secret: true, description: "CHAP secret (from the CIB marked secret, passwd_file or passwd_script)" },
    { name: "power_timeout", type: "second", default: "20", description: "Seconds for one action on all devices" },
  ],
  actions: ["off", "on", "status", "monitor", "list", "metadata", "validate-all"],
};

const sessions = new Map<string, IscsiSession>();

function checkDevice(text: string): void {
  if (text.startsWith("/dev/")) new SgPersistTransport(text);
  else parseDevice(text);
}

export function parseDevice(text: string): Omit<IscsiTarget, "initiatorName"> {
  const match = /^iscsi:\/\/([^/:]+):(\d+)\/([^/]+)\/(\d+)$/.exec(text.trim());
  if (!match) throw new EdgehaError("E_SCSI_DEVICE", `device "${text}" is not iscsi://HOST:PORT/TARGET-IQN/LUN or a Linux device path`);
  return { host: match[1]!, port: Number(match[2]), targetName: match[3]!, lun: Number(match[4]) };
}

export function nodeIds(text: string): Map<string, number> {
  const ids = new Map<string, number>();
  for (const pair of text.split(",").map((item) => item.trim()).filter(Boolean)) {
    const [name, id] = pair.split(":");
    if (!name || !id || !/^\d+$/.test(id)) throw new EdgehaError("E_SCSI_KEY", `node_ids entry "${pair}" is not NAME:ID`);
    ids.set(name, Number(id));
  }
  return ids;
}

function keyOf(options: FenceOptions, node: string): bigint {
  const clusterName = options["cluster_name"] ?? "";
  const id = nodeIds(options["node_ids"] ?? "").get(node);
  if (id === undefined) throw new EdgehaError("E_SCSI_KEY", `node ${node} has no id in node_ids`);
  return parseKey(nodeKey(clusterName, id));
}

type Chap = { user: string; secret: string } | undefined;

function chapOf(options: FenceOptions): Chap {
  const user = options["chap_user"];
  const secret = options["chap_secret"] ?? options["passwd"];
  if (!user) return undefined;
  if (!secret) throw new EdgehaError("E_SCSI_DEVICE", "chap_user is set but no chap_secret (or passwd) is");
  return { user, secret };
}

async function session(device: string, node: string, prefix: string, signal: AbortSignal, chap?: Chap): Promise<ScsiTransport> {
  // A Linux device is this node's own nexus; sg_persist opens it per command.
  if (device.startsWith("/dev/")) return new SgPersistTransport(device);
  const name = `${device} as ${node}`;
  const existing = sessions.get(name);
  if (existing?.isOpen()) return existing;
  const opened = await openIscsiSession({ ...parseDevice(device), initiatorName: `${prefix}:${node}`, ...(chap ? { chap } : {}) }, signal);
  sessions.set(name, opened);
  return opened;
}

async function runAction(action: FenceAction, options: FenceOptions, context: FenceContext): Promise<FenceResult> {
  const devices = (options["devices"] ?? options["device"] ?? "").split(",").map((item) => item.trim()).filter(Boolean);
  if (devices.length === 0) throw new EdgehaError("E_SCSI_DEVICE", "no devices given: set devices=iscsi://HOST:PORT/TARGET-IQN/LUN[,...]");
  devices.forEach(checkDevice);
  const prefix = options["initiator_prefix"] ?? "iqn.2026-11.io.edgeha";
  const chap = chapOf(options);
  const target = options["plug"] ?? options["port"] ?? options["nodename"] ?? "";
  if (action === "validate-all" || action === "list") {
    return { exitCode: 0, targets: [...nodeIds(options["node_ids"] ?? "").keys()].map((plug) => ({ plug })), message: `${devices.length} devices` };
  }
  if (action === "monitor") {
    const node = options["local_node"] ?? "monitor";
    for (const device of devices) await readKeys(await session(device, node, prefix, context.signal, chap), context.signal);
    return { exitCode: 0, message: `${devices.length} devices answer persistent reservation commands` };
  }
  if (!target) throw new EdgehaError("E_SCSI_KEY", "no node given: set plug= to the node's name");
  const targetKey = keyOf(options, target);
  if (action === "on") {
    for (const device of devices) await unfenceDevice(await session(device, target, prefix, context.signal, chap), targetKey, context.signal);
    return { exitCode: 0, state: "on", message: `${target} registered key ${formatKey(targetKey)} on ${devices.length} devices` };
  }
  const local = options["local_node"] ?? target;
  if (action === "off" || action === "reboot") {
    const localKey = keyOf(options, local);
    for (const device of devices) {
      const method = await fenceDevice(await session(device, local, prefix, context.signal, chap), localKey, targetKey, context.signal);
      context.debug(`scsi ${device}: ${method} of key ${formatKey(targetKey)}`);
    }
    return { exitCode: 0, state: "off", message: `${target} (key ${formatKey(targetKey)}) removed from ${devices.length} devices` };
  }
  let registered = 0;
  for (const device of devices) if (await isRegistered(await session(device, local, prefix, context.signal, chap), targetKey, context.signal)) registered++;
  return registered === devices.length
    ? { exitCode: 0, state: "on", message: `key of ${target} is registered on every device` }
    : { exitCode: 2, state: "off", message: `key of ${target} is missing on ${devices.length - registered} of ${devices.length} devices` };
}

export const scsiDriver: FenceDriver = {
  metadata: scsiMetadata,
  async run(action, options, context) {
    if (action === "metadata") return { exitCode: 0, message: scsiMetadata.shortDescription };
    try {
      return await runAction(action, options, context);
    } catch (error) {
      if (isEdgehaError(error)) return { exitCode: 1, message: error.message };
      throw error;
    }
  },
};

/** Closes every kept session (at agent shutdown). */
export async function closeScsiSessions(): Promise<void> {
  for (const open of sessions.values()) await open.close();
  sessions.clear();
}
