// fence driver "redfish": power control through a BMC's Redfish API (iDRAC 9, iLO 5/6,
// XCC, OpenBMC ship with IPMI over LAN off). ComputerSystem.Reset with ForceOff, On,
// ForceRestart (method=cycle) or GracefulShutdown (off_type=GracefulShutdown, ForceOff after
// graceful_timeout), the power state confirmed by polling the system's PowerState. Option
// names are fence_redfish's (ip, ipport, username, password, redfish_uri, systems_uri,
// ssl_insecure); TLS is verified by default, ssl_ca_file trusts a given certificate.
import { readFileSync } from "node:fs";
import { EdgehaError } from "../../src/common/errors";
import type { FenceContext, FenceDriver, FenceDriverMetadata, FenceOptions, FenceResult } from "../types";
import { RedfishClient } from "./client";
import { monotonicMs } from "../../src/common/clock";

export const redfishMetadata: FenceDriverMetadata = {
  name: "fence_redfish",
  shortDescription: "Fence agent for Redfish BMCs, built into edgeha",
  longDescription: "Powers a node off, on or through a restart with ComputerSystem.Reset on its BMC's Redfish service (HTTPS), confirming the power state by polling the system. The certificate is verified unless ssl_insecure=1; ssl_ca_file names a PEM certificate or CA to trust. Basic authentication by default (as fence_redfish), a Redfish session with auth=session.",
  parameters: [
    { name: "ip", aliases: ["ipaddr"], flags: ["-a", "--ip"], type: "string", required: true, description: "IP address or host name of the BMC (host:port also works)." },
    { name: "ipport", flags: ["-u", "--ipport"], type: "integer", default: "443", description: "TCP port of the BMC's HTTPS service." },
    { name: "username", aliases: ["login"], flags: ["-l", "--username"], type: "string", required: true, description: "BMC user name." },
    { name: "password", aliases: ["passwd"], flags: ["-p", "--password"], type: "string", secret: true, description: "BMC password." },
    { name: "password_script", aliases: ["passwd_script"], flags: ["-S", "--password-script"], type: "string", secret: true, description: "Script that prints the password." },
    { name: "redfish_uri", flags: ["--redfish-uri"], type: "string", default: "/redfish/v1", description: "The Redfish service root." },
    { name: "systems_uri", flags: ["--systems-uri"], type: "string", description: "The ComputerSystem to control, e.g. /redfish/v1/Systems/System.Embedded.1; without it the single system of the Systems collection (or the one whose Id is the plug)." },
    { name: "ssl_insecure", flags: ["--ssl-insecure"], type: "boolean", default: "0", description: "DANGEROUS: do not verify the BMC's certificate (anyone on its network could pose as it and swallow fence requests)." },
    { name: "ssl_ca_file", flags: ["--ssl-ca-file"], type: "string", description: "PEM file with the BMC's certificate (or its CA) to trust instead of the system's CAs." },
    { name: "auth", flags: ["--auth"], type: "select", default: "basic", choices: ["basic", "session"], description: "HTTP basic authentication on every request (as fence_redfish), or one Redfish session (X-Auth-Token) per action." },
    { name: "method", flags: ["-m", "--method"], type: "select", default: "onoff", choices: ["onoff", "cycle"], description: "reboot as ForceOff then On (onoff), or one ForceRestart (cycle)." },
    { name: "off_type", flags: ["--off-type"], type: "select", default: "ForceOff", choices: ["ForceOff", "GracefulShutdown"], description: "How off powers down: ForceOff at once, or GracefulShutdown first and ForceOff when the system is still on after graceful_timeout." },
    { name: "graceful_timeout", flags: ["--graceful-timeout"], type: "second", default: "30", description: "Seconds a GracefulShutdown may take before ForceOff (off_type=GracefulShutdown)." },
    { name: "login_timeout", flags: ["--login-timeout"], type: "second", default: "5", description: "Seconds to wait for each answer of the BMC." },
    { name: "stonith_status_sleep", flags: ["--stonith-status-sleep"], type: "second", default: "0.5", description: "Seconds between two reads of the power state while waiting for it to change." },
  ],
  actions: ["on", "off", "reboot", "status", "monitor", "list", "metadata", "validate-all"],
};

