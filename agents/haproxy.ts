// haproxy: the configuration is validated (`haproxy -c`) before start; started as a
// daemon with a pid file; monitored by its process and, when check_address is given, a
// TCP connection to it (in process); a graceful reload (-sf) is the reload action.
// The check costs a whole haproxy start (40-50 ms): a probe on a node where haproxy is not
// running checks the file ahead of time, and a start skips the check when the file (and the
// binary named) is byte for byte what haproxy last accepted, so a failover does not pay it.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createConnection } from "node:net";
import { programCommand } from "../src/common/programs";
import { timeLimit } from "../src/node/wake-timer";
import { OCF, checkParameters, type AgentCall, type AgentOutcome, type BuiltinAgent } from "./types";
import { STATE_DIR_DEFAULT, alive, ensureDirectoryOf, readPid, runToEnd, stopProcess, waitUntil } from "./daemon";

function settings(call: AgentCall) {
  return {
    binary: call.params.binary ?? programCommand("haproxy"),
    config: call.params.config ?? "",
    pidFile: call.params.pid_file ?? `${STATE_DIR_DEFAULT}/haproxy-${call.instance}.pid`,
    check: call.params.check_address,
  };
}

function connects(address: string, timeoutMs: number): Promise<boolean> {
  const separator = address.lastIndexOf(":");
  const host = address.slice(0, separator);
  const port = Number(address.slice(separator + 1));
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (value: boolean) => { cancel(); socket.destroy(); resolve(value); };
    // Nearly always cancelled a millisecond later: timeLimit costs the idle agent no wake-up then.
    const cancel = timeLimit(timeoutMs, () => done(false));
    socket.on("connect", () => done(true));
    socket.on("error", () => done(false));
  });
}

/** What `haproxy -c` last accepted, per resource: the digest of the binary's name and the file's bytes. */
const accepted = new Map<string, string>();
/** Bounded: one entry per haproxy resource of the configuration, which is bounded itself. */
const ACCEPTED_MAX = 1024;

function digestOf(binary: string, config: string): string | undefined {
  try {
    return createHash("sha256").update(binary).update("\0").update(readFileSync(config)).digest("hex");
  } catch {
    return undefined;
  }
}

/** True when the file is what `haproxy -c` already accepted for this resource (exported for the tests). */
export function alreadyChecked(instance: string, binary: string, config: string): boolean {
  const digest = digestOf(binary, config);
  return digest !== undefined && accepted.get(instance) === digest;
}

async function validate(call: AgentCall): Promise<AgentOutcome | undefined> {
  const problem = checkParameters(haproxy, call.params);
  if (problem) return problem;
  const s = settings(call);
  if (s.check !== undefined && !/^.+:\d+$/.test(s.check)) return { rc: OCF.errConfigured, reason: `check_address '${s.check}' is not ADDRESS:PORT` };
  const digest = digestOf(s.binary, s.config);
  if (digest !== undefined && accepted.get(call.instance) === digest) return undefined;
  const checked = await runToEnd({ program: "haproxy", path: s.binary }, ["-c", "-f", s.config], call.signal);
  if (checked.code === 127) return { rc: OCF.errInstalled, reason: `${s.binary} cannot run: ${checked.output.trim()}` };
  if (checked.code !== 0) {
    accepted.delete(call.instance);
    return { rc: OCF.errConfigured, reason: `haproxy -c rejects ${s.config}: ${checked.output.trim().split("\n").slice(-3).join(" | ")}` };
  }
  // The digest read before the check: a file changed meanwhile is checked again next time.
  if (digest !== undefined) {
    if (accepted.size >= ACCEPTED_MAX && !accepted.has(call.instance)) accepted.delete(accepted.keys().next().value!);
    accepted.set(call.instance, digest);
  }
  return undefined;
}

export const haproxy: BuiltinAgent = {
  name: "haproxy",
  description: "HAProxy with its configuration file: validated before start, started as a daemon, reloaded gracefully, monitored by its process and a TCP connection.",
  parameters: [
    { name: "config", required: true, description: "The configuration file." },
    { name: "check_address", description: "ADDRESS:PORT that must accept a TCP connection while it runs (a frontend)." },
    { name: "binary", default: programCommand("haproxy"), description: "The haproxy program." },
    { name: "pid_file", description: `Pid file (default ${STATE_DIR_DEFAULT}/haproxy-INSTANCE.pid).` },
  ],
  async start(call) {
    const s = settings(call);
    if (alive(readPid(s.pidFile))) return { rc: OCF.success };
    const bad = await validate(call);
    if (bad) return bad;
    ensureDirectoryOf(s.pidFile);
    const started = await runToEnd({ program: "haproxy", path: s.binary }, ["-D", "-q", "-f", s.config, "-p", s.pidFile], call.signal);
    if (started.code !== 0) return { rc: OCF.errGeneric, reason: `haproxy did not start: ${started.output.trim() || `exit ${started.code}`}` };
    const up = await waitUntil(async () => alive(readPid(s.pidFile)) && (s.check === undefined || (await connects(s.check, 500))), 5000, call.signal);
    return up ? { rc: OCF.success } : { rc: OCF.errGeneric, reason: `haproxy started but ${s.check ? `does not accept connections on ${s.check}` : "is not running"}` };
  },
  async stop(call) {
    const problem = checkParameters(haproxy, call.params);
    if (problem) return problem;
    await stopProcess(settings(call).pidFile, 5000, call.signal);
    return { rc: OCF.success };
  },
  async monitor(call) {
    const problem = checkParameters(haproxy, call.params);
    if (problem) return problem;
    const s = settings(call);
    const pid = readPid(s.pidFile);
    if (!alive(pid)) {
      // A probe where haproxy does not run: check the file now, so that a start here (a
      // failover) need not. The probe's answer does not wait for it or depend on it.
      if (call.intervalMs === 0 && pid === undefined) void validate({ ...call, signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
      return pid === undefined ? { rc: OCF.notRunning } : { rc: OCF.errGeneric, reason: `haproxy (pid ${pid}) is gone` };
    }
    if (s.check !== undefined && !(await connects(s.check, 1000))) return { rc: OCF.errGeneric, reason: `haproxy runs but ${s.check} refuses connections` };
    return { rc: OCF.success };
  },
};
