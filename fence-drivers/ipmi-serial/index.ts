// fence driver "ipmi-serial": IPMI over a serial line to the BMC, in Terminal Mode
// (ASCII hex lines) or Basic Mode (binary packets with checksums), IPMI v2.0
// chapter 14. Get Chassis Status and Chassis Control, as fence_ipmilan uses them;
// off and on are confirmed by polling the power state until power_timeout.
//
// Options follow fence-agents: serial_port (-s, default /dev/ttyS0) and
// serial_params (default "115200,8N1"; only 8N1 lines), plus mode=terminal|basic,
// shell_timeout (seconds per answer) and retry (resends per request).
// Direct-connect serial ports often need no session (ipmitool's serial interfaces
// open none); a Terminal Mode port that wants a login gets SYS PWD with username and
// password. Activate Session over Basic Mode is not built yet.
import { EdgehaError } from "../../src/common/errors";
import { runPasswordScript } from "../common/index";
import { chassisAction } from "../common/ipmi-chassis";
import type { FenceDriver, FenceDriverMetadata, FenceOptions, FenceResult } from "../types";
import { SerialIpmiClient, type SerialTarget, type TerminalLogin } from "./client";
import { BAUD_RATES } from "./line";

export const ipmiSerialMetadata: FenceDriverMetadata = {
  name: "fence_ipmi_serial",
  shortDescription: "Fence agent for IPMI over a serial line (Terminal or Basic Mode), built into edgeha",
  longDescription:
    "Powers a node off, on or through a cycle with its BMC over a direct serial connection, in IPMI Terminal Mode or Basic Mode (IPMI v2.0 chapter 14). Off and on are confirmed by reading the power state back.",
  parameters: [
    { name: "serial_port", aliases: ["device"], flags: ["-s", "--serial-port"], type: "string", default: "/dev/ttyS0", description: "Serial device wired to the BMC's serial port." },
    { name: "serial_params", flags: ["--serial-params"], type: "string", default: "115200,8N1", description: "Baud rate and line settings, BAUD[,8N1]." },
    { name: "mode", flags: ["--mode"], type: "select", default: "basic", choices: ["basic", "terminal"], description: "IPMI serial framing the BMC port is set to." },
    { name: "username", aliases: ["login"], flags: ["-l", "--username"], type: "string", description: "Terminal Mode login user (SYS PWD -U); empty with a password logs in as the null user (SYS PWD -N)." },
    { name: "password", aliases: ["passwd"], flags: ["-p", "--password"], type: "string", secret: true, description: "Terminal Mode login password (printable, at most 16 characters)." },
    { name: "password_script", aliases: ["passwd_script"], flags: ["-S", "--password-script"], type: "string", secret: true, description: "Script that prints the password." },
    { name: "method", flags: ["-m", "--method"], type: "select", default: "onoff", choices: ["onoff", "cycle"], description: "reboot as off then on (onoff) or one power cycle (cycle)." },
    { name: "shell_timeout", flags: ["--shell-timeout"], type: "second", default: "3", description: "Seconds to wait for each BMC answer." },
    { name: "retry", flags: ["--retry"], type: "integer", default: "3", description: "Resends of each request when the answer is garbled or missing." },
  ],
  actions: ["on", "off", "reboot", "status", "monitor", "metadata", "validate-all"],
};

/** Reads serial_params ("115200" or "115200,8N1") into a baud rate. */
export function parseSerialParams(text: string): number {
  const match = /^\s*(\d+)\s*(?:,\s*8N1\s*)?$/i.exec(text);
  const baud = match ? Number(match[1]) : NaN;
  if (!match || !(BAUD_RATES as readonly number[]).includes(baud)) {
    throw new EdgehaError("E_FENCE_OPTION", `fence_ipmi_serial: serial_params="${text}" is not BAUD[,8N1] with BAUD one of ${BAUD_RATES.join(", ")}`);
  }
  return baud;
}

function positiveSeconds(options: FenceOptions, name: string, fallback: number): number {
  const text = options[name];
  const value = text === undefined || text === "" ? fallback : Number(text.replace(/s$/, ""));
  if (!Number.isFinite(value) || value <= 0) throw new EdgehaError("E_FENCE_OPTION", `fence_ipmi_serial: ${name}="${text}" is not a positive number of seconds`);
  return value;
}

/** The serial target an option set describes; bad values are E_FENCE_OPTION naming the option. */
export function serialTarget(options: FenceOptions): SerialTarget {
  const mode = options.mode ?? "basic";
  if (mode !== "basic" && mode !== "terminal") throw new EdgehaError("E_FENCE_OPTION", `fence_ipmi_serial: mode="${mode}", expected basic or terminal`);
  const retries = Number(options.retry ?? "3");
  if (!Number.isInteger(retries) || retries < 0 || retries > 20) throw new EdgehaError("E_FENCE_OPTION", `fence_ipmi_serial: retry="${options.retry}" is not an integer from 0 to 20`);
  const target: SerialTarget = {
    device: options.serial_port || options.device || "/dev/ttyS0",
    baudRate: parseSerialParams(options.serial_params ?? "115200,8N1"),
    mode,
    timeoutMs: Math.max(50, positiveSeconds(options, "shell_timeout", 3) * 1000),
    retries,
  };
  const login = terminalLogin(options);
  if (login && mode === "basic") {
    throw new EdgehaError("E_FENCE_OPTION", "fence_ipmi_serial: a login (username/password) is only supported in mode=terminal (SYS PWD); Activate Session over Basic Mode is not built yet");
  }
  if (login) target.login = login;
  return target;
}

/** username/login and password/passwd; undefined when neither is set. */
function terminalLogin(options: FenceOptions): TerminalLogin | undefined {
  const username = options.username ?? options.login ?? "";
  const password = options.password ?? options.passwd;
  if (password === undefined && username === "") return undefined;
  if (password !== undefined && !/^[\x21-\x5c\x5e-\x7e]{0,16}$/.test(password)) {
    throw new EdgehaError("E_FENCE_OPTION", "fence_ipmi_serial: the password must be at most 16 printable characters without spaces or ] (Terminal Mode SYS PWD); it is not shown here");
  }
  if (!/^[\x21-\x5c\x5e-\x7e]{0,16}$/.test(username)) throw new EdgehaError("E_FENCE_OPTION", `fence_ipmi_serial: username "${username}" must be at most 16 printable characters without spaces or ]`);
  return { username, password: password ?? "" };
}

/** password_script (or passwd_script) run, without blocking, into password unless one is given. */
export async function withScriptPassword(options: FenceOptions): Promise<FenceOptions> {
  const script = options.password_script ?? options.passwd_script;
  if (!script || options.password !== undefined || options.passwd !== undefined) return options;
  return { ...options, password: await runPasswordScript(script) };
}

export const ipmiSerialDriver: FenceDriver = {
  metadata: ipmiSerialMetadata,
  async run(action, given, context): Promise<FenceResult> {
    const options = await withScriptPassword(given);
    const target = serialTarget(options);
    if (action === "validate-all") return { exitCode: 0, message: "parameters are valid" };
    const signal = context.signal;
    const client = await SerialIpmiClient.open(target, signal, context.debug);
    try {
      return await chassisAction((netFn, command, data, abort) => client.request(netFn, command, data, abort), action, options, signal, "fence_ipmi_serial", context.onOff);
    } finally {
      await client.close();
    }
  },
};
