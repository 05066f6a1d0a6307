// The local node's service under systemd, for the cluster verbs (`cluster start|stop|
// enable|disable`, `cluster join --start`). The unit itself (edgeha.service) belongs to the
// packaging; this only asks systemctl. EDGEHA_SYSTEMCTL names another program to run instead
// (a test's stand-in, or a wrapper on an unusual system).
import { spawnProgram, type ProgramReference } from "../common/spawn";

export const SERVICE_UNIT = "edgeha.service";
/** systemctl start waits for the unit's start-up (Type=notify); bounded so a hung unit cannot hang the CLI. */
const SYSTEMCTL_TIMEOUT_MS = 120_000;
const OUTPUT_BYTES_MAX = 64 * 1024;

export type ServiceAction = "start" | "stop" | "enable" | "disable" | "is-active" | "is-enabled";

export interface ServiceResult {
  ok: boolean;
  /** What systemctl printed (stdout and stderr, trimmed, bounded). */
  output: string;
  /** The command line run, for messages. */
  command: string;
}

export function systemctlProgram(env: NodeJS.ProcessEnv = process.env): ProgramReference {
  return env.EDGEHA_SYSTEMCTL === undefined ? "systemctl" : { program: "systemctl", path: env.EDGEHA_SYSTEMCTL };
}

/** Runs `systemctl ACTION edgeha.service` (never throws; a missing systemctl is a failed result). */
export function serviceAction(action: ServiceAction, env: NodeJS.ProcessEnv = process.env): Promise<ServiceResult> {
  const program = systemctlProgram(env);
  const args = [action, SERVICE_UNIT];
  const command = `systemctl ${args.join(" ")}`;
  return new Promise((resolve) => {
    let output = "";
    const child = spawnProgram(program, args, { stdio: ["ignore", "pipe", "pipe"], env });
    const take = (chunk: Buffer) => { if (output.length < OUTPUT_BYTES_MAX) output += chunk.toString("utf8"); };
    child.stdout?.on("data", take);
    child.stderr?.on("data", take);
    const timer = setTimeout(() => child.kill("SIGKILL"), SYSTEMCTL_TIMEOUT_MS);
    child.on("error", (error: NodeJS.ErrnoException) => { clearTimeout(timer); resolve({ ok: false, output: error.code === "ENOENT" ? "systemctl not found: is this a systemd machine?" : error.message, command }); });
    child.on("close", (code) => { clearTimeout(timer); resolve({ ok: code === 0, output: output.trim().slice(0, OUTPUT_BYTES_MAX), command }); });
  });
}
