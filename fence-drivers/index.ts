// The registry of built-in fence drivers. The fencer and `edgeha fence-driver NAME`
// look drivers up here; names are accepted with or without the "fence_" prefix.
import { EdgehaError } from "../src/common/errors";
import type { FenceDriver } from "./types";
import { scsiDriver } from "./scsi/index";
import { xvmDriver } from "./xvm/index";
import { loadExternalDriver } from "./external/index";
import { ipmilanDriver } from "./ipmilan/index";
import { ipmiSerialDriver } from "./ipmi-serial/index";
import { redfishDriver } from "./redfish/index";
import { sbdDriver } from "./sbd/index";

export const builtinFenceDrivers: ReadonlyMap<string, FenceDriver> = new Map<string, FenceDriver>([
  ["ipmilan", ipmilanDriver],
  ["ipmi-serial", ipmiSerialDriver],
  ["redfish", redfishDriver],
  ["sbd", sbdDriver],
  ["scsi", scsiDriver],
  ["xvm", xvmDriver],
]);

/** Finds a built-in driver by name ("scsi" or "fence_scsi"); E_FENCE_DRIVER names the known ones. */
export function findFenceDriver(name: string, drivers: ReadonlyMap<string, FenceDriver> = builtinFenceDrivers): FenceDriver {
  const driver = drivers.get(name.replace(/^fence_/, "").replace(/_/g, "-"));
  if (!driver) throw new EdgehaError("E_FENCE_DRIVER", `no fence driver named "${name}"; known: ${[...drivers.keys()].join(", ")}`);
  return driver;
}

/**
 * A built-in driver, else an external fence-agents program: a name starting with
 * "fence_" that is not built in (looked up on PATH) or a path containing "/".
 */
export async function resolveFenceDriver(name: string, drivers: ReadonlyMap<string, FenceDriver> = builtinFenceDrivers): Promise<FenceDriver> {
  const builtin = drivers.get(name.replace(/^fence_/, "").replace(/_/g, "-"));
  if (builtin) return builtin;
  if (name.includes("/") || name.startsWith("fence_")) return loadExternalDriver(name);
  return findFenceDriver(name, drivers);
}
