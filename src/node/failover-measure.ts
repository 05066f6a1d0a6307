// What this node measured of failovers, for `edgeha config explain`: how long fencing took
// (the fence history the DC keeps and every member stores) and how long starts took (the
// operation history in the scheduler inputs the flight recorder kept: each start's
// exec-time). Reads files only; a missing or damaged file means "nothing measured", never
// an error, because explain must work on a node that has not run yet. And the constants of
// the failover path the budget counts, taken from the modules that act on them.
import { existsSync } from "node:fs";
import path from "node:path";
import { dadWaitMs } from "../../agents/ipaddr";
import { STATUS_POLL_MS } from "../../fence-drivers/common/ipmi-chassis";
import { flattenSets, type Cib, type Primitive, type Resource } from "../cib";
import { readBoundedText } from "../common/bounded-read";
import type { FailoverPath, MeasuredStart, MeasuredSteps } from "../config/explain";
import { CONTROLLER_DEFAULTS } from "../controller/context";
import { PAIR_PRIORITY_FENCING_DELAY_MS } from "../fencer/split";
import { RECORDER_DIRECTORY } from "./observability-paths";
import { listRecords, readRecord } from "./recorder";

/** The newest records of each series that are read (each is a whole CIB). */
export const MEASURE_RECORDS_MAX = 40;
/** The newest successful fencing actions counted. */
export const MEASURE_FENCES_MAX = 20;
const HISTORY_BYTES_MAX = 8 * 1024 * 1024;

export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((left, right) => left - right);
  const middle = sorted.length >> 1;
  return Math.round(sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2);
}

/**
 * Durations of successful fencing from a fence history's entries, oldest first: the off or
 * reboot that takes a lost node out (a reboot is done once the node reads off), not a person's
 * confirmation nor an unfencing (the 'on' of a node that joins, no part of a failover).
 */
export function fenceDurations(entries: unknown): number[] {
  if (!Array.isArray(entries)) return [];
  const durations: number[] = [];
  for (const entry of entries as Array<Record<string, unknown>>) {
    if (!entry || typeof entry !== "object" || entry.state !== "done" || (entry.action !== "off" && entry.action !== "reboot")) continue;
    const requested = entry.requestedAtMs;
    const completed = entry.completedAtMs;
    if (typeof requested === "number" && typeof completed === "number" && completed >= requested) durations.push(completed - requested);
  }
  return durations.slice(-MEASURE_FENCES_MAX);
}

/** Every successful start's exec-time per resource (clone instances under their clone's primitive), each start once. */
export function startDurations(cibs: readonly Cib[]): Map<string, number[]> {
  const seen = new Set<string>();
  const byResource = new Map<string, number[]>();
  for (const cib of cibs) {
    for (const node of cib.status) {
      for (const resource of node.resources) {
        for (const operation of resource.operations) {
          if (operation.operation !== "start" || operation.rcCode !== 0 || operation.opStatus !== 0) continue;
          const exec = Number(operation.attributes["exec-time"]);
          if (!Number.isFinite(exec) || exec < 0) continue;
          const key = `${node.uname}\u0000${resource.id}\u0000${operation.callId}\u0000${operation.attributes["last-rc-change"] ?? ""}`;
          if (seen.has(key)) continue;
          seen.add(key);
          const id = resource.id.replace(/:\d+$/, "");
          const list = byResource.get(id) ?? [];
          list.push(exec);
          byResource.set(id, list);
        }
      }
    }
  }
  return byResource;
}

/** The chains of starts a failover runs one after another: a group's members in order; any other resource alone. */
export function startChains(resources: readonly Resource[]): string[][] {
  const chains: string[][] = [];
  const visit = (resource: Resource): void => {
    if (resource.kind === "primitive") chains.push([resource.id]);
    else if (resource.kind === "group") chains.push(resource.members.map((member) => member.id));
    else visit(resource.child);
  };
  resources.forEach(visit);
  return chains;
}

/** The longest chain whose every member has recorded starts, by the sum of their medians. */
export function longestStartChain(chains: readonly string[][], durations: ReadonlyMap<string, number[]>): { chain: string[]; medianMs: number; count: number } | undefined {
  let best: { chain: string[]; medianMs: number; count: number } | undefined;
  for (const chain of chains) {
    if (chain.length === 0 || !chain.every((id) => (durations.get(id)?.length ?? 0) > 0)) continue;
    const medianMs = chain.reduce((sum, id) => sum + median(durations.get(id)!)!, 0);
    const count = chain.reduce((sum, id) => sum + durations.get(id)!.length, 0);
    if (!best || medianMs > best.medianMs) best = { chain, medianMs, count };
  }
  return best;
}

