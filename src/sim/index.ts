// The deterministic simulator: N nodes of the real code (src/stack over the controller,
// scheduler and fencer planner) on a simulated network, clock, disk, executor, fence devices
// and CLI clients, faults drawn from a seed, invariants checked after every step.
export { runSeed, runScenario, replayCommand, type SeedResult, type RunOptions } from "./run";
export { World, type Mutation, type WorldOptions } from "./world";
export { scenarioFor, nodeName, type Scenario, type ScenarioChoices } from "./scenario";
export { SAFETY_INVARIANTS, type Invariant, type Violation } from "./checks";
export { Random } from "./random";
export { MUTATIONS, mutationNamed, type MutationCase } from "./mutations";
export { runScript, type ScriptResult } from "./script";
