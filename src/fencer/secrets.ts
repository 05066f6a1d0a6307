// Secrets of fence devices: a password may be written in the CIB (then its name
// is listed as secret), kept in a file readable by its owner only (passwd_file,
// mode 0600), or printed by a passwd_script. Resolved values go to the driver
// only; every text that leaves the fencer passes through `redact`.
import { statSync } from "node:fs";
import { readBoundedText } from "../common/bounded-read";
import { EdgehaError } from "../common/errors";
import { runPasswordScript } from "../../fence-drivers/common/index";
import type { FenceDeviceConfig } from "./devices";

export interface ResolvedOptions {
  options: Record<string, string>;
  secretValues: string[];
}

/** Longest time a passwd_script may take; it runs before every fence action. */
export const PASSWORD_SCRIPT_TIMEOUT_MS = 5000;
const PASSWORD_FILE_BYTES_MAX = 4096;

function readPasswordFile(file: string, device: string): string {
  let mode: number;
  try {
    mode = statSync(file).mode;
  } catch (error) {
    throw new EdgehaError("E_FENCE_SECRET", `device ${device}: cannot read passwd_file ${file} (${(error as NodeJS.ErrnoException).code ?? "error"})`);
  }
  if ((mode & 0o077) !== 0) throw new EdgehaError("E_FENCE_SECRET", `device ${device}: passwd_file ${file} has mode ${(mode & 0o777).toString(8)}; group and others must have no access (chmod 600)`);
  // A password is short: a larger file is not a passwd_file (and is never read whole).
  return readBoundedText(file, PASSWORD_FILE_BYTES_MAX, { readCode: "E_FENCE_SECRET", tooLargeCode: "E_FENCE_SECRET", what: `device ${device}: passwd_file` }).replace(/\r?\n$/, "");
}

/**
 * The device's options with passwd_file and passwd_script turned into passwd, and every secret
 * value (for redaction). The script runs without blocking the agent (heartbeats go on).
 */
export async function resolveSecrets(device: FenceDeviceConfig): Promise<ResolvedOptions> {
  const options = { ...device.options };
  const secretValues = device.secretOptions.map((name) => options[name]).filter((value): value is string => Boolean(value));
  if (options["passwd_file"]) {
    options["passwd"] = readPasswordFile(options["passwd_file"], device.id);
    delete options["passwd_file"];
    secretValues.push(options["passwd"]);
  }
  if (options["passwd_script"]) {
    try {
      options["passwd"] = await runPasswordScript(options["passwd_script"], PASSWORD_SCRIPT_TIMEOUT_MS);
    } catch (error) {
      throw new EdgehaError("E_FENCE_SECRET", `device ${device.id}: ${(error as Error).message}`);
    }
    delete options["passwd_script"];
    secretValues.push(options["passwd"]);
  }
  return { options, secretValues: secretValues.filter((value) => value.length > 0) };
}

/** Replaces every secret value in a text by "[secret]". */
export function redact(text: string, secretValues: readonly string[]): string {
  let result = text;
  for (const value of [...secretValues].sort((left, right) => right.length - left.length)) result = result.split(value).join("[secret]");
  return result;
}
