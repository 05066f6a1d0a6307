// The resource agents of this machine, as pcs sees them through crm_resource: the standards
// (ocf, lsb, service, systemd, stonith, and edgeha's builtin), the OCF providers, the agents
// of each, a bare type resolved to the one agent it names, and an agent's meta-data (run
// for OCF agents, generated for LSB scripts and systemd units the way Pacemaker generates
// it, ours for built-in agents). The admin edits use it to build and check resources as
// pcs does (src/admin/agent-rules.ts).
import { accessSync, constants, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { builtinAgents, metadataXml, valueProblems } from "../../../agents";
import { builtinFenceDrivers } from "../../../fence-drivers/index";
import type { AgentDescription, AgentName } from "../../admin";
import { formatAgentName } from "../../admin";
import { EdgehaError } from "../../common/errors";
import { agentMetadata, DEFAULT_OCF_ROOT, parseMetadata, runOcfAction, type Described } from "../../executor";

/** The LSB meta-data Pacemaker gives every init script (lib/services/services_lsb.c). */
const LSB_ACTIONS = `<action name="meta-data" timeout="5"/><action name="start" timeout="15"/><action name="stop" timeout="15"/><action name="status" timeout="15"/><action name="restart" timeout="15"/><action name="force-reload" timeout="15"/><action name="monitor" timeout="15" interval="15"/>`;
/** The systemd meta-data Pacemaker gives every unit (lib/services/systemd.c). */
const SYSTEMD_ACTIONS = `<action name="start" timeout="100"/><action name="stop" timeout="100"/><action name="status" timeout="100"/><action name="monitor" timeout="100" interval="60"/><action name="meta-data" timeout="5"/>`;
const generated = (name: string, actions: string) => `<resource-agent name="${name}"><parameters/><actions>${actions}</actions></resource-agent>`;

const SYSTEMD_UNIT_DIRECTORIES = ["/etc/systemd/system", "/run/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system"];
const INIT_DIRECTORY = "/etc/init.d";
const FENCE_DIRECTORIES = ["/usr/sbin", "/sbin", "/usr/bin"];
/** fence-agents programs that are not fence agents (as pcs leaves them out). */
const NOT_FENCE_AGENTS = new Set(["fence_ack_manual", "fence_check", "fence_kdump_send", "fence_legacy", "fence_na", "fence_node", "fence_nss_wrapper", "fence_pcmk", "fence_sanlockd", "fence_tool", "fence_virtd", "fence_vmware_helper"]);
/** Directory listings are bounded: a machine has hundreds of agents, never thousands. */
const ENTRIES_MAX = 5000;
/** How long an agent's validate-all may take at `resource create --agent-validation`. */
const VALIDATE_TIMEOUT_MS = 20_000;

function executables(directory: string, accept: (name: string) => boolean = () => true): string[] {
  let names: string[] = [];
  try { names = readdirSync(directory).slice(0, ENTRIES_MAX); } catch { return []; }
  return names.filter((name) => {
    if (name.startsWith(".") || !accept(name)) return false;
    const file = path.join(directory, name);
    try {
      accessSync(file, constants.X_OK);
      return statSync(file).isFile();
    } catch {
      return false;
    }
  });
}

export class AgentCatalog {
  constructor(private readonly ocfRoot: string = DEFAULT_OCF_ROOT) {}

  static fromEnvironment(env: NodeJS.ProcessEnv): AgentCatalog {
    return new AgentCatalog(env.OCF_ROOT ?? DEFAULT_OCF_ROOT);
  }

  standards(): string[] {
    return ["builtin", "lsb", "ocf", "service", "stonith", "systemd"];
  }

  providers(): string[] {
    try {
      return readdirSync(path.join(this.ocfRoot, "resource.d")).slice(0, ENTRIES_MAX).filter((name) => statSync(path.join(this.ocfRoot, "resource.d", name)).isDirectory()).sort((a, b) => a.localeCompare(b, "en"));
    } catch {
      return [];
    }
  }

  private systemdUnits(): string[] {
    const units = new Set<string>();
    for (const directory of SYSTEMD_UNIT_DIRECTORIES) {
      let names: string[] = [];
      try { names = readdirSync(directory).slice(0, ENTRIES_MAX); } catch { continue; }
      for (const name of names) if (name.endsWith(".service") && !name.includes("@")) units.add(name.slice(0, -".service".length));
    }
    return [...units];
  }

  /** Agents of STANDARD or STANDARD:PROVIDER, sorted as pcs sorts them (case-insensitively). */
  agents(standard: string, provider?: string): string[] {
    let names: string[];
    switch (standard) {
      case "ocf":
        names = (provider === undefined ? this.providers() : [provider]).flatMap((each) => executables(path.join(this.ocfRoot, "resource.d", each)));
        break;
      case "lsb": names = executables(INIT_DIRECTORY); break;
      case "systemd": names = this.systemdUnits(); break;
      case "service": names = [...executables(INIT_DIRECTORY), ...this.systemdUnits()]; break;
      case "stonith": names = [...new Set([...FENCE_DIRECTORIES.flatMap((directory) => executables(directory, (name) => name.startsWith("fence_") && !NOT_FENCE_AGENTS.has(name))), ...[...builtinFenceDrivers.keys()]])]; break;
      case "builtin": names = [...builtinAgents.keys()]; break;
      default: throw new EdgehaError("E_ADMIN_AGENT", `unknown standard '${standard}'; standards: ${this.standards().join(", ")}`);
    }
    return [...new Set(names)].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase(), "en"));
  }

  /** Every full name whose type is `type`, case-insensitively, over every standard and OCF provider. */
  candidates(type: string): string[] {
    const wanted = type.toLowerCase();
    const found: string[] = [];
    for (const provider of this.providers()) for (const name of this.agents("ocf", provider)) if (name.toLowerCase() === wanted) found.push(`ocf:${provider}:${name}`);
    for (const standard of ["lsb", "service", "systemd", "builtin"]) for (const name of this.agents(standard)) if (name.toLowerCase() === wanted) found.push(`${standard}:${name}`);
    return found.sort();
  }

  /** A bare type to the one agent it names (pcs's rule); none or several are E_ADMIN_AGENT. */
  resolve(type: string): AgentName {
    const found = this.candidates(type);
    if (found.length === 0) throw new EdgehaError("E_ADMIN_AGENT", `unable to find a resource agent named '${type}' among the installed standards and providers; write it as CLASS:PROVIDER:TYPE ('edgeha resource agents' lists them)`);
    if (found.length > 1) throw new EdgehaError("E_ADMIN_AGENT", `multiple resource agents are named '${type}': ${found.join(", ")}; write the full name`);
    const parts = found[0]!.split(":");
    return parts.length === 3 ? { class: parts[0]!, provider: parts[1]!, type: parts[2]! } : { class: parts[0]!, type: parts[1]! };
  }

  private lsbScript(type: string): boolean {
    return executables(INIT_DIRECTORY).includes(type);
  }

  /** The agent's meta-data, or null when it is not installed or prints none that parses. */
  async describe(agent: AgentName): Promise<Described | null> {
    const name = formatAgentName(agent);
    try {
      switch (agent.class) {
        case "ocf": {
          if (agent.provider === "edgeha" && builtinAgents.has(agent.type)) return parseMetadata(name, metadataXml(builtinAgents.get(agent.type)!));
          const file = path.join(this.ocfRoot, "resource.d", agent.provider ?? "", agent.type);
          if (!executables(path.dirname(file)).includes(agent.type)) return null;
          return (await agentMetadata(file, this.ocfRoot)) ?? null;
        }
        case "builtin": {
          const builtin = builtinAgents.get(agent.type);
          return builtin ? parseMetadata(name, metadataXml(builtin)) : null;
        }
        case "lsb":
          return this.lsbScript(agent.type) ? parseMetadata(name, generated(agent.type, LSB_ACTIONS)) : null;
        case "systemd":
          return this.systemdUnits().includes(agent.type.replace(/\.service$/, "")) ? parseMetadata(name, generated(agent.type, SYSTEMD_ACTIONS)) : null;
        case "service":
          if (this.lsbScript(agent.type)) return parseMetadata(name, generated(agent.type, LSB_ACTIONS));
          return this.systemdUnits().includes(agent.type) ? parseMetadata(name, generated(agent.type, SYSTEMD_ACTIONS)) : null;
        default:
          return null;
      }
    } catch {
      return null;
    }
  }

  /** Runs an OCF agent's validate-all with these parameters (pcs's --agent-validation); at most 20 s. */
  async validate(agent: AgentName, id: string, params: Readonly<Record<string, string>>): Promise<{ exitCode: number; reason?: string }> {
    const given = Object.fromEntries(Object.entries(params).filter(([, value]) => value !== ""));
    const result = await runOcfAction({ id, provider: agent.provider ?? "", type: agent.type, params: given }, { action: "validate-all", timeoutMs: VALIDATE_TIMEOUT_MS, intervalMs: 0, ocfRoot: this.ocfRoot });
    return { exitCode: result.rc, ...(result.exitReason === undefined ? {} : { reason: result.exitReason }) };
  }

  /** The meta-data in the shape the admin edits use. */
  async description(agent: AgentName): Promise<AgentDescription | null> {
    const described = await this.describe(agent);
    if (!described) return null;
    // A built-in agent's own validate-all runs in this process and looks only at the values, so
    // it always runs (pcs runs an OCF agent's validate-all only with --agent-validation).
    const builtin = agent.class === "builtin" || (agent.class === "ocf" && agent.provider === "edgeha") ? builtinAgents.get(agent.type) : undefined;
    return {
      ...(builtin?.validate === undefined ? {} : { validate: (values: Readonly<Record<string, string>>) => valueProblems({ ...builtin, parameters: [] }, values) }),
      parameters: described.parameters.map((parameter) => ({ name: parameter.name, required: parameter.required, ...(parameter.type ? { type: parameter.type } : {}), ...(parameter.choices ? { choices: parameter.choices } : {}), ...(parameter.deprecated ? { deprecated: true } : {}) })),
      actions: described.actions.map((action) => ({ name: action.name, ...(action.interval ? { interval: action.interval } : {}), ...(action.timeout ? { timeout: action.timeout } : {}), ...(action.role ? { role: action.role } : {}), ...(action.depth ? { depth: action.depth } : {}), ...(action.startDelay ? { startDelay: action.startDelay } : {}) })),
    };
  }
}
