// Command-line words to admin edits, in pcs's syntax. Pure: the CLI hands in
// the positional words and the options it parsed.
import type { Attributes } from "../cib";
import { EdgehaError } from "../common/errors";
import { parseAgentName } from "./operations";
import { quoted } from "./lookup";
import type { AdminEdit, OperationSpec, ResourceSettings } from "./types";

/** The edit of one kind. */
export type EditOf<K extends AdminEdit["kind"]> = Extract<AdminEdit, { kind: K }>;

function argumentError(message: string): EdgehaError {
  return new EdgehaError("E_ADMIN_ARGUMENT", message);
}

/**
 * An attribute, option or parameter name: OCF hands parameters to agents as environment
 * variables (OCF_RESKEY_NAME), so quotes, spaces and control characters have no place in
 * one. Letters, digits, '_', '-', '.', ':' as Pacemaker's own names use them, and a leading
 * '#' for node attributes such as #health-disk.
 */
const NAME_PATTERN = /^#?[A-Za-z_][A-Za-z0-9_.:-]*$/;
export const NAME_LENGTH_MAX = 256;
/** A value: Pacemaker sets no bound; the XML parser reads at most 256 KiB per attribute. */
export const VALUE_LENGTH_MAX = 256 * 1024;

/** NAME=VALUE (the value may be empty and may contain '='). */
export function parseKeyValue(word: string, where: string): [string, string] {
  const equals = word.indexOf("=");
  if (equals <= 0) throw argumentError(`${where}: expected NAME=VALUE, got ${quoted(word)}`);
  const name = word.slice(0, equals);
  const value = word.slice(equals + 1);
  if (name.length > NAME_LENGTH_MAX || !NAME_PATTERN.test(name)) {
    throw argumentError(`${where}: ${quoted(name)} is not a valid name: use letters, digits, '_', '-', '.' and ':', starting with a letter or '_' (at most ${NAME_LENGTH_MAX})`);
  }
  if (value.length > VALUE_LENGTH_MAX) throw argumentError(`${where}: the value of '${name}' has ${value.length} characters; at most ${VALUE_LENGTH_MAX}`);
  return [name, value];
}

export function parseKeyValues(words: readonly string[], where: string): Attributes {
  const values: Attributes = {};
  for (const word of words) {
    const [key, value] = parseKeyValue(word, where);
    values[key] = value;
  }
  return values;
}

/** `k=v... [op ACTION k=v... [ACTION k=v...]] [meta k=v...]`, in any order of sections. */
export function parseSettings(words: readonly string[]): ResourceSettings {
  const settings: ResourceSettings = { instance: {}, operations: [], meta: {} };
  let mode: "instance" | "op" | "meta" = "instance";
  let operation: OperationSpec | undefined;
  for (const word of words) {
    if (word === "op" || word === "meta") {
      mode = word;
      operation = undefined;
      continue;
    }
    if (mode === "op" && !word.includes("=")) {
      operation = { name: word, values: {} };
      settings.operations.push(operation);
      continue;
    }
    if (mode === "op" && !operation) throw argumentError(`'op' must be followed by an action name (op monitor interval=10s), not '${word}'`);
    const [key, value] = parseKeyValue(word, mode === "op" ? `op ${operation!.name}` : mode === "meta" ? "meta" : "resource options");
    if (mode === "op") operation!.values[key] = value;
    else settings[mode][key] = value;
  }
  return settings;
}

export interface CreateOptions {
  group?: string;
  before?: string;
  after?: string;
  disabled?: boolean;
  noDefaultOperations?: boolean;
  force?: boolean;
  /** Run the agent's validate-all on the parameters too (pcs's --agent-validation). */
  agentValidation?: boolean;
}

/** `... clone [ID] [NAME=VALUE...]` or `promotable [ID] [NAME=VALUE...]` at the end of `resource create`. */
function splitClone(words: readonly string[]): { own: readonly string[]; clone?: EditOf<"resource-create">["clone"] } {
  const at = words.findIndex((word) => word === "clone" || word === "promotable");
  if (at === -1) return { own: words };
  const after = words.slice(at + 1).filter((word) => word !== "meta");
  const id = after[0] !== undefined && !after[0].includes("=") ? after[0] : undefined;
  const clone: NonNullable<EditOf<"resource-create">["clone"]> = { promotable: words[at] === "promotable", meta: parseKeyValues(id === undefined ? after : after.slice(1), `${words[at]} options`) };
  if (id !== undefined) clone.id = id;
  return { own: words.slice(0, at), clone };
}

export function parseResourceCreate(words: readonly string[], options: CreateOptions): EditOf<"resource-create"> {
  const [id, agent, ...rest] = words;
  if (id === undefined || agent === undefined) throw argumentError("expected NAME [CLASS:[PROVIDER:]]TYPE [NAME=VALUE...] (e.g. vip ocf:heartbeat:IPaddr2 ip=10.0.0.10)");
  if ((options.before !== undefined || options.after !== undefined) && options.group === undefined) throw argumentError("--before and --after need --group");
  if (options.before !== undefined && options.after !== undefined) throw argumentError("give --before or --after, not both");
  const { own, clone } = splitClone(rest);
  if (clone && options.group !== undefined) throw argumentError("a resource is either cloned or put in a group at creation, not both");
  const edit: EditOf<"resource-create"> = {
    kind: "resource-create", id, agent: parseAgentName(agent, true), settings: parseSettings(own),
    disabled: options.disabled === true, noDefaultOperations: options.noDefaultOperations === true,
  };
  if (clone) edit.clone = clone;
  if (options.force === true) edit.force = true;
  if (options.agentValidation === true) edit.agentValidation = true;
  if (options.group !== undefined) {
    edit.group = { group: options.group };
    if (options.before !== undefined) edit.group.before = options.before;
    if (options.after !== undefined) edit.group.after = options.after;
  }
  return edit;
}

