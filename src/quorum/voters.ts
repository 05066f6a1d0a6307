// last_man_standing as voter sets with epochs, pure.
//
// Corosync lowers a number (expected_votes) on each node and takes the highest number the
// members of a new view report. A number forgets WHO voted: a node that took part in a
// lowering and then joins nodes that never heard of it can make a second majority (a 5-node
// cluster lowered to {1,2,3}; {1,2} keeps 2 of 3 while {3,4,5} counts 3 of 5). So we keep
// the voter SET instead, and change it in two phases, like dynamic linear voting:
//
// - A quorate view that held for the window proposes an attempt: the next epoch with the
//   view's members as voters. Attempts ride on every heartbeat and every member adopts the
//   attempts it hears. While a node holds attempts, it is quorate only with a majority of
//   its voters AND of every attempt, because an attempt may have been formed elsewhere.
// - An attempt is formed (becomes the voters) on a node when its members are exactly the
//   view, the node is quorate, and every member (itself included) reports the same ring, no pending
//   proposal and the attempt. Forming drops the attempts of lower or equal epoch, which is
//   safe because the formed set held a majority of each of them.
// - A node adopts a higher-epoch voter set that a member reports (it formed there); it keeps
//   its own attempts as constraints until it forms one itself.
//
// Every list here is bounded by ATTEMPTS_MAX and by the configured node ids.
export const ATTEMPTS_MAX = 8;

export interface VoterSet {
  epoch: number;
  /** Sorted node ids. Epoch 0 is the configured cluster (expected_votes counts). */
  ids: number[];
}

/** What a node tells the members of its view about quorum, on every heartbeat. */
export interface QuorumReport {
  /** Ring id of the sender's view, and whether it is content with it (no proposal out). */
  ringId: number;
  settled: boolean;
  voters: VoterSet;
  attempts: VoterSet[];
}

export const keyOfIds = (ids: readonly number[]): string => [...ids].sort((a, b) => a - b).join(",");
const sameSet = (a: VoterSet, b: VoterSet) => a.epoch === b.epoch && keyOfIds(a.ids) === keyOfIds(b.ids);

export interface VoterState {
  voters: VoterSet;
  attempts: VoterSet[];
}

export function holds(state: VoterState, set: VoterSet): boolean {
  return sameSet(state.voters, set) || state.attempts.some((attempt) => sameSet(attempt, set));
}

function highestEpoch(state: VoterState, reports: readonly QuorumReport[]): number {
  let epoch = state.voters.epoch;
  for (const attempt of state.attempts) epoch = Math.max(epoch, attempt.epoch);
  for (const report of reports) {
    epoch = Math.max(epoch, report.voters.epoch);
    for (const attempt of report.attempts) epoch = Math.max(epoch, attempt.epoch);
  }
  return epoch;
}

/** Adopts what the members report: higher formed voter sets, and attempts above our voters. */
export function learn(state: VoterState, reports: readonly QuorumReport[]): VoterState {
  let { voters, attempts } = state;
  for (const report of reports) if (report.voters.epoch > voters.epoch) voters = report.voters;
  attempts = attempts.filter((attempt) => !sameSet(attempt, voters));
  for (const report of reports) {
    for (const attempt of report.attempts) {
      if (attempt.epoch <= voters.epoch || attempts.some((held) => sameSet(held, attempt))) continue;
      // Past the bound we stop learning rather than drop: dropping could forget a formed set.
      // A node holding that many is not quorate anyway unless one view covers them all.
      if (attempts.length >= ATTEMPTS_MAX) break;
      attempts = [...attempts, attempt];
    }
  }
  return voters === state.voters && attempts === state.attempts ? state : { voters, attempts };
}

/** A new attempt for the view's members when they differ from the voters or attempts linger. */
export function propose(state: VoterState, members: number[], reports: readonly QuorumReport[]): VoterState {
  const key = keyOfIds(members);
  if (members.length < 2) return state; // votequorum never lowers below two nodes.
  if (key === keyOfIds(state.voters.ids) && state.attempts.length === 0) return state;
  if (state.attempts.some((attempt) => keyOfIds(attempt.ids) === key)) return state;
  if (state.attempts.length >= ATTEMPTS_MAX) return state;
  const attempt = { epoch: highestEpoch(state, reports) + 1, ids: [...members].sort((a, b) => a - b) };
  return { ...state, attempts: [...state.attempts, attempt] };
}

/** Forms the highest attempt whose members are the view and that every member holds. */
export function form(state: VoterState, members: number[], ringId: number, reports: ReadonlyMap<number, QuorumReport>): VoterState {
  const key = keyOfIds(members);
  const ready = [...state.attempts]
    .sort((a, b) => b.epoch - a.epoch)
    .find((attempt) => keyOfIds(attempt.ids) === key && members.every((id) => {
      const report = reports.get(id);
      return report !== undefined && report.ringId === ringId && report.settled && (report.attempts.some((each) => sameSet(each, attempt)) || sameSet(report.voters, attempt));
    }));
  if (ready === undefined) return state;
  return { voters: ready, attempts: state.attempts.filter((attempt) => attempt.epoch > ready.epoch) };
}
