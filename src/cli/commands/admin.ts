// The pcs-like configuration commands: resource, constraint, stonith (create,
// delete, levels), node (standby, maintenance, attributes) and property. Each
// edit is a pure function of src/admin applied to the CIB of a file (-f FILE)
// or of the running cluster (through the agent's admin socket).
import {
  applyEdit, describeConstraint, listProperties, parseColocationAdd, parseKeyValues, parseLevelAdd, parseLevelRemove, parseLocationPrefers,
  parseOrderAdd, parseResourceCreate, parseRuleWords, parseSettings, parseStonithCreate, splitRuleOptions, type AdminEdit, type EditOf,
} from "../../admin";
import { flattenSets } from "../../cib";
import { requestApi } from "../../api";
import { EdgehaError, UsageError } from "../../common/errors";
import { didYouMean } from "../../common/suggest";
import { configDefaults } from "../../config/index";
import { commandName, type Command, type OptionSpec, type ParsedArguments } from "../command";
import { fileOption, forceOption, jsonOption, LiveTarget, report, socketOption, targetFor, thisHalfOnlyOption } from "./admin-target";
import { catalogFor } from "./edit-catalog";

const TARGET_OPTIONS: OptionSpec[] = [fileOption, socketOption, jsonOption];

export interface EditSpec<K extends AdminEdit["kind"]> {
  words: string[];
  summary: string;
  usage: string;
  description?: string;
  examples: string[];
  options?: OptionSpec[];
  /** The words after the command (and the options) to an edit; usage mistakes throw. */
  edit(words: string[], args: ParsedArguments, command: Command): EditOf<K>;
  /** What the command did, in a few words: "created resource vip". */
  done(edit: EditOf<K>): string;
}

export function needWords(words: readonly string[], count: number, command: Command, max = count): void {
  if (words.length < count || words.length > max) {
    throw new UsageError(`'edgeha ${commandName(command)}' expects ${command.usage.replace(/\s*\[(--|-f).*$/, "")}`, `Run 'edgeha ${commandName(command)} --help'.`);
  }
}

export function editCommand<K extends AdminEdit["kind"]>(spec: EditSpec<K>): Command {
  const command: Command = {
    words: spec.words,
    summary: spec.summary,
    usage: `${spec.usage} [-f FILE | --socket PATH] [--json]`,
    ...(spec.description === undefined ? {} : { description: spec.description }),
    examples: spec.examples,
    options: [...(spec.options ?? []), ...TARGET_OPTIONS, forceOption, thisHalfOnlyOption],
    async run(args, context) {
      const edit = spec.edit(args.positionals, args, command);
      const target = targetFor(args);
      const catalog = await catalogFor(edit, target, context, args.options.json === true);
      const changed = await target.change((cib) => applyEdit(cib, edit, catalog));
      return report(context, args, changed, spec.done(edit));
    },
  };
  return command;
}

const stringOption = (args: ParsedArguments, name: string): string | undefined => (typeof args.options[name] === "string" ? (args.options[name] as string) : undefined);
const positionOptions: OptionSpec[] = [
  { name: "before", kind: "string", value: "RESOURCE", description: "Place it in the group before this member." },
  { name: "after", kind: "string", value: "RESOURCE", description: "Place it in the group after this member." },
];

/**
 * On the running cluster, `resource ban NAME` without NODE asks the agent where
 * NAME runs (the agent's CIB carries no status section); offline, the file's
 * status section answers (src/admin/placement.ts).
 */
function withLiveBanNode(command: Command): Command {
  return {
    ...command,
    async run(args, context) {
      if (args.positionals.length !== 1 || typeof args.options.file === "string") return command.run(args, context);
      const socket = stringOption(args, "socket") ?? configDefaults.DEFAULT_SOCKET_PATH;
      const reply = (await requestApi(socket, { command: "status" })) as { cluster_state?: { resources?: Array<{ id: string; group?: string; nodes: string[] }> } | null };
      const name = args.positionals[0]!;
      const nodes = new Set((reply.cluster_state?.resources ?? []).filter((item) => item.id === name || item.group === name).flatMap((item) => item.nodes));
      if (nodes.size !== 1) {
        const where = nodes.size === 0 ? "does not run on any node now" : `runs on ${[...nodes].join(", ")}`;
        throw new EdgehaError("E_ADMIN_ARGUMENT", `'${name}' ${where}: name the node to ban it from (edgeha resource ban ${name} NODE)`);
      }
      return command.run({ ...args, positionals: [name, [...nodes][0]!] }, context);
    },
  };
}

