// Where the admin commands read and write the CIB: a file (`-f FILE`, like
// `pcs -f`: native JSON/YAML or Pacemaker XML, written back atomically in the
// same format) or the running cluster through the agent's admin socket
// (cib-get, then cib-replace with the version read as its base; a conflict
// means someone else changed it first, so read again and retry).
import { existsSync, readdirSync } from "node:fs";
import { writeFileDurably } from "../../common/durable";
import path from "node:path";
import { stringify as toYaml } from "yaml";
import { emptyCib, exportCibXml, formatVersion, parseNativeCib, readCibFile, serializeNativeCib, type Cib } from "../../cib";
import type { EditCatalog, EditResult } from "../../admin";
import { API_LIMITS, requestApi } from "../../api";
import { EdgehaError, UsageError } from "../../common/errors";
import { configDefaults } from "../../config/index";
import { builtinFenceDrivers } from "../../../fence-drivers/index";
import { COMMON_PARAMETERS } from "../../../fence-drivers/common/index";
import type { CommandContext, OptionSpec, ParsedArguments } from "../command";

/** Conflicts retried before giving up: someone else keeps changing the CIB. */
export const CONFLICT_RETRIES_MAX = 3;
/** A cib-replace is answered once the change is durable on every member: allow for that. */
const REPLACE_TIMEOUT_MS = 15_000;
const GET_TIMEOUT_MS = 5_000;
/**
 * The agent's admin socket reads request lines of at most API_LIMITS.lineBytesMax
 * (1 MiB, src/api/socket.ts) and refuses longer ones; a larger cib-replace is refused
 * here, before anything is sent, with the size and what to do instead.
 */
const REQUEST_BYTES_MAX = API_LIMITS.lineBytesMax;

export const fileOption: OptionSpec = { name: "file", short: "f", kind: "string", value: "FILE", description: "Edit this CIB file offline (native JSON/YAML or Pacemaker XML) instead of the running cluster, like pcs -f." };
export const socketOption: OptionSpec = { name: "socket", kind: "string", value: "PATH", description: `The agent's admin socket (default ${configDefaults.DEFAULT_SOCKET_PATH}).` };
export const jsonOption: OptionSpec = { name: "json", kind: "boolean", description: "Print the outcome as JSON." };
/** pcs's meaning, and only that: a check of what the command writes is overridden (agent meta-data, unknown property, a duplicate, XML parts edgeha does not keep). */
export const forceOption: OptionSpec = { name: "force", kind: "boolean", description: "Override a check of what is written, as pcs's --force does: an agent not installed or parameters its meta-data does not take, an unknown property, an operation or recipient configured already, XML parts edgeha does not keep. (Deprecated on the running cluster: it also stores a change on this half of a pair whose peer is lost; use --this-half-only for that.)" };
/** A cluster's refusal, not a check of the input: its own flag, so pcs's --force never goes past it unnoticed. */
export const thisHalfOnlyOption: OptionSpec = { name: "this-half-only", kind: "boolean", description: "On the running cluster: store this one change although the peer of a pair without fencing left without a clean stop and is not confirmed down (E_PEER_UNCONFIRMED); it is stored on this half only and may be set aside if the other half is alive." };
/** Said when --force alone stored a change on one half of a pair (its meaning before --this-half-only). */
export const FORCE_HALF_DEPRECATED = "--force stored this change on this half only; that meaning of --force is deprecated (pcs's --force overrides checks of what is written, never the cluster's wait for a lost peer): use --this-half-only for it, as a later release will refuse the change with --force alone";

export interface Changed {
  result: EditResult;
  /** The version now in force, as the file or the agent names it. */
  version: string;
}

export interface CibTarget {
  /** `stale`: why the copy read may be older than the cluster's (a node that has not joined its DC yet). */
  read(): Promise<{ cib: Cib; version: string; stale?: string }>;
  /** Reads, edits and writes as one versioned change; `edit` may be called again after a conflict. */
  change(edit: (cib: Cib) => EditResult): Promise<Changed>;
}

function writeAtomically(file: string, text: string): void {
  try {
    // A new file gets the usual mode of a user's file; an existing one keeps its own.
    writeFileDurably(file, text, { newFileMode: 0o644 });
  } catch (error) {
    throw new EdgehaError("E_ADMIN_WRITE", `cannot write ${file}: ${(error as Error).message}`, { file });
  }
}

