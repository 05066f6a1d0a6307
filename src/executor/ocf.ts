// The OCF resource agent API as the executor speaks it: where an agent lives,
// the environment it gets, and what its exit status means (Pacemaker's mapping).
// Everything here is pure; src/executor/process.ts does the spawning.
import path from "node:path";

export const DEFAULT_OCF_ROOT = "/usr/lib/ocf";

/** OCF exit codes (ocf-and-fence-agent-api fact sheet; Pacemaker's names). */
export const OcfExit = {
  success: 0,
  errorGeneric: 1,
  errorArguments: 2,
  unimplemented: 3,
  errorPermission: 4,
  notInstalled: 5,
  notConfigured: 6,
  notRunning: 7,
  runningPromoted: 8,
  failedPromoted: 9,
  degraded: 190,
  degradedPromoted: 191,
} as const;

/** How bad a result is for the resource, as Pacemaker grades it. */
export type Severity = "ok" | "soft" | "hard" | "fatal";

export interface MappedResult {
  /** The rc the controller records (degraded codes become their healthy twins). */
  rc: number;
  severity: Severity;
  /** Pacemaker's name for the code, for logs and status. */
  name: string;
  degraded: boolean;
}

const NAMES: Record<number, string> = {
  0: "ok", 1: "error", 2: "invalid parameter", 3: "unimplemented feature", 4: "insufficient privileges",
  5: "not installed", 6: "not configured", 7: "not running", 8: "promoted", 9: "promoted (failed)",
  190: "degraded", 191: "promoted (degraded)",
};

/** Pacemaker's name for an OCF exit status ("not running" for 7), as crm_mon prints it. */
export function ocfExitName(rc: number): string {
  return NAMES[rc] ?? "unknown error";
}

/**
 * Maps an agent's exit status for an action. "not running" is the expected
 * answer of a probe or of a monitor after stop, so it is graded by the caller's
 * expectation; here it is "ok" for monitor (the state is known) and "soft" for
 * other actions. 2, 3, 4 and 5 are hard (the resource cannot run on this node),
 * 6 is fatal (it cannot run anywhere). Degraded results count as success.
 */
export function mapOcfExit(status: number, action: string): MappedResult {
  const name = NAMES[status] ?? `unknown exit status ${status}`;
  switch (status) {
    case OcfExit.success:
    case OcfExit.runningPromoted:
      return { rc: status, severity: "ok", name, degraded: false };
    case OcfExit.degraded:
      return { rc: OcfExit.success, severity: "ok", name, degraded: true };
    case OcfExit.degradedPromoted:
      return { rc: OcfExit.runningPromoted, severity: "ok", name, degraded: true };
    case OcfExit.notRunning:
      return { rc: status, severity: action === "monitor" || action === "stop" ? "ok" : "soft", name, degraded: false };
    case OcfExit.errorArguments:
    case OcfExit.unimplemented:
    case OcfExit.errorPermission:
    case OcfExit.notInstalled:
      return { rc: status, severity: "hard", name, degraded: false };
    case OcfExit.notConfigured:
      return { rc: status, severity: "fatal", name, degraded: false };
    default:
      return { rc: status === OcfExit.failedPromoted ? status : OcfExit.errorGeneric, severity: "soft", name, degraded: false };
  }
}

export interface OcfResource {
  id: string;
  provider: string;
  type: string;
  params: Readonly<Record<string, string>>;
  meta?: Readonly<Record<string, string>>;
}

export interface OcfCall {
  action: string;
  timeoutMs: number;
  intervalMs: number;
  ocfRoot?: string;
}

/** The path of an OCF agent: OCF_ROOT/resource.d/PROVIDER/TYPE. */
export function ocfAgentPath(resource: Pick<OcfResource, "provider" | "type">, ocfRoot = DEFAULT_OCF_ROOT): string {
  return path.join(ocfRoot, "resource.d", resource.provider, resource.type);
}

/** Names that could escape OCF_ROOT or a parameter name the shell cannot carry. */
export function invalidNamePart(value: string): boolean {
  return value === "" || value === "." || value === ".." || value.includes("/") || value.includes("\0");
}

/** The complete environment of one agent call; nothing is inherited but PATH. */
export function ocfEnvironment(resource: OcfResource, call: OcfCall, basePath = "/usr/sbin:/usr/bin:/sbin:/bin"): Record<string, string> {
  const root = call.ocfRoot ?? DEFAULT_OCF_ROOT;
  const environment: Record<string, string> = {
    PATH: basePath,
    OCF_ROOT: root,
    OCF_FUNCTIONS_DIR: path.join(root, "lib", "heartbeat"),
    OCF_RA_VERSION_MAJOR: "1",
    OCF_RA_VERSION_MINOR: "1",
    OCF_RESOURCE_INSTANCE: resource.id,
    OCF_RESOURCE_TYPE: resource.type,
    OCF_RESOURCE_PROVIDER: resource.provider,
    OCF_RESKEY_CRM_meta_timeout: String(call.timeoutMs),
    OCF_RESKEY_CRM_meta_interval: String(call.intervalMs),
  };
  for (const [key, value] of Object.entries(resource.meta ?? {})) environment[`OCF_RESKEY_CRM_meta_${key.replace(/-/g, "_")}`] = value;
  for (const [key, value] of Object.entries(resource.params)) environment[`OCF_RESKEY_${key}`] = value;
  return environment;
}

/** The last `ocf-exit-reason:` line an agent printed, if any. */
export function exitReason(output: string): string | undefined {
  let reason: string | undefined;
  for (const line of output.split("\n")) {
    const index = line.indexOf("ocf-exit-reason:");
    if (index !== -1) reason = line.slice(index + "ocf-exit-reason:".length).trim();
  }
  return reason;
}
