// Executor area commands: built-in agents under the OCF API.
import { accessSync, constants, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "../command";
import { EdgehaError, UsageError } from "../../common/errors";
import { didYouMean } from "../../common/suggest";
import { builtinAgents, metadataXml, OCF } from "../../../agents";
import { DEFAULT_OCF_ROOT, locateOcfAgent, mapOcfExit, parseMetadata, runProcess, type Described } from "../../executor";
import { parseDurationMs, readCibFile } from "../../cib";
import { allPrimitives } from "../../node/local-resources";
import { createActionRunner } from "../../node/agent";

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
      // Outside the cluster an attribute is printed, the way attrd_updater would be asked.
      const call = { params, instance: context.env.OCF_RESOURCE_INSTANCE ?? name, signal: controller.signal, setAttribute: (attribute: string, value: string | undefined) => context.stdout.write(`attribute ${attribute}=${value ?? "(withdrawn)"}\n`) };
      const outcome = action === "start" ? await agent.start(call) : action === "stop" ? await agent.stop(call) : action === "validate-all" ? (await import("../../../agents")).validateAll(agent, params) : await agent.monitor(call);
      if (outcome.reason) context.stderr.write(`ocf-exit-reason:${outcome.reason}\n`);
      return outcome.rc;
    } finally {
      clearTimeout(timer);
    }
  },
};

const ocfRootOption = { name: "ocf-root", kind: "string" as const, value: "DIR", description: "OCF_ROOT to look in (default: $OCF_ROOT, else /usr/lib/ocf)." };
const jsonOption = { name: "json", kind: "boolean" as const, description: "Print JSON." };

function ocfRootOf(options: Record<string, unknown>, env: NodeJS.ProcessEnv): string {
  return typeof options["ocf-root"] === "string" ? options["ocf-root"] : env.OCF_ROOT ?? DEFAULT_OCF_ROOT;
}

interface AgentEntry { name: string; class: string; provider?: string; type: string }

function listAgents(ocfRoot: string): AgentEntry[] {
  const entries: AgentEntry[] = [...builtinAgents.keys()].map((type) => ({ name: `builtin:${type}`, class: "builtin", type }));
  const base = join(ocfRoot, "resource.d");
  let providers: string[] = [];
  try { providers = readdirSync(base).sort(); } catch { /* no OCF agents installed */ }
  for (const provider of providers) {
    let types: string[] = [];
    try { types = readdirSync(join(base, provider)).sort(); } catch { continue; }
    for (const type of types) {
      try { accessSync(join(base, provider, type), constants.X_OK); } catch { continue; }
      if (!statSync(join(base, provider, type)).isFile()) continue;
      entries.push({ name: `ocf:${provider}:${type}`, class: "ocf", provider, type });
    }
  }
  return entries;
}

const agentsListCommand: Command = {
  words: ["agents", "list"],
  summary: "List the resource agents this node can run (built-in and OCF)",
  usage: "[CLASS[:PROVIDER]] [--ocf-root DIR] [--json]",
  examples: ["agents list", "agents list ocf:heartbeat", "agents list builtin --json"],
  options: [ocfRootOption, jsonOption],
  run(args, context) {
    const filter = args.positionals[0];
    if (filter !== undefined && !/^(builtin|ocf)(:[\w.-]+)?$/.test(filter)) throw new UsageError(`'${filter}' is not CLASS or CLASS:PROVIDER`, "classes: builtin, ocf; for example 'ocf:heartbeat'");
    const [wantedClass, wantedProvider] = (filter ?? "").split(":");
    const agents = listAgents(ocfRootOf(args.options, context.env)).filter((agent) => (!wantedClass || agent.class === wantedClass) && (!wantedProvider || agent.provider === wantedProvider));
    context.stdout.write(args.options.json ? `${JSON.stringify(agents, null, 2)}\n` : agents.map((agent) => agent.name).join("\n") + (agents.length ? "\n" : ""));
    return 0;
  },
};

