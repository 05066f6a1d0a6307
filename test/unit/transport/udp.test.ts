import { afterEach, describe, expect, it } from "vitest";
import { FrameCodec, LinkMonitor, UdpTransport, type Datagram } from "../../../src/transport";

const key = Buffer.from("udp test key, long enough for the hkdf input");
const port = 30000 + (process.pid % 400) * 2;
const opened: UdpTransport[] = [];
afterEach(async () => { await Promise.all(opened.splice(0).map((transport) => transport.close())); });

describe("UDP transport", () => {
  it("carries authenticated frames between two nodes on two loopback links", async () => {
    const one = await UdpTransport.open(["127.0.0.1", "127.0.0.2"], port);
    const two = await UdpTransport.open(["127.0.0.3", "127.0.0.4"], port + 1);
    opened.push(one, two);
    const sender = new FrameCodec({ clusterName: "udp", authkey: key, knownSenders: [1, 2], localId: 1 });
    const receiver = new FrameCodec({ clusterName: "udp", authkey: key, knownSenders: [1, 2], localId: 2 });
    const got: Datagram[] = [];
    const arrived = new Promise<void>((resolve) => two.onReceive((datagram) => { got.push(datagram); if (got.length === 2) resolve(); }));
    one.send(0, "127.0.0.3", port + 1, sender.encode({ senderId: 1, incarnation: 1, sequence: 1, kind: "heartbeat", body: Buffer.from("a") }));
    one.send(1, "127.0.0.4", port + 1, sender.encode({ senderId: 1, incarnation: 1, sequence: 2, kind: "heartbeat", body: Buffer.from("b") }));
    await Promise.race([arrived, new Promise((_, reject) => setTimeout(() => reject(new Error("no datagram within 5 s")), 5000))]);
    const decoded = got.sort((a, b) => a.link - b.link).map((datagram) => receiver.decode(datagram.bytes));
    expect(decoded.map((result) => result.ok && Buffer.from(result.frame.body).toString())).toEqual(["a", "b"]);
    expect(got.map((datagram) => datagram.link)).toEqual([0, 1]);
  });

  it("marks a link faulty after the token without frames, and up again on the next", () => {
    const monitor = new LinkMonitor(500);
    expect(monitor.state(2, 0, 0)).toBe("unknown");
    monitor.heard(2, 0, 100);
    expect(monitor.state(2, 0, 599)).toBe("up");
    expect(monitor.state(2, 0, 600)).toBe("faulty");
    monitor.heard(2, 0, 700);
    expect(monitor.state(2, 0, 700)).toBe("up");
  });
});