const resourceCommands: Command[] = [
  editCommand({
    words: ["resource", "create"],
    summary: "Create a resource: NAME CLASS:PROVIDER:TYPE with attributes, operations and meta attributes.",
    usage: "NAME CLASS:PROVIDER:TYPE [NAME=VALUE...] [op ACTION NAME=VALUE...]... [meta NAME=VALUE...] [--group G [--before R | --after R]] [--disabled]",
    description: "Classes: ocf (ocf:PROVIDER:TYPE), systemd, lsb, service (CLASS:TYPE). A monitor operation every 10s is added unless you give one or pass --no-default-ops. With --group the resource joins group G (created when missing) at its end, or before/after a member.",
    examples: ["resource create vip ocf:heartbeat:IPaddr2 ip=192.168.122.10 cidr_netmask=24 op monitor interval=5s --group front", "resource create web systemd:haproxy --group front --after vip -f cib.json"],
    options: [
      { name: "group", kind: "string", value: "GROUP", description: "Put the resource in this group (made when missing)." },
      ...positionOptions,
      { name: "disabled", kind: "boolean", description: "Create it stopped (target-role=Stopped)." },
      { name: "no-default-ops", kind: "boolean", description: "Do not add the default monitor operation." },
      { name: "agent-validation", kind: "boolean", description: "Also run the OCF agent's validate-all on the parameters, as pcs's --agent-validation (a failure is refused unless --force). A built-in agent's own check always runs." },
    ],
    edit: (words, args) => parseResourceCreate(words, {
      group: stringOption(args, "group"), before: stringOption(args, "before"), after: stringOption(args, "after"),
      disabled: args.options.disabled === true, noDefaultOperations: args.options["no-default-ops"] === true, force: args.options.force === true,
      agentValidation: args.options["agent-validation"] === true,
    }),
    done: (edit) => `created resource ${edit.id}`,
  }),
  editCommand({
    words: ["resource", "delete"],
    summary: "Delete a resource (a group with its members), with the constraints that name it.",
    usage: "NAME",
    examples: ["resource delete web"],
    edit: (words, _args, command) => (needWords(words, 1, command), { kind: "resource-delete", id: words[0]! }),
    done: (edit) => `deleted resource ${edit.id}`,
  }),
  editCommand({
    words: ["resource", "update"],
    summary: "Change a resource's attributes, operations or meta attributes (NAME= removes one).",
    usage: "NAME [NAME=VALUE...] [op ACTION NAME=VALUE...]... [meta NAME=VALUE...]",
    description: "An `op ACTION ...` replaces every operation of that action.",
    examples: ["resource update vip ip=192.168.122.11 op monitor interval=10s timeout=20s meta migration-threshold=3"],
    options: [{ name: "agent-validation", kind: "boolean", description: "Also run the OCF agent's validate-all on the parameters the resource will have, as pcs's --agent-validation (a failure is refused unless --force)." }],
    edit: (words, args, command) => {
      if (words.length < 2) needWords(words, 2, command, Number.POSITIVE_INFINITY);
      return { kind: "resource-update", id: words[0]!, settings: parseSettings(words.slice(1)), force: args.options.force === true, ...(args.options["agent-validation"] === true ? { agentValidation: true } : {}) };
    },
    done: (edit) => `updated resource ${edit.id}`,
  }),
  editCommand({
    words: ["resource", "enable"],
    summary: "Let a resource run again (removes target-role).",
    usage: "NAME",
    examples: ["resource enable web"],
    edit: (words, _args, command) => (needWords(words, 1, command), { kind: "resource-enable", id: words[0]! }),
    done: (edit) => `enabled ${edit.id}`,
  }),
  editCommand({
    words: ["resource", "disable"],
    summary: "Stop a resource and keep it stopped (target-role=Stopped).",
    usage: "NAME",
    examples: ["resource disable web"],
    edit: (words, _args, command) => (needWords(words, 1, command), { kind: "resource-disable", id: words[0]! }),
    done: (edit) => `disabled ${edit.id}`,
  }),
  editCommand({
    words: ["resource", "move"],
    summary: "Move a resource to a node: adds the location cli-prefer-NAME (INFINITY) until 'resource clear'.",
    usage: "NAME NODE",
    examples: ["resource move front node2"],
    edit: (words, _args, command) => (needWords(words, 2, command), { kind: "resource-move", id: words[0]!, node: words[1]! }),
    done: (edit) => `${edit.id} prefers ${edit.node}`,
  }),
  withLiveBanNode(editCommand({
    words: ["resource", "ban"],
    summary: "Keep a resource off a node: adds cli-ban-NAME-on-NODE (-INFINITY) until 'resource clear'.",
    usage: "NAME [NODE]",
    description: "Without NODE the resource is banned from the node the CIB's status shows it running on.",
    examples: ["resource ban front node1"],
    edit: (words, _args, command) => {
      needWords(words, 1, command, 2);
      return words[1] === undefined ? { kind: "resource-ban", id: words[0]! } : { kind: "resource-ban", id: words[0]!, node: words[1] };
    },
    done: (edit) => `banned ${edit.id}${edit.node ? ` from ${edit.node}` : ""}`,
  })),
  editCommand({
    words: ["resource", "clear"],
    summary: "Remove the constraints 'move' and 'ban' added for a resource (of one node when named).",
    usage: "NAME [NODE]",
    examples: ["resource clear front"],
    edit: (words, _args, command) => {
      needWords(words, 1, command, 2);
      return words[1] === undefined ? { kind: "resource-clear", id: words[0]! } : { kind: "resource-clear", id: words[0]!, node: words[1] };
    },
    done: (edit) => `cleared move and ban constraints of ${edit.id}`,
  }),
  editCommand({
    words: ["resource", "group", "add"],
    summary: "Add resources to a group (made when missing), in the order given.",
    usage: "GROUP RESOURCE... [--before R | --after R]",
    description: "A resource that is in another group moves; a group left empty is removed.",
    examples: ["resource group add front vip web"],
    options: positionOptions,
    edit: (words, args, command) => {
      needWords(words, 2, command, Number.POSITIVE_INFINITY);
      const before = stringOption(args, "before");
      const after = stringOption(args, "after");
      if (before !== undefined && after !== undefined) throw new UsageError("give --before or --after, not both");
      return { kind: "group-add", position: { group: words[0]!, ...(before === undefined ? {} : { before }), ...(after === undefined ? {} : { after }) }, resources: words.slice(1) };
    },
    done: (edit) => `group ${edit.position.group} updated`,
  }),
  ...(["clone", "promotable"] as const).map((verb) => editCommand({
    words: ["resource", verb],
    summary: verb === "clone" ? "Run a resource (or group) on several nodes as NAME-clone." : "Make a resource a promotable clone (NAME-clone, promotable=true).",
    usage: "NAME [NAME=VALUE...]",
    description: "The NAME=VALUE words are the clone's meta attributes (clone-max, clone-node-max, interleave, promoted-max, ...). Constraints that named the resource name the clone afterwards.",
    examples: [verb === "clone" ? `resource clone ping clone-max=2` : `resource promotable db promoted-max=1`],
    edit: (words, _args, command) => {
      needWords(words, 1, command, Number.POSITIVE_INFINITY);
      return { kind: "clone", id: words[0]!, meta: parseKeyValues(words.slice(1), "clone options"), promotable: verb === "promotable" };
    },
    done: (edit) => `${edit.id} is now ${verb === "clone" ? "cloned" : "a promotable clone"} as ${edit.id}-clone`,
  })),
];

