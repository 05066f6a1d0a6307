// Fence devices (stonith resources) and fencing topology levels.
import type { Cib, FencingLevel } from "../cib";
import { EdgehaError } from "../common/errors";
import { didYouMean } from "../common/suggest";
import { findResource, isStonith, requireFreeId, uniqueId, unknownNodeWarning, writeValues } from "./lookup";
import { buildPrimitive } from "./operations";
import { deleteResource, stonithIds } from "./resources";
import type { AdminEdit, EditCatalog } from "./types";

type Edit<K extends AdminEdit["kind"]> = Extract<AdminEdit, { kind: K }>;

/** A warning for an external fence-agents program, an error for a name that is neither built in nor fence_*. */
function checkDriver(driver: string, catalog: EditCatalog, force: boolean): string[] {
  if (!/^[A-Za-z0-9_.-]+$/.test(driver)) throw new EdgehaError("E_ADMIN_AGENT", `'${driver}' is not a fence driver name (letters, digits, '_', '-', '.')`);
  if (!catalog.fenceDrivers) return [];
  const known = catalog.fenceDrivers;
  if (known.includes(driver) || known.includes(driver.replace(/^fence_/, ""))) return [];
  if (driver.startsWith("fence_") && catalog.fencePrograms && !catalog.fencePrograms.includes(driver)) {
    // As pcs: a fence agent that is not installed here gives no meta-data to check against.
    if (!force) throw new EdgehaError("E_ADMIN_AGENT", `agent 'stonith:${driver}' is not installed or does not provide valid metadata, use --force to override`);
    return [`'${driver}' is not installed here; created anyway (--force): it must be installed on every node`];
  }
  if (driver.startsWith("fence_")) return [`'${driver}' is not built in: it runs the fence-agents program of that name, which must be installed on every node`];
  throw new EdgehaError("E_ADMIN_AGENT", `no fence driver named '${driver}'${didYouMean(driver, known)}; built in: ${known.join(", ")}, or any fence-agents program fence_*`);
}

/** Pacemaker's own device parameters (and edgeha's pcmk_secret_params), which every driver accepts. */
const PACEMAKER_DEVICE_PARAMETERS = [
  "pcmk_host_map", "pcmk_host_list", "pcmk_host_check", "pcmk_host_argument", "pcmk_delay_max", "pcmk_delay_base", "pcmk_action_limit", "pcmk_secret_params",
  ...["reboot", "off", "on", "list", "monitor", "status"].flatMap((action) => [`pcmk_${action}_action`, `pcmk_${action}_timeout`, `pcmk_${action}_retries`]),
];

/** Unknown parameters of a built-in driver are errors (unless --force), missing required ones warnings. */
function checkDeviceParameters(id: string, driver: string, instance: Record<string, string>, catalog: EditCatalog, force: boolean): string[] {
  const known = catalog.fenceDriverParameters?.[driver.replace(/^fence_/, "")];
  if (!known) return [];
  const warnings: string[] = [];
  for (const name of Object.keys(instance)) {
    const candidates = name.startsWith("pcmk_") ? PACEMAKER_DEVICE_PARAMETERS : known.names;
    if (candidates.includes(name)) continue;
    const message = `fence device '${id}': ${name.startsWith("pcmk_") ? "Pacemaker has no device parameter" : `driver '${driver}' has no parameter`} '${name}'${didYouMean(name, candidates)}`;
    if (!force) throw new EdgehaError("E_ADMIN_ARGUMENT", `${message}; 'edgeha stonith describe ${driver.replace(/^fence_/, "")}' lists them (--force sets it anyway)`);
    warnings.push(`${message}; set anyway (--force)`);
  }
  // The fencer hands each request its target as plug/port, so those are never missing.
  for (const names of known.required) {
    if (names.some((name) => name in instance || name === "plug" || name === "port")) continue;
    warnings.push(`fence device '${id}': driver '${driver}' needs '${names[0]}', which is not set`);
  }
  return warnings;
}

export function createStonith(draft: Cib, edit: Edit<"stonith-create">, catalog: EditCatalog): string[] {
  requireFreeId(draft, edit.id, "fence device");
  const warnings = [...checkDriver(edit.driver, catalog, edit.force === true), ...checkDeviceParameters(edit.id, edit.driver, edit.settings.instance, catalog, edit.force === true)];
  const built = buildPrimitive(draft, edit.id, { class: "stonith", type: edit.driver }, edit.settings, "60s");
  if (edit.disabled) writeValues(built.primitive.meta, `${edit.id}-meta_attributes`, { "target-role": "Stopped" });
  draft.resources.push(built.primitive);
  return [...warnings, ...built.warnings];
}

