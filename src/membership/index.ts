// Membership: failure detection and agreed views, a pure state machine.
export { initialMembership, stepMembership, probeTiming, following, nextDeadlineMs, reachable, candidateOf, holdMs, type StepResult } from "./step";
export { encodeHeartbeat, decodeHeartbeat, HEARTBEAT_WIRE_VERSION, LIST_MAX, type HeartbeatDecode, type WireReport, type WireVoterSet } from "./wire";
export { partitionIntoCliques, largestClique } from "./clique";
export type { MembershipSettings, MembershipState, MembershipInput, MembershipEffect, Heartbeat, View, PeerState } from "./types";
