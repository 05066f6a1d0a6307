// The failover budget the timing adds up to (house style, rule 9): how long from a
// node's death until its resources run elsewhere, step by step along the path the code
// takes after a power loss: detection (the timing), the election and the scheduler run (no
// timer: CPU time), fencing (the device's power reads; the pair's priority delay is skipped
// when the first read says off), then the starts one after another in group order. Each
// step says where its figure comes from: the timing of the file, a constant of the code
// (the caller gathers them from the modules that use them, FailoverPath), what this node
// measured (fence history, recorded starts), or the testbed's measurement.
import { CONSENSUS_TOKEN_RATIO, ECHO_CONFIRM_PROBES, ECHO_SILENT_PROBES, TOKEN_HEARTBEATS } from "./defaults";
import type { TimingConfig } from "./types";

export interface TimingLine {
  key: string;
  valueMs: number;
  /** True when the file set it, false when it is the default. */
  fromFile: boolean;
  meaning: string;
}

/** Where a step's typical figure comes from. */
export type FigureSource = "timing" | "code" | "measured" | "testbed" | "open";

export interface BudgetStep {
  step: "detect" | "fence" | "elect" | "start";
  /** A start's resource (the chain's members in group order). */
  resource?: string;
  /** Undefined when it depends on something outside this file. */
  worstCaseMs: number | undefined;
  /** What the step typically takes; undefined when unknown. */
  typicalMs: number | undefined;
  source: FigureSource;
  explanation: string;
}

/**
 * The constants of the code's failover path the budget counts. The caller takes them from
 * the modules that act on them (src/node/failover-measure.ts failoverPath), so a change of
 * one of them changes the budget.
 */
export interface FailoverPath {
  /** Waits between the fence device's power reads after a power change, the last repeated (IPMI: fence-drivers/common/ipmi-chassis.ts). */
  statusPollMs: readonly number[];
  /** The pair's default priority delay (src/fencer/split.ts): skipped when the status check reads the lost node off. */
  pairDelayMs: number;
  /** A node that knew no DC waits this long for one (src/controller/context.ts); after a known DC's loss the election runs at once. */
  electionWaitMs: number;
  /** Election, join of the survivors and the scheduler run up to the first dispatched action: no timer on this path, CPU time measured on the testbed. */
  electMs: number;
  electSource: string;
}

/** One member of the chain of starts, as this node measured it. */
export interface MeasuredStart {
  id: string;
  /** The typical start on a failover (for an address: the starts that skipped duplicate address detection). */
  typicalMs: number;
  count: number;
  /** ipaddr: the duplicate address detection wait of this resource, and how many recorded starts skipped it. */
  dad?: { waitMs: number; afterFenceMs: number; skipped: number };
}

/** What this cluster measured, summarised by the caller (medians of its own records). */
export interface MeasuredSteps {
  /** Fencing that succeeded: request to confirmation. */
  fence?: { medianMs: number; count: number; source: string };
  /** The longest chain of starts a failover runs one after another (a group's members in order). */
  start?: { medianMs: number; count: number; chain: string[]; source: string; members?: MeasuredStart[] };
}

export interface FailoverBudget {
  timing: TimingLine[];
  steps: BudgetStep[];
  /** Worst case of the steps this file decides (detect only, today). */
  knownMs: number;
  /** Typical total of the steps that are known. */
  typicalMs: number;
  /** True when every step has a typical figure, so typicalMs is the whole failover. */
  typicalComplete: boolean;
}

/**
 * Typical detection of a power loss. With the echo on, the standby's ARP goes unanswered
 * ECHO_SILENT_PROBES times in a row (the loss falls, on average, half an interval before the
 * next request) and then ECHO_CONFIRM_PROBES probe heartbeats go unanswered. Without it, the
 * token runs out: the last heartbeat came, on average, half an interval before the loss.
 */
export function typicalDetectMs(timing: TimingConfig): number {
  if (timing.echoMs > 0) return Math.round((ECHO_SILENT_PROBES + 0.5 + ECHO_CONFIRM_PROBES) * timing.echoMs);
  return Math.round(timing.tokenMs - timing.heartbeatMs / 2);
}