/** The text of a CIB in the format of `file`: XML stays XML, YAML stays YAML, the rest is JSON. */
export function formatCibFor(file: string, cib: Cib, format: "xml" | "native"): string {
  if (format === "xml") return exportCibXml(cib);
  if (/\.ya?ml$/i.test(file)) return toYaml(JSON.parse(serializeNativeCib(cib)));
  return serializeNativeCib(cib);
}

/**
 * The CIB of a file as pcs -f reads it: a file that does not exist yet is a new, empty CIB
 * (written as Pacemaker XML unless its name ends in .json, .yaml or .yml).
 */
export function readCibFileOrEmpty(file: string): { cib: Cib; warnings: string[]; format: "xml" | "native" } {
  if (!existsSync(file)) return { cib: emptyCib(), warnings: [], format: /\.(json|ya?ml)$/i.test(file) ? "native" : "xml" };
  return readCibFile(file);
}

export class FileTarget implements CibTarget {
  constructor(private readonly file: string, private readonly force: boolean) {}

  async read(): Promise<{ cib: Cib; version: string }> {
    const { cib } = readCibFileOrEmpty(this.file);
    return { cib, version: formatVersion(cib.version) };
  }

  async change(edit: (cib: Cib) => EditResult): Promise<Changed> {
    const { cib, warnings, format } = readCibFileOrEmpty(this.file);
    if (format === "xml" && warnings.length > 0 && !this.force) {
      throw new EdgehaError("E_ADMIN_LOSSY", `${this.file} holds what edgeha does not keep, so writing it back would lose it:\n  ${warnings.join("\n  ")}\nconvert it once with 'edgeha cib import', or pass --force to drop those parts`, { file: this.file });
    }
    const result = edit(cib);
    if (result.changed) writeAtomically(this.file, formatCibFor(this.file, result.cib, format));
    return { result, version: formatVersion(result.cib.version) };
  }
}

interface Reply {
  ok?: boolean;
  version?: string;
  message?: string;
  cib?: unknown;
  stale?: unknown;
  error?: string;
  code?: string;
}

function replyError(reply: Reply, what: string): EdgehaError {
  const code = typeof reply.code === "string" && /^E_[A-Z0-9_]+$/.test(reply.code) ? reply.code : "E_ADMIN_LIVE";
  return new EdgehaError(code, `${what}: ${reply.error ?? "the agent's reply was not understood"}`);
}

/**
 * Whether a change may be stored on this half of a pair whose peer is lost and unconfirmed
 * (E_PEER_UNCONFIRMED): "no", asked for with --this-half-only, or with --force (the deprecated spelling).
 */
export type ThisHalf = "no" | "this-half-only" | "force";

export class LiveTarget implements CibTarget {
  /** thisHalf: store the change even when the cluster would make it wait for a lost peer (E_PEER_UNCONFIRMED). */
  constructor(private readonly socket: string, private readonly thisHalf: ThisHalf = "no") {}

  async read(): Promise<{ cib: Cib; version: string; stale?: string }> {
    const reply = (await requestApi(this.socket, { command: "cib-get" }, GET_TIMEOUT_MS)) as Reply;
    if (reply.error !== undefined || typeof reply.version !== "string" || typeof reply.cib !== "object" || reply.cib === null) throw replyError(reply, "reading the CIB from the agent failed");
    const cib = parseNativeCib(JSON.stringify(reply.cib), `the CIB from ${this.socket}`);
    if (typeof reply.stale !== "string") return { cib, version: reply.version };
    // The agent waited for its join and its copy is still not current: what it holds may be old.
    const stale = reply.stale.slice(0, 500);
    process.stderr.write(`edgeha: warning: the configuration read (version ${reply.version}) may be stale: ${stale}\n`);
    return { cib, version: reply.version, stale };
  }