const cleanupCommand: Command = {
  words: ["resource", "cleanup"],
  summary: "Forget a resource's failures and history so the cluster probes it again (running cluster only).",
  usage: "[NAME] [--node NODE] [--socket PATH] [--json]",
  examples: ["resource cleanup web", "resource cleanup --node node1"],
  options: [{ name: "node", kind: "string", value: "NODE", description: "Only on this node." }, socketOption, jsonOption],
  async run(args, context) {
    if (args.positionals.length > 1) throw new UsageError("'edgeha resource cleanup' takes at most one NAME", "Run 'edgeha resource cleanup --help'.");
    const socket = stringOption(args, "socket") ?? configDefaults.DEFAULT_SOCKET_PATH;
    const request: Record<string, unknown> = { command: "resource-cleanup" };
    if (args.positionals[0] !== undefined) request.resource = args.positionals[0];
    if (stringOption(args, "node") !== undefined) request.node = stringOption(args, "node");
    const reply = (await requestApi(socket, request, 15_000)) as { error?: string; code?: string; message?: string };
    if (reply.error !== undefined) throw new EdgehaError(reply.code && /^E_[A-Z0-9_]+$/.test(reply.code) ? reply.code : "E_ADMIN_LIVE", `cleanup failed: ${reply.error}`);
    context.stdout.write(args.options.json ? `${JSON.stringify(reply)}\n` : `${reply.message ?? `cleaned up ${args.positionals[0] ?? "all resources"}`}\n`);
    return 0;
  },
};

type ClusterResources = Array<{ id: string; group?: string; role: string; nodes: string[] }>;

async function rolesOf(socket: string, name: string): Promise<ClusterResources> {
  const reply = (await requestApi(socket, { command: "status" })) as { cluster_state?: { resources?: ClusterResources } | null };
  return (reply.cluster_state?.resources ?? []).filter((item) => item.id === name || item.group === name);
}