/**
 * How long the confirmation reads take to see a power change that the device completes
 * `switchMs` after its command: the reads come at 0 and then after each wait of the schedule
 * (the last repeated), and the first one at or after the change sees it.
 */
export function confirmationWaitMs(statusPollMs: readonly number[], switchMs: number): number {
  let at = 0;
  for (let reads = 0; at < switchMs; reads++) at += statusPollMs[Math.min(reads, statusPollMs.length - 1)]!;
  return at;
}

function pollSchedule(statusPollMs: readonly number[]): string {
  return `${statusPollMs.slice(0, -1).join(", ")}${statusPollMs.length > 1 ? " ms, then every " : ""}${statusPollMs[statusPollMs.length - 1]} ms`;
}

function fenceStep(path: FailoverPath | undefined, measured: MeasuredSteps): BudgetStep {
  const route = path
    ? `a power loss: the status check reads the node off, so the pair's ${path.pairDelayMs} ms priority delay is skipped, and the off is confirmed by its first read (no poll wait); a live node is read again after ${pollSchedule(path.statusPollMs)} until off (a BMC that switches in 10 ms: +${confirmationWaitMs(path.statusPollMs, 10)} ms); a reboot counts once the node reads off`
    : "depends on the fence devices in the CIB (bounded by stonith-timeout)";
  if (measured.fence) {
    return { step: "fence", worstCaseMs: undefined, typicalMs: measured.fence.medianMs, source: "measured", explanation: `median of the last ${measured.fence.count} successful fencing actions (${measured.fence.source}; unfencing not counted); ${route}; worst: bounded by stonith-timeout` };
  }
  return { step: "fence", worstCaseMs: undefined, typicalMs: undefined, source: "open", explanation: `${route}; the BMC's round trips are not known until this node has fenced (no fencing recorded here)` };
}

function electStep(path: FailoverPath): BudgetStep {
  return {
    step: "elect", worstCaseMs: undefined, typicalMs: path.electMs, source: "testbed",
    explanation: `no timer on this path: the DC's loss elects the lowest member at once (a node that knew no DC would wait ${path.electionWaitMs} ms), the survivors join, the scheduler plans and the fencing and starts are dispatched; CPU time, ${path.electMs} ms measured (${path.electSource})`,
  };
}

function startSteps(measured: MeasuredSteps, path: FailoverPath | undefined): BudgetStep[] {
  const start = measured.start;
  if (!start) {
    return [{ step: "start", worstCaseMs: undefined, typicalMs: undefined, source: "open", explanation: "depends on the resource agents in the CIB (one after another in group order, each bounded by its start timeout); no starts recorded here" }];
  }
  if (!path || !start.members) {
    return [{ step: "start", worstCaseMs: undefined, typicalMs: start.medianMs, source: "measured", explanation: `median recorded starts along ${start.chain.join(" -> ")} (${start.count} starts, ${start.source}); worst: bounded by each start's timeout` }];
  }
  return start.members.map((member): BudgetStep => {
    const dad = member.dad;
    const explanation = dad
      ? `address: duplicate address detection (${dad.waitMs} ms) is skipped after a device fenced the former holder (then ${dad.afterFenceMs} ms); median of the ${dad.skipped} of ${member.count} recorded starts that skipped it (${start.source})`
      : `median of ${member.count} recorded starts (${start.source})`;
    return { step: "start", resource: member.id, worstCaseMs: undefined, typicalMs: member.typicalMs, source: "measured", explanation };
  });
}

