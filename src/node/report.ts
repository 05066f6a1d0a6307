// `edgeha report`: a support bundle. Each member collects its own part (collectLocalPart) when
// asked through the cluster; the node the CLI asked packs every part into one tar.gz with a
// summary that names the members that could not be reached. Secrets never leave a node: the
// CIB's secret parameters are blanked, every secret value this node knows (configured ones
// and passwd_script output it has seen) is blanked wherever it appears in any file, and the
// authkey is never read.
import { gunzipSync, gzipSync } from "node:zlib";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { allPrimitives, flattenSets, parseNativeCib, type Cib } from "../cib";
import { tarArchive, type TarEntry } from "../common/tar";
import { RECORDER_DIRECTORY } from "./observability-paths";

export const REDACTED = "********";
/** One member's part is at most this large (its recorded inputs are cut first). */
export const PART_BYTES_MAX = 16 * 1024 * 1024;
const RECORDS_MAX = 200;
const SECRET_NAME = /(^|_)(password|passwd|secret|passphrase|kg|hexadecimal_kg|authkey|key)$/i;
const SECRET_PAIR = /\b([A-Za-z0-9_]*(?:password|passwd|secret|passphrase|hexadecimal_kg)[A-Za-z0-9_]*)(["']?\s*[=:]\s*["']?)([^\s"',}]+)/gi;

export interface ReportFile {
  name: string;
  /** base64 for binary files (recorded inputs), utf8 text otherwise. */
  encoding: "utf8" | "base64";
  content: string;
}

/** What one member sends back: its files (already redacted) and what it could not collect. */
export interface ReportPart {
  node: string;
  files: ReportFile[];
  problems: string[];
}

/** Every secret value a CIB holds: parameters named like secrets, and those a device lists in pcmk_secret_params. */
export function secretValuesOf(cib: Cib): string[] {
  const found: string[] = [];
  for (const primitive of allPrimitives(cib.resources)) {
    const marked = new Set((flattenSets(primitive.instance).pcmk_secret_params ?? "").split(/[\s,]+/).filter(Boolean));
    for (const set of primitive.instance) for (const [name, value] of Object.entries(set.values)) if ((SECRET_NAME.test(name) || marked.has(name)) && value.length > 0) found.push(value);
  }
  for (const alert of cib.alerts ?? []) for (const set of [...alert.instance, ...alert.recipients.flatMap((recipient) => recipient.instance)]) for (const [name, value] of Object.entries(set.values)) if (SECRET_NAME.test(name) && value.length > 0) found.push(value);
  return found;
}

/** The CIB with every secret parameter blanked. */
export function redactCib(cib: Cib): Cib {
  const copy = structuredClone(cib);
  const secrets = new Set(secretValuesOf(cib));
  const blank = (sets: Cib["properties"]) => { for (const set of sets) for (const [name, value] of Object.entries(set.values)) if (SECRET_NAME.test(name) || secrets.has(value)) set.values[name] = REDACTED; };
  for (const primitive of allPrimitives(copy.resources)) blank(primitive.instance);
  for (const alert of copy.alerts ?? []) {
    blank(alert.instance);
    for (const recipient of alert.recipients) blank(recipient.instance);
  }
  return copy;
}

/** Text with every known secret value and every NAME=VALUE whose name says secret blanked. */
export function redactText(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of [...new Set(secrets)].filter((value) => value.length >= 3).sort((left, right) => right.length - left.length)) result = result.split(secret).join(REDACTED);
  return result.replace(SECRET_PAIR, (_whole, name: string, separator: string) => `${name}${separator}${REDACTED}`);
}

export interface LocalReportSources {
  node: string;
  stateDir: string;
  fromSeconds: number;
  /** The CIB in force on this node. */
  cib: Cib;
  /** This agent's recent log lines (JSON), oldest first. */
  logLines: readonly string[];
  /** The agent's status (membership, quorum, summary, node facts). */
  status: unknown;
  versions: Record<string, string>;
  /** Secret values seen at run time (passwd_script output). */
  runtimeSecrets: readonly string[];
}

function lineTimeSeconds(line: string): number | undefined {
  const match = /"time":"([^"]+)"/.exec(line);
  if (!match) return undefined;
  const value = Date.parse(match[1]!);
  return Number.isNaN(value) ? undefined : value / 1000;
}

function inWindow(lines: readonly string[], fromSeconds: number): string[] {
  return lines.filter((line) => (lineTimeSeconds(line) ?? Number.POSITIVE_INFINITY) >= fromSeconds);
}

function readText(file: string, problems: string[]): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") problems.push(`cannot read ${file}: ${(error as Error).message}`);
    return undefined;
  }
}

