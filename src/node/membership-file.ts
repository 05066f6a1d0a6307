// membership.json (the ring id and last_man_standing voters, which must never go back), read
// and written the one way the agent does it, over a file-system port (node:fs for the agent,
// the simulator's in-memory directory, src/sim/disk.ts): the simulator runs these functions,
// not a copy of them. (started-resources.json: src/executor/started-file.ts.)
import { join } from "node:path";
import { readBoundedText } from "../common/bounded-read";
import { writeFileDurably } from "../common/durable";
import { nodeFileSystem, type FileSystemPort } from "../common/fs-port";
import { parsePersistedMembership, type PersistedMembership } from "../stack";

/** What membership keeps across restarts in the state dir, so ring ids never go backwards. */
export const MEMBERSHIP_FILE = "membership.json";
/** A few dozen bytes: anything larger is damaged and read no further than this. */
const MEMBERSHIP_FILE_BYTES_MAX = 64 * 1024;

/** The membership state kept in `stateDir`; ring 0 when there is none, or `damaged` (the caller warns) when it cannot be read back. */
export function readMembershipFile(stateDir: string, fs: FileSystemPort = nodeFileSystem): { state: PersistedMembership; damaged?: string } {
  const file = join(stateDir, MEMBERSHIP_FILE);
  let text: string;
  try {
    text = readBoundedText(file, MEMBERSHIP_FILE_BYTES_MAX, { readCode: "E_CIB_STORE", tooLargeCode: "E_CIB_STORE", what: "membership state" }, fs);
  } catch {
    return { state: { ringId: 0 } };
  }
  const parsed = parsePersistedMembership(text);
  if (parsed !== undefined) return { state: parsed };
  return { state: { ringId: 0 }, damaged: file };
}

/** Writes the membership state durably (before anyone hears of the ring id it holds). */
export function writeMembershipFile(stateDir: string, state: PersistedMembership, fs: FileSystemPort = nodeFileSystem): void {
  writeFileDurably(join(stateDir, MEMBERSHIP_FILE), JSON.stringify(state), { mode: 0o600, fs });
}