/** Polls the agent's status every 200 ms until `done` holds, for at most timeoutMs. */
async function waitForRoles(socket: string, name: string, what: string, timeoutMs: number, done: (resources: ClusterResources) => boolean): Promise<ClusterResources> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const resources = await rolesOf(socket, name);
    if (done(resources)) return resources;
    if (Date.now() >= deadline) throw new EdgehaError("E_ADMIN_TIMEOUT", `'${name}' did not ${what} within ${timeoutMs / 1000} s (${resources.map((item) => `${item.id}: ${item.role}`).join(", ") || "not in the cluster's status"}); see 'edgeha status'`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const restartCommand: Command = {
  words: ["resource", "restart"],
  summary: "Stop a resource (or group) and start it again, as pcs does: disable, wait for the stop, enable (running cluster only).",
  usage: "NAME [--timeout SECONDS] [--socket PATH] [--json]",
  description: "Each step is a versioned configuration change. The resource is enabled again even when the stop does not finish in time.",
  examples: ["resource restart front", "resource restart web --timeout 120"],
  options: [{ name: "timeout", kind: "number", value: "SECONDS", description: "How long to wait for the stop, and then for the start (default 60)." }, socketOption, jsonOption],
  async run(args, context) {
    if (args.positionals.length !== 1) throw new UsageError("'edgeha resource restart' needs one NAME", "Run 'edgeha resource restart --help'.");
    const name = args.positionals[0]!;
    const socket = stringOption(args, "socket") ?? configDefaults.DEFAULT_SOCKET_PATH;
    const timeoutMs = Math.round(Math.min(3600, Math.max(1, typeof args.options.timeout === "number" ? args.options.timeout : 60)) * 1000);
    const before = await rolesOf(socket, name);
    if (!before.some((item) => item.role === "Started")) {
      throw new EdgehaError("E_ADMIN_ARGUMENT", `'${name}' is not running, so there is nothing to restart${before.length === 0 ? " (the cluster's status does not list it)" : ""}; start it with 'edgeha resource enable ${name}'`);
    }
    const target = new LiveTarget(socket);
    await target.change((cib) => applyEdit(cib, { kind: "resource-disable", id: name }));
    try {
      await waitForRoles(socket, name, "stop", timeoutMs, (resources) => resources.every((item) => item.role === "Stopped"));
    } finally {
      await target.change((cib) => applyEdit(cib, { kind: "resource-enable", id: name }));
    }
    const after = await waitForRoles(socket, name, "start again", timeoutMs, (resources) => resources.length > 0 && resources.every((item) => item.role === "Started"));
    const nodes = [...new Set(after.flatMap((item) => item.nodes))];
    context.stdout.write(args.options.json ? `${JSON.stringify({ ok: true, resource: name, nodes })}\n` : `restarted ${name} (on ${nodes.join(", ")})\n`);
    return 0;
  },
};

interface Relocation { resource: string; from: string[]; to: string }

const relocateCommand: Command = {
  words: ["resource", "relocate"],
  summary: "Move resources to the nodes they prefer when stickiness is ignored (like pcs resource relocate run), then drop the temporary constraints (running cluster only).",
  usage: "[NAME...] [--dry-run] [--timeout SECONDS] [--socket PATH] [--json]",
  description: "The DC computes where each named primitive or group (every one when none is named) would run if resource-stickiness did not hold it there, for example back on the node a location constraint prefers after a failover. Each one that would move gets a temporary location constraint relocate-NAME (INFINITY on that node); once all have moved, or the timeout ran out, those constraints are removed, so stickiness keeps them where they are. --dry-run only prints the moves. Clones are not relocated.",
  examples: ["resource relocate --dry-run", "resource relocate front", "resource relocate --timeout 120"],
  options: [
    { name: "dry-run", kind: "boolean", description: "Print the moves without making them." },
    { name: "timeout", kind: "number", value: "SECONDS", description: "How long to wait for the moves (default 60)." },
    socketOption, jsonOption,
  ],
  async run(args, context) {
    const socket = stringOption(args, "socket") ?? configDefaults.DEFAULT_SOCKET_PATH;
    const names = args.positionals;
    if (names.length > 0) {
      const current = (await requestApi(socket, { command: "cib-get" })) as { cib?: { resources?: Array<{ id: string }> } };
      const known = (current.cib?.resources ?? []).map((resource) => resource.id);
      for (const name of names) if (!known.includes(name)) throw new EdgehaError("E_ADMIN_UNKNOWN_RESOURCE", `no resource '${name}' at the top of the configuration${didYouMean(name, known)}`);
    }
    const reply = (await requestApi(socket, { command: "relocation-plan", resources: names }, 15_000)) as { relocations?: Relocation[]; error?: string; code?: string };
    if (reply.error !== undefined) throw new EdgehaError(reply.code && /^E_[A-Z0-9_]+$/.test(reply.code) ? reply.code : "E_ADMIN_LIVE", `relocate: ${reply.error}`);
    const plan = reply.relocations ?? [];
    const describe = (move: Relocation) => `${move.resource}: ${move.from.join(", ")} -> ${move.to}`;
    if (plan.length === 0 || args.options["dry-run"] === true) {
      if (args.options.json) context.stdout.write(`${JSON.stringify({ ok: true, dryRun: args.options["dry-run"] === true, relocations: plan })}\n`);
      else context.stdout.write(plan.length === 0 ? "every resource already runs on its preferred node\n" : `${plan.map((move) => `would move ${describe(move)}`).join("\n")}\n`);
      return 0;
    }
    const timeoutMs = Math.round(Math.min(3600, Math.max(1, typeof args.options.timeout === "number" ? args.options.timeout : 60)) * 1000);
    const target = new LiveTarget(socket);
    const ids = plan.map((move) => `relocate-${move.resource}`);
    // One versioned change for all the moves.
    await target.change((cib) => {
      const results = plan.reduce<ReturnType<typeof applyEdit>[]>((done, move) => [...done, applyEdit(done.at(-1)?.cib ?? cib, { kind: "location-add", id: `relocate-${move.resource}`, rsc: move.resource, node: move.to, score: "INFINITY" })], []);
      return { cib: results.at(-1)!.cib, warnings: results.flatMap((result) => result.warnings), changed: results.some((result) => result.changed) };
    });
    try {
      for (const move of plan) {
        await waitForRoles(socket, move.resource, `move to ${move.to}`, timeoutMs, (resources) => resources.length > 0 && resources.every((item) => item.role === "Started" && item.nodes.length === 1 && item.nodes[0] === move.to));
      }
    } finally {
      await target.change((cib) => applyEdit(cib, { kind: "constraint-remove", ids, constraintKind: "location" }));
    }
    context.stdout.write(args.options.json ? `${JSON.stringify({ ok: true, relocations: plan })}\n` : `${plan.map((move) => `moved ${describe(move)}`).join("\n")}\n`);
    return 0;
  },
};

function removeCommand(kind: "location" | "colocation" | "order" | undefined): Command {
  const words = kind === undefined ? ["constraint", "remove"] : ["constraint", kind, "remove"];
  return editCommand({
    words,
    summary: `Remove ${kind ?? "any"} constraints by id (see 'edgeha constraint list').`,
    usage: "ID...",
    examples: [`${words.join(" ")} ${kind === "order" ? "order-vip-web-mandatory" : kind === "colocation" ? "colocation-web-vip-INFINITY" : "location-vip-node1-100"}`],
    edit: (ids, _args, command) => (needWords(ids, 1, command, Number.POSITIVE_INFINITY), { kind: "constraint-remove", ids, ...(kind === undefined ? {} : { constraintKind: kind }) }),
    done: (edit) => `removed ${edit.ids.join(", ")}`,
  });
}

const constraintCommands: Command[] = [
  editCommand<"location-prefers" | "location-rule">({
    words: ["constraint", "location"],
    summary: "Say where a resource prefers or avoids to run: RESOURCE prefers|avoids NODE[=SCORE]..., or RESOURCE rule [OPTIONS] EXPRESSION.",
    usage: "RESOURCE prefers|avoids NODE[=SCORE]... | RESOURCE rule [id=ID] [constraint-id=ID] [resource-discovery=always|never|exclusive] [role=Promoted|Unpromoted] [score=SCORE|score-attribute=ATTRIBUTE] EXPRESSION",
    description: [
      "prefers/avoids: SCORE defaults to INFINITY; avoids makes it negative. One constraint per node, named location-RESOURCE-NODE-SCORE.",
      "rule: one constraint location-RESOURCE whose rule (id RULE-ID or location-RESOURCE-rule, score INFINITY unless given) says on which nodes the score applies; RESOURCE may be regexp%PATTERN. EXPRESSION, as pcs reads it:",
      "  ATTRIBUTE eq|ne|lt|gt|lte|gte [string|integer|number|version] VALUE;  defined|not_defined ATTRIBUTE;",
      "  date gt|lt DATE;  date in_range DATE to DATE;  date in_range DATE to duration NAME=N...;  date-spec NAME=N[-M]...",
      "  (NAME: hours monthdays weekdays yeardays months weeks years weekyears moon), joined with and/or (left to right) and parentheses.",
      "Node attributes include #uname (the node's name). The same rule on the same resource twice is refused unless --force.",
    ].join("\n"),
    examples: ["constraint location vip prefers node1=100", "constraint location web avoids node3", "constraint location vip rule score=-INFINITY pingd lt 1 or not_defined pingd", "constraint location db rule role=Promoted '#uname' eq node1 and date-spec hours=9-17 weekdays=1-5"],
    edit: (words, args) => {
      if (words[1] !== "rule") return parseLocationPrefers(words);
      const { options, expression } = splitRuleOptions(words.slice(2), true);
      // The expression is read here too, so a mistake is reported before the CIB is read.
      parseRuleWords(expression);
      return { kind: "location-rule", rsc: words[0]!, options, expression, ...(args.options.force === true ? { force: true } : {}) };
    },
    done: (edit) => `added location ${edit.kind === "location-rule" ? "rule constraint" : "constraints"} for ${edit.rsc}`,
  }),
  editCommand({
    words: ["constraint", "rule", "add"],
    summary: "Add a rule to a location constraint: CONSTRAINT [OPTIONS] EXPRESSION (see 'constraint location --help' for EXPRESSION).",
    usage: "CONSTRAINT [id=ID] [role=Promoted|Unpromoted] [score=SCORE|score-attribute=ATTRIBUTE] EXPRESSION",
    description: "The rule's id is CONSTRAINT-rule unless given (made unique). A constraint that named a node and a score keeps only its rules afterwards, as pcs writes it.",
    examples: ["constraint rule add location-vip score=50 '#uname' eq node2"],
    edit: (words, args, command) => {
      needWords(words, 2, command, Number.POSITIVE_INFINITY);
      const { options, expression } = splitRuleOptions(words.slice(1), false);
      parseRuleWords(expression);
      return { kind: "rule-add", constraint: words[0]!, options, expression, ...(args.options.force === true ? { force: true } : {}) };
    },
    done: (edit) => `added rule to ${edit.constraint}`,
  }),
  ...["remove", "delete"].map((verb) => editCommand({
    words: ["constraint", "rule", verb],
    summary: "Remove a rule of a location constraint by its id (the constraint too when it was its only rule).",
    usage: "RULE-ID",
    examples: [`constraint rule ${verb} location-vip-rule`],
    edit: (words, _args, command) => (needWords(words, 1, command), { kind: "rule-remove" as const, id: words[0]! }),
    done: (edit) => `removed rule ${edit.id}`,
  })),
  editCommand({
    words: ["constraint", "location", "add"],
    summary: "Add a location constraint with an id of your choosing: ID RESOURCE NODE SCORE.",
    usage: "ID RESOURCE NODE SCORE",
    examples: ["constraint location add vip-on-node1 vip node1 200"],
    edit: (words, _args, command) => (needWords(words, 4, command), { kind: "location-add", id: words[0]!, rsc: words[1]!, node: words[2]!, score: words[3]! }),
    done: (edit) => `added location ${edit.id}`,
  }),
  editCommand({
    words: ["constraint", "colocation", "add"],
    summary: "Keep one resource with (or away from) another: [ROLE] A with [ROLE] B [SCORE].",
    usage: "[ROLE] RESOURCE with [ROLE] RESOURCE [SCORE] [id=ID]",
    description: "SCORE defaults to INFINITY (A runs only where B runs); -INFINITY keeps them apart. A mandatory colocation with a resource that can run nowhere is warned about.",
    examples: ["constraint colocation add web with vip", "constraint colocation add web with Promoted db INFINITY"],
    edit: (words) => parseColocationAdd(words),
    done: () => "added colocation",
  }),
  editCommand({
    words: ["constraint", "order", "add"],
    summary: "Start one resource after another: [ACTION] A then [ACTION] B.",
    usage: "[ACTION] RESOURCE then [ACTION] RESOURCE [kind=Mandatory|Optional|Serialize] [symmetrical=true|false] [id=ID]",
    examples: ["constraint order add vip then web", "constraint order add promote db then start web kind=Optional"],
    edit: (words) => parseOrderAdd(words),
    done: () => "added order",
  }),
  removeCommand(undefined),
  removeCommand("location"),
  removeCommand("colocation"),
  removeCommand("order"),
  {
    words: ["constraint", "list"],
    summary: "List the constraints with their ids.",
    usage: "[-f FILE | --socket PATH] [--json]",
    examples: ["constraint list", "constraint list -f cib.json --json"],
    options: TARGET_OPTIONS,
    async run(args, context) {
      const { cib } = await targetFor(args).read();
      if (args.options.json) return context.stdout.write(`${JSON.stringify(cib.constraints)}\n`), 0;
      context.stdout.write(cib.constraints.length === 0 ? "no constraints\n" : `${cib.constraints.map(describeConstraint).join("\n")}\n`);
      return 0;
    },
  },
];

const stonithEditCommands: Command[] = [
  editCommand({
    words: ["stonith", "create"],
    summary: "Create a fence device: NAME DRIVER with the driver's parameters.",
    usage: "NAME DRIVER [NAME=VALUE...] [op ACTION NAME=VALUE...] [meta NAME=VALUE...] [--disabled]",
    description: "DRIVER is a built-in driver (see 'edgeha stonith list-drivers') or any fence-agents program fence_*. A monitor every 60s is added unless you give one. pcmk_host_list / pcmk_host_map say which nodes it fences.",
    examples: ["stonith create fence-node1 ipmilan ip=10.0.0.101 username=admin password=secret pcmk_host_list=node1"],
    options: [{ name: "disabled", kind: "boolean", description: "Create it stopped (target-role=Stopped)." }],
    edit: (words, args) => parseStonithCreate(words, args.options.disabled === true, args.options.force === true),
    done: (edit) => `created fence device ${edit.id}`,
  }),
  editCommand({
    words: ["stonith", "update"],
    summary: "Change a fence device's parameters, operations or meta attributes (NAME= removes one).",
    usage: "NAME [NAME=VALUE...] [op ACTION NAME=VALUE...]... [meta NAME=VALUE...]",
    examples: ["stonith update fence-node1 pcmk_delay_max=5s"],
    edit: (words, _args, command) => {
      if (words.length < 2) needWords(words, 2, command, Number.POSITIVE_INFINITY);
      return { kind: "resource-update", id: words[0]!, settings: parseSettings(words.slice(1)), stonith: true };
    },
    done: (edit) => `updated fence device ${edit.id}`,
  }),
  editCommand({
    words: ["stonith", "delete"],
    summary: "Delete a fence device, taking it out of its fencing levels.",
    usage: "NAME",
    examples: ["stonith delete fence-node1"],
    edit: (words, _args, command) => (needWords(words, 1, command), { kind: "stonith-delete", id: words[0]! }),
    done: (edit) => `deleted fence device ${edit.id}`,
  }),
  editCommand({
    words: ["stonith", "level", "add"],
    summary: "Add a fencing level: LEVEL (1-9) TARGET DEVICE[,DEVICE...], tried in level order.",
    usage: "LEVEL TARGET DEVICE[,DEVICE...]...",
    description: "TARGET is a node name, regexp%PATTERN or attrib%NAME=VALUE. All devices of a level must succeed; if any fails the next level is tried.",
    examples: ["stonith level add 1 node1 fence-node1", "stonith level add 2 node1 pdu-a,pdu-b"],
    edit: (words) => parseLevelAdd(words),
    done: (edit) => `added fencing level ${edit.index} for ${edit.target}`,
  }),
  editCommand({
    words: ["stonith", "level", "remove"],
    summary: "Remove fencing levels: LEVEL [TARGET] [DEVICE...].",
    usage: "LEVEL [TARGET] [DEVICE[,DEVICE...]]",
    examples: ["stonith level remove 2 node1"],
    edit: (words) => parseLevelRemove(words),
    done: (edit) => `removed fencing level ${edit.index}`,
  }),
];

const nodeFlagCommands: Command[] = (["standby", "unstandby", "maintenance", "unmaintenance"] as const).map((verb) => {
  const flag = verb.endsWith("standby") ? "standby" : "maintenance";
  const on = !verb.startsWith("un");
  const explanation = flag === "standby" ? "resources move away and none start there" : "resources there are left alone: not started, stopped or monitored";
  return editCommand({
    words: ["node", verb],
    summary: on ? `Put a node in ${flag} (${explanation}).` : `Take a node out of ${flag}.`,
    usage: "NODE",
    examples: [`node ${verb} node1`],
    edit: (words, _args, command) => (needWords(words, 1, command), { kind: "node-flag", node: words[0]!, flag, on }),
    done: (edit) => `${edit.node} ${on ? "is in" : "is out of"} ${flag}`,
  });
});

const nodeAttributeCommand: Command = {
  ...editCommand({
    words: ["node", "attribute"],
    summary: "Set node attributes (NAME= removes one), or show them when none is given.",
    usage: "NODE [NAME=VALUE...]",
    examples: ["node attribute node1 rack=a1", "node attribute node1"],
    edit: (words) => ({ kind: "node-attribute", node: words[0]!, values: parseKeyValues(words.slice(1), "node attributes") }),
    done: (edit) => `attributes of ${edit.node} updated`,
  }),
  async run(args, context) {
    const [node, ...pairs] = args.positionals;
    if (node === undefined) throw new UsageError("'edgeha node attribute' needs a NODE", "Run 'edgeha node attribute --help'.");
    const target = targetFor(args);
    if (pairs.length > 0) {
      const edit: AdminEdit = { kind: "node-attribute", node, values: parseKeyValues(pairs, "node attributes") };
      const changed = await target.change((cib) => applyEdit(cib, edit));
      return report(context, args, changed, `attributes of ${node} updated`);
    }
    const { cib } = await target.read();
    const found = cib.nodes.find((item) => item.uname === node);
    if (!found) throw new EdgehaError("E_ADMIN_UNKNOWN_NODE", `no node named '${node}'${didYouMean(node, cib.nodes.map((item) => item.uname))}`);
    const attributes = flattenSets(found.instance);
    context.stdout.write(args.options.json ? `${JSON.stringify(attributes)}\n` : `${Object.entries(attributes).map(([key, value]) => `${key}=${value}`).join("\n") || "no attributes"}\n`);
    return 0;
  },
};

function defaultsCommand(section: "rscDefaults" | "opDefaults"): Command {
  const words = section === "rscDefaults" ? ["resource", "defaults"] : ["resource", "op", "defaults"];
  const what = section === "rscDefaults" ? "resource meta attributes" : "operation options";
  return {
    words,
    summary: `Set default ${what} for every ${section === "rscDefaults" ? "resource" : "operation"} (NAME= removes one), or show them.`,
    usage: "[NAME=VALUE...] [-f FILE | --socket PATH] [--json]",
    examples: [section === "rscDefaults" ? `${words.join(" ")} resource-stickiness=100 migration-threshold=3` : `${words.join(" ")} timeout=30s`],
    options: [...TARGET_OPTIONS, forceOption, thisHalfOnlyOption],
    async run(args, context) {
      const target = targetFor(args);
      if (args.positionals.length > 0) {
        const edit: AdminEdit = { kind: "defaults", section, values: parseKeyValues(args.positionals, words.join(" ")) };
        return report(context, args, await target.change((cib) => applyEdit(cib, edit)), `${what} defaults updated`);
      }
      const values = flattenSets((await target.read()).cib[section]);
      context.stdout.write(args.options.json ? `${JSON.stringify(values)}\n` : `${Object.entries(values).map(([key, value]) => `${key}=${value}`).join("\n") || "no defaults set"}\n`);
      return 0;
    },
  };
}

const propertyCommands: Command[] = [
  editCommand({
    words: ["property", "set"],
    summary: "Set cluster properties (checked against Pacemaker's options; NAME= unsets one).",
    usage: "NAME=VALUE... [--force]",
    examples: ["property set stonith-enabled=true no-quorum-policy=stop"],
    edit: (words, args, command) => (needWords(words, 1, command, Number.POSITIVE_INFINITY), { kind: "property-set", values: parseKeyValues(words, "property set"), force: args.options.force === true }),
    done: (edit) => `set ${Object.keys(edit.values).join(", ")}`,
  }),
  editCommand({
    words: ["property", "unset"],
    summary: "Remove cluster properties, so their defaults apply.",
    usage: "NAME...",
    examples: ["property unset maintenance-mode"],
    edit: (words, _args, command) => (needWords(words, 1, command, Number.POSITIVE_INFINITY), { kind: "property-unset", names: words }),
    done: (edit) => `unset ${edit.names.join(", ")}`,
  }),
  {
    words: ["property", "list"],
    summary: "List the cluster properties that are set (--all: every option with its default).",
    usage: "[--all] [-f FILE | --socket PATH] [--json]",
    examples: ["property list", "property list --all -f cib.json"],
    options: [{ name: "all", kind: "boolean", description: "Also list the options left at their defaults." }, ...TARGET_OPTIONS],
    async run(args, context) {
      const { cib } = await targetFor(args).read();
      const entries = listProperties(cib, args.options.all === true);
      if (args.options.json) return context.stdout.write(`${JSON.stringify(entries)}\n`), 0;
      const lines = entries.map((entry) => `${entry.name}=${entry.value ?? ""}${entry.set ? "" : " (default)"}`);
      context.stdout.write(`${lines.join("\n") || "no cluster properties set"}\n`);
      return 0;
    },
  },
];

export const adminCommands: Command[] = [
  ...resourceCommands, cleanupCommand, restartCommand, relocateCommand, defaultsCommand("rscDefaults"), defaultsCommand("opDefaults"), ...constraintCommands, ...stonithEditCommands, ...nodeFlagCommands, nodeAttributeCommand, ...propertyCommands,
];
