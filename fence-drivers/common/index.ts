// The fence-agents stdin / command-line protocol around any FenceDriver.
//
// `edgeha fence-driver NAME` behaves like a fence_* program: it reads
// `key=value` lines on stdin (or fence_ipmilan-style flags on the command line),
// runs the action and exits 0 (success, or ON for status), 1 (error) or 2 (OFF
// for status). Secrets (passwd, passwd_script output, kg keys, any parameter
// marked secret) are removed from every line this wrapper prints.
import { spawnProgram } from "../../src/common/spawn";
import { EdgehaError } from "../../src/common/errors";
import type { FenceAction, FenceDriver, FenceDriverMetadata, FenceOptions, FenceParameter, FenceResult } from "../types";

export const FENCE_ACTIONS: readonly FenceAction[] = ["off", "on", "reboot", "status", "monitor", "list", "metadata", "validate-all"];

/** Parameters every driver understands through this wrapper (fence-agents' common options). */
export const COMMON_PARAMETERS: readonly FenceParameter[] = [
  { name: "action", aliases: ["option"], flags: ["-o", "--action"], type: "select", default: "reboot", choices: [...FENCE_ACTIONS], description: "Fencing action." },
  { name: "plug", aliases: ["port"], flags: ["-n", "--plug"], type: "string", description: "Physical plug number on the device, or name of the target." },
  { name: "delay", flags: ["--delay"], type: "second", default: "0", description: "Wait this many seconds before the fencing action." },
  { name: "power_timeout", flags: ["--power-timeout"], type: "second", default: "20", description: "Seconds to wait for the device to reach the requested power state." },
  { name: "power_wait", flags: ["--power-wait"], type: "second", default: "0", description: "Seconds to wait after issuing a power on/off command." },
  { name: "retry_on", flags: ["--retry-on"], type: "integer", default: "1", description: "Number of attempts of the action before giving up." },
  { name: "verbose", flags: ["-v", "--verbose"], type: "boolean", description: "Print debug lines (secrets are removed) on stderr." },
];

const SECRET_NAMES = new Set(["passwd", "password", "passwd_script", "password_script", "kg", "hexadecimal_kg", "key"]);

export interface ParsedFenceOptions {
  options: Record<string, string>;
  /** Lines or words that were ignored, with the reason (printed as warnings). */
  warnings: string[];
}

function allParameters(metadata: FenceDriverMetadata): FenceParameter[] {
  // A driver's own parameter wins over a common one with any of the same names or flags.
  const own = new Set(metadata.parameters.flatMap((parameter) => [parameter.name, ...(parameter.aliases ?? []), ...(parameter.flags ?? [])]));
  const clashes = (parameter: FenceParameter): boolean => [parameter.name, ...(parameter.aliases ?? []), ...(parameter.flags ?? [])].some((name) => own.has(name));
  return [...metadata.parameters, ...COMMON_PARAMETERS.filter((parameter) => !clashes(parameter))];
}

function canonicalNames(metadata: FenceDriverMetadata): Map<string, string> {
  const names = new Map<string, string>();
  for (const parameter of allParameters(metadata)) {
    names.set(parameter.name, parameter.name);
    for (const alias of parameter.aliases ?? []) names.set(alias, parameter.name);
  }
  return names;
}

const STDIN_WARNINGS_MAX = 20;

/** Reads fence-agents stdin: one `key=value` per line, `#` comments and blank lines ignored. */
export function parseStdinOptions(text: string, metadata: FenceDriverMetadata): ParsedFenceOptions {
  const names = canonicalNames(metadata);
  const options: Record<string, string> = {};
  const warnings: string[] = [];
  let ignored = 0;
  // At most STDIN_WARNINGS_MAX warnings: junk on stdin must not turn into a flood of lines.
  const warn = (message: string): void => {
    if (warnings.length < STDIN_WARNINGS_MAX) warnings.push(message);
    else ignored++;
  };
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const equals = line.indexOf("=");
    if (equals <= 0) {
      warn(`stdin line ${index + 1}: ignored, not key=value`);
      return;
    }
    const key = line.slice(0, equals).trim();
    const value = line.slice(equals + 1);
    const name = names.get(key);
    if (!name) {
      warn(`stdin line ${index + 1}: ignoring unknown option "${key}"`);
      return;
    }
    options[name] = value;
  });
  if (ignored > 0) warnings.push(`${ignored} more stdin lines were ignored`);
  return { options, warnings };
}

