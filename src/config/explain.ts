// The failover budget the timing adds up to (house style, rule 9): how long from a
// node's death until its resources run elsewhere, as a worst case and as what it
// typically takes. Detection follows from the config. Fencing and starting depend on the
// fence devices and resource agents in the CIB, so they come from what this cluster
// measured (the fence history and the operation history the flight recorder kept) when
// the caller hands those in, and are labelled placeholders otherwise.
import { CONSENSUS_TOKEN_RATIO, ECHO_CONFIRM_PROBES, ECHO_SILENT_PROBES, TOKEN_HEARTBEATS } from "./defaults";
import type { TimingConfig } from "./types";

export interface TimingLine {
  key: string;
  valueMs: number;
  /** True when the file set it, false when it is the default. */
  fromFile: boolean;
  meaning: string;
}

export interface BudgetStep {
  step: "detect" | "fence" | "start";
  /** Undefined when it depends on something outside this file. */
  worstCaseMs: number | undefined;
  /** What the step typically takes: from the timing (detect) or from measurements (fence, start); undefined when unknown. */
  typicalMs: number | undefined;
  explanation: string;
}

/** What this cluster measured, summarised by the caller (medians of its own records). */
export interface MeasuredSteps {
  /** Fencing that succeeded: request to confirmation. */
  fence?: { medianMs: number; count: number; source: string };
  /** The longest chain of starts a failover runs one after another (a group's members in order). */
  start?: { medianMs: number; count: number; chain: string[]; source: string };
}

export interface FailoverBudget {
  timing: TimingLine[];
  steps: BudgetStep[];
  /** Worst case of the steps this file decides (detect only, today). */
  knownMs: number;
  /** Typical total of the steps that are known (detect, plus fence and start when measured). */
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

/** `explicitKeys` are the timing keys the file set (e.g. "token_ms"). */
export function failoverBudget(timing: TimingConfig, explicitKeys: ReadonlySet<string>, measured: MeasuredSteps = {}): FailoverBudget {
  const heartbeatsPerToken = timing.tokenMs / timing.heartbeatMs;
  const lines: TimingLine[] = [
    { key: "heartbeat_ms", valueMs: timing.heartbeatMs, fromFile: explicitKeys.has("heartbeat_ms"), meaning: "every node sends a heartbeat on every link this often" },
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
  const detectTypical = typicalDetectMs(timing);
  const steps: BudgetStep[] = [
    {
      step: "detect",
      worstCaseMs: detectMs,
      typicalMs: detectTypical,
      explanation:
        timing.echoMs > 0
          ? `worst: token_ms + consensus_ms (a node that still answers ARP but not heartbeats); typical power loss: (${ECHO_SILENT_PROBES}.5 + ${ECHO_CONFIRM_PROBES}) x echo_ms`
          : "worst: token_ms + consensus_ms; typical: token_ms - heartbeat_ms / 2",
    },
    {
      step: "fence",
      worstCaseMs: undefined,
      typicalMs: measured.fence?.medianMs,
      explanation: measured.fence
        ? `median of the last ${measured.fence.count} successful fencing actions (${measured.fence.source}; a reboot is done once the node reads off; unfencing not counted); worst: bounded by stonith-timeout`
        : "depends on the fence devices in the CIB (an IPMI power-off takes seconds; bounded by stonith-timeout); no fencing recorded here",
    },
    {
      step: "start",
      worstCaseMs: undefined,
      typicalMs: measured.start?.medianMs,
      explanation: measured.start
        ? `median recorded starts along ${measured.start.chain.join(" -> ")} (${measured.start.count} starts, ${measured.start.source}); worst: bounded by each start's timeout`
        : "depends on the resource agents in the CIB (bounded by each start operation's timeout); no starts recorded here",
    },
  ];
  const typicalComplete = steps.every((step) => step.typicalMs !== undefined);
  const typicalMs = steps.reduce((sum, step) => sum + (step.typicalMs ?? 0), 0);
  return { timing: lines, steps, knownMs: detectMs, typicalMs, typicalComplete };
}

function column(value: number | undefined): string {
  return value === undefined ? "      ?   " : `${String(value).padStart(7)} ms`;
}

export function renderFailoverBudget(budget: FailoverBudget, source: string): string {
  const lines = [`Timing (${source}):`];
  for (const line of budget.timing) {
    const origin = line.fromFile ? "set" : "default";
    lines.push(`  ${line.key.padEnd(13)} ${String(line.valueMs).padStart(6)} ms  ${origin.padEnd(7)}  ${line.meaning}`);
  }
  lines.push("", "Failover budget (from a node's death to its resources running elsewhere):", `  ${"step".padEnd(7)} ${"typical".padStart(10)} ${"worst".padStart(10)}`);
  for (const step of budget.steps) {
    lines.push(`  ${step.step.padEnd(7)} ${column(step.typicalMs)} ${column(step.worstCaseMs)}  ${step.explanation}`);
  }
  const open = budget.steps.filter((step) => step.worstCaseMs === undefined).map((step) => step.step);
  const typicalOpen = budget.steps.filter((step) => step.typicalMs === undefined).map((step) => step.step);
  const typical = `${budget.typicalMs} ms${typicalOpen.map((step) => ` + ${step}`).join("")}`;
  lines.push(`  total   typical ${typical}; worst ${budget.knownMs} ms${open.map((step) => ` + ${step}`).join("")}`);
  return `${lines.join("\n")}\n`;
}

function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}
