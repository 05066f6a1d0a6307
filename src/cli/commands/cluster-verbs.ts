// The whole-cluster verbs as pcs users type them: `cluster start|stop|enable|disable [--all]`
// and `cluster status [--all]`. Without --all they act on this node (systemd for start, enable
// and disable; a graceful leave for stop). With --all they are carried through the running
// cluster by the local agent (src/node/cluster-verbs.ts); what the cluster cannot do (start an
// agent that is not running, reach a node outside this partition) is said, with what to run there.
import type { Command, CommandContext, ParsedArguments } from "../command";
import { EdgehaError, UsageError } from "../../common/errors";
import { configDefaults } from "../../config";
import { requestApi } from "../../api";
import { serviceAction, type ServiceAction } from "../../node/service-control";
import { VERB_WAIT_MS, type VerbOutcome } from "../../node/cluster-verbs";
import { disagreements, type NodeView, type VerbName } from "../../node/verbs-protocol";
import type { AgentStatus } from "../../node/agent";
import { renderClusterStatus } from "./cluster";

const socketOption = { name: "socket", kind: "string" as const, value: "PATH", description: `Admin socket of the local agent (default ${configDefaults.DEFAULT_SOCKET_PATH}).` };
const jsonOption = { name: "json", kind: "boolean" as const, description: "Print JSON." };
const allOption = { name: "all", kind: "boolean" as const, description: "Every node of the cluster, through the running agents (see above)." };
/** How long `cluster stop` waits for the agent to finish leaving (as the unit's TimeoutStopSec). */
const STOP_WAIT_SECONDS_DEFAULT = 1800;

function socketOf(args: ParsedArguments): string {
  return typeof args.options.socket === "string" ? args.options.socket : configDefaults.DEFAULT_SOCKET_PATH;
}

function noPositionals(args: ParsedArguments, words: string): void {
  if (args.positionals.length > 0) throw new UsageError(`'edgeha ${words}' takes no node names (${args.positionals.join(" ")}): it acts on this node, or on every node with --all`);
}

/** Whether the local agent answers on its socket. */
async function agentAnswers(socket: string): Promise<boolean> {
  try {
    await requestApi(socket, { command: "status" }, 3000);
    return true;
  } catch {
    return false;
  }
}

async function localStatus(socket: string): Promise<AgentStatus> {
  const reply = (await requestApi(socket, { command: "status" }, 5000)) as AgentStatus & { error?: string };
  if (reply.error) throw new EdgehaError("E_API_REQUEST", `the agent answered: ${reply.error}`);
  return reply;
}

/** Asks the local agent to carry a verb to every member; a clear error when it is not running. */
async function carry(socket: string, verb: VerbName, words: string): Promise<VerbOutcome> {
  let reply: (VerbOutcome & { ok?: boolean; error?: string; code?: string }) | undefined;
  try {
    reply = (await requestApi(socket, { command: "cluster-verb", verb }, VERB_WAIT_MS[verb] + 10_000)) as VerbOutcome & { ok?: boolean; error?: string; code?: string };
  } catch (error) {
    if ((error as { code?: string }).code === "E_AGENT_UNREACHABLE") {
      throw new EdgehaError("E_AGENT_UNREACHABLE", `${(error as Error).message}. 'edgeha ${words} --all' is carried through the running cluster by this node's agent: start it here first, or run 'edgeha ${words}' (without --all) on each node`);
    }
    throw error;
  }
  if (!reply.ok) throw new EdgehaError(reply.code && /^E_[A-Z0-9_]+$/.test(reply.code) ? reply.code : "E_API_REQUEST", `${words} --all: ${reply.error ?? "the agent's reply was not understood"}`);
  return { answers: reply.answers, unreachable: reply.unreachable };
}