interface Settings {
  client: RedfishClient;
  options: FenceOptions;
  rootPath: string;
  pollMs: number;
  powerTimeoutMs: number;
  gracefulTimeoutMs: number;
}

function seconds(options: FenceOptions, name: string, fallback: number): number {
  const text = options[name];
  if (text === undefined || text === "") return fallback;
  const value = Number(text.replace(/s$/, ""));
  if (!Number.isFinite(value) || value < 0) throw new EdgehaError("E_FENCE_OPTION", `fence_redfish: ${name}="${text}" is not a number of seconds`);
  return value;
}

function isTrue(value: string | undefined): boolean {
  return value !== undefined && /^(1|yes|true|on|)$/i.test(value.trim());
}

function connect(options: FenceOptions, context: FenceContext): Settings {
  let host = options.ip ?? options.ipaddr;
  const user = options.username ?? options.login;
  if (!host || !user) throw new EdgehaError("E_FENCE_OPTION", "fence_redfish needs ip and username");
  let port = options.ipport ?? "443";
  // fence_redfish accepts ip=HOST:PORT.
  const hostPort = /^([^:\[\]]+):(\d+)$/.exec(host);
  if (hostPort) [host, port] = [hostPort[1]!, hostPort[2]!];
  if (!/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65535) throw new EdgehaError("E_FENCE_OPTION", `fence_redfish: ipport "${port}" is not a TCP port`);
  const auth = options.auth ?? "basic";
  if (auth !== "basic" && auth !== "session") throw new EdgehaError("E_FENCE_OPTION", `fence_redfish: auth must be basic or session (got "${auth}")`);
  let trustedCertificates: string | undefined;
  if (options.ssl_ca_file) {
    try { trustedCertificates = readFileSync(options.ssl_ca_file, "utf8"); } catch (error) { throw new EdgehaError("E_FENCE_OPTION", `fence_redfish: cannot read ssl_ca_file ${options.ssl_ca_file} (${(error as NodeJS.ErrnoException).code ?? "error"})`); }
  }
  const rootPath = (options.redfish_uri ?? "/redfish/v1").replace(/\/+$/, "") || "/redfish/v1";
  const client = new RedfishClient({
    host, port: Number(port), user, password: options.password ?? options.passwd ?? "", insecure: isTrue(options.ssl_insecure),
    ...(trustedCertificates ? { trustedCertificates } : {}), requestTimeoutMs: Math.max(100, seconds(options, "login_timeout", 5) * 1000),
  }, context.debug);
  return {
    client, options, rootPath,
    pollMs: Math.max(50, seconds(options, "stonith_status_sleep", 0.5) * 1000),
    powerTimeoutMs: Math.max(1000, seconds(options, "power_timeout", 20) * 1000),
    gracefulTimeoutMs: seconds(options, "graceful_timeout", 30) * 1000,
  };
}

function idOf(uri: string): string {
  return uri.replace(/\/+$/, "").split("/").pop() ?? uri;
}

async function members(settings: Settings, signal: AbortSignal): Promise<string[]> {
  const root = await settings.client.call("GET", settings.rootPath, signal);
  const systems = (root.body?.Systems as { "@odata.id"?: unknown } | undefined)?.["@odata.id"];
  if (typeof systems !== "string") throw new EdgehaError("E_FENCE_REDFISH", `${settings.rootPath}: the service root names no Systems collection`);
  const collection = await settings.client.call("GET", systems, signal);
  const list = collection.body?.Members;
  if (!Array.isArray(list)) throw new EdgehaError("E_FENCE_REDFISH", `${systems}: the Systems collection has no Members`);
  return list.map((member) => (member as { "@odata.id"?: unknown })["@odata.id"]).filter((uri): uri is string => typeof uri === "string");
}

