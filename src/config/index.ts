// The bootstrap config (/etc/edgeha/edgeha.yaml) and the authkey: the public face
// of src/config. Other folders import only from here.
//
//   loadConfig(file)              read + check (with the authkey) -> BootstrapConfig, or throws
//   parseConfig(text, fileName)   pure: text -> BootstrapConfig, or throws E_CONFIG_INVALID
//   checkConfigText / checkConfigFile   every problem with FILE:LINE:COLUMN positions
//   findLocalNode(config, {name?, ...machineIdentity()})   which node this machine is, and why
//   loadAuthkey(file) / writeAuthkey(file)   the shared secret, mode 0600
export type {
  ArbiterAddress,
  BootstrapConfig,
  ConfigCheck,
  LogLevel,
  LoggingConfig,
  ConfigProblem,
  NodeConfig,
  PathsConfig,
  Position,
  QuorumConfig,
  Severity,
  TieBreaker,
  SystemConfig,
  TimingConfig,
  TransportConfig,
  WatchdogConfig,
} from "./types";
export { checkConfigText, configOrThrow, parseConfig, warningsOf } from "./check";
export { checkConfigFile, loadConfig, readConfigText, type CheckFileOptions } from "./load";
export { findLocalNode, machineIdentity, type LocalIdentity, type LocalNodeMatch } from "./local-node";
export { loadAuthkey, writeAuthkey, type WrittenKey } from "./authkey";
export { failoverBudget, renderFailoverBudget, confirmationWaitMs, type FailoverBudget, type FailoverPath, type BudgetStep, type TimingLine } from "./explain";
export { countBySeverity, formatProblem } from "./problems";
export { parseLinkAddress, sameAddress, parseArbiter } from "./address";
export { ALL_KEYS } from "./read";
export * as configDefaults from "./defaults";
export { clusterWideSettings, clusterDigests, digestDifferences, timingInClear, type TimingInClear } from "./digest";
export { planReload, describeReload, type ReloadChange, type ReloadPlan } from "./reload";
export { newJoinToken, encodeJoinToken, decodeJoinToken, joinProof, proofMatches, sealForJoiner, openFromMember, NONCE_BYTES, TOKEN_TTL_SECONDS_DEFAULT, TOKEN_TTL_SECONDS_MAX, type JoinToken } from "./token";
export { tokenFile, readTokens, storeToken, findUsableToken, consumeToken, nextExpirySeconds, iso, TOKEN_FILE, type TokenRecord, type TokenLookup } from "./token-store";
export { parseSetupWords, renderSetupConfig, setupConfig, type SetupSpec } from "./setup";
export { installJoin, type JoinInstallRequest, type JoinInstallResult } from "./join-install";
export { nodesWithAdded, nodesWithout, twoNodeFor, changeNodeList, hasNodeList, type NodeListChange } from "./node-change";
