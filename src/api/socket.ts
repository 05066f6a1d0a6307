// The local admin socket: unix, newline-delimited JSON, one request per line, mode 0660,
// group haclient when that group exists.
//
// Everything a client sends is bounded, and nothing it sends can hold the event loop
// (the agent's heartbeats run on the same loop; a stalled loop drops the node out of the
// membership and, with fencing on, gets it power-cycled):
// - a request line is at most API_LIMITS.lineBytesMax; the line is cut from the chunks as
//   they arrive, each byte looked at once (never a re-scan of what is buffered);
// - at most connectionsMax connections, pendingPerConnectionMax requests waiting for an
//   answer on one connection and pendingTotalMax on all of them, bufferedBytesTotalMax
//   bytes of unfinished lines on all of them together;
// - a started line must be finished within lineMsMax (a client trickling bytes), a
//   connection with nothing to do is closed after idleMsMax, a client that does not read
//   its answers is dropped once writeBacklogBytesMax of them wait.
// An offender gets one JSON error line with an E_API_* code and is disconnected.
import { createServer, createConnection, type Server, type Socket } from "node:net";
import { chmodSync, rmSync } from "node:fs";
import type { Logger } from "../common/log";
import { EdgehaError } from "../common/errors";
import { adminGroupOwnership } from "./group";
import { monotonicMs } from "../common/clock";

export interface ApiLimits {
  /** One request line, newline excluded. A cib-replace carries a whole configuration: 1 MiB is about 2,000 primitives. */
  lineBytesMax: number;
  connectionsMax: number;
  pendingPerConnectionMax: number;
  pendingTotalMax: number;
  /** Unfinished lines of every connection together: the socket's worst-case memory. */
  bufferedBytesTotalMax: number;
  /** From the first byte of a line to its newline. */
  lineMsMax: number;
  /** A connection with no unfinished line and no request pending. */
  idleMsMax: number;
  /** Answers written but not yet read by the client. */
  writeBacklogBytesMax: number;
}

export const API_LIMITS: Readonly<ApiLimits> = {
  lineBytesMax: 1024 * 1024,
  connectionsMax: 16,
  pendingPerConnectionMax: 4,
  pendingTotalMax: 32,
  // Four whole lines at once; more clients sending large requests at the same time wait for a retry.
  bufferedBytesTotalMax: 4 * 1024 * 1024,
  lineMsMax: 10_000,
  idleMsMax: 60_000,
  writeBacklogBytesMax: 16 * 1024 * 1024,
};

/** The largest answer a client reads: a cib-get of the largest configuration, with room to spare. */
export const API_REPLY_BYTES_MAX = 16 * 1024 * 1024;

export interface ApiServerOptions {
  limits?: Partial<ApiLimits>;
  logger?: Logger;
  /** The group that may use the socket (default haclient); undefined group file lookups use /etc/group. */
  group?: string;
  groupFile?: string;
}

/** What the socket did, for tests and benchmarks: counts only, no timing. */
export interface ApiStatistics {
  connectionsOpen: number;
  connectionsRefused: number;
  requests: number;
  /** Bytes received on every connection, and bytes the line scanner looked at (never more). */
  bytesReceived: number;
  bytesScanned: number;
  bufferedBytes: number;
  pending: number;
  rejected: Record<string, number>;
}

export interface ApiServer {
  close(): Promise<void>;
  statistics(): ApiStatistics;
}

type Handler = (request: Record<string, unknown>) => unknown;

/** Rejection log lines: at most this many a minute, the rest counted in the next one. */
const REJECTION_LOGS_PER_MINUTE = 10;
/** A rejected client gets this long to read its error before the connection is destroyed. */
const CLOSE_GRACE_MS = 1000;

class Connection {
  private chunks: Buffer[] = [];
  private partialBytes = 0;
  private pending = 0;
  private closing = false;
  private timer: NodeJS.Timeout | undefined;
  private lineStartedMs: number | undefined;