/** Reads fence_ipmilan-style flags (`-o status -a HOST -l USER -p PASS -P -C 3`). */
export function parseArgvOptions(argv: readonly string[], metadata: FenceDriverMetadata): ParsedFenceOptions {
  const byFlag = new Map<string, FenceParameter>();
  for (const parameter of allParameters(metadata)) for (const flag of parameter.flags ?? []) byFlag.set(flag, parameter);
  const options: Record<string, string> = {};
  const warnings: string[] = [];
  for (let index = 0; index < argv.length; index++) {
    const word = argv[index]!;
    let flag = word;
    let inline: string | undefined;
    if (word.startsWith("--") && word.includes("=")) {
      flag = word.slice(0, word.indexOf("="));
      inline = word.slice(word.indexOf("=") + 1);
    }
    const parameter = byFlag.get(flag);
    if (!parameter) {
      // Also accept key=value words, like stdin lines.
      const equals = word.indexOf("=");
      const name = equals > 0 && !word.startsWith("-") ? canonicalNames(metadata).get(word.slice(0, equals)) : undefined;
      if (name) options[name] = word.slice(equals + 1);
      else throw new EdgehaError("E_FENCE_OPTION", `unknown option "${word.startsWith("-") ? flag : word}" for fence driver ${metadata.name}`);
      continue;
    }
    if (parameter.type === "boolean") {
      options[parameter.name] = inline ?? "1";
      continue;
    }
    const value = inline ?? argv[++index];
    if (value === undefined) throw new EdgehaError("E_FENCE_OPTION", `option ${flag} (${parameter.name}) of fence driver ${metadata.name} needs a value`);
    options[parameter.name] = value;
  }
  return { options, warnings };
}

export function isTrue(value: string | undefined): boolean {
  return value !== undefined && /^(1|yes|true|on|)$/i.test(value.trim());
}

/** The names of parameters whose values must never be printed. */
export function secretParameterNames(metadata: FenceDriverMetadata): Set<string> {
  const names = new Set(SECRET_NAMES);
  for (const parameter of allParameters(metadata)) if (parameter.secret) names.add(parameter.name);
  return names;
}

/** Replaces every occurrence of every secret value (non-empty) by "******". */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of [...secrets].filter((value) => value.length > 0).sort((a, b) => b.length - a.length)) out = out.split(secret).join("******");
  return out;
}

/**
 * Runs passwd_script (through /bin/sh) and resolves with the first line it prints. Never blocks:
 * the agent runs fence actions, and its heartbeats must go on while a script waits (a script that
 * hangs is killed after timeoutMs). Its output is never put in an error: it may be the password.
 */
