// Cluster lifecycle commands: setting a cluster up (`cluster setup`), letting a node in
// (`cluster token`, `cluster join`). pcs's grammar where pcs has the command.
import { existsSync } from "node:fs";
import type { Command, CommandContext, ParsedArguments } from "../command";
import { EdgehaError, UsageError } from "../../common/errors";
import { writeFileDurably } from "../../common/durable";
import { parseDurationMs } from "../../cib";
import {
  configDefaults, decodeJoinToken, encodeJoinToken, findLocalNode, installJoin, iso, loadConfig, machineIdentity, newJoinToken,
  parseSetupWords, setupConfig, storeToken, tokenFile, writeAuthkey, TOKEN_TTL_SECONDS_DEFAULT, type BootstrapConfig, type NodeConfig,
} from "../../config";
import { clusterHash } from "../../transport";
import { fetchJoinBundle } from "../../node/join";
import { serviceAction } from "../../node/service-control";
import { requestApi } from "../../api";

const jsonOption = { name: "json", kind: "boolean" as const, description: "Print JSON." };
const configOption = { name: "config", kind: "string" as const, value: "FILE", description: `The bootstrap config (default ${configDefaults.DEFAULT_CONFIG_PATH}).` };
const nodeOption = { name: "node", kind: "string" as const, value: "NAME", description: "Which node of the config this machine is (default: by host name, else by a local link address)." };
const startOption = { name: "start", kind: "boolean" as const, description: "Start edgeha here afterwards (systemctl start edgeha)." };
const enableOption = { name: "enable", kind: "boolean" as const, description: "Enable edgeha at boot here (systemctl enable edgeha)." };

