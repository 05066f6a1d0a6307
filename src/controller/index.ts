// The controller: DC election, join, configuration replication and transition execution,
// as a deterministic state machine (controller.ts) over a small message protocol.
export { Controller, CONTROLLER_DEFAULTS, configurationOnly, type ControllerSettings, type ControllerInput, type ControllerEffect } from "./controller";
export { compileTransition, readySteps, isFinished, succeeded, type Step, type Transition } from "./transition";
export type { ControllerMessage, NodeReport, ReportedResource, ClusterSummary, ClientRequest, ClientReply } from "./protocol";
export { relocationPlan, ignoringStickiness, type Relocation } from "./relocate";