export function parseStonithCreate(words: readonly string[], disabled: boolean, force = false): EditOf<"stonith-create"> {
  const [id, driver, ...rest] = words;
  if (id === undefined || driver === undefined) throw argumentError("expected NAME DRIVER [NAME=VALUE...] (e.g. fence-n1 ipmilan ip=10.0.0.101 username=admin password=secret)");
  return { kind: "stonith-create", id, driver: driver.replace(/^stonith:/, ""), settings: parseSettings(rest), disabled, force };
}

/** `RSC prefers|avoids NODE[=SCORE]...` */
export function parseLocationPrefers(words: readonly string[]): EditOf<"location-prefers"> {
  const [rsc, verb, ...nodes] = words;
  if (rsc === undefined || (verb !== "prefers" && verb !== "avoids")) throw argumentError("expected RESOURCE prefers|avoids NODE[=SCORE]... (e.g. vip prefers node1=100)");
  return {
    kind: "location-prefers", rsc, avoids: verb === "avoids",
    nodes: nodes.map((word) => {
      const equals = word.indexOf("=");
      return equals < 0 ? { node: word } : { node: word.slice(0, equals), score: word.slice(equals + 1) };
    }),
  };
}

const ROLE_WORDS = ["stopped", "started", "unpromoted", "promoted", "slave", "master"];
const canonicalRole = (word: string): string => word[0]!.toUpperCase() + word.slice(1).toLowerCase();

/** `[ROLE] A with [ROLE] B [SCORE] [id=ID]` */
export function parseColocationAdd(words: readonly string[]): EditOf<"colocation-add"> {
  const plain = words.filter((word) => !word.includes("="));
  const options = parseKeyValues(words.filter((word) => word.includes("=")), "colocation");
  const withAt = plain.indexOf("with");
  const left = plain.slice(0, withAt);
  const right = plain.slice(withAt + 1);
  const usage = "expected [ROLE] RESOURCE with [ROLE] RESOURCE [SCORE] (e.g. web with vip INFINITY)";
  if (withAt < 1 || left.length > 2 || right.length < 1 || right.length > 3) throw argumentError(usage);
  const edit: EditOf<"colocation-add"> = { kind: "colocation-add", rsc: left[left.length - 1]!, withRsc: "" };
  if (left.length === 2) edit.rscRole = canonicalRole(left[0]!);
  let rest = right;
  if (rest.length >= 2 && ROLE_WORDS.includes(rest[0]!.toLowerCase())) {
    edit.withRscRole = canonicalRole(rest[0]!);
    rest = rest.slice(1);
  }
  if (rest.length > 2) throw argumentError(usage);
  edit.withRsc = rest[0]!;
  const score = rest[1] ?? options.score;
  if (score !== undefined) edit.score = score;
  if (options.id !== undefined) edit.id = options.id;
  const unknown = Object.keys(options).filter((key) => key !== "id" && key !== "score");
  if (unknown.length > 0) throw argumentError(`colocation: unknown option '${unknown[0]}' (options: id=, score=)`);
  return edit;
}

/** `[ACTION] A then [ACTION] B [kind=..] [symmetrical=..] [id=..]` */
export function parseOrderAdd(words: readonly string[]): EditOf<"order-add"> {
  const plain = words.filter((word) => !word.includes("="));
  const options = parseKeyValues(words.filter((word) => word.includes("=")), "order");
  const thenAt = plain.indexOf("then");
  const left = plain.slice(0, thenAt);
  const right = plain.slice(thenAt + 1);
  if (thenAt < 1 || left.length > 2 || right.length < 1 || right.length > 2) throw argumentError("expected [ACTION] RESOURCE then [ACTION] RESOURCE [kind=Mandatory|Optional|Serialize] [symmetrical=true|false] (e.g. start vip then start web)");
  const edit: EditOf<"order-add"> = { kind: "order-add", first: left[left.length - 1]!, then: right[right.length - 1]! };
  if (left.length === 2) edit.firstAction = left[0]!;
  if (right.length === 2) edit.thenAction = right[0]!;
  for (const [key, value] of Object.entries(options)) {
    if (key === "kind") edit.orderKind = value;
    else if (key === "symmetrical") edit.symmetrical = value;
    else if (key === "id") edit.id = value;
    else throw argumentError(`order: unknown option '${key}' (options: kind=, symmetrical=, id=)`);
  }
  return edit;
}

function parseLevel(word: string | undefined): number {
  if (word === undefined || !/^\d+$/.test(word)) throw argumentError(`expected a fencing LEVEL number (1-9), got '${word ?? ""}'`);
  return Number(word);
}

const splitDevices = (words: readonly string[]): string[] => words.flatMap((word) => word.split(",")).filter((word) => word !== "");

/** `LEVEL TARGET DEVICE[,DEVICE...]...` */
export function parseLevelAdd(words: readonly string[]): EditOf<"stonith-level-add"> {
  const [level, target, ...devices] = words;
  const index = parseLevel(level);
  if (target === undefined) throw argumentError("expected LEVEL NODE DEVICE[,DEVICE...] (e.g. 1 node1 fence-n1)");
  return { kind: "stonith-level-add", index, target, devices: splitDevices(devices) };
}

/** `LEVEL [TARGET] [DEVICE...]` */
export function parseLevelRemove(words: readonly string[]): EditOf<"stonith-level-remove"> {
  const [level, target, ...devices] = words;
  const edit: EditOf<"stonith-level-remove"> = { kind: "stonith-level-remove", index: parseLevel(level) };
  if (target !== undefined) edit.target = target;
  if (devices.length > 0) edit.devices = splitDevices(devices);
  return edit;
}