async function describeAgent(spec: string, ocfRoot: string): Promise<Described> {
  const parts = spec.split(":");
  if (parts[0] === "builtin" && parts.length === 2) {
    const agent = builtinAgents.get(parts[1]!);
    if (!agent) throw new EdgehaError("E_AGENT_NOT_INSTALLED", `no built-in agent '${parts[1]}'${didYouMean(parts[1]!, [...builtinAgents.keys()])}`);
    return parseMetadata(spec, metadataXml(agent));
  }
  if (parts[0] === "ocf" && parts.length === 3) {
    const file = locateOcfAgent({ provider: parts[1]!, type: parts[2]! }, ocfRoot);
    const result = await runProcess({ family: "ocf-agent", path: file }, ["meta-data"], { env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", OCF_ROOT: ocfRoot, OCF_FUNCTIONS_DIR: join(ocfRoot, "lib", "heartbeat") }, timeoutMs: 10_000 });
    if (result.exitCode !== 0) throw new EdgehaError("E_AGENT_METADATA", `${spec} meta-data exited with ${result.timedOut ? "a timeout" : `status ${String(result.exitCode)}`}: ${result.stderr.trim().slice(0, 300)}`);
    return parseMetadata(spec, result.stdout);
  }
  throw new UsageError(`'${spec}' is not CLASS:PROVIDER:TYPE (ocf) or builtin:TYPE`, "see 'edgeha agents list'");
}

const agentsDescribeCommand: Command = {
  words: ["agents", "describe"],
  summary: "Show an agent's parameters (required, defaults) and actions from its meta-data",
  usage: "CLASS:PROVIDER:TYPE | builtin:TYPE [--ocf-root DIR] [--json]",
  examples: ["agents describe ocf:heartbeat:IPaddr2", "agents describe builtin:ipaddr --json"],
  options: [ocfRootOption, jsonOption],
  async run(args, context) {
    const spec = args.positionals[0];
    if (!spec) throw new UsageError("needs an agent, e.g. ocf:heartbeat:IPaddr2 or builtin:ipaddr");
    const described = await describeAgent(spec, ocfRootOf(args.options, context.env));
    if (args.options.json) {
      context.stdout.write(`${JSON.stringify(described, null, 2)}\n`);
      return 0;
    }
    const lines = [`${described.name}: ${described.description}`, "", "Parameters:"];
    for (const parameter of described.parameters) lines.push(`  ${parameter.name}${parameter.required ? " (required)" : ""}${parameter.default ? ` [default ${parameter.default}]` : ""}: ${parameter.description}`);
    lines.push("", "Actions:");
    for (const action of described.actions) lines.push(`  ${action.name}${action.timeout ? ` timeout=${action.timeout}` : ""}${action.interval ? ` interval=${action.interval}` : ""}`);
    context.stdout.write(`${lines.join("\n")}\n`);
    return 0;
  },
};

/** `resource debug-start|debug-stop|debug-monitor`: one action of a CIB resource, here, now. */
function debugCommand(action: "start" | "stop" | "monitor"): Command {
  return {
    words: ["resource", `debug-${action}`],
    summary: `Run the ${action} action of a resource on this node and show the agent's output and result`,
    usage: "RESOURCE --cib FILE [--json]",
    description: `Like crm_resource --force-${action === "monitor" ? "check" : action}: runs the agent directly, outside the cluster (the cluster is not told). The resource's definition comes from the CIB file (Pacemaker XML or edgeha's own).`,
    examples: [`resource debug-${action} vip --cib /var/lib/edgeha/cib.xml`],
    options: [{ name: "cib", kind: "string", value: "FILE", description: "The CIB to read the resource from." }, jsonOption],
    async run(args, context) {
      const id = args.positionals[0];
      if (!id) throw new UsageError("needs a RESOURCE");
      if (typeof args.options.cib !== "string") throw new UsageError("needs --cib FILE (the resource's definition)");
      const { cib } = readCibFile(args.options.cib);
      const primitive = allPrimitives(cib).find((each) => each.id === id);
      if (!primitive) throw new EdgehaError("E_RESOURCE_UNKNOWN", `no resource '${id}' in ${args.options.cib}${didYouMean(id, allPrimitives(cib).map((each) => each.id))}`);
      const runner = createActionRunner(context.env.HOSTNAME ?? "local", context.env.OCF_ROOT);
      const op = primitive.operations.find((each) => each.name === action && (action !== "monitor" || each.intervalMs === 0));
      const timeoutMs = op?.timeout ? parseDurationMs(op.timeout, "timeout") : 20_000;
      const outcome = await runner(primitive, action, 0, timeoutMs);
      const mapped = mapOcfExit(outcome.rc, action);
      if (args.options.json) context.stdout.write(`${JSON.stringify({ resource: id, action, rc: outcome.rc, result: mapped.name, reason: outcome.reason, timedOut: outcome.timedOut, runTimeMs: Math.round(outcome.runTimeMs) })}\n`);
      else context.stdout.write(`${id} ${action}: rc=${outcome.rc} (${mapped.name})${outcome.reason ? `: ${outcome.reason}` : ""} in ${Math.round(outcome.runTimeMs)} ms\n`);
      return outcome.rc === 0 || (action === "monitor" && outcome.rc === 7) ? 0 : 1;
    },
  };
}

export const executorCommands: Command[] = [ocfCommand, agentsListCommand, agentsDescribeCommand, debugCommand("start"), debugCommand("stop"), debugCommand("monitor")];
