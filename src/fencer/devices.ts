// Fence devices as the fencer uses them, read from the CIB's stonith resources
// (Pacemaker's pcmk_* parameters). The mapper is pure: it takes a Cib and returns
// plain configs; no secret value is ever copied into a message.
import { EdgehaError } from "../common/errors";
import { allPrimitives, parseDurationMs, type Cib, type Primitive } from "../cib/index";
import { parameterResolver } from "../scheduler";

export type HostCheck = "static-list" | "dynamic-list" | "status" | "none";

export interface FenceDeviceConfig {
  id: string;
  /** The driver name: a built-in (scsi, xvm, ipmilan, ...) or an external fence_* agent. */
  driver: string;
  /** Instance attributes other than pcmk_*: the options handed to the driver. */
  options: Record<string, string>;
  /** Names of options whose values are secret (passwd, or marked secret in the CIB). */
  secretOptions: string[];
  hostList: string[];
  /** Node name -> plug name the driver understands. */
  hostMap: Record<string, string>;
  hostCheck: HostCheck;
  delayBaseMs: number;
  delayMaxMs: number;
  offAction: string;
  rebootAction: string;
  /** Attempts per device and request (pcmk_off_retries, Pacemaker's default 2). */
  retriesMax: number;
  /** Time for one action of this device. */
  actionTimeoutMs: number;
  /** Nodes where a location constraint forbids running the device (-INFINITY). */
  bannedNodes: string[];
  /** The device must unfence a node before resources start on it (scsi, provides=unfencing). */
  needsUnfencing: boolean;
  /** Run the fence-agents program of this name even where a driver of that name is built in (meta external=true). */
  external?: boolean;
  /** Time for the device's monitor (pcmk_monitor_timeout), when set. */
  monitorTimeoutMs?: number;
}

/** Pacemaker's default action timeout for fence devices (pcmk_off_timeout). */
export const DEVICE_TIMEOUT_MS_DEFAULT = 60_000;
const SECRET_NAMES = new Set(["passwd", "password", "secret", "auth_key", "chap_secret"]);
const UNFENCING_DRIVERS = new Set(["scsi", "fence_scsi", "fence_mpath"]);

function values(sets: Primitive["instance"]): Record<string, string> {
  return Object.assign({}, ...sets.map((set) => set.values));
}

/** pcmk_host_map "node1:plug1;node2:plug2" (also "=" and spaces, as Pacemaker accepts). */
export function parseHostMap(text: string, where: string): Record<string, string> {
  const map: Record<string, string> = {};
  for (const entry of text.split(/[;\s,]+/).filter(Boolean)) {
    const match = /^([^:=]+)[:=](.+)$/.exec(entry);
    if (!match) throw new EdgehaError("E_FENCE_CONFIG", `${where}: pcmk_host_map entry "${entry}" is not NODE:PLUG`);
    map[match[1]!] = match[2]!;
  }
  return map;
}

function durationMs(text: string | undefined, fallback: number, where: string): number {
  if (text === undefined || text === "") return fallback;
  try {
    return parseDurationMs(text, where);
  } catch {
    throw new EdgehaError("E_FENCE_CONFIG", `${where}: "${text}" is not a duration`);
  }
}

/**
 * A device's parameters: `resolved` when given (its instance attributes resolved for a node, rules
 * included), else its instance attributes merged with no rule evaluated (a definition already
 * resolved elsewhere: one set).
 */