export function deleteStonith(draft: Cib, id: string): string[] {
  if (!findResource(draft, id)) {
    const devices = stonithIds(draft);
    throw new EdgehaError("E_ADMIN_UNKNOWN_RESOURCE", `no fence device named '${id}'${devices.length === 0 ? " (the CIB has none)" : didYouMean(id, devices)}`, { resource: id });
  }
  return deleteResource(draft, id, true);
}

/** pcs's target syntax: NODE, regexp%PATTERN, attrib%NAME=VALUE. */
function levelTarget(target: string): Pick<FencingLevel, "target" | "targetPattern" | "targetAttribute" | "targetValue"> {
  if (target.startsWith("regexp%")) return { targetPattern: target.slice("regexp%".length) };
  if (target.startsWith("attrib%")) {
    const [name, ...value] = target.slice("attrib%".length).split("=");
    if (!name || value.length === 0) throw new EdgehaError("E_ADMIN_FENCING_LEVEL", `'${target}': write an attribute target as attrib%NAME=VALUE`);
    return { targetAttribute: name, targetValue: value.join("=") };
  }
  return { target };
}

function describeTarget(level: FencingLevel): string {
  if (level.targetPattern !== undefined) return `regexp%${level.targetPattern}`;
  if (level.targetAttribute !== undefined) return `attrib%${level.targetAttribute}=${level.targetValue ?? ""}`;
  return level.target ?? "";
}

export function addFencingLevel(draft: Cib, edit: Edit<"stonith-level-add">): string[] {
  if (!Number.isInteger(edit.index) || edit.index < 1 || edit.index > 9) throw new EdgehaError("E_ADMIN_FENCING_LEVEL", `level '${edit.index}' must be a whole number from 1 to 9`);
  if (edit.devices.length === 0) throw new EdgehaError("E_ADMIN_FENCING_LEVEL", "name at least one fence device for the level");
  for (const device of edit.devices) {
    const found = findResource(draft, device);
    if (!found) throw new EdgehaError("E_ADMIN_UNKNOWN_RESOURCE", `no fence device named '${device}'${didYouMean(device, stonithIds(draft))}`, { resource: device });
    if (!isStonith(found.resource)) throw new EdgehaError("E_ADMIN_FENCING_LEVEL", `'${device}' is not a fence device (its class is not stonith)`);
  }
  const target = levelTarget(edit.target);
  const duplicate = draft.fencingTopology.find((level) => level.index === edit.index && describeTarget(level) === edit.target);
  if (duplicate) throw new EdgehaError("E_ADMIN_FENCING_LEVEL", `'${edit.target}' already has level ${edit.index} ('${duplicate.id}' with ${duplicate.devices.join(",")}); remove it first`);
  const id = uniqueId(draft, `fl-${edit.target}-${edit.index}`);
  draft.fencingTopology.push({ id, index: edit.index, ...target, devices: [...edit.devices], extra: {} });
  const warning = target.target !== undefined ? unknownNodeWarning(draft, target.target, "the level applies only once a node of that name joins") : undefined;
  return warning ? [warning] : [];
}

export function removeFencingLevel(draft: Cib, edit: Edit<"stonith-level-remove">): string[] {
  const matches = (level: FencingLevel): boolean =>
    level.index === edit.index
    && (edit.target === undefined || describeTarget(level) === edit.target)
    && (edit.devices === undefined || level.devices.join(",") === edit.devices.join(","));
  const removed = draft.fencingTopology.filter(matches);
  if (removed.length === 0) {
    const existing = draft.fencingTopology.map((level) => `${level.index} ${describeTarget(level)} ${level.devices.join(",")}`);
    throw new EdgehaError("E_ADMIN_FENCING_LEVEL", `no fencing level ${edit.index}${edit.target ? ` for '${edit.target}'` : ""}${edit.devices ? ` with ${edit.devices.join(",")}` : ""}; levels: ${existing.join("; ") || "none"}`);
  }
  draft.fencingTopology = draft.fencingTopology.filter((level) => !matches(level));
  return removed.map((level) => `removed fencing level '${level.id}'`);
}