/** Prints a verb's outcome per node; throws E_CLUSTER_PARTIAL when a node did not do it. */
function report(context: CommandContext, args: ParsedArguments, words: string, outcome: VerbOutcome, hint: (node: string) => string): number {
  const failed = outcome.answers.filter((answer) => !answer.ok);
  if (args.options.json) {
    context.stdout.write(`${JSON.stringify({ ok: failed.length === 0 && outcome.unreachable.length === 0, answers: outcome.answers.map(({ view: _view, ...rest }) => rest), unreachable: outcome.unreachable })}\n`);
    return failed.length === 0 && outcome.unreachable.length === 0 ? 0 : 1;
  }
  const lines = [
    ...outcome.answers.map((answer) => `${answer.node}: ${answer.ok ? answer.message : `FAILED: ${answer.message}`}`),
    ...outcome.unreachable.map((each) => `${each.node}: NOT REACHED: ${each.reason}; ${hint(each.node)}`),
  ];
  context.stdout.write(`${lines.join("\n")}\n`);
  if (failed.length > 0 || outcome.unreachable.length > 0) {
    const names = [...failed.map((answer) => answer.node), ...outcome.unreachable.map((each) => each.node)];
    throw new EdgehaError("E_CLUSTER_PARTIAL", `${words} --all was not done on ${names.join(", ")} (see above)`);
  }
  return 0;
}

/** systemctl ACTION edgeha.service here; E_SERVICE_ACTION with systemctl's words when it fails. */
async function localService(action: ServiceAction, context: CommandContext): Promise<string> {
  const result = await serviceAction(action, context.env);
  if (!result.ok) throw new EdgehaError("E_SERVICE_ACTION", `${result.command} failed: ${result.output || "no output"}`);
  return `${result.command}: done${result.output ? ` (${result.output.split("\n").join("; ")})` : ""}`;
}

const startCommand: Command = {
  words: ["cluster", "start"],
  summary: "Start edgeha on this node (systemctl start edgeha); --all also says which nodes are still down",
  usage: "[--all] [--socket PATH] [--json]",
  description: [
    "Starts the edgeha service here through systemd and waits for it (the unit reports ready once the node has joined its peers or knows it is alone).",
    "With --all, as `pcs cluster start --all`: edgeha has no daemon that could start an agent on another machine, so after starting this node it lists every configured node that is not a member of this node's view, with the command to run there (`edgeha cluster start` on that node). It exits 0 only when every node is up.",
  ].join("\n\n"),
  examples: ["cluster start", "cluster start --all"],
  options: [allOption, socketOption, jsonOption],
  async run(args, context) {
    noPositionals(args, "cluster start");
    const done = await localService("start", context);
    if (!args.options.all) {
      context.stdout.write(args.options.json ? `${JSON.stringify({ ok: true, message: done })}\n` : `${done}\n`);
      return 0;
    }
    const socket = socketOf(args);
    let status: AgentStatus;
    try {
      status = await localStatus(socket);
    } catch (error) {
      throw new EdgehaError("E_AGENT_UNREACHABLE", `${done}, but the agent does not answer on ${socket} (${(error as Error).message}): the other nodes cannot be checked from here; see 'journalctl -u edgeha'`);
    }
    const down = (status.nodes ?? []).filter((node) => !node.member).map((node) => node.name);
    const up = (status.nodes ?? []).filter((node) => node.member).map((node) => node.name);
    if (args.options.json) {
      context.stdout.write(`${JSON.stringify({ ok: down.length === 0, message: done, up, down })}\n`);
      return down.length === 0 ? 0 : 1;
    }
    const lines = [`${status.node.name}: ${done}`, ...up.filter((name) => name !== status.node.name).map((name) => `${name}: running (a member)`)];
    lines.push(...down.map((name) => `${name}: NOT RUNNING (not a member of ${status.node.name}'s view): its agent cannot be started from here; run 'edgeha cluster start' on ${name}`));
    context.stdout.write(`${lines.join("\n")}\n`);
    if (down.length > 0) throw new EdgehaError("E_CLUSTER_PARTIAL", `cluster start --all: ${down.join(", ")} ${down.length === 1 ? "is" : "are"} not running yet (see above)`);
    return 0;
  },
};