/** systems_uri, else the single system of the collection, else the one whose Id is the plug. */
async function systemUri(settings: Settings, signal: AbortSignal): Promise<string> {
  if (settings.options.systems_uri) return settings.options.systems_uri;
  const found = await members(settings, signal);
  if (found.length === 1) return found[0]!;
  const plug = settings.options.plug ?? settings.options.port;
  const byPlug = plug === undefined ? undefined : found.find((uri) => idOf(uri) === plug);
  if (byPlug) return byPlug;
  if (found.length === 0) throw new EdgehaError("E_FENCE_REDFISH", "the BMC's Systems collection is empty");
  throw new EdgehaError("E_FENCE_REDFISH", `the BMC has ${found.length} systems (${found.map(idOf).join(", ")}); set systems_uri, or a plug (pcmk_host_map) naming one of them`);
}

interface SystemView { powerState: string; resetTarget: string; allowed: string[] | undefined }

async function readSystem(settings: Settings, uri: string, signal: AbortSignal): Promise<SystemView> {
  const answer = await settings.client.call("GET", uri, signal);
  const powerState = answer.body?.PowerState;
  if (typeof powerState !== "string") throw new EdgehaError("E_FENCE_REDFISH", `${uri}: the system has no PowerState`);
  const reset = (answer.body?.Actions as Record<string, { target?: unknown; "ResetType@Redfish.AllowableValues"?: unknown }> | undefined)?.["#ComputerSystem.Reset"];
  const allowed = reset?.["ResetType@Redfish.AllowableValues"];
  return {
    powerState,
    resetTarget: typeof reset?.target === "string" ? reset.target : `${uri.replace(/\/+$/, "")}/Actions/ComputerSystem.Reset`,
    allowed: Array.isArray(allowed) ? allowed.filter((value): value is string => typeof value === "string") : undefined,
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new EdgehaError("E_FENCE_TIMEOUT", "the fence action's time ran out"));
    const timer = setTimeout(() => { signal.removeEventListener("abort", onAbort); resolve(); }, ms);
    const onAbort = () => { clearTimeout(timer); reject(new EdgehaError("E_FENCE_TIMEOUT", "the fence action's time ran out")); };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

async function reset(settings: Settings, system: SystemView, type: string, signal: AbortSignal): Promise<void> {
  if (system.allowed && !system.allowed.includes(type)) throw new EdgehaError("E_FENCE_REDFISH", `the BMC does not offer ResetType ${type} (it offers ${system.allowed.join(", ")})`);
  await settings.client.call("POST", system.resetTarget, signal, { ResetType: type });
}

/** Polls PowerState until it is `wanted` ("On" or "Off") or limitMs passes; returns the last state. */
async function waitFor(settings: Settings, uri: string, wanted: "On" | "Off", limitMs: number, signal: AbortSignal): Promise<string> {
  const deadline = monotonicMs() + limitMs;
  let state = "";
  for (;;) {
    state = (await readSystem(settings, uri, signal)).powerState;
    if (state === wanted || monotonicMs() + settings.pollMs > deadline) return state;
    await sleep(settings.pollMs, signal);
  }
}

async function powerOff(settings: Settings, uri: string, signal: AbortSignal): Promise<string> {
  const system = await readSystem(settings, uri, signal);
  if (system.powerState === "Off") return "already off";
  if (settings.options.off_type === "GracefulShutdown") {
    await reset(settings, system, "GracefulShutdown", signal);
    if (await waitFor(settings, uri, "Off", settings.gracefulTimeoutMs, signal) === "Off") return "shut down (GracefulShutdown)";
  }
  await reset(settings, system, "ForceOff", signal);
  const state = await waitFor(settings, uri, "Off", settings.powerTimeoutMs, signal);
  if (state !== "Off") throw new EdgehaError("E_FENCE_REDFISH", `${uri} is still ${state} ${settings.powerTimeoutMs / 1000} s after ForceOff (power_timeout)`);
  return settings.options.off_type === "GracefulShutdown" ? "powered off (ForceOff after GracefulShutdown did not finish)" : "powered off";
}

async function powerOn(settings: Settings, uri: string, signal: AbortSignal): Promise<string> {
  const system = await readSystem(settings, uri, signal);
  if (system.powerState === "On") return "already on";
  await reset(settings, system, "On", signal);
  const state = await waitFor(settings, uri, "On", settings.powerTimeoutMs, signal);
  if (state !== "On") throw new EdgehaError("E_FENCE_REDFISH", `${uri} is still ${state} ${settings.powerTimeoutMs / 1000} s after On (power_timeout)`);
  return "powered on";
}

async function reboot(settings: Settings, uri: string, signal: AbortSignal, onOff?: () => void): Promise<string> {
  if (settings.options.method !== "cycle") {
    await powerOff(settings, uri, signal);
    onOff?.();
    const wait = seconds(settings.options, "power_wait", 0) * 1000;
    if (wait > 0) await sleep(wait, signal);
    await powerOn(settings, uri, signal);
    return "rebooted (off, then on)";
  }
  const system = await readSystem(settings, uri, signal);
  await reset(settings, system, system.powerState === "Off" ? "On" : "ForceRestart", signal);
  const state = await waitFor(settings, uri, "On", settings.powerTimeoutMs, signal);
  if (state !== "On") throw new EdgehaError("E_FENCE_REDFISH", `${uri} is ${state} ${settings.powerTimeoutMs / 1000} s after ForceRestart (power_timeout)`);
  return "rebooted (ForceRestart)";
}

async function act(action: string, settings: Settings, signal: AbortSignal, onOff?: () => void): Promise<FenceResult> {
  if (action === "list") return { exitCode: 0, targets: (await members(settings, signal)).map((uri) => ({ plug: idOf(uri), alias: uri })), message: "" };
  const uri = await systemUri(settings, signal);
  switch (action) {
    case "status":
    case "monitor": {
      const state = (await readSystem(settings, uri, signal)).powerState;
      if (action === "monitor") return { exitCode: 0, message: `${uri} answers (PowerState ${state})` };
      return state === "Off" ? { exitCode: 2, state: "off", message: "Status: OFF" } : { exitCode: 0, state: "on", message: `Status: ON (PowerState ${state})` };
    }
    case "off": return { exitCode: 0, state: "off", message: await powerOff(settings, uri, signal) };
    case "on": return { exitCode: 0, state: "on", message: await powerOn(settings, uri, signal) };
    case "reboot": return { exitCode: 0, state: "on", message: await reboot(settings, uri, signal, onOff) };
    default: throw new EdgehaError("E_FENCE_OPTION", `fence_redfish does not support action "${action}"`);
  }
}

export const redfishDriver: FenceDriver = {
  metadata: redfishMetadata,
  async run(action, options, context): Promise<FenceResult> {
    const settings = connect(options, context);
    for (const name of ["method", "off_type"] as const) {
      const choices = redfishMetadata.parameters.find((parameter) => parameter.name === name)!.choices!;
      if (options[name] !== undefined && !choices.includes(options[name]!)) throw new EdgehaError("E_FENCE_OPTION", `fence_redfish: ${name} must be one of ${choices.join(", ")} (got "${options[name]}")`);
    }
    if (action === "validate-all") return { exitCode: 0, message: "parameters are valid" };
    const signal = context.signal;
    try {
      if ((options.auth ?? "basic") === "session") {
        const root = await settings.client.send("GET", settings.rootPath, signal, undefined, false);
        const sessions = ((root.body?.Links as Record<string, { "@odata.id"?: unknown }> | undefined)?.Sessions?.["@odata.id"]);
        await settings.client.login(typeof sessions === "string" ? sessions : `${settings.rootPath}/SessionService/Sessions`, signal);
      }
      return await act(action, settings, signal, context.onOff);
    } finally {
      await settings.client.logout();
    }
  },
};
