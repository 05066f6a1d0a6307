// The contract every fence driver meets, built-in or external. The fencer
// (src/fencer) drives all of them through this one interface, and
// `edgeha fence-driver NAME` wraps each in the fence-agents stdin/CLI protocol.

/** The actions of the fence-agents API. */
export type FenceAction = "off" | "on" | "reboot" | "status" | "monitor" | "list" | "metadata" | "validate-all";

/** Options as fence-agents name them on stdin (ipaddr, ipport, login, passwd, plug, ...). */
export type FenceOptions = Readonly<Record<string, string>>;

/** Power state of a target as a driver reports it. */
export type PowerState = "on" | "off" | "unknown";

export interface FenceResult {
  /** Exit status in the fence-agents convention: 0 success / on, 1 error, 2 off (status only). */
  exitCode: 0 | 1 | 2;
  /** The state after the action, when the driver knows it. */
  state?: PowerState;
  /** For `list`: the targets this device can fence ("plug alias" pairs). */
  targets?: Array<{ plug: string; alias?: string }>;
  /** A human sentence; must never contain a secret. */
  message: string;
}

export interface FenceParameter {
  name: string;
  /** Other spellings accepted on stdin or the command line (e.g. "ip" for "ipaddr"). */
  aliases?: string[];
  /** Command-line flags, e.g. ["-a", "--ip"]. */
  flags?: string[];
  type: "string" | "integer" | "boolean" | "second" | "select";
  required?: boolean;
  secret?: boolean;
  default?: string;
  choices?: string[];
  description: string;
}

export interface FenceDriverMetadata {
  name: string;
  shortDescription: string;
  longDescription: string;
  parameters: FenceParameter[];
  actions: FenceAction[];
}

export interface FenceContext {
  /** Aborted when the caller's time budget (power_timeout, stonith-timeout) runs out. */
  signal: AbortSignal;
  /** Debug lines for the log; the wrapper strips secrets before printing. */
  debug(message: string): void;
  /**
   * A reboot done as off then on calls this once the off is confirmed, before the on: the
   * fencer may take the target for fenced from then on (src/fencer/planner.ts, off-confirmed).
   */
  onOff?(): void;
}

export interface FenceDriver {
  readonly metadata: FenceDriverMetadata;
  run(action: FenceAction, options: FenceOptions, context: FenceContext): Promise<FenceResult>;
}
