// process: any long-running command, in a session of its own with its pid recorded; an
// optional health command (exit 0 = healthy) is run by the monitor after the pid check.
import { writeFileSync } from "node:fs";
import { spawnProgram } from "../src/common/spawn";
import { OCF, checkParameters, type AgentCall, type BuiltinAgent } from "./types";
import { STATE_DIR_DEFAULT, alive, ensureDirectoryOf, readPid, runToEnd, stopProcess, waitUntil } from "./daemon";

const pidFileOf = (call: AgentCall) => call.params.pid_file ?? `${STATE_DIR_DEFAULT}/process-${call.instance}.pid`;

export const processAgent: BuiltinAgent = {
  name: "process",
  description: "Any long-running command: started in a session of its own with a pid file, monitored by its pid and an optional health command.",
  parameters: [
    { name: "command", required: true, description: "The command line (run by /bin/sh; it must stay in the foreground)." },
    { name: "health", description: "A command that exits 0 while the service is healthy (run by /bin/sh at every monitor)." },
    { name: "pid_file", description: `Pid file (default ${STATE_DIR_DEFAULT}/process-INSTANCE.pid).` },
  ],
  async start(call) {
    const problem = checkParameters(processAgent, call.params);
    if (problem) return problem;
    const pidFile = pidFileOf(call);
    if (alive(readPid(pidFile))) return { rc: OCF.success };
    ensureDirectoryOf(pidFile);
    const child = spawnProgram("sh", ["-c", `exec ${call.params.command}`], { detached: true, stdio: "ignore" });
    let exited: number | null | undefined;
    child.once("exit", (code) => { exited = code; });
    child.once("error", () => { exited = 127; });
    child.unref();
    if (child.pid === undefined) return { rc: OCF.errGeneric, reason: `cannot start '${call.params.command}'` };
    writeFileSync(pidFile, `${child.pid}\n`);
    // Up when it is still there a moment later (a command that fails at once exits).
    await waitUntil(() => exited !== undefined, 300, call.signal);
    if (exited !== undefined) return { rc: OCF.errGeneric, reason: `'${call.params.command}' exited right after start (status ${exited})` };
    return { rc: OCF.success };
  },
  async stop(call) {
    await stopProcess(pidFileOf(call), 5000, call.signal);
    return { rc: OCF.success };
  },
  async monitor(call) {
    const problem = checkParameters(processAgent, call.params);
    if (problem) return problem;
    const pid = readPid(pidFileOf(call));
    if (!alive(pid)) return pid === undefined ? { rc: OCF.notRunning } : { rc: OCF.errGeneric, reason: `process ${pid} is gone` };
    if (call.params.health) {
      const health = await runToEnd("sh", ["-c", call.params.health], call.signal);
      if (health.code !== 0) return { rc: OCF.errGeneric, reason: `health command failed (status ${String(health.code)}): ${health.output.trim().slice(0, 200)}` };
    }
    return { rc: OCF.success };
  },
};
