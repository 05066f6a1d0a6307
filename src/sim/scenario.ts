// Everything a simulated run depends on, drawn from its seed.
import type { QuorumSettings } from "../quorum";
import { Random } from "./random";

export interface Scenario {
  seed: number;
  nodeIds: number[];
  links: number;
  heartbeatMs: number;
  tokenMs: number;
  lossMax: number;
  duplicateProbability: number;
  delayMsMin: number;
  delayMsMax: number;
  /** Per node clock rate, 1 +- drift. */
  clockRates: number[];
  quorum: QuorumSettings;
  chaosMs: number;
  /** Views must agree within this long after every fault is healed. */
  settleMsMax: number;
  faultEveryMs: number;
}

export function scenarioFor(seed: number, nodeCount?: number): Scenario {
  const random = new Random(seed);
  const count = nodeCount ?? random.between(2, 5);
  const nodeIds = Array.from({ length: count }, (_, index) => index + 1);
  const heartbeatMs = 100;
  const tokenMs = 500;
  const arbiter = count === 2 ? random.chance(0.6) : false;
  const lastManStanding = random.chance(0.4);
  const quorum: QuorumSettings = {
    nodeIds, expectedVotes: 0,
    twoNode: count === 2, waitForAll: count === 2 || random.chance(0.3),
    lastManStanding, lastManStandingWindowMs: random.between(1000, 4000),
    autoTieBreaker: count > 2 && random.chance(0.5), autoTieBreakerNode: random.pick([{ kind: "lowest" }, { kind: "highest" }] as const),
    arbiter,
  };
  return {
    seed, nodeIds, links: random.between(1, 2), heartbeatMs, tokenMs,
    lossMax: random.pick([0, 0.05, 0.2, 0.4]), duplicateProbability: random.pick([0, 0.02, 0.1]),
    delayMsMin: random.between(0, 5), delayMsMax: random.between(5, 60),
    clockRates: nodeIds.map(() => 1 + (random.next() - 0.5) * 0.02),
    // Some seeds are calm enough for views to outlast the last_man_standing window.
    quorum, chaosMs: count > 8 ? 4000 : 8000, settleMsMax: 8000, faultEveryMs: random.pick([300, 300, 700, 1200]),
  };
}
