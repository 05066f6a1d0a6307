// Votequorum semantics as a pure state machine: the view and the clock come in as inputs.
//
// One vote per node; last_man_standing changes the voter set itself (voters.ts). An arbiter, when configured, adds one vote to expected_votes and
// turns two_node off (as corosync does with a quorum device). The quorum threshold is
// floor(expected / 2) + 1, or 1 in two_node mode.
import { assert, unreachable } from "../common/errors";
import type { QuorumConfig, TieBreaker } from "../config";
import { form, learn, propose, type QuorumReport, type VoterSet, type VoterState } from "./voters";

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
  /** Ring id of the current view (0 when the runner does not say). */
  ringId: number;
  /** Expected votes from nodes in the configured cluster (voter set epoch 0). */
  expectedNodeVotes: number;
  waitForAllMet: boolean;
  /** When the current view started, for the last_man_standing window. */
  viewSinceMs: number;
  arbiterVote: boolean;
  quorate: boolean;
  /** last_man_standing: the formed voter set and the attempts that may have formed elsewhere (voters.ts). */
  voters: VoterSet;
  attempts: VoterSet[];
  /** The latest report heard from each configured node (bounded by the node ids). */
  reports: Record<number, QuorumReport>;
}

export type QuorumInput =
  | { kind: "view"; members: number[]; nowMs: number; ringId?: number }
  | { kind: "tick"; nowMs: number }
  | { kind: "arbiter"; granted: boolean }
  | { kind: "report"; from: number; report: QuorumReport };

export interface QuorumSummary {
  quorate: boolean;
  votes: number;
  expected: number;
  quorum: number;
  flags: string[];
}

/** What survives a restart (the agent keeps it in its state dir): the voter set and attempts. */
export interface SavedVoters { voters: VoterSet; attempts: VoterSet[] }

export function initialQuorum(settings: QuorumSettings, saved?: SavedVoters): QuorumState {
  assert(settings.nodeIds.length > 0, "a cluster has at least one node");
  const expected = Math.max(settings.expectedVotes, settings.nodeIds.length);
  const voters = saved?.voters ?? { epoch: 0, ids: [...settings.nodeIds].sort((a, b) => a - b) };
  return {
    settings, members: [], ringId: 0, expectedNodeVotes: expected, waitForAllMet: false, viewSinceMs: 0, arbiterVote: false, quorate: false,
    voters, attempts: saved?.attempts ?? [], reports: {},
  };
}

/**
 * The quorum settings changed while running (a node added or removed, which changes the node
 * ids, expected votes and two_node): expected votes are computed afresh and the current view
 * is counted again under the new rules. With last_man_standing the voter set of epoch 0 becomes
 * the new node list; a formed set (epoch > 0) keeps what the nodes agreed, less removed nodes.
 */
export function reconfigureQuorum(state: QuorumState, settings: QuorumSettings, nowMs: number): QuorumState {
  const fresh = initialQuorum(settings);
  const voters = state.voters.epoch === 0 ? fresh.voters : { ...state.voters, ids: state.voters.ids.filter((id) => settings.nodeIds.includes(id)) };
  const next: QuorumState = { ...fresh, voters, attempts: state.attempts, waitForAllMet: state.waitForAllMet, arbiterVote: state.arbiterVote, ringId: state.ringId };
  const counted = stepQuorum(next, { kind: "view", members: state.members, ringId: state.ringId, nowMs });
  return { ...counted, viewSinceMs: state.viewSinceMs };
}

export function savedVoters(state: QuorumState): SavedVoters {
  return { voters: state.voters, attempts: state.attempts };
}

/**
 * The report this node puts on its heartbeats; `settled` is whether membership is content
 * with its view. The runner feeds it back to this node too (as from itself), so forming
 * also waits until this node is content with its view.
 */
export function quorumReport(state: QuorumState, settled: boolean): QuorumReport {
  return { ringId: state.ringId, settled, voters: state.voters, attempts: state.attempts };
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
      next = { ...state, members, ringId: input.ringId ?? state.ringId, waitForAllMet: state.waitForAllMet || allPresent, viewSinceMs: input.nowMs };
      break;
    }
    case "tick":
      next = lastManStanding(state, input.nowMs);
      break;
    case "arbiter":
      next = { ...state, arbiterVote: input.granted };
      break;
    case "report":
      if (!state.settings.nodeIds.includes(input.from)) return state;
      next = { ...state, reports: { ...state.reports, [input.from]: input.report } };
      break;
    default:
      return unreachable(input, "quorum input");
  }
  return settle(next);
}

