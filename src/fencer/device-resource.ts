// What the actions of a stonith resource do on the member that runs it. As in Pacemaker,
// starting a device makes it usable by the fencer there, and its recurring monitor checks
// the device itself (the BMC answers, the program runs), so a broken device shows in
// `status` before a fence needs it:
// - start: the configuration is read (a bad pcmk_* parameter: rc 6, not configured) and
//   the driver found: a built-in one, or a fence-agents program that exists and answers
//   `metadata` (otherwise rc 5, not installed, with the reason);
// - monitor: the driver's `monitor` action (pcmk_monitor_action may name another), bounded
//   by pcmk_monitor_timeout, else the operation's timeout; a failure is rc 1 with the
//   device's own message, secrets removed;
// - stop: nothing to undo.
import type { Primitive } from "../cib/index";
import { EdgehaError } from "../common/errors";
import { deviceFromPrimitive, type FenceDeviceConfig } from "./devices";
import { driverForDevice, runDriverAction } from "./runner";
import { monotonicMs } from "../common/clock";

export interface DeviceActionOutcome { rc: number; reason?: string; timedOut: boolean; runTimeMs: number }

const OCF_SUCCESS = 0;
const OCF_ERR_GENERIC = 1;
const OCF_ERR_UNIMPLEMENTED = 3;
const OCF_NOT_INSTALLED = 5;
const OCF_NOT_CONFIGURED = 6;

function monitorActionOf(primitive: Primitive): string {
  for (const set of primitive.instance) if (set.values["pcmk_monitor_action"]) return set.values["pcmk_monitor_action"];
  return "monitor";
}

function configured(primitive: Primitive): FenceDeviceConfig | DeviceActionOutcome {
  try {
    return deviceFromPrimitive(primitive);
  } catch (error) {
    return { rc: OCF_NOT_CONFIGURED, reason: error instanceof Error ? error.message : String(error), timedOut: false, runTimeMs: 0 };
  }
}

async function start(device: FenceDeviceConfig, started: number): Promise<DeviceActionOutcome> {
  try {
    await driverForDevice(device);
    return { rc: OCF_SUCCESS, timedOut: false, runTimeMs: monotonicMs() - started };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const rc = error instanceof EdgehaError && error.code === "E_FENCE_DRIVER" ? OCF_NOT_INSTALLED : OCF_ERR_GENERIC;
    return { rc, reason: `fence device ${device.id}: ${reason}`, timedOut: false, runTimeMs: monotonicMs() - started };
  }
}

async function monitor(device: FenceDeviceConfig, action: string, timeoutMs: number, node: string, started: number): Promise<DeviceActionOutcome> {
  const limitMs = device.monitorTimeoutMs ?? timeoutMs;
  const result = await runDriverAction(device, action, undefined, limitMs, node);
  const runTimeMs = monotonicMs() - started;
  if (result.ok) return { rc: OCF_SUCCESS, timedOut: false, runTimeMs };
  const timedOut = runTimeMs >= limitMs;
  return { rc: OCF_ERR_GENERIC, reason: `fence device ${device.id} ${action} failed: ${result.message}`, timedOut, runTimeMs };
}

/** Runs one action of a stonith resource on this member (`node`). */
export async function runDeviceResourceAction(primitive: Primitive, action: string, timeoutMs: number, node: string): Promise<DeviceActionOutcome> {
  const started = monotonicMs();
  const device = configured(primitive);
  if ("rc" in device) return device;
  switch (action) {
    case "start": return start(device, started);
    case "monitor": return monitor(device, monitorActionOf(primitive), timeoutMs, node, started);
    case "stop": return { rc: OCF_SUCCESS, timedOut: false, runTimeMs: 0 };
    default: return { rc: OCF_ERR_UNIMPLEMENTED, reason: `fence device ${device.id} has no action ${action}`, timedOut: false, runTimeMs: 0 };
  }
}