export function runPasswordScript(script: string, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawnProgram("sh", ["-c", script], { stdio: ["ignore", "pipe", "ignore"] });
    let output = "";
    let settled = false;
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.stdout?.destroy();
      reject(new EdgehaError("E_FENCE_SECRET", `passwd_script failed (${why}); its output is not shown because it may hold the password`));
    };
    const timer = setTimeout(() => { child.kill("SIGKILL"); fail(`no answer within ${timeoutMs} ms`); }, timeoutMs);
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", (chunk: string) => { if (output.length < 65_536) output += chunk; });
    child.on("error", (error) => fail(error.message));
    child.on("close", (code, signal) => {
      if (code !== 0) return fail(signal ? `killed by ${signal}` : `exit status ${code}`);
      const line = output.split(/\r?\n/)[0] ?? "";
      if (line === "") return fail("it printed nothing on its first line");
      settled = true;
      clearTimeout(timer);
      resolve(line);
    });
  });
}

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** Metadata in the fence-agents XML form (what `fence_ipmilan -o metadata` prints). */
export function metadataXml(metadata: FenceDriverMetadata): string {
  const lines = [
    `<?xml version="1.0" ?>`,
    `<resource-agent name="${escapeXml(metadata.name)}" shortdesc="${escapeXml(metadata.shortDescription)}" >`,
    `<longdesc>${escapeXml(metadata.longDescription)}</longdesc>`,
    `<vendor-url></vendor-url>`,
    `<parameters>`,
  ];
  for (const parameter of allParameters(metadata)) {
    const names = [parameter.name, ...(parameter.aliases ?? [])];
    for (const [index, name] of names.entries()) {
      const deprecated = index > 0 ? ` deprecated="1"` : "";
      const obsoletes = index === 0 && names.length > 1 ? ` obsoletes="${escapeXml(names[1]!)}"` : "";
      lines.push(`\t<parameter name="${escapeXml(name)}" unique="0" required="${parameter.required && index === 0 ? 1 : 0}"${deprecated}${obsoletes}>`);
      const flags = (parameter.flags ?? []).join(", ");
      if (flags) lines.push(`\t\t<getopt mixed="${escapeXml(flags)}" />`);
      const type = parameter.type === "boolean" ? "boolean" : parameter.type === "select" ? "select" : parameter.type === "integer" || parameter.type === "second" ? "second" : "string";
      const def = parameter.default !== undefined ? ` default="${escapeXml(parameter.default)}"` : "";
      if (type === "select") {
        lines.push(`\t\t<content type="select"${def} >`);
        for (const choice of parameter.choices ?? []) lines.push(`\t\t\t<option value="${escapeXml(choice)}" />`);
        lines.push(`\t\t</content>`);
      } else lines.push(`\t\t<content type="${type}"${def} />`);
      lines.push(`\t\t<shortdesc lang="en">${escapeXml(parameter.description)}</shortdesc>`);
      lines.push(`\t</parameter>`);
    }
  }
  lines.push(`</parameters>`, `<actions>`);
  for (const action of metadata.actions) lines.push(`\t<action name="${action}" />`);
  lines.push(`</actions>`, `</resource-agent>`);
  return `${lines.join("\n")}\n`;
}

export interface AgentIo {
  stdout(line: string): void;
  stderr(line: string): void;
  /** Injected for tests; defaults to setTimeout. */
  sleep?(ms: number, signal: AbortSignal): Promise<void>;
}

function sleepFor(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => { signal.removeEventListener("abort", onAbort); resolve(); }, ms);
    const onAbort = (): void => { clearTimeout(timer); reject(signal.reason); };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

function seconds(options: FenceOptions, name: string, fallback: number): number {
  const text = options[name];
  if (text === undefined || text === "") return fallback;
  const value = Number(text.replace(/s$/, ""));
  if (!Number.isFinite(value) || value < 0) throw new EdgehaError("E_FENCE_OPTION", `${name}="${text}" is not a number of seconds`);
  return value;
}

/** Checks required parameters and select values; returns the first problem or undefined. */
export function validateOptions(metadata: FenceDriverMetadata, options: FenceOptions, action: FenceAction): string | undefined {
  for (const parameter of allParameters(metadata)) {
    const value = options[parameter.name];
    if (parameter.required && (value === undefined || value === "") && !(parameter.name === "passwd" && options.passwd_script)) {
      if (action !== "metadata") return `missing required parameter "${parameter.name}"`;
    }
    if (value !== undefined && parameter.type === "select" && parameter.choices && !parameter.choices.includes(value)) {
      return `parameter "${parameter.name}" is "${value}", expected one of ${parameter.choices.join(", ")}`;
    }
    if (value !== undefined && parameter.type === "integer" && !/^-?\d+$/.test(value)) return `parameter "${parameter.name}" is "${value}", expected an integer`;
  }
  return undefined;
}

/**
 * Runs one action of a driver the way a fence_* program does, printing its
 * output lines through io. Returns the exit status (0, 1 or 2).
 */
