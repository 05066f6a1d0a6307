// memcached: started with its port, memory and user (daemonized, with a pid file);
// monitored by a real `version` request over TCP, in process.
import { OCF, checkParameters, type AgentCall, type AgentOutcome, type BuiltinAgent } from "./types";
import { programCommand } from "../src/common/programs";
import { spawnProgram } from "../src/common/spawn";
import { writeFileSync } from "node:fs";
import { KeptConnections, STATE_DIR_DEFAULT, alive, ensureDirectoryOf, readPid, stopProcess, waitUntil } from "./daemon";

function settings(call: AgentCall) {
  const params = call.params;
  const port = Number(params.port ?? 11211);
  return {
    binary: params.binary ?? programCommand("memcached"),
    port,
    listen: params.listen ?? "127.0.0.1",
    memory: params.memory ?? "64",
    user: params.user ?? "nobody",
    pidFile: params.pid_file ?? `${STATE_DIR_DEFAULT}/memcached-${call.instance}.pid`,
  };
}

/** Monitors ask on a connection kept open between them (memcached serves many requests per connection). */
const connections = new KeptConnections();
const hostOf = (listen: string) => (listen === "0.0.0.0" ? "127.0.0.1" : listen);

async function answers(host: string, port: number): Promise<boolean> {
  const line = await connections.request(hostOf(host), port, "version\r\n", 1000);
  return line !== undefined && line.startsWith("VERSION ");
}

function invalid(call: AgentCall): AgentOutcome | undefined {
  const problem = checkParameters(memcached, call.params);
  if (problem) return problem;
  const { port, memory } = settings(call);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return { rc: OCF.errConfigured, reason: `port '${call.params.port}' is not a TCP port` };
  if (!/^\d+$/.test(memory)) return { rc: OCF.errConfigured, reason: `memory '${memory}' is not a number of megabytes` };
  return undefined;
}

export const memcached: BuiltinAgent = {
  name: "memcached",
  description: "memcached, started with its port, memory and user; monitored by a real version request over TCP.",
  parameters: [
    { name: "port", type: "integer", default: "11211", description: "TCP port." },
    { name: "listen", default: "127.0.0.1", description: "Address to listen on (a VIP in the same group, say)." },
    { name: "memory", type: "integer", default: "64", description: "Cache size in megabytes." },
    { name: "user", default: "nobody", description: "User to run as." },
    { name: "binary", default: programCommand("memcached"), description: "The memcached program." },
    { name: "pid_file", description: `Pid file (default ${STATE_DIR_DEFAULT}/memcached-INSTANCE.pid).` },
  ],
  async start(call) {
    const bad = invalid(call);
    if (bad) return bad;
    const s = settings(call);
    if (alive(readPid(s.pidFile)) && (await answers(s.listen, s.port))) return { rc: OCF.success };
    ensureDirectoryOf(s.pidFile);
    // Foreground in a session of its own, its pid recorded here (memcached -P would write
    // it after dropping privileges, where the directory may not be writable).
    const child = spawnProgram({ program: "memcached", path: s.binary }, ["-p", String(s.port), "-l", s.listen, "-m", s.memory, "-u", s.user, "-U", "0"], { detached: true, stdio: "ignore" });
    const failed = await new Promise<string | undefined>((resolve) => {
      child.once("error", (error) => resolve(error.message));
      child.once("spawn", () => resolve(undefined));
    });
    if (failed !== undefined) return { rc: OCF.errInstalled, reason: `${s.binary} cannot run: ${failed}` };
    let exited: number | null | undefined;
    child.once("exit", (code) => { exited = code; });
    child.unref();
    writeFileSync(s.pidFile, `${child.pid}\n`);
    const up = await waitUntil(async () => exited !== undefined || (await answers(s.listen, s.port)), 5000, call.signal);
    if (exited !== undefined) return { rc: OCF.errGeneric, reason: `memcached exited right after start (status ${exited}); is ${s.listen}:${s.port} free?` };
    return up ? { rc: OCF.success } : { rc: OCF.errGeneric, reason: `memcached started but does not answer on ${s.listen}:${s.port}` };
  },
  async stop(call) {
    const bad = invalid(call);
    if (bad) return bad;
    const s = settings(call);
    connections.forget(hostOf(s.listen), s.port);
    await stopProcess(s.pidFile, 5000, call.signal);
    return { rc: OCF.success };
  },
  async monitor(call) {
    const bad = invalid(call);
    if (bad) return bad;
    const s = settings(call);
    if (!alive(readPid(s.pidFile))) return { rc: OCF.notRunning };
    return (await answers(s.listen, s.port)) ? { rc: OCF.success } : { rc: OCF.errGeneric, reason: `memcached runs but does not answer 'version' on ${s.listen}:${s.port}` };
  },
};
