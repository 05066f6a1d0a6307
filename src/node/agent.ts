// The agent process, membership part: wires the pure membership and quorum cores to UDP,
// a 10 ms timer and the admin socket. The runner loop is the seam: inputs go into the
// cores, effects come out and are performed here (send frames, log views).
import type { BootstrapConfig, NodeConfig } from "../config";
import { FrameCodec, LinkMonitor, UdpTransport } from "../transport";
import { initialMembership, stepMembership, type Heartbeat, type MembershipInput, type MembershipState } from "../membership";
import { initialQuorum, stepQuorum, summarize, type QuorumState } from "../quorum";
import type { Logger } from "../common/log";
import { startApiServer, type ApiServer } from "../api";

const TICK_MS = 10;

export interface Agent { status(): AgentStatus; close(): Promise<void> }

export interface AgentStatus {
  cluster: string;
  node: { name: string; id: number };
  ringId: number;
  members: Array<{ name: string; id: number; links: Array<{ address: string; state: string }> }>;
  quorum: ReturnType<typeof summarize>;
  arbiter: { configured: boolean; state: string };
  frames: Record<string, number>;
}

export async function startAgent(options: { config: BootstrapConfig; node: NodeConfig; authkey: Buffer; socketPath: string; logger: Logger }): Promise<Agent> {
  const { config, node, logger } = options;
  const nodeIds = config.nodes.map((each) => each.id);
  const started = performance.now();
  const nowMs = () => Math.floor(performance.now() - started);
  const incarnation = Math.floor(Date.now() / 100) >>> 0;
  if (!config.transport.crypto) logger.warn({ crypto: false }, "TRANSPORT CRYPTO IS OFF: frames are neither encrypted nor authenticated; use only for debugging");
  const codec = new FrameCodec({ clusterName: config.clusterName, authkey: options.authkey, knownSenders: nodeIds, localId: node.id, crypto: config.transport.crypto });
  const transport = await UdpTransport.open(node.links, config.transport.port);
  const links = new LinkMonitor(config.timing.tokenMs);
  let sequence = 0;
  let membership: MembershipState = initialMembership({
    nodeIds, heartbeatMs: config.timing.heartbeatMs, tokenMs: config.timing.tokenMs,
    rejoinHoldMs: 2 * config.timing.heartbeatMs, flapDoublingsMax: 4, flapForgetMs: 60_000,
  }, node.id, incarnation, nowMs());
  let quorum: QuorumState = initialQuorum({ ...config.quorum, nodeIds, arbiter: false, autoTieBreakerNode: config.quorum.autoTieBreakerNode });

  const broadcast = (heartbeat: Heartbeat) => {
    const body = Buffer.from(JSON.stringify(heartbeat));
    for (const peer of config.nodes) {
      if (peer.id === node.id) continue;
      peer.links.forEach((address, link) => {
        if (link >= node.links.length) return;
        transport.send(link, address, config.transport.port, codec.encode({ senderId: node.id, incarnation, sequence: ++sequence, kind: "heartbeat", body }));
      });
    }
  };
  const feed = (input: MembershipInput) => {
    const result = stepMembership(membership, input);
    membership = result.state;
    for (const effect of result.effects) {
      if (effect.kind === "broadcast") broadcast(effect.heartbeat);
      else {
        quorum = stepQuorum(quorum, { kind: "view", members: effect.view.members, nowMs: nowMs() });
        logger.info({ ringId: effect.view.ringId, members: effect.view.members, quorate: quorum.quorate, reason: effect.reason }, "new membership view");
      }
    }
  };
  transport.onReceive((datagram) => {
    const decoded = codec.decode(datagram.bytes);
    if (!decoded.ok || decoded.frame.kind !== "heartbeat") return;
    links.heard(decoded.frame.senderId, datagram.link, nowMs());
    let heartbeat: Heartbeat;
    try {
      heartbeat = JSON.parse(Buffer.from(decoded.frame.body).toString()) as Heartbeat;
    } catch {
      return;
    }
    feed({ kind: "heartbeat", from: decoded.frame.senderId, heartbeat, nowMs: nowMs() });
  });
  const timer = setInterval(() => {
    feed({ kind: "tick", nowMs: nowMs() });
    quorum = stepQuorum(quorum, { kind: "tick", nowMs: nowMs() });
  }, TICK_MS);

  const status = (): AgentStatus => ({
    cluster: config.clusterName,
    node: { name: node.name, id: node.id },
    ringId: membership.view.ringId,
    members: membership.view.members.map((id) => {
      const member = config.nodes.find((each) => each.id === id)!;
      return { name: member.name, id, links: member.links.map((address, link) => ({ address, state: id === node.id ? "local" : links.state(id, link, nowMs()) })) };
    }),
    quorum: summarize(quorum),
    arbiter: { configured: config.quorum.arbiter !== undefined, state: config.quorum.arbiter === undefined ? "none" : "client not wired yet" },
    frames: { ...codec.counters },
  });
  let api: ApiServer;
  try {
    api = await startApiServer(options.socketPath, (request) => (request.command === "status" ? status() : { error: `unknown command '${String(request.command)}'` }));
  } catch (error) {
    clearInterval(timer);
    await transport.close();
    throw error;
  }
  logger.info({ node: node.name, id: node.id, incarnation, links: node.links, socket: options.socketPath }, "agent started");
  return {
    status,
    async close() {
      clearInterval(timer);
      await api.close();
      await transport.close();
    },
  };
}
