// The fence_xvm client: listen on TCP, multicast the signed request (retransmitted
// with a fresh salt and the same sequence number), then on fence_virtd's callback
// prove the key both ways and read the one-byte result (after the host list for
// `list`). A wrong key is silently dropped by the daemon, so it shows as a timeout.
import { createServer, type Server, type Socket } from "node:net";
import { createSocket } from "node:dgram";
import { randomBytes, timingSafeEqual } from "node:crypto";
import { EdgehaError } from "../../src/common/errors";
import {
  CHALLENGE_LENGTH, HOST_RECORD_LENGTH, RESPONSE_HOST_LIST_FOLLOWS,
  decodeHostRecord, digest, encodeRequest, type HostRecord, type XvmHash, type XvmOperation,
} from "./protocol";

export interface XvmClientOptions {
  key: Buffer;
  multicastAddress: string;
  port: number;
  /** Local address fence_virtd calls back and the multicast interface. */
  localAddress: string;
  hash: XvmHash;
  auth: XvmHash;
  retransmitMs: number;
}

export interface XvmAnswer {
  response: number;
  hosts: HostRecord[];
}

/** Bounds what we read from the daemon: hosts in a list answer. */
const HOSTS_MAX = 4096;

class StreamReader {
  private buffer: Buffer = Buffer.alloc(0);
  private wake: (() => void) | undefined;
  private ended = false;

  constructor(socket: Socket) {
    socket.on("data", (chunk: Buffer) => { this.buffer = Buffer.concat([this.buffer, chunk]); this.wake?.(); });
    socket.on("close", () => { this.ended = true; this.wake?.(); });
    socket.on("error", () => { this.ended = true; this.wake?.(); });
  }

  async read(length: number, signal: AbortSignal): Promise<Buffer> {
    while (this.buffer.length < length) {
      if (this.ended) throw new EdgehaError("E_XVM_PROTOCOL", `fence_virtd closed the connection after ${this.buffer.length} of ${length} expected bytes`);
      if (signal.aborted) throw new EdgehaError("E_XVM_TIMEOUT", "fence_virtd stopped answering during the callback");
      await new Promise<void>((resolve) => {
        const done = () => { signal.removeEventListener("abort", done); this.wake = undefined; resolve(); };
        this.wake = done;
        signal.addEventListener("abort", done, { once: true });
      });
    }
    const result = this.buffer.subarray(0, length);
    this.buffer = this.buffer.subarray(length);
    return result;
  }
}

async function authenticate(socket: Socket, reader: StreamReader, options: XvmClientOptions, signal: AbortSignal): Promise<void> {
  if (options.auth === "none") return;
  const challenge = randomBytes(CHALLENGE_LENGTH);
  socket.write(challenge);
  const answer = await reader.read(CHALLENGE_LENGTH, signal);
  if (!timingSafeEqual(answer, digest(options.auth, options.key, challenge))) {
    throw new EdgehaError("E_XVM_AUTH", "fence_virtd answered our challenge wrongly: the key or the auth hash differs from the daemon's");
  }
  const theirs = await reader.read(CHALLENGE_LENGTH, signal);
  socket.write(digest(options.auth, options.key, theirs));
}

async function converse(socket: Socket, operation: XvmOperation, options: XvmClientOptions, signal: AbortSignal): Promise<XvmAnswer> {
  const reader = new StreamReader(socket);
  await authenticate(socket, reader, options, signal);
  let response = (await reader.read(1, signal))[0]!;
  const hosts: HostRecord[] = [];
  if (operation === "list" && response === RESPONSE_HOST_LIST_FOLLOWS) {
    for (;;) {
      const host = decodeHostRecord(await reader.read(HOST_RECORD_LENGTH, signal));
      if (!host) break;
      if (hosts.length >= HOSTS_MAX) throw new EdgehaError("E_XVM_PROTOCOL", `fence_virtd listed more than ${HOSTS_MAX} domains`);
      hosts.push(host);
    }
    response = (await reader.read(1, signal))[0]!;
  }
  return { response, hosts };
}

function listen(options: XvmClientOptions): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", (error) => reject(new EdgehaError("E_XVM_LISTEN", `cannot listen on ${options.localAddress}:${options.port} for fence_virtd's callback: ${error.message}`)));
    server.listen({ host: options.localAddress, port: options.port, exclusive: true }, () => resolve(server));
  });
}

/** Sends one request and waits (until the signal aborts) for the daemon's answer. */
export async function xvmRequest(operation: XvmOperation, domain: string, domainIsUuid: boolean, options: XvmClientOptions, signal: AbortSignal): Promise<XvmAnswer> {
  const server = await listen(options);
  const udp = createSocket({ type: "udp4", reuseAddr: true });
  let timer: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve, reject) => { udp.once("error", reject); udp.bind({ address: options.localAddress, port: 0 }, () => resolve()); });
    udp.setMulticastTTL(2);
    udp.setMulticastInterface(options.localAddress);
    const sequence = randomBytes(4).readUInt32LE(0);
    const send = () => {
      const request = encodeRequest({ operation, hash: options.hash, domain, domainIsUuid, address: options.localAddress, port: options.port, random: randomBytes(6), sequence }, options.key);
      udp.send(request, options.port, options.multicastAddress);
    };
    const connection = new Promise<Socket>((resolve, reject) => {
      const onAbort = () => reject(new EdgehaError("E_XVM_TIMEOUT", `no answer from fence_virtd on ${options.multicastAddress}:${options.port}: it is not running, or it dropped the request because the key or hash differs`));
      if (signal.aborted) return onAbort();
      signal.addEventListener("abort", onAbort, { once: true });
      server.once("connection", (socket) => { signal.removeEventListener("abort", onAbort); resolve(socket); });
    });
    send();
    timer = setInterval(send, options.retransmitMs);
    const socket = await connection;
    clearInterval(timer);
    try {
      return await converse(socket, operation, options, signal);
    } finally {
      socket.destroy();
    }
  } finally {
    clearInterval(timer);
    udp.close();
    server.close();
  }
}