/** Waits until the agent no longer answers on its socket: it has left and exited. */
async function waitForExit(socket: string, seconds: number): Promise<boolean> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    if (!(await agentAnswers(socket))) return true;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return false;
}

const stopCommand: Command = {
  words: ["cluster", "stop"],
  summary: "Stop edgeha on this node cleanly (resources move away first, nobody is fenced); --all stops every node",
  usage: "[--all] [--wait SECONDS] [--socket PATH] [--json]",
  description: [
    "Asks the local agent to leave (as `edgeha node stop`): the DC moves this node's resources to the other nodes (or stops those that have nowhere to go), the peers are told it leaves so nobody fences it, and the agent exits 0, which leaves the systemd unit stopped. Waits until the agent has exited (at most --wait seconds, 1800 by default, as the unit's stop timeout).",
    "With --all, as `pcs cluster stop --all`: every member is asked at the same moment, so the DC sees the whole cluster leaving and stops the resources in their order instead of moving them from node to node; every agent exits once nothing runs on it. Nodes outside this node's partition are named (they are not running, or cannot be reached: run 'edgeha cluster stop' there).",
    "When no agent answers on the socket it says so (E_AGENT_UNREACHABLE): a node where edgeha is not running has nothing to stop.",
  ].join("\n\n"),
  examples: ["cluster stop", "cluster stop --all"],
  options: [allOption, { name: "wait", kind: "number", value: "SECONDS", description: "How long to wait for this node's agent to exit (default 1800; 0 = do not wait)." }, socketOption, jsonOption],
  async run(args, context) {
    noPositionals(args, "cluster stop");
    const socket = socketOf(args);
    const wait = typeof args.options.wait === "number" ? args.options.wait : STOP_WAIT_SECONDS_DEFAULT;
    if (!(wait >= 0 && wait <= 86_400)) throw new UsageError("--wait must be between 0 and 86400 seconds");
    if (!(await agentAnswers(socket))) {
      // Not "nothing to stop": a mistyped --socket must not pass for a stopped node.
      throw new EdgehaError("E_AGENT_UNREACHABLE", args.options.all
        ? `no agent answers on ${socket}: 'cluster stop --all' is carried through the running cluster by this node's agent; run it on a node where edgeha runs`
        : `no agent answers on ${socket}: if edgeha is not running on this node there is nothing to stop (systemctl is-active edgeha says)`);
    }
    let outcome: VerbOutcome | undefined;
    if (args.options.all) outcome = await carry(socket, "stop", "cluster stop");
    else {
      const reply = (await requestApi(socket, { command: "node-stop" })) as { ok?: boolean; message?: string; error?: string; code?: string };
      if (!reply.ok) throw new EdgehaError(reply.code && /^E_[A-Z0-9_]+$/.test(reply.code) ? reply.code : "E_API_REQUEST", `cluster stop: ${reply.error ?? "the agent's reply was not understood"}`);
      if (!args.options.json) context.stdout.write(`${reply.message}\n`);
    }
    const exited = wait === 0 ? false : await waitForExit(socket, wait);
    if (outcome !== undefined) {
      if (!args.options.json) context.stdout.write(exited ? "This node's agent has left and exited; the others leave as their resources stop.\n" : "");
      report(context, args, "cluster stop", outcome, (node) => `run 'edgeha cluster stop' on ${node} if edgeha runs there`);
    } else if (args.options.json) context.stdout.write(`${JSON.stringify({ ok: true, exited })}\n`);
    else if (exited) context.stdout.write("The agent has left the cluster and exited.\n");
    if (wait > 0 && !exited) throw new EdgehaError("E_STOP_TIMEOUT", `the agent on ${socket} is still leaving after ${wait} s (its resources have not all moved or stopped yet); watch 'edgeha status', it exits by itself once nothing runs here`);
    return 0;
  },
};