export async function runFenceAgent(driver: FenceDriver, input: Record<string, string>, io: AgentIo, outer?: AbortSignal): Promise<0 | 1 | 2> {
  const metadata = driver.metadata;
  const secretNames = secretParameterNames(metadata);
  const secrets = Object.entries(input).filter(([name]) => secretNames.has(name)).map(([, value]) => value);
  const say = (line: string): void => io.stdout(redactSecrets(line, secrets));
  const warn = (line: string): void => io.stderr(redactSecrets(line, secrets));
  const verbose = isTrue(input.verbose);
  try {
    const action = (input.action ?? "reboot") as FenceAction;
    if (!FENCE_ACTIONS.includes(action)) throw new EdgehaError("E_FENCE_OPTION", `unknown action "${action}"; expected one of ${FENCE_ACTIONS.join(", ")}`);
    if (action === "metadata") {
      io.stdout(metadataXml(metadata).trimEnd());
      return 0;
    }
    if (!metadata.actions.includes(action)) throw new EdgehaError("E_FENCE_OPTION", `fence driver ${metadata.name} does not support action "${action}"`);
    const options: Record<string, string> = { ...input, action };
    if (options.passwd_script && !options.passwd) {
      options.passwd = await runPasswordScript(options.passwd_script);
      secrets.push(options.passwd);
    }
    const problem = validateOptions(metadata, options, action);
    if (problem) throw new EdgehaError("E_FENCE_OPTION", `${metadata.name}: ${problem}`);
    if (action === "validate-all") {
      const result = await driver.run(action, options, { signal: outer ?? new AbortController().signal, debug: (line) => verbose && warn(line) });
      if (result.message) (result.exitCode === 0 ? say : warn)(result.message);
      return result.exitCode === 0 ? 0 : 1;
    }
    const powerTimeout = seconds(options, "power_timeout", 20);
    const delay = seconds(options, "delay", 0);
    const attempts = Math.max(1, Math.floor(seconds(options, "retry_on", 1)));
    const sleep = io.sleep ?? sleepFor;
    const never = new AbortController().signal;
    if (delay > 0 && (action === "off" || action === "reboot")) await sleep(delay * 1000, outer ?? never);
    let result: FenceResult | undefined;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const budget = AbortSignal.timeout(Math.max(1, powerTimeout * 1000 + seconds(options, "power_wait", 0) * 2000 + 30_000));
      const signal = outer ? AbortSignal.any([outer, budget]) : budget;
      try {
        result = await driver.run(action, options, { signal, debug: (line) => verbose && warn(line) });
      } catch (error) {
        result = { exitCode: 1, message: error instanceof Error ? error.message : String(error) };
      }
      if (result.exitCode !== 1) break;
      if (attempt < attempts) warn(`${metadata.name}: attempt ${attempt} of ${attempts} failed: ${result.message}`);
    }
    result = result!;
    if (action === "list" && result.exitCode === 0) {
      for (const target of result.targets ?? []) say(`${target.plug},${target.alias ?? ""}`);
      return 0;
    }
    if (action === "status" || action === "monitor") {
      if (result.exitCode === 1) {
        warn(`Failed: ${result.message}`);
        return 1;
      }
      if (action === "status") say(`Status: ${result.exitCode === 2 ? "OFF" : "ON"}`);
      else if (result.message) say(result.message);
      return action === "status" ? result.exitCode : 0;
    }
    if (result.exitCode === 0) {
      say(`Success: ${result.message || (action === "on" ? "Powered ON" : action === "off" ? "Powered OFF" : "Rebooted")}`);
      return 0;
    }
    warn(`Failed: ${result.message}`);
    return 1;
  } catch (error) {
    warn(`Failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

/** Options from stdin when argv has none (fence-agents' rule), else from argv. */
export function optionsFor(driver: FenceDriver, argv: readonly string[], stdinText: string | undefined): ParsedFenceOptions {
  if (argv.length > 0) return parseArgvOptions(argv, driver.metadata);
  return parseStdinOptions(stdinText ?? "", driver.metadata);
}
