// Votequorum semantics as a pure state machine: the view and the clock come in as inputs.
//
// One vote per node; an arbiter, when configured, adds one vote to expected_votes and
// turns two_node off (as corosync does with a quorum device). The quorum threshold is
// floor(expected / 2) + 1, or 1 in two_node mode.
import { assert, unreachable } from "../common/errors";
import type { QuorumConfig, TieBreaker } from "../config";

export type { TieBreaker };

/** The bootstrap config's quorum options, with the node ids and whether an arbiter is configured. */
export interface QuorumSettings extends Omit<QuorumConfig, "arbiter"> {
  /** Every configured node id. */
  nodeIds: number[];
  /** Configured expected votes (nodes only); 0 means "count the nodes". */
  expectedVotes: number;
  arbiter: boolean;
}

export interface QuorumState {
  settings: QuorumSettings;
  members: number[];
  /** Expected votes from nodes, raised when more nodes join and lowered by last_man_standing. */
  expectedNodeVotes: number;
  waitForAllMet: boolean;
  /** When the current view started, for the last_man_standing window. */
  viewSinceMs: number;
  arbiterVote: boolean;
  quorate: boolean;
}

export type QuorumInput =
  | { kind: "view"; members: number[]; nowMs: number }
  | { kind: "tick"; nowMs: number }
  | { kind: "arbiter"; granted: boolean };

export interface QuorumSummary {
  quorate: boolean;
  votes: number;
  expected: number;
  quorum: number;
  flags: string[];
}

export function initialQuorum(settings: QuorumSettings): QuorumState {
  assert(settings.nodeIds.length > 0, "a cluster has at least one node");
  const expected = Math.max(settings.expectedVotes, settings.nodeIds.length);
  return { settings, members: [], expectedNodeVotes: expected, waitForAllMet: false, viewSinceMs: 0, arbiterVote: false, quorate: false };
}

export function twoNodeActive(settings: QuorumSettings): boolean {
  return settings.twoNode && !settings.arbiter && settings.nodeIds.length === 2;
}

/** two_node implies wait_for_all (as in votequorum) unless wait_for_all was turned off explicitly by the caller. */
function waitForAllActive(settings: QuorumSettings): boolean {
  return settings.waitForAll;
}

export function stepQuorum(state: QuorumState, input: QuorumInput): QuorumState {
  let next: QuorumState;
  switch (input.kind) {
    case "view": {
      const members = [...new Set(input.members)].filter((id) => state.settings.nodeIds.includes(id)).sort((a, b) => a - b);
      const allPresent = members.length === state.settings.nodeIds.length;
      next = {
        ...state,
        members,
        expectedNodeVotes: Math.max(state.expectedNodeVotes, members.length),
        waitForAllMet: state.waitForAllMet || allPresent,
        viewSinceMs: input.nowMs,
      };
      break;
    }
    case "tick":
      next = lowerByLastManStanding(state, input.nowMs);
      break;
    case "arbiter":
      next = { ...state, arbiterVote: input.granted };
      break;
    default:
      return unreachable(input, "quorum input");
  }
  return { ...next, quorate: summarize(next).quorate };
}

function lowerByLastManStanding(state: QuorumState, nowMs: number): QuorumState {
  const { settings } = state;
  if (!settings.lastManStanding || !state.quorate) return state;
  if (nowMs - state.viewSinceMs < settings.lastManStandingWindowMs) return state;
  // Votequorum stops at two nodes; auto_tie_breaker can then carry one of them.
  const lowered = Math.max(state.members.length, 2);
  if (lowered >= state.expectedNodeVotes) return state;
  return { ...state, expectedNodeVotes: lowered };
}

export function summarize(state: QuorumState): QuorumSummary {
  const { settings } = state;
  const arbiterVotes = settings.arbiter ? 1 : 0;
  const expected = state.expectedNodeVotes + arbiterVotes;
  const votes = state.members.length + (settings.arbiter && state.arbiterVote ? 1 : 0);
  const twoNode = twoNodeActive(settings) && state.expectedNodeVotes === 2;
  const quorum = twoNode ? 1 : Math.floor(expected / 2) + 1;
  let quorate = votes >= quorum;
  if (!quorate && settings.autoTieBreaker && votes * 2 === expected && holdsTieBreaker(state)) quorate = true;
  const waiting = waitForAllActive(settings) && !state.waitForAllMet;
  if (waiting) quorate = false;
  const flags: string[] = [];
  if (quorate) flags.push("Quorate");
  if (twoNode) flags.push("2Node");
  if (waitForAllActive(settings)) flags.push(waiting ? "WaitForAll(waiting)" : "WaitForAll");
  if (settings.lastManStanding) flags.push("LastManStanding");
  if (settings.autoTieBreaker) flags.push("AutoTieBreaker");
  if (settings.arbiter) flags.push(state.arbiterVote ? "Arbiter(vote)" : "Arbiter(no vote)");
  return { quorate, votes, expected, quorum, flags };
}

function holdsTieBreaker(state: QuorumState): boolean {
  const { nodeIds, autoTieBreakerNode: rule } = state.settings;
  switch (rule.kind) {
    case "lowest":
      return state.members.includes(Math.min(...nodeIds));
    case "highest":
      return state.members.includes(Math.max(...nodeIds));
    case "list": {
      // The first listed node that is present in this partition decides; a partition wins
      // when no listed node that outranks its own is reachable by it — i.e. it holds the
      // first listed node of the whole configuration that any side could hold.
      const first = rule.nodeIds.find((id) => nodeIds.includes(id));
      return first !== undefined && state.members.includes(first);
    }
    default:
      return unreachable(rule, "tie breaker");
  }
}
