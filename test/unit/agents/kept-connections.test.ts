// KeptConnections: monitors that ask a daemon a one-line question every second reuse one TCP
// connection; a connection the daemon closed, or one that stops answering, is replaced at once.
import { afterEach, describe, expect, it } from "vitest";
import { createServer, type Server, type Socket } from "node:net";
import { KeptConnections } from "../../../agents/daemon";

interface Daemon { server: Server; port: number; accepted: Socket[]; silent: boolean }

const opened: Daemon[] = [];

/** A line daemon on loopback, closed after each test. */
async function daemon(): Promise<Daemon> {
  const state = { accepted: [] as Socket[], silent: false } as Daemon;
  state.server = createServer((socket) => {
    state.accepted.push(socket);
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      if (state.silent) return;
      for (const line of chunk.split("\r\n").filter(Boolean)) socket.write(`ANSWER ${line} ${state.accepted.length}\r\n`);
    });
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => state.server.listen(0, "127.0.0.1", resolve));
  state.port = (state.server.address() as { port: number }).port;
  opened.push(state);
  return state;
}

afterEach(async () => {
  for (const each of opened.splice(0)) {
    for (const socket of each.accepted) socket.destroy();
    if (each.server.listening) await new Promise((resolve) => each.server.close(resolve));
  }
});

describe("kept connections", () => {
  it("asks many times on one connection", async () => {
    const peer = await daemon();
    const kept = new KeptConnections();
    for (let index = 0; index < 5; index++) expect(await kept.request("127.0.0.1", peer.port, `q${index}\r\n`, 1000)).toBe(`ANSWER q${index} 1`);
    expect(peer.accepted).toHaveLength(1);
    kept.forget("127.0.0.1", peer.port);
  });

  it("reconnects at once when the daemon closed the connection", async () => {
    const peer = await daemon();
    const kept = new KeptConnections();
    expect(await kept.request("127.0.0.1", peer.port, "a\r\n", 1000)).toBe("ANSWER a 1");
    peer.accepted[0]!.destroy();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await kept.request("127.0.0.1", peer.port, "b\r\n", 1000)).toBe("ANSWER b 2");
    kept.forget("127.0.0.1", peer.port);
  });

  it("a daemon that stops answering gives no answer within the timeout, and nothing is reused", async () => {
    const peer = await daemon();
    const kept = new KeptConnections();
    expect(await kept.request("127.0.0.1", peer.port, "a\r\n", 1000)).toBe("ANSWER a 1");
    peer.silent = true;
    expect(await kept.request("127.0.0.1", peer.port, "b\r\n", 150)).toBeUndefined();
    peer.silent = false;
    expect(await kept.request("127.0.0.1", peer.port, "c\r\n", 1000)).toMatch(/^ANSWER c \d$/);
    expect(peer.accepted.length).toBeGreaterThanOrEqual(2);
    kept.forget("127.0.0.1", peer.port);
  });

  it("nothing listening: no answer", async () => {
    const peer = await daemon();
    const port = peer.port;
    await new Promise((resolve) => peer.server.close(resolve));
    expect(await new KeptConnections().request("127.0.0.1", port, "a\r\n", 500)).toBeUndefined();
  });

  it("two questions at once: the second gets a connection of its own", async () => {
    const peer = await daemon();
    const kept = new KeptConnections();
    await kept.request("127.0.0.1", peer.port, "warm\r\n", 1000);
    const [first, second] = await Promise.all([kept.request("127.0.0.1", peer.port, "x\r\n", 1000), kept.request("127.0.0.1", peer.port, "y\r\n", 1000)]);
    expect(first).toBe("ANSWER x 1");
    expect(second).toBe("ANSWER y 2");
    kept.forget("127.0.0.1", peer.port);
  });
});
