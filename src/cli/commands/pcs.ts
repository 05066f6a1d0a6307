// pcs's grammar where edgeha's own verbs differ (issue 22): the views pcs prints (bare
// `resource`, `constraint`, `stonith`, `property`, `config`; `resource config`, `constraint
// ref`, ...), the agent listings (`resource standards|providers|agents|describe`,
// `stonith list`), the edits pcs spells its own way (`constraint order A then B`,
// `resource meta`, `resource op add|remove`, `resource [op] defaults update`) and the CIB
// file verbs (`cluster cib`, `cluster cib-push`, `cluster verify`). Every one works on a
// file (-f FILE, before or after the command) or on the running cluster (--socket).
import { copyFileSync, existsSync, readFileSync } from "node:fs";
import {
  applyEdit, configurationOf, constraintsReferring, formatAgentName, parseAgentName, parseKeyValues, parseOrderAdd, redactSecrets, renderConfiguration,
  renderConstraints, renderDefaults, renderOfflineResources, renderProperties, renderResourceConfig, replaceConfiguration, verifyCib, type AdminEdit,
} from "../../admin";
import { requestApi } from "../../api";
import { canonicalJson, exportCibXml, readCibFile, type Cib, type Primitive, type Resource } from "../../cib";
import { writeFileDurably } from "../../common/durable";
import { EdgehaError, UsageError } from "../../common/errors";
import { didYouMean } from "../../common/suggest";
import { configDefaults } from "../../config/index";
import type { Command, CommandContext, OptionSpec, ParsedArguments } from "../command";
import { editCommand, needWords } from "./admin";
import { fileOption, forceOption, jsonOption, readCibFileOrEmpty, report, socketOption, targetFor, thisHalfOnlyOption } from "./admin-target";
import { AgentCatalog } from "./agent-catalog";

const TARGET_OPTIONS: OptionSpec[] = [fileOption, socketOption, jsonOption];

const print = (context: CommandContext, text: string): void => void context.stdout.write(text.endsWith("\n") || text === "" ? text : `${text}\n`);
const json = (context: CommandContext, value: unknown): number => (print(context, JSON.stringify(value)), 0);

/** A bare group word (`resource`, `constraint`) takes no other words: an unknown subcommand is said as such. */
function noWords(args: ParsedArguments, group: string): void {
  if (args.positionals.length > 0) throw new UsageError(`unknown command 'edgeha ${group} ${args.positionals[0]}'`, `Run 'edgeha --help' to list the commands of '${group}'.`);
}

function isStonith(resource: Resource): boolean {
  return resource.kind === "primitive" && resource.class === "stonith";
}

function everyResource(cib: Cib): Resource[] {
  const all: Resource[] = [];
  const visit = (resource: Resource): void => {
    all.push(resource);
    if (resource.kind === "group") resource.members.forEach(visit);
    if (resource.kind === "clone") visit(resource.child);
  };
  cib.resources.forEach(visit);
  return all;
}

/** The named resources (each must exist, as pcs requires), or every top-level one of the kind. */
function pickResources(cib: Cib, names: readonly string[], stonith: boolean): Resource[] {
  if (names.length === 0) return cib.resources.filter((resource) => isStonith(resource) === stonith);
  const all = everyResource(cib);
  return names.map((name) => {
    const found = all.find((resource) => resource.id === name);
    if (!found) throw new EdgehaError("E_ADMIN_UNKNOWN_RESOURCE", `no ${stonith ? "fence device" : "resource"} named '${name}'${didYouMean(name, all.map((resource) => resource.id))}`, { resource: name });
    return found;
  });
}

type LiveResources = Array<{ id: string; group?: string; role: string; nodes: string[] }>;

