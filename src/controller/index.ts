// The controller: DC election, join, configuration replication and transition execution,
// as a deterministic state machine (controller.ts) over a small message protocol
// (protocol.ts: the messages and the checks every received message passes first).
export { Controller, CONTROLLER_DEFAULTS, configurationOnly, type ControllerSettings, type ControllerInput, type ControllerEffect } from "./controller";
export { compileTransition, readySteps, isFinished, succeeded, type Step, type Transition } from "./transition";
export { parseControllerMessage, checkControllerMessage, checkFenceHistory, isNodeFact, MESSAGE_BYTES_MAX, type ParsedMessage } from "./protocol";
export type { ControllerMessage, NodeReport, ReportedResource, ClusterSummary, ClientRequest, ClientReply, ConfigurationConflict, FenceHistoryEntry, MigrationNodes, OperationName } from "./protocol";
export { FENCE_HISTORY_MAX, mergeFenceHistory } from "./fencing";
export { relocationPlan, ignoringStickiness, type Relocation } from "./relocate";