  constructor(private readonly server: ApiSocketServer, private readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => this.receive(chunk));
    socket.on("error", () => {});
    socket.on("close", () => this.closed());
    this.arm();
  }

  get destroyed(): boolean {
    return this.socket.destroyed;
  }

  private receive(chunk: Buffer): void {
    const stats = this.server.stats;
    stats.bytesReceived += chunk.length;
    if (this.closing) return;
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf(0x0a, start);
      stats.bytesScanned += (newline === -1 ? chunk.length : newline + 1) - start;
      if (newline === -1) break;
      if (this.partialBytes + newline - start > this.server.limits.lineBytesMax) return this.tooLong();
      const line = this.take(chunk.subarray(start, newline));
      start = newline + 1;
      this.request(line);
      if (this.closing) return;
    }
    if (start < chunk.length) this.keep(chunk.subarray(start));
    this.arm();
  }

  /** The rest of a chunk, without its line end yet. */
  private keep(rest: Buffer): void {
    const limits = this.server.limits;
    if (this.partialBytes + rest.length > limits.lineBytesMax) return this.tooLong();
    if (this.server.stats.bufferedBytes + rest.length > limits.bufferedBytesTotalMax) {
      return this.reject("E_API_BUSY", `the agent holds ${limits.bufferedBytesTotalMax} bytes of unfinished requests from other clients; try again`);
    }
    // A copy: a slice would keep the whole chunk it came from.
    this.chunks.push(Buffer.from(rest));
    this.partialBytes += rest.length;
    this.server.stats.bufferedBytes += rest.length;
  }

  /** The buffered start of a line joined with its end. */
  private take(end: Buffer): string {
    const whole = this.chunks.length === 0 ? end : Buffer.concat([...this.chunks, end]);
    this.server.stats.bufferedBytes -= this.partialBytes;
    this.chunks = [];
    this.partialBytes = 0;
    return whole.toString("utf8");
  }

  private request(line: string): void {
    if (line.trim() === "") return;
    const { stats, limits } = this.server;
    if (this.pending >= limits.pendingPerConnectionMax) {
      return this.reject("E_API_BUSY", `more than ${limits.pendingPerConnectionMax} requests waiting for an answer on one connection`);
    }
    let request: unknown;
    try {
      request = JSON.parse(line);
    } catch {
      return this.reject("E_API_REQUEST", "request is not a JSON object");
    }
    if (typeof request !== "object" || request === null || Array.isArray(request)) return this.reject("E_API_REQUEST", "request is not a JSON object");
    if (stats.pending >= limits.pendingTotalMax) {
      // The agent is busy, not this client: answer and keep the connection.
      this.server.note("E_API_BUSY");
      this.write({ error: `the agent is answering ${limits.pendingTotalMax} requests already; try again`, code: "E_API_BUSY" });
      return;
    }
    stats.requests++;
    stats.pending++;
    this.pending++;
    void Promise.resolve()
      .then(() => this.server.handle(request as Record<string, unknown>))
      .catch((error: unknown) => ({ error: error instanceof Error ? error.message : String(error), code: (error as { code?: string }).code }))
      .then((reply) => {
        stats.pending--;
        this.pending--;
        if (!this.socket.destroyed && !this.closing) this.write(reply);
        this.arm();
      });
  }

  private write(reply: unknown): void {
    this.socket.write(`${JSON.stringify(reply)}\n`);
    if (this.socket.writableLength > this.server.limits.writeBacklogBytesMax) {
      // It does not read what it asked for: nothing more can be said to it.
      this.server.note("E_API_BACKLOG", "a client does not read its answers; disconnected");
      this.socket.destroy();
    }
  }

  private tooLong(): void {
    this.reject("E_API_LINE_TOO_LONG", `request line longer than ${this.server.limits.lineBytesMax} bytes`);
  }

  /** One error line, then the connection ends; what the client still sends is discarded. */
  reject(code: string, message: string): void {
    if (this.closing) return;
    this.closing = true;
    this.server.note(code, message);
    this.server.stats.bufferedBytes -= this.partialBytes;
    this.chunks = [];
    this.partialBytes = 0;
    clearTimeout(this.timer);
    this.socket.end(`${JSON.stringify({ error: `${message}; closing the connection`, code })}\n`);
    this.timer = setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS);
    this.timer.unref();
  }

  /** One timer per connection: the line deadline while a line is unfinished, else the idle one. */
  private arm(): void {
    if (this.closing || this.socket.destroyed) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    const limits = this.server.limits;
    if (this.partialBytes > 0) {
      if (this.lineStartedMs === undefined) this.lineStartedMs = this.server.nowMs();
      const leftMs = Math.max(0, this.lineStartedMs + limits.lineMsMax - this.server.nowMs());
      this.timer = setTimeout(() => this.reject("E_API_SLOW", `a request line took longer than ${limits.lineMsMax} ms to arrive`), leftMs);
    } else {
      this.lineStartedMs = undefined;
      if (this.pending === 0) this.timer = setTimeout(() => this.reject("E_API_IDLE", `no request for ${limits.idleMsMax} ms`), limits.idleMsMax);
    }
    this.timer?.unref();
  }

  private closed(): void {
    clearTimeout(this.timer);
    this.server.stats.bufferedBytes -= this.partialBytes;
    this.partialBytes = 0;
    this.chunks = [];
    this.server.forget(this);
  }
}