/** `resource [status]` / `stonith [status]`: a file's resources as configured (Stopped), the cluster's as they run. */
async function showStatus(args: ParsedArguments, context: CommandContext, stonith: boolean): Promise<number> {
  if (typeof args.options.file === "string") {
    const { cib } = await targetFor(args).read();
    const chosen = pickResources(cib, args.positionals, stonith);
    if (args.options.json) return json(context, chosen.map((resource) => ({ id: resource.id, kind: resource.kind, role: "Stopped", nodes: [] })));
    print(context, renderOfflineResources({ ...cib, resources: chosen }, stonith, cib.nodes.map((node) => node.uname)));
    return 0;
  }
  const socket = typeof args.options.socket === "string" ? args.options.socket : configDefaults.DEFAULT_SOCKET_PATH;
  const [status, current] = await Promise.all([requestApi(socket, { command: "status" }) as Promise<{ cluster_state?: { resources?: LiveResources } | null }>, targetFor(args).read()]);
  const devices = new Set(everyResource(current.cib).filter(isStonith).map((resource) => resource.id));
  const rows = (status.cluster_state?.resources ?? []).filter((row) => devices.has(row.id) === stonith && (args.positionals.length === 0 || args.positionals.includes(row.id) || args.positionals.includes(row.group ?? "")));
  if (args.options.json) return json(context, rows);
  print(context, rows.length === 0 ? "  * No resources\n" : rows.map((row) => `  * ${row.id}${row.group ? ` (in ${row.group})` : ""}:\t ${row.role}${row.nodes.length > 0 ? ` ${row.nodes.join(" ")}` : ""}`).join("\n"));
  return 0;
}

function statusView(words: string[], stonith: boolean, bare: boolean): Command {
  return {
    words,
    summary: `Show the ${stonith ? "fence devices" : "resources"} and where they run (a file's: as configured, Stopped), as pcs ${words.join(" ")} does.`,
    usage: `${bare ? "" : "[NAME...] "}[-f FILE | --socket PATH] [--json]`,
    examples: [words.join(" "), `${words.join(" ")} -f cib.xml`],
    options: [...TARGET_OPTIONS, { name: "full", kind: "boolean", description: `pcs 0.10's '${words[0]} --full': the configuration, as '${words[0]} config' shows it (pcs 0.11 has only the latter).` }, { name: "hide-inactive", kind: "boolean", description: "Accepted for pcs compatibility." }],
    async run(args, context) {
      if (args.options.full === true) return showConfiguration(args, context, stonith);
      if (bare) noWords(args, words[0]!);
      return showStatus(args, context, stonith);
    },
  };
}

function resourceConfigView(words: string[], stonith: boolean): Command {
  return {
    words,
    summary: `Show the configuration of ${stonith ? "fence devices" : "resources"} (all, or the named ones) as pcs ${words.join(" ")} prints it.`,
    usage: "[NAME...] [-f FILE | --socket PATH] [--json]",
    examples: [`${words.join(" ")}`, `${words.join(" ")} ${stonith ? "fence-node1" : "vip"} -f cib.xml`],
    options: TARGET_OPTIONS,
    run: (args, context) => showConfiguration(args, context, stonith),
  };
}

async function showConfiguration(args: ParsedArguments, context: CommandContext, stonith: boolean): Promise<number> {
  const { cib } = await targetFor(args).read();
  const chosen = pickResources(cib, args.positionals, stonith);
  if (args.options.json) return json(context, redactSecrets({ ...cib, resources: chosen }).resources);
  print(context, renderResourceConfig(cib, chosen));
  return 0;
}

const constraintViews: Command[] = [
  ...[["constraint"], ["constraint", "config"]].map((words): Command => ({
    words,
    summary: "List every constraint as pcs constraint [config] prints it (--full adds the ids).",
    usage: "[--full] [-f FILE | --socket PATH] [--json]",
    examples: [words.join(" "), `${words.join(" ")} --full -f cib.xml`],
    options: [...TARGET_OPTIONS, { name: "full", kind: "boolean", description: "Show each constraint's id." }],
    async run(args, context) {
      if (words.length === 1) noWords(args, "constraint");
      const { cib } = await targetFor(args).read();
      if (args.options.json) return json(context, cib.constraints);
      print(context, renderConstraints(cib, args.options.full === true));
      return 0;
    },
  })),
  {
    words: ["constraint", "ref"],
    summary: "List the ids of the constraints that name a resource.",
    usage: "RESOURCE... [-f FILE | --socket PATH] [--json]",
    examples: ["constraint ref vip"],
    options: TARGET_OPTIONS,
    async run(args, context) {
      if (args.positionals.length === 0) throw new UsageError("'edgeha constraint ref' needs a RESOURCE", "Run 'edgeha constraint ref --help'.");
      const { cib } = await targetFor(args).read();
      const result = args.positionals.map((id) => ({ resource: id, constraints: constraintsReferring(cib, id) }));
      if (args.options.json) return json(context, result);
      print(context, result.map((item) => `Resource: ${item.resource}\n${item.constraints.length > 0 ? item.constraints.map((id) => `  ${id}`).join("\n") : "  No Matches"}`).join("\n"));
      return 0;
    },
  },
  editCommand({
    words: ["constraint", "order"],
    summary: "Start one resource after another, as pcs writes it: [ACTION] A then [ACTION] B.",
    usage: "[ACTION] RESOURCE then [ACTION] RESOURCE [kind=Mandatory|Optional|Serialize] [symmetrical=true|false] [id=ID]",
    description: "The same as 'constraint order add'. ACTION is start (the default), stop, promote or demote; the second action defaults to the first.",
    examples: ["constraint order start vip then start web", "constraint order promote db then start web kind=Optional"],
    edit: (words) => {
      // pcs writes both actions, start unless given (the second defaults to the first).
      const edit = parseOrderAdd(words);
      edit.firstAction ??= "start";
      edit.thenAction ??= edit.firstAction;
      return edit;
    },
    done: () => "added order",
  }),
];

