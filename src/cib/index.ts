// The cluster information base: typed model, Pacemaker XML import/export, the
// native JSON/YAML form with its schema, versions and digest, durable storage.
export * from "./model";
export { parseDurationMs } from "./duration";
export { dateExpressionHolds, parseIsoDate, type RuleClock } from "./dates";
export { importCibXml, type ImportResult } from "./xml-import";
export { exportCibXml } from "./xml-export";
export { parseNativeCib, serializeNativeCib, semanticProblems } from "./native";
export { compareVersions, chooseNewer, formatVersion, nextConfigurationVersion, nextStatusVersion, cibDigest, canonicalJson } from "./version";
export { markOf, sameMark, formatMark, chainOf, chainContains, compareMarks, newerMark, checkedLineage, CHAIN_MAX, type CibMark, type CibLineage } from "./lineage";
export { CibStore, BACKUPS_KEPT, CONFLICTS_KEPT, type LoadResult, type OpenResult } from "./store";
export { readCibFile, CIB_FILE_BYTES_MAX } from "./read";
export { CIB_LIMITS } from "./limits";
export { cibLimitProblem } from "./native";
export { diffCibs, applyCibPatch, LIST_SECTIONS, type CibPatch, type CibChange, type ListSection } from "./diff";
export {
  clusterOptions, orderedPropertySets, parseScore, parseBoolean, cibHeader, BOOTSTRAP_SET_ID, type ClusterOptions, type CibHeader,
} from "./properties";
export { resolveFencingLevels, type ResolvedFencingLevel } from "./topology";
export { importAlerts, alertsToXml, ALERT_KINDS, type Alert, type AlertKind, type AlertRecipient, type AlertSelect } from "./alerts";
export { CIB_SCHEMA_CURRENT, CIB_SCHEMA_READ_MAX, cibSchemaOf, checkReadable, migrateCib, migrationPath, rawCibSchema } from "./schema";
