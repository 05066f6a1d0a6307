// IPMI completion codes (IPMI v2.0, table 5-2) turned into errors a person can act on.
import { EdgehaError } from "../../src/common/errors";

const COMMANDS: Record<string, string> = {
  "0/1": "Get Chassis Status", "0/2": "Chassis Control", "6/3b": "Set Session Privilege Level", "6/3c": "Close Session",
};

/** The error for a non-zero completion code of command netFn/command. */
export function completionError(netFn: number, command: number, code: number): EdgehaError {
  const key = `${netFn.toString(16)}/${command.toString(16)}`;
  const name = COMMANDS[key] ?? `command 0x${netFn.toString(16)}/0x${command.toString(16)}`;
  const hex = `0x${code.toString(16)}`;
  // 0xd4: insufficient privilege; 0x80/0x81 of Set Session Privilege: level not available/above the user's limit.
  if (code === 0xd4 || (key === "6/3b" && (code === 0x80 || code === 0x81))) {
    return new EdgehaError("E_FENCE_IPMI", `BMC answered ${name} with completion code ${hex} (insufficient privilege): power control needs privlvl=operator or administrator, and the user must be allowed that level on the BMC`);
  }
  return new EdgehaError("E_FENCE_IPMI", `BMC answered ${name} with completion code ${hex}`);
}