function defaultsView(words: string[], section: "rscDefaults" | "opDefaults"): Command[] {
  const what = section === "rscDefaults" ? "resource meta attributes" : "operation options";
  return [
    editCommand({
      words: [...words, "update"],
      summary: `Set default ${what} (NAME= removes one), as pcs ${words.join(" ")} update does.`,
      usage: "NAME=VALUE...",
      examples: [section === "rscDefaults" ? `${words.join(" ")} update resource-stickiness=100` : `${words.join(" ")} update timeout=60s`],
      edit: (given, _args, command): Extract<AdminEdit, { kind: "defaults" }> => (needWords(given, 1, command, Number.POSITIVE_INFINITY), { kind: "defaults", section, values: parseKeyValues(given, `${words.join(" ")} update`) }),
      done: () => `${what} defaults updated`,
    }),
    {
      words: [...words, "config"],
      summary: `Show the default ${what}, as pcs ${words.join(" ")} config prints them.`,
      usage: "[-f FILE | --socket PATH] [--json]",
      examples: [`${words.join(" ")} config`],
      options: TARGET_OPTIONS,
      async run(args, context) {
        const { cib } = await targetFor(args).read();
        if (args.options.json) return json(context, cib[section]);
        print(context, renderDefaults(cib[section]));
        return 0;
      },
    },
  ];
}

const resourceEdits: Command[] = [
  editCommand({
    words: ["resource", "meta"],
    summary: "Set meta attributes of a resource, group or clone (NAME= removes one), as pcs resource meta does.",
    usage: "NAME NAME=VALUE...",
    examples: ["resource meta haproxy migration-threshold=2 failure-timeout=60s"],
    edit: (words, args, command): Extract<AdminEdit, { kind: "resource-update" }> => {
      needWords(words, 2, command, Number.POSITIVE_INFINITY);
      return { kind: "resource-update", id: words[0]!, settings: { instance: {}, operations: [], meta: parseKeyValues(words.slice(1), "resource meta") }, force: args.options.force === true };
    },
    done: (edit) => `updated meta attributes of ${edit.id}`,
  }),
  editCommand({
    words: ["resource", "op", "add"],
    summary: "Add an operation to a resource: NAME ACTION [NAME=VALUE...] (an action already configured at that interval is refused unless --force).",
    usage: "NAME ACTION [interval=DURATION] [timeout=DURATION] [role=ROLE] [on-fail=POLICY] [NAME=VALUE...]",
    examples: ["resource op add haproxy monitor interval=30s timeout=20s"],
    edit: (words, args, command): Extract<AdminEdit, { kind: "op-add" }> => {
      needWords(words, 2, command, Number.POSITIVE_INFINITY);
      return { kind: "op-add", id: words[0]!, operation: { name: words[1]!, values: parseKeyValues(words.slice(2), "resource op add") }, force: args.options.force === true };
    },
    done: (edit) => `added operation ${edit.operation.name} to ${edit.id}`,
  }),
  ...["remove", "delete"].map((verb) => editCommand({
    words: ["resource", "op", verb],
    summary: "Remove operations: NAME ACTION [NAME=VALUE...] (the options must match the operation's exactly), or OP_ID.",
    usage: "NAME ACTION [NAME=VALUE...] | OP_ID",
    examples: [`resource op ${verb} haproxy monitor interval=5s`, `resource op ${verb} haproxy-monitor-interval-5s`],
    edit: (words, _args, command): Extract<AdminEdit, { kind: "op-remove" }> => {
      needWords(words, 1, command, Number.POSITIVE_INFINITY);
      if (words.length === 1) return { kind: "op-remove", opId: words[0]! };
      return { kind: "op-remove", id: words[0]!, name: words[1]!, values: parseKeyValues(words.slice(2), `resource op ${verb}`) };
    },
    done: () => "removed operation",
  })),
];

