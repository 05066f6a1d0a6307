import { describe, expect, it } from "vitest";
import { createSocket } from "node:dgram";
import { startArbiter } from "../../../src/node/arbiter";
import { FrameCodec } from "../../../src/transport";
import { silentLogger } from "../../../src/common/log";

const authkey = Buffer.from("arbiter test key, long enough for hkdf");

async function ask(port: number, nodeId: number, members: number[], priority: number, sequence: number, key = authkey) {
  const codec = new FrameCodec({ clusterName: "pair", authkey: key, knownSenders: [0], localId: nodeId });
  const socket = createSocket("udp4");
  try {
    const reply = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => resolve(undefined), 1000);
      socket.on("message", (bytes) => {
        clearTimeout(timer);
        const decoded = codec.decode(bytes);
        if (!decoded.ok) return reject(new Error(decoded.reason));
        resolve(JSON.parse(Buffer.from(decoded.frame.body).toString()));
      });
    });
    const body = Buffer.from(JSON.stringify({ members, ringId: 3, priority, sentAtMs: 0 }));
    socket.send(codec.encode({ senderId: nodeId, incarnation: 1, sequence, kind: "message", body }), port, "127.0.0.1");
    return await reply;
  } finally {
    socket.close();
  }
}

describe("arbiter server", () => {
  it("gives the vote to one side of a split over authenticated UDP, and ignores a wrong key", async () => {
    let nowMs = 0;
    const server = await startArbiter({ host: "127.0.0.1", port: 30900 + (process.pid % 90), clusterName: "pair", authkey, settings: { leaseMs: 2000, holdMs: 100, preference: "priority-then-lowest" }, logger: silentLogger(), nowMs: () => nowMs });
    try {
      await ask(server.port, 1, [1], 5, 1);
      await ask(server.port, 2, [2], 9, 1);
      nowMs = 200;
      expect(await ask(server.port, 1, [1], 5, 2)).toMatchObject({ granted: false });
      expect(await ask(server.port, 2, [2], 9, 2)).toMatchObject({ granted: true, members: [2], ringId: 3 });
      expect(await ask(server.port, 2, [2], 9, 3, Buffer.from("some other key of enough length"))).toBeUndefined();
    } finally {
      await server.close();
    }
  });
});
