// The `xvm` fence driver: fences a virtual machine through fence_virtd on its host,
// speaking fence_xvm's protocol itself. fence_virtd answers "off" for a domain it
// does not know, so every action first checks that the domain is in the host list:
// an unknown domain must never read as fenced.
import { readFileSync } from "node:fs";
import { networkInterfaces } from "node:os";
import { EdgehaError, isEdgehaError } from "../../src/common/errors";
import type { FenceAction, FenceContext, FenceDriver, FenceDriverMetadata, FenceOptions, FenceResult } from "../types";
import { xvmRequest, type XvmClientOptions } from "./client";
import { parseHash, type HostRecord, type XvmOperation } from "./protocol";

export const xvmMetadata: FenceDriverMetadata = {
  name: "xvm",
  shortDescription: "Fence virtual machines through fence_virtd (the fence_xvm protocol)",
  longDescription: "Sends fence_xvm's signed multicast request to fence_virtd on the VM host and answers its challenge-response callback. An unknown domain is an error, never 'off'.",
  parameters: [
    { name: "port", aliases: ["domain", "plug"], flags: ["-n", "--plug"], type: "string", description: "Virtual machine name (or UUID with use_uuid)" },
    { name: "use_uuid", flags: ["-u"], type: "boolean", default: "0", description: "Treat the domain as a UUID" },
    { name: "key_file", flags: ["-k"], type: "string", default: "/etc/cluster/fence_xvm.key", description: "Shared key file (the whole file is the key)" },
    { name: "multicast_address", flags: ["-a"], type: "string", default: "225.0.0.12", description: "Multicast group fence_virtd listens on" },
    { name: "ipport", flags: ["-p"], type: "integer", default: "1229", description: "UDP port of the group and TCP port of the callback" },
    { name: "local_address", type: "string", description: "Our address that fence_virtd calls back and the multicast interface (default: the first non-loopback IPv4 address, else 127.0.0.1)" },
    { name: "hash", flags: ["-c"], type: "select", choices: ["none", "sha1", "sha256", "sha512"], default: "sha256", description: "Request signing hash" },
    { name: "auth", flags: ["-C"], type: "select", choices: ["none", "sha1", "sha256", "sha512"], default: "sha256", description: "Challenge-response hash" },
    { name: "timeout", flags: ["-t"], type: "second", default: "30", description: "Seconds to wait for fence_virtd" },
    { name: "retrans", flags: ["-r"], type: "integer", default: "20", description: "Retransmit interval in tenths of a second" },
  ],
  actions: ["off", "on", "reboot", "status", "monitor", "list", "metadata", "validate-all"],
};

function clientOptions(options: FenceOptions): XvmClientOptions {
  const keyFile = options["key_file"] ?? "/etc/cluster/fence_xvm.key";
  let key: Buffer;
  try {
    key = readFileSync(keyFile);
  } catch (error) {
    throw new EdgehaError("E_XVM_KEY", `cannot read the fence_xvm key file ${keyFile}: ${(error as NodeJS.ErrnoException).code ?? "error"}`);
  }
  if (key.length === 0 || key.length > 4096) throw new EdgehaError("E_XVM_KEY", `the fence_xvm key file ${keyFile} must hold 1 to 4096 bytes, it has ${key.length}`);
  const port = Number(options["ipport"] ?? "1229");
  const retransmitTenths = Number(options["retrans"] ?? "20");
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new EdgehaError("E_XVM_OPTION", `ipport "${options["ipport"]}" is not a port number`);
  if (!Number.isFinite(retransmitTenths) || retransmitTenths < 1) throw new EdgehaError("E_XVM_OPTION", `retrans "${options["retrans"]}" must be a positive number of tenths of a second`);
  return {
    key, port,
    multicastAddress: options["multicast_address"] ?? "225.0.0.12",
    localAddress: options["local_address"] ?? defaultLocalAddress(),
    hash: parseHash(options["hash"] ?? "sha256"),
    auth: parseHash(options["auth"] ?? "sha256"),
    retransmitMs: retransmitTenths * 100,
  };
}

/** fence_xvm calls back on every local address; we use the first external IPv4 one, else loopback. */
function defaultLocalAddress(): string {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) if (address.family === "IPv4" && !address.internal) return address.address;
  }
  return "127.0.0.1";
}

function domainOf(options: FenceOptions): string {
  const domain = options["port"] ?? options["domain"] ?? options["plug"];
  if (!domain) throw new EdgehaError("E_XVM_OPTION", "no domain given: set port= (or plug=, domain=) to the virtual machine's name");
  return domain;
}

function findDomain(hosts: HostRecord[], domain: string, byUuid: boolean): HostRecord | undefined {
  return hosts.find((host) => (byUuid ? host.uuid.toLowerCase() === domain.toLowerCase() : host.domain === domain));
}

async function runAction(action: FenceAction, options: FenceOptions, context: FenceContext): Promise<FenceResult> {
  const client = clientOptions(options);
  const request = (operation: XvmOperation, domain = "", byUuid = false) => xvmRequest(operation, domain, byUuid, client, context.signal);
  if (action === "monitor") {
    const answer = await request("monitor");
    return answer.response === 0 ? { exitCode: 0, message: "fence_virtd's backend is healthy" } : { exitCode: 1, message: `fence_virtd reports its backend unhealthy (response ${answer.response})` };
  }
  const list = await request("list");
  if (action === "list") return { exitCode: 0, targets: list.hosts.map((host) => ({ plug: host.domain, alias: host.uuid })), message: `${list.hosts.length} domains` };
  if (action === "validate-all") return { exitCode: 0, message: "options are valid and fence_virtd answers" };
  const domain = domainOf(options);
  const byUuid = options["use_uuid"] === "1" || options["use_uuid"] === "on";
  const known = findDomain(list.hosts, domain, byUuid);
  if (!known) return { exitCode: 1, message: `domain ${domain} is not known to fence_virtd (its list has ${list.hosts.length}); refusing to report it fenced` };
  const operation: XvmOperation = action === "off" ? "off" : action === "on" ? "on" : action === "reboot" ? "reboot" : "status";
  context.debug(`xvm ${operation} ${domain}`);
  const answer = await request(operation, domain, byUuid);
  if (operation === "status") {
    if (answer.response === 0) return { exitCode: 0, state: "on", message: `domain ${domain} is on` };
    if (answer.response === 2) return { exitCode: 2, state: "off", message: `domain ${domain} is off` };
  } else if (answer.response === 0) {
    return { exitCode: 0, state: operation === "off" ? "off" : operation === "on" ? "on" : undefined, message: `${operation} of domain ${domain} succeeded` };
  }
  const why = answer.response === 3 ? "permission denied by fence_virtd's map" : `response ${answer.response}`;
  return { exitCode: 1, message: `${operation} of domain ${domain} failed: ${why}` };
}

export const xvmDriver: FenceDriver = {
  metadata: xvmMetadata,
  async run(action, options, context) {
    if (action === "metadata") return { exitCode: 0, message: xvmMetadata.shortDescription };
    try {
      return await runAction(action, options, context);
    } catch (error) {
      if (isEdgehaError(error)) return { exitCode: 1, message: error.message };
      throw error;
    }
  },
};