const agentViews: Command[] = [
  {
    words: ["resource", "standards"],
    summary: "List the resource agent standards (classes) edgeha runs.",
    usage: "[--json]",
    examples: ["resource standards"],
    options: [jsonOption],
    run(args, context) {
      const standards = AgentCatalog.fromEnvironment(context.env).standards();
      return args.options.json ? json(context, standards) : (print(context, standards.join("\n")), 0);
    },
  },
  {
    words: ["resource", "providers"],
    summary: "List the OCF providers installed here (directories of OCF_ROOT/resource.d).",
    usage: "[--json]",
    examples: ["resource providers"],
    options: [jsonOption],
    run(args, context) {
      const providers = AgentCatalog.fromEnvironment(context.env).providers();
      return args.options.json ? json(context, providers) : (print(context, providers.join("\n")), 0);
    },
  },
  {
    words: ["resource", "agents"],
    summary: "List the resource agents installed here: all, of a STANDARD, or of ocf:PROVIDER.",
    usage: "[STANDARD[:PROVIDER]] [--json]",
    examples: ["resource agents ocf:heartbeat", "resource agents systemd"],
    options: [jsonOption],
    run(args, context) {
      if (args.positionals.length > 1) throw new UsageError("'edgeha resource agents' takes at most one STANDARD[:PROVIDER]");
      const catalog = AgentCatalog.fromEnvironment(context.env);
      const [standard, provider, more] = (args.positionals[0] ?? "").split(":");
      if (more !== undefined || (provider !== undefined && standard !== "ocf")) throw new UsageError(`'${args.positionals[0]}' is not STANDARD or ocf:PROVIDER`);
      const names = standard === "" || standard === undefined
        ? catalog.standards().flatMap((each) => (each === "ocf" ? catalog.providers().flatMap((item) => catalog.agents("ocf", item).map((name) => `ocf:${item}:${name}`)) : catalog.agents(each).map((name) => `${each}:${name}`)))
        : catalog.agents(standard, provider);
      if (provider !== undefined && !catalog.providers().includes(provider)) throw new EdgehaError("E_ADMIN_AGENT", `no OCF provider '${provider}' here${didYouMean(provider, catalog.providers())}`);
      return args.options.json ? json(context, names) : (print(context, names.join("\n")), 0);
    },
  },
  {
    words: ["resource", "describe"],
    summary: "Show an agent's parameters (with types and whether required) and default operations; a bare TYPE is resolved as pcs does.",
    usage: "AGENT [--json]",
    examples: ["resource describe ocf:heartbeat:IPaddr2", "resource describe IPaddr2"],
    options: [jsonOption],
    async run(args, context) {
      if (args.positionals.length !== 1) throw new UsageError("'edgeha resource describe' needs one AGENT", "Run 'edgeha resource describe --help'.");
      const catalog = AgentCatalog.fromEnvironment(context.env);
      const parsed = parseAgentName(args.positionals[0]!, true);
      const agent = parsed.class === "" ? catalog.resolve(parsed.type) : parsed;
      const described = await catalog.describe(agent);
      if (!described) throw new EdgehaError("E_ADMIN_AGENT", `agent '${formatAgentName(agent)}' is not installed or does not provide valid meta-data`);
      if (args.options.json) return json(context, { agent: formatAgentName(agent), ...described });
      const lines = [`${formatAgentName(agent)} - ${described.description}`, "", "Resource options:"];
      for (const parameter of described.parameters) lines.push(`  ${parameter.name}${parameter.required ? " (required)" : ""}${parameter.type ? ` [${parameter.type}${parameter.choices ? `: ${parameter.choices.join("|")}` : ""}]` : ""}${parameter.default !== undefined ? ` default=${parameter.default}` : ""}${parameter.description ? `: ${parameter.description}` : ""}`);
      lines.push("", "Default operations:");
      for (const action of described.actions.filter((item) => !["meta-data", "validate-all", "status"].includes(item.name))) lines.push(`  ${action.name}:${action.interval ? ` interval=${action.interval}` : " interval=0s"}${action.timeout ? ` timeout=${action.timeout}` : ""}`);
      print(context, lines.join("\n"));
      return 0;
    },
  },
  {
    words: ["stonith", "list"],
    summary: "List the fence agents: edgeha's built-in drivers and the fence-agents programs installed here.",
    usage: "[FILTER] [--json]",
    examples: ["stonith list", "stonith list ipmi"],
    options: [jsonOption],
    run(args, context) {
      const filter = (args.positionals[0] ?? "").toLowerCase();
      const names = AgentCatalog.fromEnvironment(context.env).agents("stonith").filter((name) => name.toLowerCase().includes(filter));
      return args.options.json ? json(context, names) : (print(context, names.join("\n")), 0);
    },
  },
];

