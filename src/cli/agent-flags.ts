// V8 flags of the long-running agent, set before any other module of the executable is
// evaluated (main.ts imports this file first): flags set later come too late for the code
// that loading runs, and that code then stays resident.
//
// The agent idles almost all the time. Without V8's optimizing tiers and with V8 told to
// favour size, one agent keeps ~6 MiB less private memory and ~12 MiB less RSS (dist/edgeha,
// Node 24, bench/memory), with no measurable change in idle CPU. Short commands such as
// `edgeha simulate` keep every tier: they are the ones that compute.
import { setFlagsFromString } from "node:v8";

export const AGENT_V8_FLAGS = "--no-opt --no-sparkplug --no-maglev --optimize-for-size";

/** True when argv (without node and script) starts a long-running daemon command. */
export function isDaemonCommand(argv: readonly string[]): boolean {
  return argv[0] === "agent" || argv[0] === "arbiter";
}

if (isDaemonCommand(process.argv.slice(2)) && Number(process.versions.node.split(".")[0]) >= 22) setFlagsFromString(AGENT_V8_FLAGS);
