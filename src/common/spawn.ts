// The one place edgeha starts other programs. Every program comes from the registry
// (src/common/programs.ts): by its name there, or, for programs the configuration names (an
// OCF agent, a fence_* program, an init script, an agent's binary= parameter), by the family
// that declares them and the path. No other module imports node:child_process; a unit test
// (test/unit/common/programs.test.ts) fails when one does.
import { execFile, spawn, type ChildProcess, type ExecFileException, type ExecFileOptionsWithStringEncoding, type SpawnOptions } from "node:child_process";
import { accessSync, constants } from "node:fs";
import path from "node:path";
import { programCommand, type ProgramFamily, type ProgramName } from "./programs";

export type ProgramReference =
  | ProgramName
  /** A registry program at a path the configuration gave (haproxy's binary=, say). */
  | { readonly program: ProgramName; readonly path: string }
  /** A program the configuration names, of a family the registry declares. */
  | { readonly family: ProgramFamily; readonly path: string };

/** The file to run for a reference. */
export function commandFor(reference: ProgramReference): string {
  return typeof reference === "string" ? programCommand(reference) : reference.path;
}

/** A short name for messages: the registry name, or the family and path. */
export function describeProgram(reference: ProgramReference): string {
  if (typeof reference === "string") return reference;
  return "program" in reference ? `${reference.program} (${reference.path})` : reference.path;
}

export function spawnProgram(reference: ProgramReference, args: readonly string[], options: SpawnOptions): ChildProcess {
  return spawn(commandFor(reference), args, options);
}

export function execFileProgram(
  reference: ProgramReference,
  args: readonly string[],
  options: ExecFileOptionsWithStringEncoding,
  callback: (error: ExecFileException | null, stdout: string, stderr: string) => void,
): ChildProcess {
  return execFile(commandFor(reference), args, options, callback);
}

/** Where a command is found (an absolute path, or the first executable on PATH), else undefined. */
export function locateProgram(command: string, searchPath = process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin"): string | undefined {
  const executable = (file: string) => {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (command.includes("/")) return executable(command) ? command : undefined;
  for (const directory of searchPath.split(":").filter(Boolean)) {
    const file = path.join(directory, command);
    if (executable(file)) return file;
  }
  return undefined;
}