const propertyViews: Command[] = [["property"], ["property", "config"]].map((words) => ({
  words,
  summary: "Show the cluster properties that are set, as pcs property [config] prints them.",
  usage: "[-f FILE | --socket PATH] [--json]",
  examples: [words.join(" ")],
  options: TARGET_OPTIONS,
  async run(args, context) {
    if (words.length === 1) noWords(args, "property");
    const { cib } = await targetFor(args).read();
    if (args.options.json) return json(context, Object.fromEntries(cib.properties.flatMap((set) => Object.entries(set.values))));
    print(context, renderProperties(cib));
    return 0;
  },
}));

const wholeConfigView: Command = {
  words: ["config"],
  summary: "Show the whole configuration, as pcs config does (the same as 'edgeha config show').",
  usage: "[-f FILE | --socket PATH] [--json]",
  examples: ["config", "config -f cib.xml"],
  options: TARGET_OPTIONS,
  async run(args, context) {
    noWords(args, "config");
    const { cib, version } = await targetFor(args).read();
    print(context, args.options.json ? JSON.stringify({ version, ...configurationOf(redactSecrets(cib)) }) : renderConfiguration(cib));
    return 0;
  },
};

const clusterCib: Command = {
  words: ["cluster", "cib"],
  summary: "Print the CIB as Pacemaker XML, or write it to FILE (to edit it offline with -f FILE, then cluster cib-push FILE).",
  usage: "[FILE] [--config] [-f FILE | --socket PATH]",
  description: "As pcs cluster cib: the CIB of the running cluster (or of the -f file) whole, or only its configuration with --config.",
  examples: ["cluster cib", "cluster cib drbd_cfg", "cluster cib --config"],
  options: [fileOption, socketOption, { name: "config", kind: "boolean", description: "Only the configuration section." }],
  async run(args, context) {
    if (args.positionals.length > 1) throw new UsageError("'edgeha cluster cib' takes at most one FILE");
    const out = args.positionals[0];
    const source = typeof args.options.file === "string" ? args.options.file : undefined;
    // A Pacemaker XML file copied whole keeps what edgeha does not model (as pcs copies it).
    if (out !== undefined && source !== undefined && args.options.config !== true && existsSync(source) && readFileSync(source, "utf8").trimStart().startsWith("<")) {
      copyFileSync(source, out);
      return 0;
    }
    const { cib } = source !== undefined ? readCibFileOrEmpty(source) : await targetFor(args).read();
    let xml = exportCibXml(cib);
    if (args.options.config === true) xml = `${/<configuration>[\s\S]*<\/configuration>/.exec(xml)?.[0] ?? "<configuration/>"}\n`;
    if (out === undefined) print(context, xml);
    else writeFileDurably(out, xml, { newFileMode: 0o644 });
    return 0;
  },
};

const clusterCibPush: Command = {
  words: ["cluster", "cib-push"],
  summary: "Replace the configuration with FILE's (a CIB taken with cluster cib and edited with -f), as one versioned change.",
  usage: "FILE [--config] [diff-against=ORIGINAL] [-f FILE | --socket PATH] [--json]",
  description: "Only the configuration is taken from FILE: the cluster keeps its own status. With diff-against=ORIGINAL the push is refused when the configuration changed since ORIGINAL was taken, so nobody's change is lost.",
  examples: ["cluster cib-push drbd_cfg --config", "cluster cib-push new.xml diff-against=orig.xml"],
  options: [fileOption, socketOption, jsonOption, forceOption, thisHalfOnlyOption, { name: "config", kind: "boolean", description: "Push only the configuration section (the only part edgeha takes in any case)." }],
  async run(args, context) {
    const words = args.positionals.filter((word) => !word.startsWith("diff-against="));
    const against = args.positionals.find((word) => word.startsWith("diff-against="))?.slice("diff-against=".length);
    if (words.length !== 1) throw new UsageError("'edgeha cluster cib-push' needs one FILE", "Run 'edgeha cluster cib-push --help'.");
    const pushed = readCibFile(words[0]!);
    if (pushed.warnings.length > 0 && args.options.force !== true) throw new EdgehaError("E_ADMIN_LOSSY", `${words[0]} holds what edgeha does not keep, so pushing it would lose it:\n  ${pushed.warnings.join("\n  ")}\npass --force to push without those parts`, { file: words[0] });
    const original = against === undefined ? undefined : readCibFile(against).cib;
    const changed = await targetFor(args).change((cib) => {
      if (original && canonicalJson(configurationOf(original)) !== canonicalJson(configurationOf(cib))) {
        throw new EdgehaError("E_CIB_CONFLICT", `the configuration changed since ${against} was taken; nothing was pushed: take it again with 'edgeha cluster cib', redo the edits and push`);
      }
      return replaceConfiguration(cib, pushed.cib);
    });
    return report(context, args, changed, "CIB updated");
  },
};

