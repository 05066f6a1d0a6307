// ping: measures whether a list of hosts answers (ICMP, with `ping` from iputils) and
// publishes a node attribute, by default `pingd` = multiplier x hosts that answered, so
// location rules can prefer connected nodes (like ocf:pacemaker:ping). Start and every
// monitor measure and publish; stop withdraws the attribute. It runs while its state file exists.
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { OCF, checkParameters, type AgentCall, type BuiltinAgent } from "./types";
import { STATE_DIR_DEFAULT, runToEnd } from "./daemon";

const stateOf = (call: AgentCall) => `${STATE_DIR_DEFAULT}/ping-${call.instance}.state`;

async function measure(call: AgentCall): Promise<{ value: number; answered: string[] } | string> {
  const hosts = (call.params.host_list ?? "").split(/[\s,]+/).filter(Boolean);
  if (hosts.some((host) => !/^[A-Za-z0-9.:-]+$/.test(host))) return `host_list '${call.params.host_list}' holds something that is not a host name or address`;
  const multiplier = Number(call.params.multiplier ?? 1);
  if (!Number.isFinite(multiplier)) return `multiplier '${call.params.multiplier}' is not a number`;
  const timeoutSeconds = String(Math.max(1, Math.round(Number(call.params.timeout_ms ?? 1000) / 1000)));
  const results = await Promise.all(hosts.map(async (host) => ({ host, code: (await runToEnd("ping", ["-n", "-q", "-c", "1", "-W", timeoutSeconds, host], call.signal)).code })));
  if (results.some((result) => result.code === 127)) return "ping is not installed (Debian package iputils-ping)";
  const answered = results.filter((result) => result.code === 0).map((result) => result.host);
  return { value: answered.length * multiplier, answered };
}

async function publish(call: AgentCall) {
  const measured = await measure(call);
  if (typeof measured === "string") return { rc: measured.includes("not installed") ? OCF.errInstalled : OCF.errConfigured, reason: measured };
  call.setAttribute?.(call.params.name ?? "pingd", String(measured.value));
  return { rc: OCF.success };
}

export const ping: BuiltinAgent = {
  name: "ping",
  description: "Measures whether a list of hosts answers and publishes a node attribute with a score, so location rules can prefer connected nodes.",
  parameters: [
    { name: "host_list", required: true, description: "Hosts to ping, separated by spaces." },
    { name: "name", default: "pingd", description: "The node attribute to publish." },
    { name: "multiplier", type: "integer", default: "1", description: "The attribute is multiplier times the number of hosts that answered." },
    { name: "timeout_ms", type: "integer", default: "1000", description: "How long to wait for each answer (rounded to whole seconds, at least 1)." },
  ],
  async start(call) {
    const problem = checkParameters(ping, call.params);
    if (problem) return problem;
    const outcome = await publish(call);
    if (outcome.rc !== OCF.success) return outcome;
    mkdirSync(dirname(stateOf(call)), { recursive: true });
    writeFileSync(stateOf(call), "running\n");
    return outcome;
  },
  async stop(call) {
    rmSync(stateOf(call), { force: true });
    call.setAttribute?.(call.params.name ?? "pingd", undefined);
    return { rc: OCF.success };
  },
  async monitor(call) {
    const problem = checkParameters(ping, call.params);
    if (problem) return problem;
    if (!existsSync(stateOf(call))) return { rc: OCF.notRunning };
    return publish(call);
  },
};
