// Re-exports for the reload tests, and the problems of a text as the CLI prints them.
export { clusterDigests, describeReload, digestDifferences, parseConfig, planReload } from "../../../src/config/index";
export { problemLines as problemLinesOf } from "./helpers";