function stringOption(args: ParsedArguments, name: string): string | undefined {
  const value = args.options[name];
  return typeof value === "string" ? value : undefined;
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

function ttlSeconds(args: ParsedArguments, name: string): number {
  const text = stringOption(args, name);
  if (text === undefined) return TOKEN_TTL_SECONDS_DEFAULT;
  const seconds = Math.round(parseDurationMs(/^\d+$/.test(text) ? `${text}s` : text, `--${name}`) / 1000);
  if (seconds < 1) throw new UsageError(`--${name} must be at least one second`);
  return seconds;
}

function localNodeOf(config: BootstrapConfig, args: ParsedArguments): NodeConfig {
  return findLocalNode(config, { ...machineIdentity(), name: stringOption(args, "node") }).node;
}

/** Issues a token for `target`, kept in the state dir of this (issuing) node. */
function issueToken(config: BootstrapConfig, local: NodeConfig, target: NodeConfig, stateDir: string, ttl: number): { node: string; token: string; expiresAt: string } {
  const now = nowSeconds();
  const token = newJoinToken({ clusterHash: clusterHash(config.clusterName), nodeId: target.id, addresses: local.links, port: config.transport.port, nowSeconds: now, ttlSeconds: ttl });
  storeToken(tokenFile(stateDir), token, now);
  return { node: target.name, token: encodeJoinToken(token), expiresAt: iso(token.expiresAtSeconds) };
}

/** Runs systemctl for the options given; returns the lines to print and whether all went well. */
async function serviceSteps(args: ParsedArguments, env: NodeJS.ProcessEnv): Promise<{ lines: string[]; ok: boolean }> {
  const lines: string[] = [];
  let ok = true;
  for (const action of ["enable", "start"] as const) {
    if (!args.options[action]) continue;
    const result = await serviceAction(action, env);
    ok &&= result.ok;
    lines.push(result.ok ? `${result.command}: done` : `${result.command} failed: ${result.output || "no output"}`);
  }
  return { lines, ok };
}

const setupCommand: Command = {
  words: ["cluster", "setup"],
  summary: "Set up a new cluster on this node: write the config and a new authkey, and print a join token for each other node",
  usage: "NAME NODE=ADDR[,ADDR2]... | NODE addr=ADDR [addr=ADDR2]... [totem token=MS ...] [quorum wait_for_all=0|1 arbiter=ADDR ...] [--port N] [--config FILE] [--authkey FILE] [--state-dir DIR] [--token-ttl DURATION] [--start] [--enable] [--force] [--json]",
  description: [
    "Run it once, on the first node. It writes the bootstrap config (mode 0644) and a new random authkey (mode 0600), and prints, for each other node, a one-time join token and the command to run there: `edgeha cluster join TOKEN`. The token lets that node fetch the config and the key from this node's agent over a channel encrypted and authenticated with the token; it works once, expires (1 hour unless --token-ttl says otherwise), and only for this cluster. Start the agent here first (--start, or `edgeha cluster start`): the joining nodes fetch from it.",
    "Nodes are written in the order given, with ids 1, 2, ...; the same grammar as `pcs cluster setup` (NODE addr=ADDR, repeated for a second link), or NODE=ADDR,ADDR2. Addresses must be IP addresses (host names are not resolved, so DNS never sits on the failover path). `totem` takes token, consensus, join and heartbeat in ms; `quorum` takes wait_for_all, last_man_standing, last_man_standing_window, auto_tie_breaker (0 or 1) and arbiter (ADDR[:PORT]).",
    "An existing config or authkey is never replaced without --force.",
  ].join("\n\n"),
  examples: ["cluster setup pair alpha=10.0.0.1,10.1.0.1 beta=10.0.0.2,10.1.0.2 --start", "cluster setup shelf node1 addr=192.168.1.11 node2 addr=192.168.1.12 quorum arbiter=192.168.1.20"],
  options: [
    { name: "port", kind: "number", value: "N", description: "transport.port (default 5405; the join tokens use the same number over TCP)." },
    configOption,
    { name: "authkey", kind: "string", value: "FILE", description: `Where the key goes (paths.authkey; default ${configDefaults.DEFAULT_AUTHKEY_PATH}).` },
    { name: "state-dir", kind: "string", value: "DIR", description: `paths.state_dir (default ${configDefaults.DEFAULT_STATE_DIR}); the tokens wait there for the agent.` },
    { name: "token-ttl", kind: "string", value: "DURATION", description: "How long the join tokens work (default 1h; e.g. 30min, 2h, 600)." },
    nodeOption, startOption, enableOption,
    { name: "force", kind: "boolean", description: "Replace an existing config and authkey." },
    jsonOption,
  ],
  async run(args, context) {
    const spec = parseSetupWords(args.positionals);
    if (typeof args.options.port === "number") spec.port = args.options.port;
    const authkeyFile = stringOption(args, "authkey");
    const stateDir = stringOption(args, "state-dir");
    if (authkeyFile) spec.paths.authkey = authkeyFile;
    if (stateDir) spec.paths.state_dir = stateDir;
    const ttl = ttlSeconds(args, "token-ttl");
    const { text, config } = setupConfig(spec, new Date().toISOString().replace(/\.\d+Z$/, "Z"));
    const local = localNodeOf(config, args);
    const configFile = stringOption(args, "config") ?? configDefaults.DEFAULT_CONFIG_PATH;
    const force = args.options.force === true;
    for (const file of [configFile, config.paths.authkey]) {
      if (existsSync(file) && !force) throw new EdgehaError("E_SETUP_EXISTS", `${file} exists already: this node seems set up. Nothing was written; pass --force to replace it (every other node then needs the new files: join them again)`, { file });
    }
    writeAuthkey(config.paths.authkey, { overwrite: force });
    try {
      writeFileDurably(configFile, text, { mode: 0o644, makeDirectory: true });
    } catch (error) {
      throw new EdgehaError("E_SETUP_WRITE", `cannot write ${configFile} (${(error as NodeJS.ErrnoException).code ?? String(error)}); the authkey ${config.paths.authkey} was written`, { file: configFile });
    }
    const tokens = config.nodes.filter((node) => node.id !== local.id).map((node) => issueToken(config, local, node, config.paths.stateDir, ttl));
    const service = await serviceSteps(args, context.env);
    if (args.options.json) {
      context.stdout.write(`${JSON.stringify({ cluster: config.clusterName, config: configFile, authkey: config.paths.authkey, node: local.name, tokens, service: service.lines }, null, 2)}\n`);
      return service.ok ? 0 : 1;
    }
    const lines = [
      `Cluster '${config.clusterName}' set up on ${local.name}: wrote ${configFile} (nodes ${config.nodes.map((node) => node.name).join(", ")}) and a new authkey ${config.paths.authkey} (mode 0600).`,
      ...service.lines,
      ...(args.options.start ? [] : ["Start the agent here first (the other nodes fetch the config from it): edgeha cluster start"]),
    ];
    if (tokens.length > 0) {
      lines.push("Then run on each other node its own line (each token works once; they expire at " + tokens[0]!.expiresAt + "):");
      for (const token of tokens) lines.push(`  ${token.node}:  edgeha cluster join ${token.token} --start`);
    }
    context.stdout.write(`${lines.join("\n")}\n`);
    return service.ok ? 0 : 1;
  },
};

const tokenCommand: Command = {
  words: ["cluster", "token"],
  summary: "Issue a one-time join token for a node of the config (a new node, or one whose setup token expired)",
  usage: "NODE [--ttl DURATION] [--config FILE] [--state-dir DIR] [--node NAME] [--json]",
  description: "Prints a token with which NODE fetches the config and the authkey from this node's agent (`edgeha cluster join TOKEN` there). The token works once and expires (1 hour unless --ttl says otherwise); this node's agent must be running when it is used.",
  examples: ["cluster token beta", "cluster token gamma --ttl 10min"],
  options: [
    { name: "ttl", kind: "string", value: "DURATION", description: "How long the token works (default 1h)." },
    configOption,
    { name: "state-dir", kind: "string", value: "DIR", description: "This agent's state directory, when it runs with --state-dir (default from the config)." },
    nodeOption, jsonOption,
  ],
  run(args, context) {
    if (args.positionals.length !== 1) throw new UsageError("'edgeha cluster token' needs the name of the node that will join", "Example: edgeha cluster token beta");
    const config = loadConfig(stringOption(args, "config") ?? configDefaults.DEFAULT_CONFIG_PATH);
    const target = config.nodes.find((node) => node.name === args.positionals[0]);
    if (target === undefined) throw new UsageError(`no node '${args.positionals[0]}' in the config (nodes: ${config.nodes.map((node) => node.name).join(", ")}); add it to the file on every node first (a restart of each agent, one at a time: docs/config.md)`);
    const local = localNodeOf(config, args);
    if (local.id === target.id) throw new UsageError(`this machine is ${local.name} itself: run 'edgeha cluster token ${target.name}' on another member`);
    const issued = issueToken(config, local, target, stringOption(args, "state-dir") ?? config.paths.stateDir, ttlSeconds(args, "ttl"));
    context.stdout.write(args.options.json ? `${JSON.stringify(issued)}\n` : `On ${issued.node} run (works once, until ${issued.expiresAt}, while the agent runs here):\n  edgeha cluster join ${issued.token} --start\n`);
    return 0;
  },
};

const joinCommand: Command = {
  words: ["cluster", "join"],
  summary: "Join this machine to a cluster with a token: fetch the config and authkey from a running member",
  usage: "TOKEN [--config FILE] [--node NAME] [--start] [--enable] [--force] [--json]",
  description: "Connects to the member that issued TOKEN (its link addresses, TCP on the cluster's port), proves it holds the token and receives the config and the authkey sealed with it; neither the token's secret nor the key crosses the network in clear. Checks that this machine is the node the token is for, then writes the config (mode 0644) and the key (mode 0600, where the config's paths.authkey says). A wrong, expired, used or foreign token, an unreachable member or an existing different config: a clear error and nothing written. The service is started only with --start.",
  examples: ["cluster join EH1.AbC... --start", "cluster join EH1.AbC... --config /etc/edgeha/edgeha.yaml --node beta"],
  options: [
    { ...configOption, description: `Where to write the config (default ${configDefaults.DEFAULT_CONFIG_PATH}).` },
    nodeOption, startOption, enableOption,
    { name: "force", kind: "boolean", description: "Replace a different config or authkey that is there already." },
    jsonOption,
  ],
  async run(args, context) {
    if (args.positionals.length !== 1) throw new UsageError("'edgeha cluster join' needs the TOKEN that 'edgeha cluster setup' or 'edgeha cluster token' printed");
    const token = decodeJoinToken(args.positionals[0]!);
    if (token.expiresAtSeconds <= nowSeconds()) {
      throw new EdgehaError("E_JOIN_TOKEN_EXPIRED", `the token expired at ${iso(token.expiresAtSeconds)} (this machine's clock says ${iso(nowSeconds())}); issue a new one with 'edgeha cluster token NODE' on a member`);
    }
    const bundle = await fetchJoinBundle(token);
    const configFile = stringOption(args, "config") ?? configDefaults.DEFAULT_CONFIG_PATH;
    const result = installJoin({
      cluster: bundle.cluster, nodeId: bundle.nodeId, configText: bundle.config, authkey: Buffer.from(bundle.authkey, "base64"),
      configFile, identity: { ...machineIdentity(), name: stringOption(args, "node") }, force: args.options.force === true,
    });
    const service = await serviceSteps(args, context.env);
    if (args.options.json) {
      context.stdout.write(`${JSON.stringify({ cluster: result.config.clusterName, node: result.node.name, member: bundle.member, written: result.written, unchanged: result.unchanged, service: service.lines })}\n`);
    } else {
      const lines = [
        `Joined cluster '${result.config.clusterName}' as ${result.node.name} (config and authkey from ${bundle.member}).`,
        ...(result.written.length > 0 ? [`Wrote ${result.written.join(" and ")}.`] : []),
        ...(result.unchanged.length > 0 ? [`Already in place: ${result.unchanged.join(" and ")}.`] : []),
        ...service.lines,
        ...(args.options.start ? [] : ["Start it when ready: edgeha cluster start"]),
      ];
      context.stdout.write(`${lines.join("\n")}\n`);
    }
    return service.ok ? 0 : 1;
  },
};

const reloadCommand: Command = {
  words: ["config", "reload"],
  summary: "Read the bootstrap config again and apply what may change while the agent runs (as SIGHUP does)",
  usage: "[--socket PATH] [--json]",
  description: "Asks the local agent to read its bootstrap file again. Timing, link addresses, the arbiter's address, the log level and metrics.listen change live. Anything else (cluster name, port, crypto, the nodes, quorum rules, paths) cannot: a file that changes any of it, or that has an error, is refused whole, each problem is named, and the running configuration stays as it was. Run it on every node after editing the file there (the nodes announce a digest of their settings, and `edgeha status` warns while they differ).",
  examples: ["config reload", "config reload --json"],
  options: [{ name: "socket", kind: "string", value: "PATH", description: `Admin socket of the local agent (default ${configDefaults.DEFAULT_SOCKET_PATH}).` }, jsonOption],
  async run(args, context) {
    const reply = (await requestApi(stringOption(args, "socket") ?? configDefaults.DEFAULT_SOCKET_PATH, { command: "config-reload" }, 30_000)) as { ok?: boolean; applied?: string[]; message?: string; code?: string; error?: string; details?: string[] };
    if (args.options.json) {
      context.stdout.write(`${JSON.stringify(reply)}\n`);
      return reply.ok ? 0 : 1;
    }
    if (reply.ok) {
      context.stdout.write([reply.message ?? "reloaded", ...(reply.applied ?? []).map((line) => `  ${line}`)].join("\n") + "\n");
      return 0;
    }
    const code = typeof reply.code === "string" && /^E_[A-Z0-9_]+$/.test(reply.code) ? reply.code : "E_API_REQUEST";
    throw new EdgehaError(code, [reply.error ?? "the agent did not say why", ...(reply.details ?? []).map((line) => `  ${line}`)].join("\n"));
  },
};

const socketOption = { name: "socket", kind: "string" as const, value: "PATH", description: `Admin socket of the local agent (default ${configDefaults.DEFAULT_SOCKET_PATH}).` };

interface NodeChangeReply {
  ok?: boolean;
  code?: string;
  error?: string;
  message?: string;
  version?: number;
  acknowledged?: string[];
  missing?: Array<{ node: string; reason: string }>;
  join?: { node: string; token: string; expiresAt: string };
}

/** Prints the agent's answer to a node change; a refusal becomes its E_ code (with --json, the JSON answer on stdout too). */
function nodeChangeResult(reply: NodeChangeReply, args: ParsedArguments, context: CommandContext, lines: (reply: NodeChangeReply) => string[]): number {
  if (args.options.json) {
    context.stdout.write(`${JSON.stringify(reply)}\n`);
    return reply.ok ? 0 : 1;
  }
  if (reply.ok) {
    context.stdout.write(`${lines(reply).join("\n")}\n`);
    return 0;
  }
  const code = typeof reply.code === "string" && /^E_[A-Z0-9_]+$/.test(reply.code) ? reply.code : "E_API_REQUEST";
  throw new EdgehaError(code, reply.error ?? reply.message ?? "the agent did not say why");
}

const nodeAddCommand: Command = {
  words: ["cluster", "node", "add"],
  summary: "Add a node to the running cluster: every member stores the new node list, then the new node joins with the token printed",
  usage: "NAME --id N --link ADDR [--link ADDR2] [--socket PATH] [--json]",
  description: "Asks the local agent to add NAME (node id N, one --link per network, in the order of the other nodes' links) to the cluster as one versioned change: every member rewrites its bootstrap file (only the node list, config_version and what follows from them: two_node is set for exactly two nodes and cleared otherwise, as corosync does, and expected_votes follows the node count), stores it durably, applies it live (membership and quorum count the new node at once) and acknowledges. The command succeeds only when every member has; otherwise it says which did not, and running it again finishes the change. Refused without quorum, while a member is not running or runs an older build, while the members' configs differ in anything else (finish that reload first), or when the name, id or an address is in use already. On success it prints a one-time join token: run `edgeha cluster join TOKEN --start` on the new node.",
  examples: ["cluster node add gamma --id 3 --link 10.0.0.3", "cluster node add gamma --id 3 --link 10.0.0.3 --link 192.168.1.3 --json"],
  options: [
    { name: "id", kind: "number", value: "N", description: "The new node's id (1-65535, unused in the cluster)." },
    { name: "link", kind: "list", value: "ADDR", description: "An address of the new node; once per network (link), in the same order as the other nodes." },
    socketOption, jsonOption,
  ],
  async run(args, context) {
    if (args.positionals.length !== 1) throw new UsageError("'edgeha cluster node add' needs the NAME of the new node", "Example: edgeha cluster node add gamma --id 3 --link 10.0.0.3");
    const id = args.options.id;
    const links = args.options.link;
    if (typeof id !== "number") throw new UsageError("'edgeha cluster node add' needs --id N (the new node's id)");
    if (!Array.isArray(links) || links.length === 0) throw new UsageError("'edgeha cluster node add' needs --link ADDR (once per network)");
    const reply = (await requestApi(stringOption(args, "socket") ?? configDefaults.DEFAULT_SOCKET_PATH, { command: "node-add", name: args.positionals[0], id, links }, 60_000)) as NodeChangeReply;
    return nodeChangeResult(reply, args, context, (answer) => [
      `${args.positionals[0]} is in the cluster's node list: ${answer.message ?? ""}`,
      ...(answer.join ? [`On ${answer.join.node} run (works once, until ${answer.join.expiresAt}, while the agent runs here):`, `  edgeha cluster join ${answer.join.token} --start`] : []),
    ]);
  },
};

const nodeRemoveCommand: Command = {
  words: ["cluster", "node", "remove"],
  summary: "Remove a node from the running cluster: its resources move away first, then every other member stores the node list without it",
  usage: "NAME [--wait DURATION] [--socket PATH] [--json]",
  description: "Asks the local agent to remove NAME. If NAME runs resources, it is put in standby first (as `node standby` does: the DC moves what runs there and nothing else) and the command waits until nothing runs there (--wait, default 2min; after that nothing is removed and the node stays in standby). Then every other member stores the node list without NAME (config_version grows by one; expected_votes shrinks; two_node is set again when two nodes remain, as corosync does) and applies it live, NAME is told and leaves cleanly (its agent exits; disable the service there: `edgeha cluster disable`), and its entry leaves the CIB. Nobody is fenced. A node that is down already can be removed. Refused without quorum, for the last node, and for this node itself while it runs resources (run it on another member).",
  examples: ["cluster node remove gamma", "cluster node remove gamma --wait 5min --json"],
  options: [{ name: "wait", kind: "string", value: "DURATION", description: "How long to wait for its resources to move away (default 2min)." }, socketOption, jsonOption],
  async run(args, context) {
    if (args.positionals.length !== 1) throw new UsageError("'edgeha cluster node remove' needs the NAME of the node to remove", "Example: edgeha cluster node remove gamma");
    const wait = stringOption(args, "wait");
    const waitMs = wait === undefined ? undefined : parseDurationMs(/^\d+$/.test(wait) ? `${wait}s` : wait, "--wait");
    const reply = (await requestApi(stringOption(args, "socket") ?? configDefaults.DEFAULT_SOCKET_PATH, { command: "node-remove", name: args.positionals[0], ...(waitMs === undefined ? {} : { waitMs }) }, (waitMs ?? 120_000) + 60_000)) as NodeChangeReply;
    return nodeChangeResult(reply, args, context, (answer) => [`${args.positionals[0]} left the cluster's node list: ${answer.message ?? ""}`]);
  },
};

export const lifecycleCommands: Command[] = [setupCommand, tokenCommand, joinCommand, reloadCommand, nodeAddCommand, nodeRemoveCommand];
