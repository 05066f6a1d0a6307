// fence driver "ipmilan": IPMI v2.0 over LAN (RMCP+), Get Chassis Status and
// Chassis Control; off/reboot are confirmed by polling the power state.
import { EdgehaError } from "../../src/common/errors";
import type { FenceDriver, FenceDriverMetadata, FenceOptions, FenceResult } from "../types";
import { chassisAction } from "../common/ipmi-chassis";
import { AUTH_TYPES, Lan15Session, type AuthName } from "./lan15";
import { RmcpPlusSession } from "./rmcpplus";

export const ipmilanMetadata: FenceDriverMetadata = {
  name: "fence_ipmilan",
  shortDescription: "Fence agent for IPMI over LAN (RMCP+), built into edgeha",
  longDescription: "Powers a node off, on or through a cycle with its BMC over IPMI v2.0 RMCP+ (cipher suites 3 and 17), or over IPMI 1.5 sessions (MD5 or straight password) when lanplus=0. Cipher suite 0 and authentication type none accept any password and are refused unless allow_cipher0=1 or auth=none asks for them.",
  parameters: [
    { name: "ip", aliases: ["ipaddr"], flags: ["-a", "--ip"], type: "string", required: true, description: "IP address or hostname of the BMC." },
    { name: "ipport", flags: ["-u", "--ipport"], type: "integer", default: "623", description: "UDP port of the BMC." },
    { name: "username", aliases: ["login"], flags: ["-l", "--username"], type: "string", required: true, description: "BMC user name." },
    { name: "password", aliases: ["passwd"], flags: ["-p", "--password"], type: "string", secret: true, description: "BMC password." },
    { name: "password_script", aliases: ["passwd_script"], flags: ["-S", "--password-script"], type: "string", secret: true, description: "Script that prints the password." },
    { name: "lanplus", flags: ["-P", "--lanplus"], type: "boolean", default: "1", description: "Use IPMI v2.0 RMCP+ (1); 0 uses IPMI 1.5 sessions (MD5 or straight password, no encryption) for BMCs without RMCP+." },
    { name: "auth", flags: ["-A", "--auth"], type: "select", choices: ["md5", "password", "none"], description: "IPMI 1.5 authentication type (lanplus=0 only). Without it MD5, else straight password. DANGEROUS: none accepts any password and is never chosen unless given here." },
    { name: "cipher", flags: ["-C", "--cipher"], type: "integer", default: "3", description: "RMCP+ cipher suite: 3 or 17 (0 only with allow_cipher0=1)." },
    { name: "allow_cipher0", flags: ["--allow-cipher0"], type: "boolean", default: "0", description: "DANGEROUS: permit cipher suite 0 (cipher=0), which has no authentication: the BMC accepts any password, so anyone on its network can power the node off. Only for a BMC that offers nothing else." },
    { name: "hexadecimal_kg", flags: ["--hexadecimal-kg"], type: "string", secret: true, description: "The BMC key K_G in hexadecimal (up to 40 digits), when the BMC has one set." },
    { name: "privlvl", flags: ["-L", "--privlvl"], type: "select", default: "administrator", choices: ["callback", "user", "operator", "administrator"], description: "Privilege level of the session (power control needs operator or administrator)." },
    { name: "method", flags: ["-m", "--method"], type: "select", default: "onoff", choices: ["onoff", "cycle"], description: "reboot as off then on (onoff) or one power cycle (cycle)." },
    { name: "shell_timeout", flags: ["--shell-timeout"], type: "second", default: "3", description: "Seconds to wait for each BMC answer." },
    { name: "retry", flags: ["--retry"], type: "integer", default: "3", description: "Resends of each request when the BMC is silent." },
  ],
  actions: ["on", "off", "reboot", "status", "monitor", "list", "metadata", "validate-all"],
};

/** IPMI privilege levels (Set Session Privilege Level, RAKP 1 requested role). */
const PRIVILEGES: Record<string, number> = { callback: 1, user: 2, operator: 3, administrator: 4 };

function isTrue(value: string | undefined): boolean {
  return value !== undefined && /^(1|yes|true|on)$/i.test(value);
}

function opt(options: FenceOptions, name: string, alias?: string): string | undefined {
  return options[name] ?? (alias ? options[alias] : undefined);
}

export const ipmilanDriver: FenceDriver = {
  metadata: ipmilanMetadata,
  async run(action, options, context): Promise<FenceResult> {
    const host = opt(options, "ip", "ipaddr");
    const user = opt(options, "username", "login");
    if (!host || !user) throw new EdgehaError("E_FENCE_OPTION", "fence_ipmilan needs ip and username");
    const cipher = Number(options.cipher ?? "3");
    const lanplus = !(options.lanplus !== undefined && /^(0|no|false|off)$/i.test(options.lanplus));
    if (lanplus && cipher === 0 && !isTrue(options.allow_cipher0)) throw new EdgehaError("E_FENCE_OPTION", "cipher suite 0 has no authentication (the BMC accepts any password) and is refused; pick cipher=3 or 17, or set allow_cipher0=1 if this BMC offers nothing else");
    const auth = options.auth;
    if (auth !== undefined && !(auth in AUTH_TYPES)) throw new EdgehaError("E_FENCE_OPTION", `auth must be one of ${Object.keys(AUTH_TYPES).join(", ")} (got "${auth}")`);
    const kgText = options.hexadecimal_kg;
    if (kgText !== undefined && kgText !== "" && !/^([0-9a-fA-F]{2}){1,20}$/.test(kgText)) throw new EdgehaError("E_FENCE_OPTION", "hexadecimal_kg must be up to 40 hexadecimal digits (20 bytes), an even number of them");
    const kg = kgText ? Buffer.concat([Buffer.from(kgText, "hex"), Buffer.alloc(20)]).subarray(0, 20) : undefined;
    const privilege = PRIVILEGES[options.privlvl ?? "administrator"];
    if (privilege === undefined) throw new EdgehaError("E_FENCE_OPTION", `privlvl must be one of ${Object.keys(PRIVILEGES).join(", ")} (got "${options.privlvl}")`);
    if (action === "validate-all") return { exitCode: 0, message: "parameters are valid" };
    // fence_ipmilan is a single-port device: it lists nothing and contacts no BMC (it prints a NOTICE).
    if (action === "list") return { exitCode: 0, targets: [], message: "NOTICE: List option is not working on this device yet" };
    const common = {
      host, port: Number(options.ipport ?? "623"), user, password: opt(options, "password", "passwd") ?? "",
      timeoutMs: Math.max(100, Number(options.shell_timeout ?? "3") * 1000), retries: Number(options.retry ?? "3"), privilege,
    };
    const session = lanplus
      ? new RmcpPlusSession({ ...common, cipher, ...(kg ? { kg } : {}) }, context.debug)
      : new Lan15Session({ ...common, ...(auth ? { auth: auth as AuthName } : {}) }, context.debug);
    const signal = context.signal;
    try {
      await session.open(signal);
      return await chassisAction((netFn, command, data, abort) => session.request(netFn, command, data, abort), action, options, signal, "fence_ipmilan", context.onOff);
    } finally {
      await session.close(AbortSignal.timeout(2000));
    }
  },
};
