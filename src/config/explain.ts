// The failover budget the timing adds up to (house style, rule 9): how long from a
// node's death until its resources run elsewhere. Detection follows from the
// config; fencing and starting depend on the fence devices and resource agents,
// which live in the CIB, so they are shown as labelled placeholders.
import { CONSENSUS_TOKEN_RATIO, TOKEN_HEARTBEATS } from "./defaults";
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
  explanation: string;
}

export interface FailoverBudget {
  timing: TimingLine[];
  steps: BudgetStep[];
  /** Worst case of the steps this file decides (detect only, today). */
  knownMs: number;
}

/** `explicitKeys` are the timing keys the file set (e.g. "token_ms"). */
export function failoverBudget(timing: TimingConfig, explicitKeys: ReadonlySet<string>): FailoverBudget {
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
  ];
  const detectMs = timing.tokenMs + timing.consensusMs;
  const steps: BudgetStep[] = [
    { step: "detect", worstCaseMs: detectMs, explanation: "token_ms + consensus_ms: the loss is noticed, then agreed on (join_ms is part of consensus)" },
    { step: "fence", worstCaseMs: undefined, explanation: "depends on the fence devices in the CIB (an IPMI power-off takes seconds; bounded by stonith-timeout)" },
    { step: "start", worstCaseMs: undefined, explanation: "depends on the resource agents in the CIB (bounded by each start operation's timeout)" },
  ];
  return { timing: lines, steps, knownMs: detectMs };
}

export function renderFailoverBudget(budget: FailoverBudget, source: string): string {
  const lines = [`Timing (${source}):`];
  for (const line of budget.timing) {
    const origin = line.fromFile ? "set" : "default";
    lines.push(`  ${line.key.padEnd(13)} ${String(line.valueMs).padStart(6)} ms  ${origin.padEnd(7)}  ${line.meaning}`);
  }
  lines.push("", "Failover budget (worst case, from a node's death to its resources running elsewhere):");
  for (const step of budget.steps) {
    const value = step.worstCaseMs === undefined ? "     ?   " : `${String(step.worstCaseMs).padStart(6)} ms`;
    lines.push(`  ${step.step.padEnd(7)} ${value}  ${step.explanation}`);
  }
  lines.push(`  total   ${String(budget.knownMs).padStart(6)} ms + fence + start`);
  return `${lines.join("\n")}\n`;
}

function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}
