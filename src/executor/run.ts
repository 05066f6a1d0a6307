// One OCF action, start to finish: find the agent, build its environment, run it
// under a timeout, and map what it says to a result the controller records.
import { accessSync, constants } from "node:fs";
import { EdgehaError } from "../common/errors";
import { exitReason, invalidNamePart, mapOcfExit, ocfAgentPath, ocfEnvironment, OcfExit, type OcfCall, type OcfResource, type Severity } from "./ocf";
import { runProcess } from "./process";

export interface ActionResult {
  resource: string;
  action: string;
  intervalMs: number;
  rc: number;
  severity: Severity;
  /** Pacemaker's name for the rc, or "timed out". */
  summary: string;
  exitReason?: string;
  timedOut: boolean;
  degraded: boolean;
  runTimeMs: number;
  stdout: string;
  stderr: string;
}

/** Checks the agent exists and is executable; throws E_AGENT_NOT_INSTALLED naming where it looked. */
export function locateOcfAgent(resource: Pick<OcfResource, "provider" | "type">, ocfRoot?: string): string {
  if (invalidNamePart(resource.provider) || invalidNamePart(resource.type)) {
    throw new EdgehaError("E_AGENT_NAME", `'ocf:${resource.provider}:${resource.type}' is not a valid agent name`);
  }
  const file = ocfAgentPath(resource, ocfRoot);
  try {
    accessSync(file, constants.X_OK);
  } catch {
    throw new EdgehaError("E_AGENT_NOT_INSTALLED", `agent ocf:${resource.provider}:${resource.type} is not installed (looked for an executable ${file})`);
  }
  return file;
}

export async function runOcfAction(resource: OcfResource, call: OcfCall): Promise<ActionResult> {
  const base = { resource: resource.id, action: call.action, intervalMs: call.intervalMs };
  let file: string;
  try {
    file = locateOcfAgent(resource, call.ocfRoot);
  } catch (error) {
    if (!(error instanceof EdgehaError)) throw error;
    const mapped = mapOcfExit(OcfExit.notInstalled, call.action);
    return { ...base, rc: mapped.rc, severity: mapped.severity, summary: mapped.name, exitReason: error.message, timedOut: false, degraded: false, runTimeMs: 0, stdout: "", stderr: "" };
  }
  const outcome = await runProcess({ family: "ocf-agent", path: file }, [call.action], { env: ocfEnvironment(resource, call), timeoutMs: call.timeoutMs });
  const reason = exitReason(outcome.stderr) ?? exitReason(outcome.stdout);
  if (outcome.timedOut) {
    return {
      ...base, rc: OcfExit.errorGeneric, severity: "soft", summary: "timed out", timedOut: true, degraded: false,
      exitReason: reason ?? `${call.action} did not finish within ${call.timeoutMs} ms; the agent and its children were killed`,
      runTimeMs: outcome.runTimeMs, stdout: outcome.stdout, stderr: outcome.stderr,
    };
  }
  const mapped = mapOcfExit(outcome.exitCode ?? OcfExit.errorGeneric, call.action);
  const result: ActionResult = {
    ...base, rc: mapped.rc, severity: mapped.severity, summary: mapped.name, timedOut: false, degraded: mapped.degraded,
    runTimeMs: outcome.runTimeMs, stdout: outcome.stdout, stderr: outcome.stderr,
  };
  if (reason !== undefined) result.exitReason = reason;
  return result;
}