export function deviceFromPrimitive(primitive: Primitive, bannedNodes: string[] = [], resolved?: Record<string, string>): FenceDeviceConfig {
  const where = `stonith resource ${primitive.id}`;
  const all = resolved ?? values(primitive.instance);
  const options: Record<string, string> = {};
  for (const [name, value] of Object.entries(all)) if (!name.startsWith("pcmk_")) options[name] = value;
  const secretMarked = (all["pcmk_secret_params"] ?? "").split(/[\s,]+/).filter(Boolean);
  const hostList = (all["pcmk_host_list"] ?? "").split(/[\s,;]+/).filter(Boolean);
  const hostMap = parseHostMap(all["pcmk_host_map"] ?? "", where);
  const hostCheck = (all["pcmk_host_check"] ?? (hostList.length > 0 || Object.keys(hostMap).length > 0 ? "static-list" : "dynamic-list")) as HostCheck;
  if (!["static-list", "dynamic-list", "status", "none"].includes(hostCheck)) throw new EdgehaError("E_FENCE_CONFIG", `${where}: pcmk_host_check "${hostCheck}" is not static-list, dynamic-list, status or none`);
  const retries = Number(all["pcmk_off_retries"] ?? "2");
  const offOperation = primitive.operations.find((operation) => operation.name === "off" || operation.name === "monitor");
  const delayBaseMs = durationMs(all["pcmk_delay_base"], 0, where);
  const delayMaxMs = durationMs(all["pcmk_delay_max"], 0, where);
  return {
    id: primitive.id,
    driver: primitive.type,
    options,
    secretOptions: [...new Set([...Object.keys(options).filter((name) => SECRET_NAMES.has(name)), ...secretMarked])],
    hostList,
    hostMap,
    hostCheck,
    delayBaseMs,
    delayMaxMs: Math.max(delayMaxMs, 0),
    offAction: all["pcmk_off_action"] ?? "off",
    rebootAction: all["pcmk_reboot_action"] ?? "reboot",
    retriesMax: Number.isInteger(retries) && retries >= 1 ? Math.min(retries, 10) : 2,
    actionTimeoutMs: durationMs(all["pcmk_off_timeout"] ?? offOperation?.timeout, DEVICE_TIMEOUT_MS_DEFAULT, where),
    bannedNodes,
    needsUnfencing: UNFENCING_DRIVERS.has(primitive.type) || primitive.meta.some((set) => set.values["provides"] === "unfencing"),
    external: primitive.meta.some((set) => /^(1|true|yes|on)$/i.test(set.values["external"] ?? "")),
    ...(all["pcmk_monitor_timeout"] ? { monitorTimeoutMs: durationMs(all["pcmk_monitor_timeout"], DEVICE_TIMEOUT_MS_DEFAULT, where) } : {}),
  };
}

/** Where and when a device's parameters are resolved: the node whose fencer runs it, at `now` (epoch seconds). */
export interface DeviceResolution { node: string; now: number }

/**
 * Every stonith resource of the CIB as a fence device, its parameters resolved as Pacemaker's
 * fencer resolves them (pe_rsc_params for its own node): the instance-attribute sets whose rules
 * hold for `at.node` (its node attributes, transient ones included, from the CIB's status) at
 * `at.now`, by score, the first value winning; what the scheduler resolves for the device's
 * operations on that node (src/scheduler/parameters.ts).
 */
export function devicesFromCib(cib: Cib, at: DeviceResolution): FenceDeviceConfig[] {
  const banned = (id: string) => cib.constraints.flatMap((constraint) => (constraint.kind === "location" && constraint.rsc === id && constraint.node && constraint.score === "-INFINITY" ? [constraint.node] : []));
  const stonith = allPrimitives(cib.resources).filter((primitive) => primitive.class === "stonith");
  if (stonith.length === 0) return [];
  const resolve = parameterResolver(cib, at.now);
  // No operation's own attributes: a device's parameters are its resource's ("" names no operation).
  return stonith.map((primitive) => deviceFromPrimitive(primitive, banned(primitive.id), resolve(primitive.id, at.node, "")));
}

/** The plug name a device uses for a node (pcmk_host_map, else the node name). */
export function plugFor(device: FenceDeviceConfig, node: string): string {
  return device.hostMap[node] ?? node;
}

/**
 * Can this device fence the node? static-list: the node is in pcmk_host_list or
 * pcmk_host_map; dynamic-list: in the device's last `list` answer (an input);
 * status/none: assumed yes (status is checked when the device runs).
 */
export function canFence(device: FenceDeviceConfig, node: string, listedTargets?: readonly string[]): boolean {
  switch (device.hostCheck) {
    case "static-list": return device.hostList.includes(node) || node in device.hostMap;
    case "dynamic-list": return listedTargets !== undefined && listedTargets.includes(plugFor(device, node));
    case "status":
    case "none": return true;
    default: { const never: never = device.hostCheck; return never; }
  }
}
