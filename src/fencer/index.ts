// The fencer's public face: device configs from the CIB, the pure planner
// (levels, routing, delays, retries, history) and the unfencing rule.
export { devicesFromCib, deviceFromPrimitive, canFence, plugFor, parseHostMap, DEVICE_TIMEOUT_MS_DEFAULT, type FenceDeviceConfig, type HostCheck } from "./devices";
export {
  step, planFor, chooseExecutor, delayMs, devicesToUnfence, mayStartResources, emptyFencerState, PENDING_REQUESTS_MAX,
  type FencerState, type FencerWorld, type FencerInput, type FencerEffect, type HistoryRecord, type Attempt, type FencingLevelConfig, type FenceRequestAction,
} from "./planner";
export { worldFromCib, type FencerTopology } from "./world";
export { PAIR_PRIORITY_FENCING_DELAY_MS, effectivePriorityFencingDelayMs, priorityDelayMs } from "./split";
export { resolveSecrets, redact, PASSWORD_SCRIPT_TIMEOUT_MS } from "./secrets";
export {
  fencerDrivers, findDriver, driverForDevice, runDriverAction, localFenceRunner, readHistory, appendHistory, fenceNow, FencingStopped, HISTORY_RECORDS_MAX, type FenceRunner,
} from "./runner";
export { nodePriorities, nodeActiveResources } from "./priorities";
export { runDeviceResourceAction, type DeviceActionOutcome } from "./device-resource";
export { WATCHDOG_DEVICE, WATCHDOG_ATTRIBUTE, mayFeedWatchdog, watchdogWaitMs, parseStonithWatchdogTimeoutMs, type WatchdogHealth, type WatchdogFencingSettings } from "./watchdog";