class ApiSocketServer {
  readonly stats: ApiStatistics = { connectionsOpen: 0, connectionsRefused: 0, requests: 0, bytesReceived: 0, bytesScanned: 0, bufferedBytes: 0, pending: 0, rejected: {} };
  private readonly connections = new Set<Connection>();
  private logsThisMinute = 0;
  private logMinuteStartMs = 0;
  private logsSuppressed = 0;

  constructor(readonly limits: ApiLimits, readonly handle: Handler, private readonly logger: Logger | undefined) {}

  nowMs(): number {
    return monotonicMs();
  }

  accept(socket: Socket): void {
    if (this.connections.size >= this.limits.connectionsMax) {
      this.stats.connectionsRefused++;
      this.note("E_API_BUSY", `more than ${this.limits.connectionsMax} connections`);
      socket.on("error", () => {});
      socket.end(`${JSON.stringify({ error: `the agent already serves ${this.limits.connectionsMax} connections; try again`, code: "E_API_BUSY" })}\n`);
      setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
      return;
    }
    this.connections.add(new Connection(this, socket));
    this.stats.connectionsOpen = this.connections.size;
  }

  forget(connection: Connection): void {
    this.connections.delete(connection);
    this.stats.connectionsOpen = this.connections.size;
  }

  /** Counts a rejection and logs it, at most REJECTION_LOGS_PER_MINUTE lines a minute. */
  note(code: string, message?: string): void {
    this.stats.rejected[code] = (this.stats.rejected[code] ?? 0) + 1;
    if (!this.logger || message === undefined) return;
    const nowMs = this.nowMs();
    if (nowMs - this.logMinuteStartMs >= 60_000) {
      this.logMinuteStartMs = nowMs;
      this.logsThisMinute = 0;
    }
    if (this.logsThisMinute >= REJECTION_LOGS_PER_MINUTE) {
      this.logsSuppressed++;
      return;
    }
    this.logsThisMinute++;
    const suppressed = this.logsSuppressed;
    this.logsSuppressed = 0;
    this.logger.warn({ code, ...(suppressed > 0 ? { suppressed } : {}) }, `admin socket: ${message}`);
  }
}

export async function startApiServer(path: string, handle: Handler, options: ApiServerOptions = {}): Promise<ApiServer> {
  // A handler may answer at once or with a promise (changes wait for every member).
  const state = new ApiSocketServer({ ...API_LIMITS, ...options.limits }, handle, options.logger);
  rmSync(path, { force: true });
  const server: Server = createServer((socket) => state.accept(socket));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(path, () => { server.off("error", reject); resolve(); });
  });
  chmodSync(path, 0o660);
  adminGroupOwnership(path, options.group ?? "haclient", options.logger, options.groupFile);
  return {
    statistics: () => ({ ...state.stats, rejected: { ...state.stats.rejected } }),
    close: () => new Promise<void>((resolve) => server.close(() => { rmSync(path, { force: true }); resolve(); })),
  };
}

/** One request, one reply line, within timeoutMs; a reply longer than replyBytesMax is an error. */
export function requestApi(path: string, request: Record<string, unknown>, timeoutMs = 3000, replyBytesMax = API_REPLY_BYTES_MAX): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    const chunks: Buffer[] = [];
    let bytes = 0;
    const fail = (error: Error) => { clearTimeout(timer); socket.destroy(); reject(error); };
    const timer = setTimeout(() => fail(new EdgehaError("E_AGENT_UNREACHABLE", `no answer from the agent on ${path} within ${timeoutMs} ms`, { path })), timeoutMs);
    socket.on("connect", () => socket.write(`${JSON.stringify(request)}\n`));
    socket.on("data", (chunk: Buffer) => {
      // Only the new chunk is searched for the line end.
      const newline = chunk.indexOf(0x0a);
      if (bytes + (newline === -1 ? chunk.length : newline) > replyBytesMax) {
        return fail(new EdgehaError("E_API_REPLY_TOO_LARGE", `the agent's answer on ${path} is longer than ${replyBytesMax} bytes`, { path }));
      }
      chunks.push(newline === -1 ? chunk : chunk.subarray(0, newline));
      bytes += newline === -1 ? chunk.length : newline;
      if (newline === -1) return;
      clearTimeout(timer);
      socket.end();
      try { resolve(JSON.parse(Buffer.concat(chunks).toString("utf8"))); } catch (error) { reject(error); }
    });
    socket.on("error", (error) => fail(new EdgehaError("E_AGENT_UNREACHABLE", `cannot reach the agent on ${path}: ${error.message}`, { path })));
    // The agent went away before it answered (it exited, or was killed): say so now, not at the timeout.
    socket.on("close", () => fail(new EdgehaError("E_AGENT_UNREACHABLE", `the agent on ${path} closed the connection without answering (did it exit? see its log)`, { path })));
  });
}
