// The executor: runs resource agent actions on this node. So far the OCF class:
// environment, exit-status mapping, timeouts that end the whole process group.
export { DEFAULT_OCF_ROOT, OcfExit, mapOcfExit, ocfExitName, ocfAgentPath, ocfEnvironment, exitReason, type OcfResource, type OcfCall, type MappedResult, type Severity } from "./ocf";
export { runProcess, type ProcessResult, OUTPUT_LIMIT_BYTES, KILL_GRACE_MS } from "./process";
export { runOcfAction, locateOcfAgent, type ActionResult } from "./run";
export { emptyQueue, enqueue, startReady, complete, cancel, PENDING_OPERATIONS_MAX, type QueueState, type QueuedOperation } from "./queue";
export { record, recordStateChange, operationKey, RECENT_ENTRIES_MAX, type HistoryEntry, type ResourceHistory } from "./history";
export { runLsbAction, runSystemdAction, mapLsbExit, LSB_DIRECTORY_DEFAULT, type ClassOutcome } from "./classes";
export { agentMetadata, missingRequired, parseMetadata, type Described } from "./metadata";
export { STARTED_FILE, STARTED_FILE_BYTES_MAX, STARTED_DEFINITIONS_MAX, encodeStarted, decodeStarted } from "./started";
