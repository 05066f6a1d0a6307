// `edgeha arbiter`: a UDP server that runs the pure arbiter decision (src/quorum) for one
// cluster. Requests and replies are frames of the cluster's transport (same key, same
// replay window); the arbiter uses sender id 0, which no node may have.
import { createSocket, type Socket } from "node:dgram";
import { isIPv6 } from "node:net";
import { FrameCodec } from "../transport";
import { arbiterRequest, initialArbiter, type ArbiterSettings, type ArbiterState } from "../quorum";
import type { Logger } from "../common/log";

export const ARBITER_ID = 0;
/** Every node id a cluster may use: made when an arbiter starts, not in every process that loads this module. */
const nodeIds = (): number[] => Array.from({ length: 65535 }, (_, index) => index + 1);

export interface ArbiterServer { port: number; close(): Promise<void> }

export async function startArbiter(options: { host: string; port: number; clusterName: string; authkey: Buffer; settings: ArbiterSettings; logger: Logger; nowMs?: () => number }): Promise<ArbiterServer> {
  const codec = new FrameCodec({ clusterName: options.clusterName, authkey: options.authkey, knownSenders: nodeIds(), localId: ARBITER_ID });
  const nowMs = options.nowMs ?? (() => performance.now());
  const incarnation = Math.floor(Date.now() / 1000) >>> 0;
  let sequence = 0;
  let state: ArbiterState = initialArbiter(options.settings);
  const socket: Socket = createSocket(isIPv6(options.host) ? "udp6" : "udp4");
  socket.on("message", (bytes, remote) => {
    const decoded = codec.decode(bytes);
    if (!decoded.ok || decoded.frame.kind !== "message") return;
    let request: { members: number[]; ringId: number; priority?: number; sentAtMs: number };
    try {
      request = JSON.parse(Buffer.from(decoded.frame.body).toString());
      if (!Array.isArray(request.members) || !request.members.every(Number.isInteger) || !Number.isInteger(request.ringId)) return;
    } catch {
      return;
    }
    const previous = state.grantKey;
    const result = arbiterRequest(state, { nodeId: decoded.frame.senderId, members: request.members, ringId: request.ringId, priority: Number(request.priority ?? 0) }, nowMs());
    state = result.state;
    if (state.grantKey !== previous) options.logger.info({ members: request.members, priority: request.priority ?? 0 }, "arbiter vote given to a new side");
    const body = Buffer.from(JSON.stringify({ ...result.reply, sentAtMs: request.sentAtMs }));
    socket.send(codec.encode({ senderId: ARBITER_ID, incarnation, sequence: ++sequence, kind: "message", body }), remote.port, remote.address);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(options.port, options.host, () => { socket.off("error", reject); resolve(); });
  });
  return { port: socket.address().port, close: () => new Promise<void>((resolve) => socket.close(() => resolve())) };
}