  async change(edit: (cib: Cib) => EditResult): Promise<Changed> {
    for (let attempt = 0; attempt <= CONFLICT_RETRIES_MAX; attempt++) {
      const { cib, version, stale } = await this.read();
      let result: EditResult;
      try {
        result = edit(cib);
      } catch (error) {
        // "no resource named X" from a copy that may be old is not the cluster's answer: say so.
        if (stale !== undefined && error instanceof EdgehaError) throw new EdgehaError(error.code, `${error.message} (in this node's copy of the configuration, version ${version}, which may be stale: ${stale}; nothing was changed, retry in a moment)`, { ...error.details });
        throw error;
      }
      if (!result.changed) return { result, version };
      // On the wire the request's field keeps its name (force), so an agent of the release before reads it alike.
      const request = { command: "cib-replace", base: version, cib: result.cib, ...(this.thisHalf !== "no" ? { force: true } : {}) };
      const bytes = Buffer.byteLength(JSON.stringify(request)) + 1;
      if (bytes > REQUEST_BYTES_MAX) {
        throw new EdgehaError("E_ADMIN_TOO_LARGE", `the new configuration is ${Math.ceil(bytes / 1024)} KiB, more than the agent's admin socket takes in one request (${REQUEST_BYTES_MAX / 1024} KiB, about 2,000 primitives); nothing was changed`);
      }
      const reply = (await requestApi(this.socket, request, REPLACE_TIMEOUT_MS)) as Reply;
      if (reply.ok === true) {
        // A forced change the cluster could store on one half only: the answer says so, and so does the command.
        const half = this.thisHalf !== "no" && typeof reply.message === "string" && /this half only/.test(reply.message) ? [reply.message.slice(0, 1000), ...(this.thisHalf === "force" ? [FORCE_HALF_DEPRECATED] : [])] : [];
        return { result: half.length > 0 ? { ...result, warnings: [...result.warnings, ...half] } : result, version: typeof reply.version === "string" ? reply.version : formatVersion(result.cib.version) };
      }
      if (reply.code !== "E_CIB_CONFLICT") throw replyError(reply, "the cluster refused the change");
    }
    throw new EdgehaError("E_CIB_CONFLICT", `the CIB changed under this command ${CONFLICT_RETRIES_MAX + 1} times in a row (someone else is changing it); nothing was changed, try again`);
  }
}

export function targetFor(args: ParsedArguments, fileOptionName = "file"): CibTarget {
  const file = args.options[fileOptionName];
  if (typeof file === "string" && typeof args.options.socket === "string") {
    throw new UsageError(`give --${fileOptionName} FILE (edit a file) or --socket PATH (edit the running cluster), not both`);
  }
  if (typeof file === "string") {
    if (args.options["this-half-only"] === true) throw new UsageError(`--this-half-only is for a change on the running cluster, not for a file (--${fileOptionName})`);
    return new FileTarget(file, args.options.force === true);
  }
  const socket = typeof args.options.socket === "string" ? args.options.socket : configDefaults.DEFAULT_SOCKET_PATH;
  return new LiveTarget(socket, args.options["this-half-only"] === true ? "this-half-only" : args.options.force === true ? "force" : "no");
}

/** OCF agents installed here (OCF_ROOT/resource.d/PROVIDER/TYPE), and the built-in fence drivers. */
export function localCatalog(env: NodeJS.ProcessEnv): EditCatalog {
  const root = path.join(env.OCF_ROOT ?? "/usr/lib/ocf", "resource.d");
  const agents: string[] = [];
  try {
    for (const provider of readdirSync(root).slice(0, 100)) {
      try {
        for (const type of readdirSync(path.join(root, provider)).slice(0, 1000)) agents.push(`ocf:${provider}:${type}`);
      } catch {
        // Not a directory.
      }
    }
  } catch {
    // No OCF agents on this machine: nothing to check against.
  }
  const fenceDriverParameters: Record<string, { names: string[]; required: string[][] }> = {};
  for (const [name, driver] of builtinFenceDrivers) {
    const parameters = [...driver.metadata.parameters, ...COMMON_PARAMETERS];
    fenceDriverParameters[name] = {
      names: parameters.flatMap((parameter) => [parameter.name, ...(parameter.aliases ?? [])]),
      required: driver.metadata.parameters.filter((parameter) => parameter.required).map((parameter) => [parameter.name, ...(parameter.aliases ?? [])]),
    };
  }
  const catalog: EditCatalog = { fenceDrivers: [...builtinFenceDrivers.keys()], fenceDriverParameters };
  if (agents.length > 0) catalog.agents = agents;
  return catalog;
}

/** Warnings to stderr (unless --json, which carries them), then one line or one JSON object. */
export function report(context: CommandContext, args: ParsedArguments, changed: Changed, done: string): number {
  const { result, version } = changed;
  if (args.options.json) {
    context.stdout.write(`${JSON.stringify({ ok: true, changed: result.changed, version, warnings: result.warnings })}\n`);
    return 0;
  }
  for (const warning of result.warnings) context.stderr.write(`warning: ${warning}\n`);
  context.stdout.write(result.changed ? `${done} (CIB version ${version})\n` : `nothing changed (CIB version ${version})\n`);
  return 0;
}
