// The cluster's shared secret: written by `edgeha keygen`, read by the agent. The
// key itself never reaches a message or a log line; only its path, size and mode do.
import { randomBytes } from "node:crypto";
import { closeSync, constants, fstatSync, mkdirSync, openSync, readSync } from "node:fs";
import path from "node:path";
import { EdgehaError } from "../common/errors";
import { writeFileDurably } from "../common/durable";
import { AUTHKEY_BYTES, AUTHKEY_BYTES_MAX, AUTHKEY_BYTES_MIN } from "./defaults";

/** Group and other permission bits: any of them on an authkey is refused, as ssh does for private keys. */
const GROUP_OTHER_BITS = 0o077;

function octal(mode: number): string {
  return `0${(mode & 0o777).toString(8).padStart(3, "0")}`;
}

/**
 * Reads the authkey, refusing a missing file, a file that group or others may
 * access, and a key shorter than AUTHKEY_BYTES_MIN or longer than AUTHKEY_BYTES_MAX.
 */
export function loadAuthkey(file: string): Buffer {
  let descriptor: number;
  try {
    descriptor = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    throw openError(file, error);
  }
  try {
    // fstat on the open descriptor: the file checked is the file read.
    const stats = fstatSync(descriptor);
    if (!stats.isFile()) throw new EdgehaError("E_AUTHKEY_MISSING", `authkey ${file} is not a regular file`, { file });
    if ((stats.mode & GROUP_OTHER_BITS) !== 0) {
      throw new EdgehaError(
        "E_AUTHKEY_PERMISSIONS",
        `authkey ${file} has mode ${octal(stats.mode)}: group or others may access it; run 'chmod 600 ${file}' (and copy it only over a secure channel)`,
        { file, mode: octal(stats.mode) },
      );
    }
    if (stats.size < AUTHKEY_BYTES_MIN || stats.size > AUTHKEY_BYTES_MAX) {
      throw new EdgehaError(
        "E_AUTHKEY_SIZE",
        `authkey ${file} has ${stats.size} bytes; a key needs ${AUTHKEY_BYTES_MIN} to ${AUTHKEY_BYTES_MAX} (run 'edgeha keygen -o ${file} --force' and copy it to every node)`,
        { file, sizeBytes: stats.size },
      );
    }
    const key = Buffer.alloc(stats.size);
    let filled = 0;
    while (filled < key.length) {
      const count = readSync(descriptor, key, filled, key.length - filled, filled);
      if (count === 0) break;
      filled += count;
    }
    if (filled !== key.length) throw new EdgehaError("E_AUTHKEY_SIZE", `authkey ${file} shrank while it was read`, { file });
    return key;
  } finally {
    closeSync(descriptor);
  }
}

function openError(file: string, error: unknown): EdgehaError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOENT") {
    return new EdgehaError("E_AUTHKEY_MISSING", `authkey ${file} does not exist; create it with 'edgeha keygen -o ${file}' and copy it to every node`, { file });
  }
  if (code === "ELOOP") return new EdgehaError("E_AUTHKEY_MISSING", `authkey ${file} is a symbolic link; put the key itself there`, { file });
  return new EdgehaError("E_AUTHKEY_MISSING", `authkey ${file} cannot be read (${code ?? String(error)})`, { file });
}

export interface WrittenKey {
  file: string;
  sizeBytes: number;
}

/**
 * Writes a new random authkey with mode 0600, atomically: the key goes to a
 * temporary file in the same directory, is synced, and then appears under its
 * name in one step (a hard link that fails if the name exists, or a rename with
 * `overwrite`). A crash leaves either no key or a whole one.
 */
export function writeAuthkey(file: string, options: { overwrite?: boolean; sizeBytes?: number } = {}): WrittenKey {
  const sizeBytes = options.sizeBytes ?? AUTHKEY_BYTES;
  const directory = path.dirname(path.resolve(file));
  try {
    mkdirSync(directory, { recursive: true, mode: 0o755 });
  } catch (error) {
    throw writeError(file, error);
  }
  try {
    // Without `overwrite` the name appears only if it is free (a hard link), in one step.
    writeFileDurably(file, randomBytes(sizeBytes), { mode: 0o600, overwrite: options.overwrite === true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") {
      throw new EdgehaError("E_AUTHKEY_EXISTS", `${file} already exists; keeping it (pass --force to replace it, then copy the new key to every node)`, { file });
    }
    throw writeError(file, error);
  }
  return { file, sizeBytes };
}

function writeError(file: string, error: unknown): EdgehaError {
  const code = (error as NodeJS.ErrnoException).code ?? String(error);
  return new EdgehaError("E_AUTHKEY_WRITE", `cannot write authkey ${file} (${code})`, { file });
}
