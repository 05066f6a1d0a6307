// Runs any fence-agents program (fence_ipmilan, fence_apc, ...) through the
// fence-agents stdin protocol: options as key=value lines on stdin, the result in
// the exit status (0 ok / ON, 1 error, 2 OFF) and `list` lines "plug,alias".
// Its metadata comes from the program's own `action=metadata` XML.
import { accessSync, constants, statSync } from "node:fs";
import { delimiter, join } from "node:path";
import { spawnProgram } from "../../src/common/spawn";
import { childElement, childElements, parseXmlDocument, type XmlElement } from "../../src/common/xml";
import { EdgehaError } from "../../src/common/errors";
import type { FenceAction, FenceDriver, FenceDriverMetadata, FenceOptions, FenceParameter, FenceResult } from "../types";

const KNOWN_ACTIONS = new Set<FenceAction>(["off", "on", "reboot", "status", "monitor", "list", "metadata", "validate-all"]);
const OUTPUT_MAX = 1 << 20;

export interface ProgramOutput {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the program with key=value lines on stdin; the signal kills it. */
export function runProgram(program: string, options: Record<string, string>, signal: AbortSignal): Promise<ProgramOutput> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new EdgehaError("E_FENCE_TIMEOUT", `${program}: no time left to run it`));
    // Its own process group, so a time-out ends the helpers it started too (ipmitool, ssh).
    const child = spawnProgram({ family: "fence-agent", path: program }, [], { stdio: ["pipe", "pipe", "pipe"], detached: true });
    let stdout = "";
    let stderr = "";
    const onAbort = (): void => {
      try { process.kill(-child.pid!, "SIGKILL"); } catch { child.kill("SIGKILL"); }
      reject(new EdgehaError("E_FENCE_TIMEOUT", `${program} did not finish within its time limit and was killed`));
    };
    signal.addEventListener("abort", onAbort, { once: true });
    child.stdout!.on("data", (chunk: Buffer) => { if (stdout.length < OUTPUT_MAX) stdout += chunk.toString("utf8"); });
    child.stderr!.on("data", (chunk: Buffer) => { if (stderr.length < OUTPUT_MAX) stderr += chunk.toString("utf8"); });
    child.on("error", (error) => {
      signal.removeEventListener("abort", onAbort);
      reject(new EdgehaError("E_FENCE_DRIVER", `cannot run fence agent ${program}: ${error.message}`));
    });
    child.on("close", (code) => {
      signal.removeEventListener("abort", onAbort);
      resolve({ code, stdout, stderr });
    });
    child.stdin!.on("error", () => {});
    child.stdin!.end(Object.entries(options).map(([key, value]) => `${key}=${value}\n`).join(""));
  });
}

/** fence-agents metadata is 10-30 KB; these bounds leave ample room. */
const METADATA_LIMITS = { textLengthMax: 1024 * 1024, elementsMax: 20_000, depthMax: 16 };

