// `edgeha arbiter`: a UDP server that runs the arbiter's decision (src/stack, over the pure
// one in src/quorum) for one cluster. Requests and replies are frames of the cluster's
// transport (same key, same replay window); the arbiter uses sender id 0, which no node may have.
import { createSocket, type Socket } from "node:dgram";
import { isIPv6 } from "node:net";
import type { ArbiterSettings } from "../quorum";
import { ArbiterResponder, ARBITER_ID } from "../stack";
import type { Logger } from "../common/log";
import { monotonicMs } from "../common/clock";

export { ARBITER_ID };

export interface ArbiterServer { port: number; close(): Promise<void> }

export async function startArbiter(options: { host: string; port: number; clusterName: string; authkey: Buffer; settings: ArbiterSettings; logger: Logger; nowMs?: () => number }): Promise<ArbiterServer> {
  const nowMs = options.nowMs ?? (() => monotonicMs());
  const responder = new ArbiterResponder({ clusterName: options.clusterName, authkey: options.authkey, settings: options.settings, incarnation: Math.floor(Date.now() / 1000) >>> 0 });
  const socket: Socket = createSocket(isIPv6(options.host) ? "udp6" : "udp4");
  socket.on("message", (bytes, remote) => {
    const answer = responder.receive(bytes, nowMs());
    if (answer === undefined) return;
    if (answer.newSide) options.logger.info({ members: answer.members, priority: answer.priority }, "arbiter vote given to a new side");
    socket.send(answer.reply, remote.port, remote.address);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(options.port, options.host, () => { socket.off("error", reject); resolve(); });
  });
  return { port: socket.address().port, close: () => new Promise<void>((resolve) => socket.close(() => resolve())) };
}