const clusterVerify: Command = {
  words: ["cluster", "verify"],
  summary: "Check the configuration as crm_verify does: errors (exit 1) and what would not run, and why.",
  usage: "[--full] [-f FILE | --socket PATH] [--json]",
  examples: ["cluster verify", "cluster verify -f cib.xml --full"],
  options: [...TARGET_OPTIONS, { name: "full", kind: "boolean", description: "Also print the warnings (what would not run, and why)." }],
  async run(args, context) {
    noWords(args, "cluster verify");
    const { cib } = await targetFor(args).read();
    const result = verifyCib(cib, { now: Math.floor(Date.now() / 1000) });
    if (args.options.json) {
      print(context, JSON.stringify({ valid: result.errors.length === 0 && result.cautions.length === 0, ...result }));
      return result.errors.length === 0 && result.cautions.length === 0 ? 0 : 1;
    }
    for (const error of result.errors) context.stderr.write(`error: ${error}\n`);
    for (const caution of result.cautions) context.stderr.write(`warning: ${caution}\n`);
    if (args.options.full === true) for (const warning of result.warnings) context.stderr.write(`warning: ${warning}\n`);
    if (result.errors.length > 0) throw new EdgehaError("E_ADMIN_INVALID", "errors found during check: the configuration is not valid (see above)");
    if (result.cautions.length > 0) throw new EdgehaError("E_ADMIN_INVALID", "warnings found during check: the configuration may not work (see above)");
    return 0;
  },
};

const clusterAuth: Command = {
  words: ["cluster", "auth"],
  summary: "pcs's node authentication: edgeha needs none (no pcsd); says what to do instead.",
  usage: "[NODE...]",
  examples: ["cluster auth"],
  allowUnknownOptions: true,
  run(_args, context) {
    print(context, "edgeha has no pcsd, so there is nothing to authenticate: nodes trust each other through the cluster's authkey.\nOn the first node run 'edgeha cluster setup NAME NODE...'; it prints a join token for each other node, where you run 'edgeha cluster join TOKEN'.");
    return 0;
  },
};

function utilizationCommand(target: "resource" | "node"): Command {
  const spec = editCommand({
    words: [target, "utilization"],
    summary: `Set the utilization of a ${target} (capacity ${target === "node" ? "it offers" : "it uses"}, integers; NAME= removes one), or show it when none is given.`,
    usage: `${target === "node" ? "NODE" : "NAME"} [NAME=VALUE...]`,
    description: "Utilization is used for placement once placement-strategy is utilization, minimal or balanced.",
    examples: [target === "node" ? "node utilization node1 cpu=4 memory=2048" : "resource utilization web cpu=1 memory=256"],
    edit: (words, _args, command): Extract<AdminEdit, { kind: "utilization" }> => (needWords(words, 2, command, Number.POSITIVE_INFINITY), { kind: "utilization", target, id: words[0]!, values: parseKeyValues(words.slice(1), `${target} utilization`) }),
    done: (edit) => `utilization of ${edit.id} updated`,
  });
  return {
    ...spec,
    async run(args, context) {
      if (args.positionals.length !== 1) return spec.run(args, context);
      const { cib } = await targetFor(args).read();
      const name = args.positionals[0]!;
      const owner = target === "node" ? cib.nodes.find((node) => node.uname === name) : everyResource(cib).find((resource): resource is Primitive => resource.id === name && resource.kind === "primitive");
      if (owner === undefined) throw new EdgehaError(target === "node" ? "E_ADMIN_UNKNOWN_NODE" : "E_ADMIN_UNKNOWN_RESOURCE", `no ${target === "node" ? "node" : "primitive"} named '${name}'`);
      const values = Object.fromEntries((owner.utilization ?? []).flatMap((set) => Object.entries(set.values)));
      if (args.options.json) return json(context, values);
      print(context, `${target === "node" ? "Node" : "Resource"} Utilization:\n ${name}: ${Object.entries(values).map(([key, value]) => `${key}=${value}`).join(" ")}`);
      return 0;
    },
  };
}

