// The Transport seam and its real UDP implementation (one socket per link, IPv4 or IPv6).
// The simulator has its own in-memory network; both hand raw datagrams to the FrameCodec.
import { createSocket, type Socket } from "node:dgram";
import { isIPv6 } from "node:net";

export interface Datagram { link: number; bytes: Buffer; from: { address: string; port: number } }

export interface Transport {
  /** Best effort; a send error marks nothing by itself, silence does (see LinkMonitor). */
  send(link: number, address: string, port: number, bytes: Uint8Array): void;
  onReceive(handler: (datagram: Datagram) => void): void;
  close(): Promise<void>;
}

/**
 * After a link moves to another address (a reload), the old socket keeps receiving this long:
 * peers that have not reloaded yet still send to the old address, and are heard meanwhile.
 */
export const RETIRED_SOCKET_MS = 60_000;

export class UdpTransport implements Transport {
  private sockets: Socket[] = [];
  private addresses: string[] = [];
  /** Sockets of addresses a link moved away from: receive only, closed after RETIRED_SOCKET_MS. */
  private readonly retired = new Set<Socket>();
  private handler: (datagram: Datagram) => void = () => {};
  sendErrors = 0;

  private constructor(private readonly port: number) {}

  /** Binds one socket per local link address, all on the same port. */
  static async open(localAddresses: string[], port: number): Promise<UdpTransport> {
    const transport = new UdpTransport(port);
    try {
      for (const [link, address] of localAddresses.entries()) {
        transport.sockets.push(await transport.bind(link, address));
        transport.addresses.push(address);
      }
    } catch (error) {
      await transport.close();
      throw error;
    }
    return transport;
  }

  private async bind(link: number, address: string): Promise<Socket> {
    const socket = createSocket({ type: isIPv6(address) ? "udp6" : "udp4", reuseAddr: false });
    socket.on("message", (bytes, remote) => this.handler({ link, bytes, from: { address: remote.address, port: remote.port } }));
    socket.on("error", () => { this.sendErrors++; });
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(this.port, address, () => { socket.off("error", reject); resolve(); });
    });
    setBuffers(socket);
    return socket;
  }

  /**
   * Moves links to new local addresses (a reload): a link whose address is unchanged keeps its
   * socket; a changed one gets a new socket, and its old one keeps receiving for
   * RETIRED_SOCKET_MS, so peers that still send to the old address are heard until they reload
   * too. Nothing changes when a new address cannot be bound (the error is thrown).
   */
  async relink(localAddresses: string[]): Promise<void> {
    const fresh: Array<{ link: number; socket: Socket }> = [];
    try {
      for (const [link, address] of localAddresses.entries()) {
        if (this.addresses[link] !== address) fresh.push({ link, socket: await this.bind(link, address) });
      }
    } catch (error) {
      await Promise.all(fresh.map(({ socket }) => new Promise<void>((resolve) => socket.close(() => resolve()))));
      throw error;
    }
    const sockets = localAddresses.map((_, link) => fresh.find((entry) => entry.link === link)?.socket ?? this.sockets[link]!);
    for (const socket of this.sockets) if (!sockets.includes(socket)) this.retire(socket);
    this.sockets = sockets;
    this.addresses = [...localAddresses];
  }

  private retire(socket: Socket): void {
    this.retired.add(socket);
    const timer = setTimeout(() => {
      this.retired.delete(socket);
      socket.close();
    }, RETIRED_SOCKET_MS);
    timer.unref();
  }

  send(link: number, address: string, port: number, bytes: Uint8Array): void {
    const socket = this.sockets[link];
    if (socket === undefined) return;
    socket.send(bytes, port, address, (error) => { if (error) this.sendErrors++; });
  }

  onReceive(handler: (datagram: Datagram) => void): void {
    this.handler = handler;
  }

  async close(): Promise<void> {
    const sockets = [...this.sockets.splice(0), ...this.retired];
    this.retired.clear();
    await Promise.all(sockets.map((socket) => new Promise<void>((resolve) => { try { socket.close(() => resolve()); } catch { resolve(); } })));
  }
}

/**
 * Larger socket buffers, so a burst of reliable fragments (a CIB) does not overflow the
 * kernel's default (about 200 kB) and drop the heartbeats queued behind it. The kernel caps
 * the request at net.core.rmem_max / wmem_max; a refusal leaves the default in place.
 */
export const SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;

function setBuffers(socket: Socket): void {
  try {
    socket.setRecvBufferSize(SOCKET_BUFFER_BYTES);
    socket.setSendBufferSize(SOCKET_BUFFER_BYTES);
  } catch {
    // Not fatal: the defaults still work for heartbeats and modest transfers.
  }
}

/** Per peer and link: faulty after tokenMs without an authenticated frame, recovered on the next one. */
export class LinkMonitor {
  private readonly lastHeardMs = new Map<string, number>();
  constructor(private tokenMs: number) {}

  /** The token changed (a reload): links are judged by the new one from now on. */
  setTokenMs(tokenMs: number): void {
    this.tokenMs = tokenMs;
  }

  heard(peer: number, link: number, nowMs: number): void {
    this.lastHeardMs.set(`${peer}/${link}`, nowMs);
  }

  state(peer: number, link: number, nowMs: number): "up" | "faulty" | "unknown" {
    const heard = this.lastHeardMs.get(`${peer}/${link}`);
    if (heard === undefined) return "unknown";
    return nowMs - heard < this.tokenMs ? "up" : "faulty";
  }
}
