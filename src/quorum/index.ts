// Quorum: votequorum semantics and the arbiter's decision, both pure.
export {
  initialQuorum, reconfigureQuorum, stepQuorum, summarize, twoNodeActive, quorumReport, savedVoters, quorumDeadlineMs,
  type QuorumSettings, type SavedVoters, type QuorumState, type QuorumInput, type QuorumSummary, type TieBreaker,
} from "./votequorum";
export { initialArbiter, arbiterRequest, type ArbiterSettings, type ArbiterState, type ArbiterPreference, type VoteRequest, type VoteReply } from "./arbiter";
export { initialArbiterClient, arbiterDeadlineMs, requestDue, requestSent, replyReceived, holdsVote, type ArbiterClientState } from "./arbiter-client";
export { ATTEMPTS_MAX, type VoterSet, type QuorumReport } from "./voters";