function serviceVerb(action: "enable" | "disable"): Command {
  const words = `cluster ${action}`;
  return {
    words: ["cluster", action],
    summary: action === "enable" ? "Start edgeha at boot on this node (systemctl enable edgeha); --all on every node" : "Do not start edgeha at boot on this node (systemctl disable edgeha); --all on every node",
    usage: "[--all] [--socket PATH] [--json]",
    description: [
      `Runs \`systemctl ${action} edgeha.service\` here; the running agent is not touched.`,
      `With --all, as \`pcs cluster ${action} --all\`: the local agent asks every member to run it on its own machine and prints each node's answer. Nodes outside this node's partition cannot be reached this way: they are named, with the command to run there. Exits non-zero unless every node did it.`,
    ].join("\n\n"),
    examples: [words, `${words} --all`],
    options: [allOption, socketOption, jsonOption],
    async run(args, context) {
      noPositionals(args, words);
      if (!args.options.all) {
        const done = await localService(action, context);
        context.stdout.write(args.options.json ? `${JSON.stringify({ ok: true, message: done })}\n` : `${done}\n`);
        return 0;
      }
      return report(context, args, words, await carry(socketOf(args), action, words), (node) => `run 'edgeha ${words}' on ${node}`);
    },
  };
}

/** `cluster status --all`: one block per node (its own view), then every disagreement. */
export function renderViews(outcome: VerbOutcome): string {
  const views = outcome.answers.map((answer) => answer.view).filter((view): view is NodeView => view !== undefined);
  const lines = ["Each node's own view:"];
  for (const view of views) {
    lines.push(
      `  * ${view.node}: DC ${view.dc ?? "NONE"}, ${view.quorate ? "quorate" : "NOT quorate"}, ring ${view.ringId}, members [ ${view.members.join(" ")} ], CIB ${view.cibVersion}, edgeha ${view.version}${view.protocol === null ? "" : ` (protocol ${view.protocol})`}`,
      `      runs: ${view.running.length > 0 ? view.running.join(" ") : "nothing"}`,
    );
  }
  for (const each of outcome.unreachable) lines.push(`  * ${each.node}: NOT REACHED: ${each.reason}`);
  const differences = disagreements(views);
  lines.push("", differences.length === 0 ? (outcome.unreachable.length === 0 ? "Every node sees the same cluster." : "Every node reached sees the same cluster.") : "DISAGREEMENTS:", ...differences.map((line) => `  * ${line}`));
  return `${lines.join("\n")}\n`;
}

const statusCommand: Command = {
  words: ["cluster", "status"],
  summary: "Show the cluster as `edgeha status` does; --all shows each member's own view, to spot a node that disagrees",
  usage: "[--all] [--socket PATH] [--json]",
  description: [
    "Without --all, the same as `edgeha status` (pcs's `cluster status`): the cluster as the local agent knows it.",
    "With --all, the local agent asks every member for its own view (the DC it follows, its members, quorum, ring id, the CIB version it holds, the digest of its bootstrap config, what runs on it) and prints one block per node, then every point where they disagree. Nodes outside this node's partition are named as not reached. Exits 1 when a node disagrees or was not reached.",
  ].join("\n\n"),
  examples: ["cluster status", "cluster status --all", "cluster status --all --json"],
  options: [allOption, socketOption, jsonOption],
  async run(args, context) {
    noPositionals(args, "cluster status");
    const socket = socketOf(args);
    if (!args.options.all) {
      const status = await localStatus(socket);
      context.stdout.write(args.options.json ? `${JSON.stringify(status, null, 2)}\n` : renderClusterStatus(status));
      return 0;
    }
    const outcome = await carry(socket, "view", "cluster status");
    const views = outcome.answers.map((answer) => answer.view).filter((view): view is NodeView => view !== undefined);
    const differences = disagreements(views);
    if (args.options.json) context.stdout.write(`${JSON.stringify({ views, unreachable: outcome.unreachable, disagreements: differences }, null, 2)}\n`);
    else context.stdout.write(renderViews(outcome));
    return differences.length === 0 && outcome.unreachable.length === 0 ? 0 : 1;
  },
};

export const clusterVerbCommands: Command[] = [startCommand, stopCommand, serviceVerb("enable"), serviceVerb("disable"), statusCommand];
