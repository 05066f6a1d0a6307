// The admin socket belongs to the group haclient (as Pacemaker's sockets do), so its
// members may run `edgeha` without root. Node has no getgrnam(): the group is looked up
// in /etc/group, where the Debian package's `addgroup --system haclient` puts it.
import { chownSync, closeSync, openSync, readSync } from "node:fs";
import type { Logger } from "../common/log";

/** /etc/group is a few KiB; a larger file is not read past this. */
const GROUP_FILE_BYTES_MAX = 1024 * 1024;

/** The gid of `name` in a group(5) file, or undefined when the file has no such group. */
export function groupId(name: string, file = "/etc/group"): number | undefined {
  let text: string;
  try {
    const descriptor = openSync(file, "r");
    try {
      const buffer = Buffer.alloc(GROUP_FILE_BYTES_MAX);
      const length = readSync(descriptor, buffer, 0, buffer.length, 0);
      text = buffer.subarray(0, length).toString("utf8");
    } finally {
      closeSync(descriptor);
    }
  } catch {
    return undefined;
  }
  for (const line of text.split("\n")) {
    const [group, , gid] = line.split(":");
    if (group === name && gid !== undefined && /^\d+$/.test(gid)) return Number(gid);
  }
  return undefined;
}

/** Gives the socket to `group` when it exists, and says in the log what came of it either way. */
export function adminGroupOwnership(path: string, group: string, logger: Logger | undefined, groupFile?: string): "group" | "no-group" | "failed" {
  const gid = groupId(group, groupFile);
  if (gid === undefined) {
    logger?.warn({ socket: path, group }, `the group ${group} does not exist: only root may use the admin socket (create it with 'addgroup --system ${group}' and restart the agent to let its members in)`);
    return "no-group";
  }
  try {
    chownSync(path, -1, gid);
  } catch (error) {
    logger?.warn({ socket: path, group, error: (error as Error).message }, `cannot give the admin socket to the group ${group}: only its owner may use it`);
    return "failed";
  }
  logger?.info({ socket: path, group, mode: "0660" }, `the admin socket is open to the group ${group}`);
  return "group";
}