/** `R... [opt=v...] [set R... [opt=v...]]... [setoptions opt=v...]` after `constraint KIND set`. */
export function parseSets(words: readonly string[], kind: "order" | "colocation"): Extract<AdminEdit, { kind: "set-constraint" }> {
  const at = words.indexOf("setoptions");
  const own = at === -1 ? words : words.slice(0, at);
  const options = at === -1 ? {} : parseKeyValues(words.slice(at + 1), "setoptions");
  const sets: Array<{ resources: string[]; options: Record<string, string> }> = [{ resources: [], options: {} }];
  for (const word of own) {
    if (word === "set") sets.push({ resources: [], options: {} });
    else if (word.includes("=")) Object.assign(sets.at(-1)!.options, parseKeyValues([word], `${kind} set options`));
    else if (Object.keys(sets.at(-1)!.options).length > 0) throw new UsageError(`'${word}' comes after the options of its set: write 'set ${word} ...' to start another set`);
    else sets.at(-1)!.resources.push(word);
  }
  return { kind: "set-constraint", constraintKind: kind, sets, options };
}

const scopeCommands: Command[] = [
  ...(["order", "colocation"] as const).map((kind) => editCommand({
    words: ["constraint", kind, "set"],
    summary: kind === "order" ? "Order resource sets: each set after the one before (within a set in sequence unless sequential=false)." : "Colocate resource sets: each set with the one before it (within a set too unless sequential=false).",
    usage: `RESOURCE... [${kind === "order" ? "action=ACTION require-all=BOOL " : ""}role=ROLE sequential=BOOL] [set RESOURCE... [OPTIONS]]... [setoptions ${kind === "order" ? "kind=Mandatory|Optional|Serialize symmetrical=BOOL" : "score=SCORE"} id=ID]`,
    examples: [kind === "order" ? "constraint order set vip1 vip2 sequential=false set haproxy setoptions kind=Optional" : "constraint colocation set vip1 vip2 set haproxy setoptions score=INFINITY"],
    edit: (words, _args, command) => (needWords(words, 1, command, Number.POSITIVE_INFINITY), parseSets(words, kind)),
    done: () => `added ${kind} set constraint`,
  })),
  utilizationCommand("resource"),
  utilizationCommand("node"),
  editCommand({
    words: ["tag", "create"],
    summary: "Name several resources with one tag, which constraints may use in place of a resource.",
    usage: "TAG RESOURCE...",
    examples: ["tag create vips public-vip private-vip"],
    edit: (words, _args, command): Extract<AdminEdit, { kind: "tag-create" }> => (needWords(words, 2, command, Number.POSITIVE_INFINITY), { kind: "tag-create", id: words[0]!, refs: words.slice(1) }),
    done: (edit) => `created tag ${edit.id}`,
  }),
  ...["remove", "delete"].map((verb) => editCommand({
    words: ["tag", verb],
    summary: "Remove tags (refused while a constraint uses one).",
    usage: "TAG...",
    examples: [`tag ${verb} vips`],
    edit: (words, _args, command): Extract<AdminEdit, { kind: "tag-remove" }> => (needWords(words, 1, command, Number.POSITIVE_INFINITY), { kind: "tag-remove", ids: words }),
    done: (edit) => `removed tag ${edit.ids.join(", ")}`,
  })),
  ...[["tag"], ["tag", "config"]].map((words): Command => ({
    words,
    summary: "List the tags and the resources each names.",
    usage: "[TAG...] [-f FILE | --socket PATH] [--json]",
    examples: [words.join(" ")],
    options: TARGET_OPTIONS,
    async run(args, context) {
      const { cib } = await targetFor(args).read();
      const tags = (cib.tags ?? []).filter((tag) => args.positionals.length === 0 || args.positionals.includes(tag.id));
      for (const name of args.positionals) if (!tags.some((tag) => tag.id === name)) throw new EdgehaError("E_ADMIN_ARGUMENT", `no tag named '${name}'`);
      if (args.options.json) return json(context, tags);
      print(context, tags.length === 0 ? " No tags defined" : tags.map((tag) => `${tag.id}\n${tag.refs.map((ref) => `  ${ref}`).join("\n")}`).join("\n"));
      return 0;
    },
  })),
  ...[true, false].map((managed) => editCommand({
    words: ["resource", managed ? "manage" : "unmanage"],
    summary: managed ? "Let the cluster manage resources again (removes is-managed=false)." : "Leave resources to themselves: the cluster neither starts, stops nor recovers them (is-managed=false); monitors still run.",
    usage: "NAME...",
    examples: [`resource ${managed ? "manage" : "unmanage"} web`],
    edit: (words, _args, command): Extract<AdminEdit, { kind: "resource-manage" }> => (needWords(words, 1, command, Number.POSITIVE_INFINITY), { kind: "resource-manage", ids: words, managed }),
    done: (edit) => `${edit.ids.join(", ")} ${managed ? "managed" : "unmanaged"}`,
  })),
  {
    words: ["resource", "failcount", "show"],
    summary: "Show the fail counts of a resource (all resources when none is named), per node and operation.",
    usage: "[NAME] [NODE] [-f FILE | --socket PATH] [--json]",
    examples: ["resource failcount show web"],
    options: TARGET_OPTIONS,
    async run(args, context) {
      const [name, node] = args.positionals;
      const { cib } = await targetFor(args).read();
      const counts = cib.status.flatMap((state) => state.transient.flatMap((set) => Object.entries(set.values))
        .filter(([key]) => key.startsWith("fail-count-"))
        .map(([key, value]) => ({ node: state.uname, resource: key.slice("fail-count-".length).split("#")[0]!, operation: key.split("#")[1], count: value })))
        .filter((item) => (name === undefined || item.resource === name) && (node === undefined || item.node === node));
      if (args.options.json) return json(context, counts);
      print(context, counts.length === 0 ? `No failcounts${name ? ` for resource '${name}'` : ""}` : counts.map((item) => `${item.resource}${item.operation ? ` ${item.operation}` : ""} on ${item.node}: ${item.count}`).join("\n"));
      return 0;
    },
  },
];

