// The lsb and systemd resource classes, mapped to OCF results as Pacemaker maps them.
// lsb: /etc/init.d/TYPE start|stop|status; status 0 is running, 1-3 (dead with a pid file,
// dead with a lock, stopped) are "not running", anything else is an unknown error; other
// actions keep LSB's exit codes, which are OCF's. systemd: `systemctl start|stop UNIT`
// (systemctl waits for the job to finish), monitor by the unit's state (is-active).
import path from "node:path";
import { runProcess } from "./process";
import { OcfExit } from "./ocf";

export const LSB_DIRECTORY_DEFAULT = "/etc/init.d";

export interface ClassOutcome { rc: number; reason?: string; timedOut: boolean; runTimeMs: number }

function lastLine(text: string): string | undefined {
  const lines = text.trim().split("\n").filter(Boolean);
  return lines.length ? lines[lines.length - 1]!.slice(0, 300) : undefined;
}

/** Pacemaker's mapping of an LSB exit status for an action. */
export function mapLsbExit(action: string, status: number): number {
  if (action === "monitor" || action === "status") {
    if (status === 0) return OcfExit.success;
    if (status >= 1 && status <= 3) return OcfExit.notRunning;
    return OcfExit.errorGeneric;
  }
  return status >= 0 && status <= 7 ? status : OcfExit.errorGeneric;
}

export async function runLsbAction(type: string, action: string, timeoutMs: number, directory = process.env.EDGEHA_LSB_DIR ?? LSB_DIRECTORY_DEFAULT): Promise<ClassOutcome> {
  if (type.includes("/") || type === "" || type.startsWith(".")) return { rc: OcfExit.notConfigured, reason: `'${type}' is not an init script name`, timedOut: false, runTimeMs: 0 };
  const script = path.join(directory, type);
  const verb = action === "monitor" ? "status" : action;
  const result = await runProcess({ family: "lsb-script", path: script }, [verb], { env: { PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin", LANG: "C" }, timeoutMs });
  if (result.timedOut) return { rc: OcfExit.errorGeneric, reason: `${script} ${verb} did not finish within ${timeoutMs} ms`, timedOut: true, runTimeMs: result.runTimeMs };
  if (result.exitCode === 127 || /cannot run/.test(result.stderr)) return { rc: OcfExit.notInstalled, reason: `lsb:${type} is not installed (looked for ${script})`, timedOut: false, runTimeMs: result.runTimeMs };
  const rc = mapLsbExit(action, result.exitCode ?? 1);
  return { rc, reason: rc === OcfExit.success || rc === OcfExit.notRunning ? undefined : lastLine(result.stderr) ?? lastLine(result.stdout), timedOut: false, runTimeMs: result.runTimeMs };
}

export async function runSystemdAction(type: string, action: string, timeoutMs: number): Promise<ClassOutcome> {
  const unit = /\.(service|socket|target|mount|timer)$/.test(type) ? type : `${type}.service`;
  const env = { PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin", LANG: "C" };
  if (action === "monitor" || action === "status") {
    const result = await runProcess("systemctl", ["is-active", unit], { env, timeoutMs });
    if (result.timedOut) return { rc: OcfExit.errorGeneric, reason: `systemctl is-active ${unit} timed out`, timedOut: true, runTimeMs: result.runTimeMs };
    const state = result.stdout.trim();
    if (result.exitCode === 127 || /cannot run/.test(result.stderr)) return { rc: OcfExit.notInstalled, reason: "systemctl is not available on this node", timedOut: false, runTimeMs: result.runTimeMs };
    if (state === "active" || state === "reloading" || state === "activating") return { rc: OcfExit.success, timedOut: false, runTimeMs: result.runTimeMs };
    if (state === "failed") return { rc: OcfExit.errorGeneric, reason: `${unit} is in the failed state`, timedOut: false, runTimeMs: result.runTimeMs };
    return { rc: OcfExit.notRunning, timedOut: false, runTimeMs: result.runTimeMs };
  }
  if (action !== "start" && action !== "stop") return { rc: OcfExit.unimplemented, reason: `systemd resources have no '${action}' action`, timedOut: false, runTimeMs: 0 };
  // systemctl waits for the start or stop job to finish before it exits.
  const result = await runProcess("systemctl", [action, unit], { env, timeoutMs });
  if (result.timedOut) return { rc: OcfExit.errorGeneric, reason: `systemctl ${action} ${unit} did not finish within ${timeoutMs} ms`, timedOut: true, runTimeMs: result.runTimeMs };
  if (result.exitCode === 0) return { rc: OcfExit.success, timedOut: false, runTimeMs: result.runTimeMs };
  if (/not (be )?found|No such file/i.test(result.stderr)) return { rc: OcfExit.notInstalled, reason: `${unit}: ${lastLine(result.stderr)}`, timedOut: false, runTimeMs: result.runTimeMs };
  return { rc: OcfExit.errorGeneric, reason: `systemctl ${action} ${unit}: ${lastLine(result.stderr) ?? `exit ${String(result.exitCode)}`}`, timedOut: false, runTimeMs: result.runTimeMs };
}
