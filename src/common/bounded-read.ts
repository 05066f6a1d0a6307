// Reading an input file with a bound on its size: a regular file larger than the bound is
// refused from its size before anything is read; a pipe or device (/dev/stdin, a FIFO) is
// read until the bound and refused if more comes. Nothing here reads without a limit.
import { EdgehaError } from "./errors";
import { nodeFileSystem, type FileSystemPort } from "./fs-port";

export interface BoundedReadOptions {
  /** The code for a file that cannot be opened or read. */
  readCode: string;
  /** The code for a file over the bound. */
  tooLargeCode: string;
  /** Names the file in messages: "CIB file", "meta-data". */
  what: string;
}

const CHUNK_BYTES = 64 * 1024;

/** The file's bytes as UTF-8 text, at most `bytesMax` of them. */
export function readBoundedText(file: string, bytesMax: number, options: BoundedReadOptions, fs: FileSystemPort = nodeFileSystem): string {
  let descriptor: number;
  try {
    descriptor = fs.openSync(file, "r");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "does not exist" : code === "EACCES" ? "is not readable (permission denied)" : code === "EISDIR" ? "is a directory" : `cannot be opened (${(error as Error).message})`;
    throw new EdgehaError(options.readCode, `cannot read ${options.what} ${file}: it ${why}`, { file });
  }
  try {
    const stats = fs.fstatSync(descriptor);
    if (stats.isDirectory()) throw new EdgehaError(options.readCode, `cannot read ${options.what} ${file}: it is a directory`, { file });
    if (stats.isFile() && stats.size > bytesMax) {
      throw new EdgehaError(options.tooLargeCode, `${options.what} ${file} has ${stats.size} bytes; edgeha reads at most ${bytesMax}`, { file, bytes: stats.size });
    }
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buffer = Buffer.alloc(Math.min(CHUNK_BYTES, bytesMax + 1 - total));
      let count: number;
      try {
        count = fs.readSync(descriptor, buffer, 0, buffer.length, null);
      } catch (error) {
        throw new EdgehaError(options.readCode, `cannot read ${options.what} ${file}: ${(error as Error).message}`, { file });
      }
      if (count === 0) break;
      chunks.push(buffer.subarray(0, count));
      total += count;
      if (total > bytesMax) throw new EdgehaError(options.tooLargeCode, `${options.what} ${file} is longer than the ${bytesMax} bytes edgeha reads`, { file });
    }
    return Buffer.concat(chunks).toString("utf8");
  } finally {
    fs.closeSync(descriptor);
  }
}