/** Reads fence-agents metadata XML into our metadata shape; malformed XML is E_FENCE_DRIVER with its place. */
export function parseAgentMetadata(xml: string, program: string): FenceDriverMetadata {
  const agent = parseXmlDocument(xml, { source: `the metadata of ${program}`, syntaxCode: "E_FENCE_DRIVER", limitCode: "E_FENCE_DRIVER", limits: METADATA_LIMITS });
  if (agent.name !== "resource-agent") throw new EdgehaError("E_FENCE_DRIVER", `${program} printed metadata without a <resource-agent> element`);
  const text = (element: XmlElement | undefined): string => element?.text ?? "";
  const parameters: FenceParameter[] = [];
  for (const parameter of childElements(childElement(agent, "parameters") ?? agent, "parameter")) {
    const name = parameter.attributes.name;
    if (!name || parameter.attributes.deprecated === "1") continue;
    const content = childElement(parameter, "content")?.attributes ?? {};
    const type = content.type === "boolean" ? "boolean" : content.type === "select" ? "select" : content.type === "second" ? "second" : content.type === "integer" ? "integer" : "string";
    const mixed = childElement(parameter, "getopt")?.attributes.mixed;
    const flags = typeof mixed === "string" ? mixed.split(/[,\s]+/).filter((flag) => flag.startsWith("-")).map((flag) => flag.replace(/=.*$/, "").replace(/\[.*$/, "")) : [];
    parameters.push({
      name,
      aliases: parameter.attributes.obsoletes ? [parameter.attributes.obsoletes] : undefined,
      flags,
      type,
      required: parameter.attributes.required === "1",
      secret: /passw|^kg$|key/i.test(name) && !/script$/.test(name) ? true : undefined,
      default: content.default,
      choices: type === "select" ? childElements(childElement(parameter, "content")!, "option").map((option) => String(option.attributes.value)) : undefined,
      description: text(childElement(parameter, "shortdesc")),
    });
  }
  const actions = childElements(childElement(agent, "actions") ?? agent, "action").map((action) => action.attributes.name).filter((name): name is FenceAction => KNOWN_ACTIONS.has(name as FenceAction));
  return {
    name: String(agent.attributes.name ?? program),
    shortDescription: String(agent.attributes.shortdesc ?? text(childElement(agent, "shortdesc"))),
    longDescription: text(childElement(agent, "longdesc")),
    parameters,
    actions: [...new Set(actions)],
  };
}

function lastLine(text: string): string {
  return text.trim().split(/\r?\n/).filter((line) => line.trim() !== "").slice(-3).join(" | ");
}

/** A FenceDriver that runs `program` for every action. */
export function externalDriver(program: string, metadata: FenceDriverMetadata): FenceDriver {
  return {
    metadata,
    async run(action: FenceAction, options: FenceOptions, context): Promise<FenceResult> {
      const lines: Record<string, string> = {};
      for (const [key, value] of Object.entries(options)) if (key !== "verbose" && key !== "action") lines[key] = value;
      lines.action = action;
      // The fencer hands plug and port both; the program gets the spellings it knows.
      const output = await runProgram(program, lines, context.signal);
      context.debug(`${program} action=${action} exited ${output.code}`);
      if (action === "list" && output.code === 0) {
        const targets = output.stdout.split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== "" && !/^(success|failed|warning|parse error)/i.test(line))
          .map((line) => { const [plug, alias] = line.split(","); return alias ? { plug: plug!.trim(), alias: alias.trim() } : { plug: plug!.trim() }; });
        return { exitCode: 0, message: "", targets };
      }
      if (action === "status" && (output.code === 0 || output.code === 2)) return { exitCode: output.code, state: output.code === 2 ? "off" : "on", message: lastLine(output.stdout) };
      if (output.code === 0) {
        const state = action === "off" ? "off" : action === "on" || action === "reboot" ? "on" : undefined;
        return { exitCode: 0, ...(state ? { state } : {}), message: lastLine(output.stdout).replace(/^Success:\s*/, "") };
      }
      return { exitCode: 1, message: `${program} action=${action} exited ${output.code}: ${lastLine(output.stderr) || lastLine(output.stdout) || "no output"}` };
    },
  };
}

/**
 * Where fence-agents install their programs: /usr/sbin, which the PATH of a service often
 * lacks, so it is searched after PATH.
 */
export const FENCE_AGENT_DIRECTORIES: readonly string[] = ["/usr/sbin", "/sbin", "/usr/local/sbin"];

function isExecutableFile(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The file a fence-agents program name stands for: a path as given, else the first
 * executable of that name in PATH or the fence-agents directories. A missing program is
 * E_FENCE_DRIVER naming where it was looked for and the Debian package that has it.
 */
export function locateFenceAgent(program: string, path = process.env.PATH ?? ""): string {
  if (program.includes("/")) {
    if (isExecutableFile(program)) return program;
    throw new EdgehaError("E_FENCE_DRIVER", `fence agent ${program} is not an executable file`);
  }
  if (!/^fence_[A-Za-z0-9_.-]+$/.test(program)) throw new EdgehaError("E_FENCE_DRIVER", `"${program}" is not a fence agent name (fence_NAME) or a path`);
  const directories = [...new Set([...path.split(delimiter).filter((directory) => directory.startsWith("/")), ...FENCE_AGENT_DIRECTORIES])];
  for (const directory of directories) {
    const file = join(directory, program);
    if (isExecutableFile(file)) return file;
  }
  throw new EdgehaError("E_FENCE_DRIVER", `fence agent ${program} is not installed: not found in ${directories.join(":")} (fence-agents programs come with the Debian package fence-agents)`);
}

/** Loads a fence-agents program's metadata and returns a driver for it. */
export async function loadExternalDriver(name: string, timeoutMs = 10_000): Promise<FenceDriver> {
  const program = locateFenceAgent(name);
  const output = await runProgram(program, { action: "metadata" }, AbortSignal.timeout(timeoutMs));
  if (output.code !== 0) throw new EdgehaError("E_FENCE_DRIVER", `${program} action=metadata exited ${output.code}: ${lastLine(output.stderr) || "no output"}`);
  return externalDriver(program, parseAgentMetadata(output.stdout, program));
}
