// The node's protocol stack without I/O, one composition shared by the agent (src/node) and
// the simulator (src/sim): frames -> membership -> quorum -> arbiter client -> reliable
// channels (membership.ts), and the arbiter's side of the wire (arbiter.ts).
export {
  MembershipStack, parsePersistedMembership, QUORUM_RULES, ARBITER_ID, ARBITER_REQUEST_MS, ARBITER_SILENT_MS, SLEEP_MS_MAX,
  type MembershipStackSettings, type MembershipStackEffect, type PersistedMembership, type Codec, type QuorumRules, type StackReconfiguration,
} from "./membership";
export { ArbiterResponder } from "./arbiter";
export { judgeWake, lateToleranceMs, stallThresholdMs, type WakeFacts, type WakeVerdict } from "./stall";
export { NodeCore, TICK_MS, TICK_IDLE_MS, type ControllerPort, type NodeEffect, type Now } from "./node";
