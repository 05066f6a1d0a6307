// Executor area commands: built-in agents under the OCF API.
import type { Command } from "../command";
import { UsageError } from "../../common/errors";
import { builtinAgents, metadataXml, OCF } from "../../../agents";

const ACTIONS = ["start", "stop", "monitor", "status", "validate-all", "meta-data"];

/**
 * `edgeha ocf AGENT ACTION`: a built-in agent as a plain OCF agent. Parameters come from
 * OCF_RESKEY_* in the environment, the exit code is the OCF code, the reason goes to
 * stderr as an `ocf-exit-reason:` line. A two-line wrapper script in
 * OCF_ROOT/resource.d/edgeha/NAME makes it usable by any OCF tool (ocf-tester, Pacemaker).
 */
const ocfCommand: Command = {
  words: ["ocf"],
  summary: "Run a built-in resource agent under the OCF API (environment in, exit code out)",
  usage: "AGENT ACTION",
  description: `Parameters are read from OCF_RESKEY_<name> environment variables, as for any OCF agent; the exit status is the OCF exit code. Actions: ${ACTIONS.join(", ")}. A wrapper that makes a built-in agent an OCF agent:\n  #!/bin/sh\n  exec edgeha ocf ipaddr "$1"`,
  examples: ["ocf ipaddr meta-data", "ocf ipaddr monitor   (with OCF_RESKEY_ip=192.168.50.10 in the environment)"],
  async run(args, context) {
    const [name, action] = args.positionals;
    if (name === undefined || action === undefined) throw new UsageError("needs AGENT and ACTION", `built-in agents: ${[...builtinAgents.keys()].join(", ")}; actions: ${ACTIONS.join(", ")}`);
    const agent = builtinAgents.get(name);
    if (!agent) {
      context.stderr.write(`ocf-exit-reason:no built-in agent named '${name}' (built in: ${[...builtinAgents.keys()].join(", ")})\n`);
      return OCF.errInstalled;
    }
    if (action === "meta-data") {
      context.stdout.write(metadataXml(agent));
      return OCF.success;
    }
    if (!ACTIONS.includes(action)) {
      context.stderr.write(`ocf-exit-reason:action '${action}' is not implemented by ${name}\n`);
      return OCF.errUnimplemented;
    }
    const params: Record<string, string> = {};
    for (const [key, value] of Object.entries(context.env)) if (key.startsWith("OCF_RESKEY_") && !key.startsWith("OCF_RESKEY_CRM_meta_") && value !== undefined) params[key.slice("OCF_RESKEY_".length)] = value;
    const timeoutMs = Number(context.env.OCF_RESKEY_CRM_meta_timeout ?? 20_000) || 20_000;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      const call = { params, instance: context.env.OCF_RESOURCE_INSTANCE ?? name, signal: controller.signal };
      const outcome = action === "start" ? await agent.start(call) : action === "stop" ? await agent.stop(call) : action === "validate-all" ? (await import("../../../agents")).checkParameters(agent, params) ?? { rc: OCF.success } : await agent.monitor(call);
      if (outcome.reason) context.stderr.write(`ocf-exit-reason:${outcome.reason}\n`);
      return outcome.rc;
    } finally {
      clearTimeout(timer);
    }
  },
};

export const executorCommands: Command[] = [ocfCommand];