/** `explicitKeys` are the timing keys the file set (e.g. "token_ms"); `path`: the code's constants (without it, elect is left out). */
export function failoverBudget(timing: TimingConfig, explicitKeys: ReadonlySet<string>, measured: MeasuredSteps = {}, path?: FailoverPath): FailoverBudget {
  const heartbeatsPerToken = timing.tokenMs / timing.heartbeatMs;
  const lines: TimingLine[] = [
    { key: "heartbeat_ms", valueMs: timing.heartbeatMs, fromFile: explicitKeys.has("heartbeat_ms"), meaning: "every node sends a heartbeat on every link this often (they catch a stalled agent within token_ms; the echo catches a dead machine sooner)" },
    {
      key: "token_ms",
      valueMs: timing.tokenMs,
      fromFile: explicitKeys.has("token_ms"),
      meaning: `a node silent this long on all links is lost (${formatNumber(heartbeatsPerToken)} heartbeats; default ${TOKEN_HEARTBEATS} x heartbeat_ms)`,
    },
    {
      key: "consensus_ms",
      valueMs: timing.consensusMs,
      fromFile: explicitKeys.has("consensus_ms"),
      meaning: `the survivors agree on the new membership within this (default ${CONSENSUS_TOKEN_RATIO} x token_ms)`,
    },
    { key: "join_ms", valueMs: timing.joinMs, fromFile: explicitKeys.has("join_ms"), meaning: "nodes wait this long for join messages before proposing a membership" },
    {
      key: "echo_ms",
      valueMs: timing.echoMs,
      fromFile: explicitKeys.has("echo_ms"),
      meaning: timing.echoMs > 0 ? `the standby asks its peers' machines (ARP) this often; ${ECHO_SILENT_PROBES} unanswered, then ${ECHO_CONFIRM_PROBES} unanswered probes: lost` : "off: a loss is noticed when the token runs out",
    },
  ];
  const detectMs = timing.tokenMs + timing.consensusMs;
  const steps: BudgetStep[] = [
    {
      step: "detect",
      worstCaseMs: detectMs,
      typicalMs: typicalDetectMs(timing),
      source: "timing",
      explanation:
        timing.echoMs > 0
          ? `worst: token_ms + consensus_ms (a node that still answers ARP but not heartbeats); typical power loss: (${ECHO_SILENT_PROBES}.5 + ${ECHO_CONFIRM_PROBES}) x echo_ms`
          : "worst: token_ms + consensus_ms; typical: token_ms - heartbeat_ms / 2",
    },
    // The survivors elect a DC and plan before the fencing is dispatched; the starts follow its confirmation.
    ...(path ? [electStep(path)] : []),
    fenceStep(path, measured),
    ...startSteps(measured, path),
  ];
  const typicalComplete = steps.every((step) => step.typicalMs !== undefined);
  const typicalMs = steps.reduce((sum, step) => sum + (step.typicalMs ?? 0), 0);
  return { timing: lines, steps, knownMs: detectMs, typicalMs, typicalComplete };
}

function column(value: number | undefined): string {
  return value === undefined ? "      ?   " : `${String(value).padStart(7)} ms`;
}

function label(step: BudgetStep): string {
  return step.resource === undefined ? step.step : `${step.step} ${step.resource}`;
}

export function renderFailoverBudget(budget: FailoverBudget, source: string): string {
  const lines = [`Timing (${source}):`];
  for (const line of budget.timing) {
    const origin = line.fromFile ? "set" : "default";
    lines.push(`  ${line.key.padEnd(13)} ${String(line.valueMs).padStart(6)} ms  ${origin.padEnd(7)}  ${line.meaning}`);
  }
  const width = Math.max(7, ...budget.steps.map((step) => label(step).length));
  lines.push("", "Failover budget (from a node's death to its resources running elsewhere; steps in the order the code takes them):", `  ${"step".padEnd(width)} ${"typical".padStart(10)} ${"worst".padStart(10)}  ${"from".padEnd(8)}`);
  for (const step of budget.steps) {
    lines.push(`  ${label(step).padEnd(width)} ${column(step.typicalMs)} ${column(step.worstCaseMs)}  ${step.source.padEnd(8)} ${step.explanation}`);
  }
  const open = [...new Set(budget.steps.filter((step) => step.worstCaseMs === undefined).map((step) => step.step))];
  const typicalOpen = budget.steps.filter((step) => step.typicalMs === undefined).map(label);
  const typical = `${budget.typicalMs} ms${typicalOpen.map((step) => ` + ${step}`).join("")}`;
  lines.push(`  ${"total".padEnd(width)} typical ${typical}; worst ${budget.knownMs} ms${open.filter((step) => step !== "detect").map((step) => ` + ${step}`).join("")}`);
  return `${lines.join("\n")}\n`;
}

function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}