/**
 * Election, the survivors' join and the scheduler run up to the dispatched fencing and starts:
 * no timer waits on this path (CPU time only), so the figure is the testbed's: the demo's
 * timeline and bench/failover/README.md (ninth run, the quiet run of 39e47e9).
 */
export const ELECT_AND_PLAN_TESTBED_MS = 40;

/** The code's constants along a failover after a power loss (config explain's budget). */
export function failoverPath(): FailoverPath {
  return {
    statusPollMs: STATUS_POLL_MS,
    pairDelayMs: PAIR_PRIORITY_FENCING_DELAY_MS,
    electionWaitMs: CONTROLLER_DEFAULTS.electionWaitMs,
    electMs: ELECT_AND_PLAN_TESTBED_MS,
    electSource: "2-vCPU testbed: the demo timeline, bench/failover/README.md",
  };
}

/** Built-in ipaddr (class builtin, or ocf:edgeha:ipaddr): its start waits for duplicate address detection unless the former holder was fenced. */
function isAddress(resource: Primitive): boolean {
  return resource.type === "ipaddr" && (resource.class === "builtin" || (resource.class === "ocf" && resource.provider === "edgeha"));
}

function primitivesById(resources: readonly Resource[]): Map<string, Primitive> {
  const found = new Map<string, Primitive>();
  const visit = (resource: Resource): void => {
    if (resource.kind === "primitive") found.set(resource.id, resource);
    else if (resource.kind === "group") resource.members.forEach(visit);
    else visit(resource.child);
  };
  resources.forEach(visit);
  return found;
}

/**
 * Each member of a chain of starts as a failover runs it. An address's start after a device
 * fenced its former holder skips duplicate address detection; one that waited took at least the
 * whole wait (arping -D hears no answer and waits it out), so the starts faster than the wait are
 * the ones a failover makes, and their median is its figure (without any, the median less the wait).
 */
export function chainMembers(chain: readonly string[], durations: ReadonlyMap<string, number[]>, resources: readonly Resource[]): MeasuredStart[] {
  const primitives = primitivesById(resources);
  return chain.map((id) => {
    const all = durations.get(id) ?? [];
    const primitive = primitives.get(id);
    if (!primitive || !isAddress(primitive)) return { id, typicalMs: median(all) ?? 0, count: all.length };
    const params = flattenSets(primitive.instance);
    const waitMs = dadWaitMs({ params });
    const afterFenceMs = dadWaitMs({ params, formerHolderFenced: true });
    const skipped = waitMs > afterFenceMs ? all.filter((each) => each < waitMs) : all;
    const typicalMs = skipped.length > 0 ? median(skipped)! : Math.max(0, (median(all) ?? 0) - (waitMs - afterFenceMs));
    return { id, typicalMs, count: all.length, dad: { waitMs, afterFenceMs, skipped: skipped.length } };
  });
}

/** What the state directory holds of measured failovers. */
export function measureFailoverSteps(stateDir: string): MeasuredSteps {
  const measured: MeasuredSteps = {};
  const historyFile = path.join(stateDir, "fence-history.json");
  if (existsSync(historyFile)) {
    try {
      const durations = fenceDurations(JSON.parse(readBoundedText(historyFile, HISTORY_BYTES_MAX, { readCode: "E_FENCE_HISTORY", tooLargeCode: "E_FENCE_HISTORY", what: "fence history" })));
      const medianMs = median(durations);
      if (medianMs !== undefined) measured.fence = { medianMs, count: durations.length, source: historyFile };
    } catch {
      // A damaged history measures nothing; the agent reports it when it reads the file.
    }
  }
  const directory = path.join(stateDir, RECORDER_DIRECTORY);
  const files = listRecords(directory);
  const newest = ["input", "warn", "error"].flatMap((series) => files.filter((entry) => entry.series === series).slice(-MEASURE_RECORDS_MAX));
  const cibs: Array<{ cib: Cib; nowSeconds: number }> = [];
  for (const entry of newest) {
    try {
      const record = readRecord(entry.file);
      cibs.push({ cib: record.cib, nowSeconds: record.nowSeconds });
    } catch {
      // A record the recorder did not finish is left out, as `edgeha history` does.
    }
  }
  if (cibs.length > 0) {
    cibs.sort((left, right) => left.nowSeconds - right.nowSeconds);
    const durations = startDurations(cibs.map((each) => each.cib));
    const resources = cibs[cibs.length - 1]!.cib.resources;
    const chain = longestStartChain(startChains(resources), durations);
    if (chain) {
      const members = chainMembers(chain.chain, durations, resources);
      measured.start = { ...chain, medianMs: members.reduce((sum, member) => sum + member.typicalMs, 0), source: directory, members };
    }
  }
  return measured;
}
