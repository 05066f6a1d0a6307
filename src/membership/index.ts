// Membership: failure detection and agreed views, a pure state machine.
export { initialMembership, reconfigureMembership, stepMembership, probeTiming, following, nextDeadlineMs, reachable, candidateOf, holdMs, type StepResult } from "./step";
export { encodeHeartbeat, decodeHeartbeat, withTiming, HEARTBEAT_WIRE_VERSION, LIST_MAX, type HeartbeatDecode, type WireReport, type WireTiming, type WireVoterSet } from "./wire";
export { partitionIntoCliques, largestClique } from "./clique";
export type { MembershipSettings, MembershipState, MembershipInput, MembershipEffect, Heartbeat, View, PeerState } from "./types";
export {
  initialAdverts, stepAdverts, advertDeadlineMs, advertOf, hasAdvert, negotiate, encodeHello, decodeHello,
  PROTOCOL_VERSION_MIN, PROTOCOL_VERSION_MAX, FEATURES, LEGACY_ADVERT, HELLO_RETRY_MS, HELLO_RETRIES_FAST, LEGACY_RETRY_MS, HELLO_BYTES_MAX,
  type Advert, type AdvertState, type AdvertInput, type AdvertEffect, type Feature, type Negotiated, type Hello,
} from "./advert";
