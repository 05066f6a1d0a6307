// Reading the config from disk, and the checks that need the file system (the
// authkey). The validation itself is pure and lives in check.ts.
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { EdgehaError, isEdgehaError } from "../common/errors";
import { loadAuthkey } from "./authkey";
import { configOrThrow, checkConfigText } from "./check";
import { LIMITS } from "./defaults";
import { sortProblems } from "./problems";
import type { BootstrapConfig, ConfigCheck, ConfigProblem } from "./types";

export interface CheckFileOptions {
  /** Also check the files the config names (the authkey). Default true. */
  checkFiles?: boolean;
}

/** Reads a config file as UTF-8 text (at most LIMITS.configBytesMax bytes); E_CONFIG_READ when it cannot. */
export function readConfigText(file: string): string {
  let descriptor: number;
  try {
    descriptor = openSync(file, "r");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "does not exist" : code === "EACCES" ? "is not readable (permission denied)" : `cannot be opened (${code ?? String(error)})`;
    throw new EdgehaError("E_CONFIG_READ", `config file ${file} ${why}`, { file });
  }
  try {
    const stats = fstatSync(descriptor);
    if (!stats.isFile()) throw new EdgehaError("E_CONFIG_READ", `config file ${file} is not a regular file`, { file });
    if (stats.size > LIMITS.configBytesMax) {
      throw new EdgehaError("E_CONFIG_READ", `config file ${file} has ${stats.size} bytes; a bootstrap config is at most ${LIMITS.configBytesMax}`, { file });
    }
    const buffer = Buffer.alloc(stats.size);
    let filled = 0;
    while (filled < buffer.length) {
      const count = readSync(descriptor, buffer, filled, buffer.length - filled, filled);
      if (count === 0) break;
      filled += count;
    }
    return buffer.subarray(0, filled).toString("utf8");
  } finally {
    closeSync(descriptor);
  }
}

/** Checks a config file; E_CONFIG_READ only when the file cannot be read at all. */
export function checkConfigFile(file: string, options: CheckFileOptions = {}): ConfigCheck {
  const check = checkConfigText(readConfigText(file), file);
  if (options.checkFiles === false || !check.config) return check;
  const fileProblems = checkFilesOf(check.config, check);
  if (fileProblems.length === 0) return check;
  const problems = sortProblems([...check.problems, ...fileProblems]);
  const hasError = fileProblems.some((problem) => problem.severity === "error");
  return { ...check, problems, config: hasError ? undefined : check.config };
}

/**
 * The checks that look at the disk: the authkey must exist, be private and long
 * enough. With crypto off no key is used, so none is required.
 */
function checkFilesOf(config: BootstrapConfig, check: ConfigCheck): ConfigProblem[] {
  if (!config.transport.crypto) return [];
  try {
    loadAuthkey(config.paths.authkey);
    return [];
  } catch (error) {
    if (!isEdgehaError(error)) throw error;
    const position = check.positions.locate("paths.authkey");
    return [{ severity: "error", path: "paths.authkey", message: error.message, line: position.line, column: position.column }];
  }
}

/**
 * Reads, checks and returns the config of `file`; throws E_CONFIG_READ or
 * E_CONFIG_INVALID (whose message lists every error as FILE:LINE:COLUMN: message).
 * Warnings go to `onWarning` as formatted lines.
 */
export function loadConfig(file: string, options: CheckFileOptions & { onWarning?: (problem: ConfigProblem) => void } = {}): BootstrapConfig {
  const check = checkConfigFile(file, options);
  for (const problem of check.problems) if (problem.severity === "warning") options.onWarning?.(problem);
  return configOrThrow(check);
}
