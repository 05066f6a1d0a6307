// `edgeha cluster setup`: the words of the command line to a bootstrap config text. Pure.
// The grammar is pcs's (`pcs cluster setup NAME NODE [addr=ADDR]... [totem OPTIONS]
// [quorum OPTIONS]`), plus the short form NODE=ADDR[,ADDR2]. Node ids are given in
// the order the nodes are listed, from 1, as pcs does. Host names are not resolved:
// the config holds addresses, so DNS never sits on the failover path.
import { EdgehaError, UsageError } from "../common/errors";
import { parseConfig } from "./check";
import type { BootstrapConfig } from "./types";

export interface SetupSpec {
  clusterName: string;
  nodes: Array<{ name: string; links: string[] }>;
  port?: number;
  /** timing.* keys (snake_case, as in the file) and their values. */
  timing: Record<string, number>;
  /** quorum.* keys and their values (booleans, numbers, or the arbiter's address). */
  quorum: Record<string, boolean | number | string>;
  paths: Record<string, string>;
}

/** corosync's totem names (and edgeha's own heartbeat) onto the timing keys. */
const TOTEM_KEYS: Record<string, string> = { token: "token_ms", consensus: "consensus_ms", join: "join_ms", heartbeat: "heartbeat_ms" };
const QUORUM_FLAGS = ["wait_for_all", "last_man_standing", "auto_tie_breaker"];
const QUORUM_NUMBERS: Record<string, string> = { last_man_standing_window: "last_man_standing_window_ms" };

/** Reads the positional words after `cluster setup`. */
export function parseSetupWords(words: readonly string[]): SetupSpec {
  const [clusterName, ...rest] = words;
  if (clusterName === undefined || clusterName.includes("=")) throw new UsageError("'edgeha cluster setup' needs the cluster name first, then the nodes", "Example: edgeha cluster setup pair alpha=10.0.0.1 beta=10.0.0.2");
  const spec: SetupSpec = { clusterName, nodes: [], timing: {}, quorum: {}, paths: {} };
  let section: "nodes" | "totem" | "quorum" = "nodes";
  for (const word of rest) {
    if (word === "totem" || word === "quorum") {
      section = word;
      continue;
    }
    if (word === "transport") throw new UsageError("edgeha has one transport (encrypted UDP on every link): leave out 'transport ...'; set the port with --port");
    const equals = word.indexOf("=");
    const key = equals === -1 ? word : word.slice(0, equals);
    const value = equals === -1 ? undefined : word.slice(equals + 1);
    if (section === "totem") readTotem(spec, key, value);
    else if (section === "quorum") readQuorum(spec, key, value);
    else readNodeWord(spec, key, value);
  }
  if (spec.nodes.length === 0) throw new UsageError("'edgeha cluster setup' needs at least one node: NODE=ADDR or NODE addr=ADDR");
  for (const node of spec.nodes) {
    if (node.links.length === 0) throw new UsageError(`node '${node.name}' needs an address: write ${node.name}=ADDR or ${node.name} addr=ADDR (host names are not resolved)`);
  }
  return spec;
}

function readNodeWord(spec: SetupSpec, key: string, value: string | undefined): void {
  if (key === "addr") {
    const node = spec.nodes.at(-1);
    if (node === undefined) throw new UsageError("'addr=' must follow a node name");
    if (!value) throw new UsageError(`'addr=' of node '${node.name}' needs an address`);
    node.links.push(value);
    return;
  }
  if (spec.nodes.some((node) => node.name === key)) throw new UsageError(`node '${key}' is listed twice`);
  const links = value === undefined ? [] : value.split(",").filter((link) => link !== "");
  if (value !== undefined && links.length === 0) throw new UsageError(`node '${key}' needs an address after '='`);
  spec.nodes.push({ name: key, links });
}

function integerOf(key: string, value: string | undefined): number {
  const number = Number(value);
  if (value === undefined || value === "" || !Number.isInteger(number) || number < 0) throw new UsageError(`'${key}' needs a whole number, not '${value ?? ""}'`);
  return number;
}

function readTotem(spec: SetupSpec, key: string, value: string | undefined): void {
  const target = TOTEM_KEYS[key];
  if (target === undefined) throw new UsageError(`unknown totem option '${key}' (edgeha takes ${Object.keys(TOTEM_KEYS).join(", ")}, in milliseconds)`);
  spec.timing[target] = integerOf(key, value);
}

function readQuorum(spec: SetupSpec, key: string, value: string | undefined): void {
  if (QUORUM_FLAGS.includes(key)) {
    if (value !== "0" && value !== "1") throw new UsageError(`quorum option '${key}' is 0 or 1, not '${value ?? ""}'`);
    spec.quorum[key] = value === "1";
  } else if (QUORUM_NUMBERS[key] !== undefined) {
    spec.quorum[QUORUM_NUMBERS[key]] = integerOf(key, value);
  } else if (key === "arbiter") {
    if (!value) throw new UsageError("quorum option 'arbiter' needs an address (ADDR or ADDR:PORT)");
    spec.quorum.arbiter = value;
  } else {
    throw new UsageError(`unknown quorum option '${key}' (edgeha takes ${[...QUORUM_FLAGS, ...Object.keys(QUORUM_NUMBERS), "arbiter"].join(", ")})`);
  }
}

function yamlValue(value: boolean | number | string): string {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

/** The config text `cluster setup` writes, with a header that says where it came from. */
export function renderSetupConfig(spec: SetupSpec, writtenAt: string): string {
  const lines = [
    `# edgeha bootstrap config, written by 'edgeha cluster setup' at ${writtenAt}.`,
    "# The same file belongs on every node: 'edgeha cluster join TOKEN' copies it from a member.",
    "# docs/config.md explains every key; 'edgeha config check' checks the file.",
    `cluster_name: ${spec.clusterName}`,
  ];
  if (spec.port !== undefined) lines.push("transport:", `  port: ${spec.port}`);
  lines.push("nodes:");
  spec.nodes.forEach((node, index) => lines.push(`  - name: ${node.name}`, `    id: ${index + 1}`, `    links: [${node.links.join(", ")}]`));
  for (const [section, values] of [["quorum", spec.quorum], ["timing", spec.timing], ["paths", spec.paths]] as const) {
    const entries = Object.entries(values as Record<string, boolean | number | string>);
    if (entries.length === 0) continue;
    lines.push(`${section}:`, ...entries.map(([key, value]) => `  ${key}: ${yamlValue(value)}`));
  }
  return `${lines.join("\n")}\n`;
}

/** Renders and checks the config; E_CONFIG_INVALID names each problem (duplicate addresses, bad timing, ...). */
export function setupConfig(spec: SetupSpec, writtenAt: string): { text: string; config: BootstrapConfig } {
  const text = renderSetupConfig(spec, writtenAt);
  try {
    return { text, config: parseConfig(text, "the config 'cluster setup' would write") };
  } catch (error) {
    if (error instanceof EdgehaError) throw new EdgehaError(error.code, `${error.message}\n(the generated file:)\n${text}`, error.details as Record<string, unknown>);
    throw error;
  }
}
