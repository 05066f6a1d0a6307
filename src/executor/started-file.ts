// started-resources.json (what this node started, src/executor/started.ts), read and written
// the one way the agent does it, over a file-system port (node:fs for the agent, the
// simulator's in-memory directory, src/sim/disk.ts): the simulator runs these functions.
import { readBoundedText } from "../common/bounded-read";
import { writeFileDurably } from "../common/durable";
import { nodeFileSystem, type FileSystemPort } from "../common/fs-port";
import { STARTED_FILE_BYTES_MAX } from "./started";

/**
 * The text of the record of what this node started: undefined when there is none (this node has
 * started nothing since it was set up, or since the record began); a problem when it cannot be read.
 */
export function readStartedFile(file: string, fs: FileSystemPort = nodeFileSystem): { text: string | undefined } | { problem: string } {
  try {
    return { text: readBoundedText(file, STARTED_FILE_BYTES_MAX, { readCode: "E_CIB_STORE", tooLargeCode: "E_CIB_STORE", what: "record of started resources" }, fs) };
  } catch (error) {
    if (!fs.existsSync(file)) return { text: undefined };
    return { problem: (error as Error).message };
  }
}

/** Writes the record of what this node started durably: the next agent process reads it. */
export function writeStartedFile(file: string, text: string, fs: FileSystemPort = nodeFileSystem): void {
  writeFileDurably(file, text, { fs });
}
