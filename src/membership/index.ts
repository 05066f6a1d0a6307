// Membership: failure detection and agreed views, a pure state machine.
export { initialMembership, stepMembership, reachable, candidateOf, holdMs, type StepResult } from "./step";
export { partitionIntoCliques, largestClique } from "./clique";
export type { MembershipSettings, MembershipState, MembershipInput, MembershipEffect, Heartbeat, View, PeerState } from "./types";
