// The agent process: the membership service (transport, membership, quorum) and the
// admin socket. The cluster layer (controller, executor, fencing) hangs off this seam.
import type { BootstrapConfig, NodeConfig } from "../config";
import type { Logger } from "../common/log";
import { startApiServer, type ApiServer } from "../api";
import { MembershipService, type MembershipStatus } from "./membership-service";

export interface Agent { status(): AgentStatus; close(): Promise<void> }

export type AgentStatus = MembershipStatus;

export async function startAgent(options: { config: BootstrapConfig; node: NodeConfig; authkey: Buffer; socketPath: string; logger: Logger }): Promise<Agent> {
  const { node, logger } = options;
  const membership = await MembershipService.start(options);
  const status = (): AgentStatus => membership.status();
  let api: ApiServer;
  try {
    api = await startApiServer(options.socketPath, (request) => (request.command === "status" ? status() : { error: `unknown command '${String(request.command)}'` }));
  } catch (error) {
    await membership.close();
    throw error;
  }
  logger.info({ node: node.name, id: node.id, incarnation: membership.incarnation, links: node.links, socket: options.socketPath }, "agent started");
  return {
    status,
    async close() {
      await api.close();
      await membership.close();
    },
  };
}