export const pcsCommands: Command[] = [
  ...scopeCommands,
  statusView(["resource"], false, true), statusView(["resource", "status"], false, false), resourceConfigView(["resource", "config"], false),
  statusView(["stonith"], true, true), statusView(["stonith", "status"], true, false), resourceConfigView(["stonith", "config"], true),
  ...constraintViews, ...defaultsView(["resource", "defaults"], "rscDefaults"), ...defaultsView(["resource", "op", "defaults"], "opDefaults"),
  ...resourceEdits, ...agentViews, ...propertyViews, wholeConfigView, clusterCib, clusterCibPush, clusterVerify, clusterAuth,
];

/** `status -f FILE`: what a CIB file configures, in the shape of pcs status (no live state: resources are Stopped). */
export async function offlineStatus(file: string, what: string | undefined, context: CommandContext): Promise<number> {
  const { cib } = readCibFileOrEmpty(file);
  const nodes = cib.nodes.map((node) => node.uname);
  const flags = (name: string): string => {
    const node = cib.nodes.find((item) => item.uname === name);
    const values = Object.fromEntries((node?.instance ?? []).flatMap((set) => Object.entries(set.values)));
    return [values.standby === "on" || values.standby === "true" ? " standby" : "", values.maintenance === "on" || values.maintenance === "true" ? " maintenance" : ""].join("");
  };
  const verification = verifyCib(cib, { now: Math.floor(Date.now() / 1000) });
  const lines: string[] = [];
  if (what === undefined) {
    if (verification.errors.length > 0 || verification.warnings.length > 0) lines.push("WARNINGS:", ...verification.errors.slice(0, 1), ...verification.warnings, "");
    lines.push("Cluster Summary:", "  * Stack: edgeha (from a file: no node is running)", `  * ${nodes.length} nodes configured`, `  * ${everyResource(cib).filter((resource) => resource.kind === "primitive").length} resource instances configured`, "");
  }
  if (what === undefined || what === "nodes") lines.push("Node List:", ...nodes.map((name) => `  * Node ${name}:${flags(name)} (offline)`), "");
  if (what === undefined || what === "resources") lines.push(what === undefined ? "Full List of Resources:" : "Resources:", renderOfflineResources(cib, false, nodes).trimEnd(), ...(cib.resources.some(isStonith) ? [renderOfflineResources(cib, true, nodes).trimEnd()] : []));
  print(context, lines.join("\n"));
  return 0;
}
