// The one way this program writes a file it keeps: the whole content goes to a temporary
// file in the same directory, which is fsynced, then renamed over the target, and the
// directory is fsynced so that the rename itself survives a power loss. A crash at any
// moment leaves either the old file or the new one, whole, never a mix or an empty file,
// and never the old one again after the new one was reported written (the ring id in
// membership.json, the CIB, the fence history must never go back).
// Every call goes through a file-system port (src/common/fs-port.ts): node:fs for the agent,
// the simulator's in-memory directory (src/sim/disk.ts), where any of these steps can be the
// moment the process dies or the power goes.
import path from "node:path";
import { nodeFileSystem, type FileSystemPort } from "./fs-port";

export interface DurableWriteOptions {
  /** The file's mode, set exactly whatever the umask (default: the mode of the file it replaces, else newFileMode). */
  mode?: number;
  /** The mode of a file that does not exist yet when `mode` is not given (default 0o600). */
  newFileMode?: number;
  /** Create the directory (0o700) when it is missing. */
  makeDirectory?: boolean;
  /**
   * false: fail with an error whose code is EEXIST when the file exists already, instead
   * of replacing it (the check and the write are one atomic step: a hard link).
   */
  overwrite?: boolean;
  /** The file system (default: node:fs; the simulator passes its own). */
  fs?: FileSystemPort;
}

/** Writes `data` to `file` durably and atomically (see above). Throws the system error, with no temporary file left behind. */
export function writeFileDurably(file: string, data: string | Uint8Array, options: DurableWriteOptions = {}): void {
  const fs = options.fs ?? nodeFileSystem;
  const directory = path.dirname(path.resolve(file));
  if (options.makeDirectory) fs.mkdirSync(directory, { recursive: true, mode: 0o700 });
  const mode = options.mode ?? existingMode(fs, file) ?? options.newFileMode ?? 0o600;
  // A unique suffix: a temporary file left by a crashed writer never blocks the next one.
  const temporary = path.join(directory, `.${path.basename(file)}.${fs.temporarySuffix()}.tmp`);
  try {
    const descriptor = fs.openSync(temporary, "wx", mode);
    try {
      fs.fchmodSync(descriptor, mode);
      const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
      for (let offset = 0; offset < bytes.length;) offset += fs.writeSync(descriptor, bytes, offset, bytes.length - offset);
      fs.fsyncSync(descriptor);
    } finally {
      fs.closeSync(descriptor);
    }
    if (options.overwrite === false) {
      fs.linkSync(temporary, file);
      fs.unlinkSync(temporary);
    } else {
      fs.renameSync(temporary, file);
    }
  } catch (error) {
    removeQuietly(fs, temporary);
    throw error;
  }
  syncDirectory(directory, fs);
}

/** Makes the entries of a directory (files renamed into it, removed from it) durable. */
export function syncDirectory(directory: string, fs: FileSystemPort = nodeFileSystem): void {
  const descriptor = fs.openSync(directory, "r");
  try {
    fs.fsyncSync(descriptor);
  } finally {
    fs.closeSync(descriptor);
  }
}

/** True for the temporary files writeFileDurably makes for `name` (to clean up after a crashed writer). */
export function isTemporaryOf(entry: string, name: string): boolean {
  return entry.startsWith(`.${name}.`) && entry.endsWith(".tmp");
}

function existingMode(fs: FileSystemPort, file: string): number | undefined {
  try {
    return fs.statSync(file).mode & 0o777;
  } catch {
    return undefined;
  }
}

function removeQuietly(fs: FileSystemPort, file: string): void {
  try {
    fs.unlinkSync(file);
  } catch {
    // It was never made, or is gone already.
  }
}
