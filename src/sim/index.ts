// Deterministic simulator of membership and quorum over the real frame codec.
export { World, runSeed, replayCommand, type RunResult, type Violation, type QuorumRules } from "./world";
export { scenarioFor, type Scenario } from "./scenario";
export { Random } from "./random";
