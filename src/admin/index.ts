// Configuration editing as pure CIB edits (the pcs-like admin commands): each
// takes a CIB and an edit and returns the next CIB version with warnings, or
// throws an EdgehaError with an E_ADMIN_* code. No I/O; src/cli/commands/admin.ts
// reads and writes files or talks to the agent.
export type { AdminEdit, AgentDescription, AgentName, EditCatalog, EditResult, GroupPosition, OperationSpec, ResourceSettings } from "./types";
export { applyEdit, configurationOf, finishEdit } from "./edit";
export { constraintProblems, newConstraintProblems } from "./analysis";
export { replaceConfiguration, describeChanges, CONFIGURATION_SECTIONS, type ConfigurationSection } from "./configuration";
export { listProperties, propertyValues, KNOWN_CLUSTER_OPTIONS, type PropertyEntry } from "./cluster-options";
export { activeNodes, banId, preferId } from "./placement";
export { parseAgentName, formatAgentName, RESOURCE_CLASSES } from "./operations";
export { describeConstraint, redactSecrets, renderConfiguration, REDACTED } from "./render";
export {
  parseColocationAdd, parseKeyValues, parseLevelAdd, parseLevelRemove, parseLocationPrefers, parseOrderAdd, parseResourceCreate, parseSettings,
  parseStonithCreate, type CreateOptions, type EditOf,
} from "./parse";
export { parseAlertWords, describeAlerts, type AlertWords } from "./alerts";
export { renderConstraints, renderDefaults, renderOfflineResources, renderProperties, renderResourceConfig, constraintsReferring } from "./pcs-render";
export { verifyCib, type Verification } from "./verify";
export { splitRuleOptions } from "./location-rules";
export { parseRuleWords, type RuleTree } from "./rule-words";
export { requireFailCountTarget, resetFailCounts, type FailCountFilter } from "./failcounts";