/** Learns from the reports, forms an attempt when every member holds it, then recomputes quorate. */
function settle(state: QuorumState): QuorumState {
  let next = state;
  if (state.settings.lastManStanding) {
    const reports = new Map(Object.entries(state.reports).map(([id, report]) => [Number(id), report] as const));
    let voters: VoterState = learn({ voters: state.voters, attempts: state.attempts }, [...reports.values()]);
    const withLearned = { ...state, ...voters };
    if (evaluate(withLearned).quorate) voters = form(voters, state.members, state.ringId, reports);
    next = { ...state, ...voters };
  }
  return { ...next, quorate: evaluate(next).quorate };
}

/** When a tick can next change quorum on its own (the last_man_standing window ending), if ever. */
export function quorumDeadlineMs(state: QuorumState, nowMs: number): number | undefined {
  if (!state.settings.lastManStanding || !state.quorate) return undefined;
  const endMs = state.viewSinceMs + state.settings.lastManStandingWindowMs;
  return endMs > nowMs ? endMs : undefined;
}

function lastManStanding(state: QuorumState, nowMs: number): QuorumState {
  const { settings } = state;
  if (!settings.lastManStanding || !state.quorate) return state;
  if (nowMs - state.viewSinceMs < settings.lastManStandingWindowMs) return state;
  const voters = propose({ voters: state.voters, attempts: state.attempts }, state.members, Object.values(state.reports));
  return { ...state, ...voters };
}

interface Count { votes: number; expected: number; quorum: number; quorate: boolean; twoNode: boolean }

/** Votes of the current members for one voter set. */
function countFor(state: QuorumState, set: VoterSet): Count {
  const { settings } = state;
  const arbiterVotes = settings.arbiter ? 1 : 0;
  const arbiterVote = settings.arbiter && state.arbiterVote ? 1 : 0;
  const configured = set.epoch === 0;
  const expected = (configured ? state.expectedNodeVotes : set.ids.length) + arbiterVotes;
  const votes = (configured ? state.members.length : state.members.filter((id) => set.ids.includes(id)).length) + arbiterVote;
  const twoNode = configured && twoNodeActive(settings) && state.expectedNodeVotes === 2;
  const quorum = twoNode ? 1 : Math.floor(expected / 2) + 1;
  let quorate = votes >= quorum;
  if (!quorate && settings.autoTieBreaker && votes * 2 === expected && holdsTieBreaker(state, configured ? settings.nodeIds : set.ids)) quorate = true;
  return { votes, expected, quorum, quorate, twoNode };
}

function evaluate(state: QuorumState): Count {
  const current = countFor(state, state.voters);
  const waiting = waitForAllActive(state.settings) && !state.waitForAllMet;
  // An attempt may have formed elsewhere: until it is settled, hold a majority of it too.
  const quorate = current.quorate && !waiting && state.attempts.every((attempt) => countFor(state, attempt).quorate);
  return { ...current, quorate };
}

export function summarize(state: QuorumState): QuorumSummary {
  const { settings } = state;
  const count = evaluate(state);
  const waiting = waitForAllActive(settings) && !state.waitForAllMet;
  const flags: string[] = [];
  if (count.quorate) flags.push("Quorate");
  if (count.twoNode) flags.push("2Node");
  if (waitForAllActive(settings)) flags.push(waiting ? "WaitForAll(waiting)" : "WaitForAll");
  if (settings.lastManStanding) flags.push(state.attempts.length > 0 ? "LastManStanding(changing)" : "LastManStanding");
  if (settings.autoTieBreaker) flags.push("AutoTieBreaker");
  if (settings.arbiter) flags.push(state.arbiterVote ? "Arbiter(vote)" : "Arbiter(no vote)");
  return { quorate: count.quorate, votes: count.votes, expected: count.expected, quorum: count.quorum, flags };
}

function holdsTieBreaker(state: QuorumState, nodeIds: readonly number[]): boolean {
  const { autoTieBreakerNode: rule } = state.settings;
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
