// Everything a simulated run depends on, drawn from its seed: the cluster (nodes, links,
// quorum options, fencing, resources), the network's manners and how often faults strike.
import type { Cib, LocationConstraint, Primitive, Resource } from "../cib";
import type { QuorumSettings } from "../quorum";
import type { AgentFaults } from "./executor";
import { simPrimitive } from "./changes";
import { Random } from "./random";
import { DEFAULT_HEARTBEAT_MS, defaultTokenMs } from "../config/defaults";

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
  /** Faults strike during this long (after the cluster had a moment to form). */
  chaosMs: number;
  /** Views must agree within this long after every fault is healed (membership only). */
  settleMsMax: number;
  faultEveryMs: number;
  /** At each of those moments a fault strikes with this probability (0: a calm run). */
  faultProbability: number;
  /** false: membership and quorum only (the large-cluster runs); true: the whole cluster. */
  cluster: boolean;
  /** Fencing on (stonith-enabled) and what a partition without quorum does. */
  stonith: boolean;
  noQuorumPolicy: "stop" | "freeze";
  /** Resource agents misbehave this often (per start or stop). */
  agentFaults: AgentFaults;
  /** Concurrent CLI clients changing the configuration through random members. */
  clients: number;
  /** After the faults heal, every resource that can run runs and everyone agrees, within this long. */
  livenessMsMax: number;
  initialCib: Cib;
}

export const nodeName = (id: number): string => `node${id}`;

/** What a test may fix instead of drawing it (the configuration is built from it). */
export interface ScenarioChoices { stonith?: boolean; noQuorumPolicy?: "stop" | "freeze" }

export function scenarioFor(seed: number, nodeCount?: number, choices: ScenarioChoices = {}): Scenario {
  const random = new Random(seed);
  // Mostly pairs and triples, the clusters edgeha is for (45 % and 35 %); fours and fives too.
  const draw = random.between(1, 40);
  const count = nodeCount ?? (draw <= 18 ? 2 : draw <= 32 ? 3 : draw <= 37 ? 4 : 5);
  const nodeIds = Array.from({ length: count }, (_, index) => index + 1);
  // The whole cluster runs with the agent's default timing; the large membership-only runs faster.
  const cluster = count <= 8;
  const heartbeatMs = cluster ? DEFAULT_HEARTBEAT_MS : 100;
  const tokenMs = cluster ? defaultTokenMs(DEFAULT_HEARTBEAT_MS) : 500;
  const arbiter = count === 2 ? random.chance(0.6) : false;
  const lastManStanding = random.chance(0.4);
  const quorum: QuorumSettings = {
    nodeIds, expectedVotes: 0,
    twoNode: count === 2, waitForAll: count === 2 || random.chance(0.3),
    lastManStanding, lastManStandingWindowMs: random.between(1000, 4000),
    autoTieBreaker: count > 2 && random.chance(0.5), autoTieBreakerNode: random.pick([{ kind: "lowest" }, { kind: "highest" }] as const),
    arbiter,
  };
  // A quarter of the runs last long enough for partitions longer than the reliable channels' retries (5 s).
  const longChaos = random.chance(0.25);
  const stonith = random.chance(0.8) && (choices.stonith ?? true) || choices.stonith === true;
  const drawnPolicy = random.chance(0.75) ? "stop" : "freeze";
  const noQuorumPolicy = choices.noQuorumPolicy ?? drawnPolicy;
  return {
    seed, nodeIds, links: random.between(1, 2), heartbeatMs, tokenMs,
    lossMax: random.pick([0, 0.05, 0.2, 0.4]), duplicateProbability: random.pick([0, 0.02, 0.1]),
    delayMsMin: random.between(0, 5), delayMsMax: random.between(5, 60),
    clockRates: nodeIds.map(() => 1 + (random.next() - 0.5) * 0.02),
    quorum, chaosMs: cluster ? (longChaos ? 7000 : 3000) : 4000, settleMsMax: 8000, faultEveryMs: random.pick([300, 300, 700, 1200]), faultProbability: 0.5,
    cluster, stonith, noQuorumPolicy,
    agentFaults: { startFails: random.pick([0, 0.02, 0.1]), stopFails: random.pick([0, 0.02, 0.05]), hangs: random.pick([0, 0, 0.02]) },
    clients: random.between(1, 3),
    livenessMsMax: 40_000,
    initialCib: initialCib(nodeIds, stonith, noQuorumPolicy, random),
  };
}

function fenceDevice(node: string, delayMax: boolean): Primitive {
  const values: Record<string, string> = { pcmk_host_list: node, pcmk_off_timeout: "2s", pcmk_off_retries: "2", ...(delayMax ? { pcmk_delay_max: "1s" } : {}) };
  return { kind: "primitive", id: `fence-${node}`, class: "stonith", type: "fence_sim", extra: {}, instance: [{ id: `fence-${node}-params`, values }], meta: [], operations: [] };
}

/** The configuration every node starts with: fence devices, one to three services, defaults. */
function initialCib(nodeIds: number[], stonith: boolean, noQuorumPolicy: string, random: Random): Cib {
  const names = nodeIds.map(nodeName);
  const services: Resource[] = random.chance(0.4)
    ? [{ kind: "group" as const, id: "web", extra: {}, instance: [], meta: [], members: [simPrimitive("vip"), simPrimitive("proxy")] }]
    : [simPrimitive("vip")];
  if (random.chance(0.5)) services.push(simPrimitive("db"));
  const delayMax = random.chance(0.3);
  const avoidSelf = names.map((name): LocationConstraint => ({ kind: "location", id: `fence-${name}-avoids-${name}`, rsc: `fence-${name}`, node: name, score: "-INFINITY", rules: [], extra: {} }));
  return {
    version: { adminEpoch: 0, epoch: 1, numUpdates: 0 },
    attributes: {},
    properties: [{ id: "cib-bootstrap-options", values: { "stonith-enabled": String(stonith), "no-quorum-policy": noQuorumPolicy, "stonith-timeout": "6s" } }],
    nodes: nodeIds.map((id) => ({ id: String(id), uname: nodeName(id), extra: {}, instance: [], utilization: [] })),
    resources: [...(stonith ? names.map((name) => fenceDevice(name, delayMax)) : []), ...services],
    constraints: stonith && names.length > 1 ? avoidSelf : [],
    rscDefaults: [{ id: "rsc-options", values: { "resource-stickiness": random.pick(["0", "100"]) } }],
    opDefaults: [{ id: "op-options", values: { timeout: "2s" } }],
    fencingTopology: [],
    status: [],
  };
}