function recordedInputs(sources: LocalReportSources, secrets: readonly string[], problems: string[]): ReportFile[] {
  const directory = path.join(sources.stateDir, RECORDER_DIRECTORY);
  if (!existsSync(directory)) return [];
  const names = readdirSync(directory).filter((name) => name.endsWith(".json.gz")).map((name) => ({ name, mtime: statSync(path.join(directory, name)).mtimeMs / 1000 }))
    .filter((entry) => entry.mtime >= sources.fromSeconds).sort((left, right) => left.mtime - right.mtime).slice(-RECORDS_MAX);
  const files: ReportFile[] = [];
  for (const entry of names) {
    try {
      const record = JSON.parse(gunzipSync(readFileSync(path.join(directory, entry.name))).toString("utf8")) as { cib: unknown };
      record.cib = redactCib(parseNativeCib(JSON.stringify(record.cib), entry.name));
      const text = redactText(JSON.stringify(record), secrets);
      files.push({ name: `pe/${entry.name}`, encoding: "base64", content: gzipSync(text).toString("base64") });
    } catch (error) {
      problems.push(`recorded input ${entry.name} left out: ${(error as Error).message}`);
    }
  }
  return files;
}

/** This node's part of a report, redacted and bounded. */
export function collectLocalPart(sources: LocalReportSources): ReportPart {
  const problems: string[] = [];
  const secrets = [...secretValuesOf(sources.cib), ...sources.runtimeSecrets];
  const text = (name: string, content: string): ReportFile => ({ name, encoding: "utf8", content: redactText(content, secrets) });
  const files: ReportFile[] = [
    text("versions.txt", Object.entries(sources.versions).map(([key, value]) => `${key}: ${value}`).join("\n") + "\n"),
    text("status.json", `${JSON.stringify(sources.status, null, 2)}\n`),
    text("cib.json", `${JSON.stringify(redactCib(sources.cib), null, 2)}\n`),
    text("agent.log", inWindow(sources.logLines, sources.fromSeconds).join("\n") + "\n"),
  ];
  const fenceHistory = readText(path.join(sources.stateDir, "fence-history.json"), problems);
  if (fenceHistory !== undefined) files.push(text("fence-history.json", fenceHistory));
  const membership = readText(path.join(sources.stateDir, "membership.json"), problems);
  if (membership !== undefined) files.push(text("membership.json", membership));
  const inputs = recordedInputs(sources, secrets, problems);
  let bytes = files.reduce((total, file) => total + file.content.length, 0);
  for (const input of inputs.reverse()) {
    if (bytes + input.content.length > PART_BYTES_MAX) {
      problems.push(`older recorded inputs left out: the part would be larger than ${PART_BYTES_MAX} bytes`);
      break;
    }
    bytes += input.content.length;
    files.push(input);
  }
  return { node: sources.node, files, problems };
}

export function localVersions(version: string): Record<string, string> {
  return { edgeha: version, node: process.version, kernel: `${os.type()} ${os.release()} ${os.arch()}`, hostname: os.hostname() };
}

/** The bundle: one directory per member, and summary.txt naming who answered and who did not. */
export function packReport(options: { cluster: string; createdSeconds: number; fromSeconds: number; parts: readonly ReportPart[]; unreachable: ReadonlyArray<{ node: string; reason: string }> }): Buffer {
  const stamp = new Date(options.createdSeconds * 1000).toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  const root = `edgeha-report-${options.cluster}-${stamp}`;
  const summary = [
    `edgeha report of cluster ${options.cluster}`,
    `created: ${new Date(options.createdSeconds * 1000).toISOString()}`,
    `window: from ${new Date(options.fromSeconds * 1000).toISOString()}`,
    `members that answered: ${options.parts.map((part) => part.node).join(", ") || "none"}`,
    `members that could not be reached: ${options.unreachable.length === 0 ? "none" : options.unreachable.map((each) => `${each.node} (${each.reason})`).join(", ")}`,
    ...options.parts.flatMap((part) => part.problems.map((problem) => `${part.node}: ${problem}`)),
    "Secrets (passwords, keys, passwd_script output) are blanked as ********; the authkey is not included.",
  ];
  const entries: TarEntry[] = [{ name: `${root}/summary.txt`, content: Buffer.from(`${summary.join("\n")}\n`), mtimeSeconds: options.createdSeconds }];
  for (const part of options.parts) {
    for (const file of part.files) entries.push({ name: `${root}/${part.node}/${file.name}`, content: Buffer.from(file.content, file.encoding), mtimeSeconds: options.createdSeconds });
  }
  return gzipSync(tarArchive(entries));
}
