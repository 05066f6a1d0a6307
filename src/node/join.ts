// The join exchange over TCP, on the member's link addresses and transport port (TCP and
// UDP ports are separate; the agent opens the TCP one only while it has a live token, so
// there is no extra daemon and no open port the rest of the time).
//
//   member -> joiner  {"edgeha":"join","v":1,"nonce":HEX}            a fresh member nonce
//   joiner -> member  {"token":ID,"cluster":HASH,"nonce":HEX,"proof":HEX}
//                      proof = HMAC(secret, member nonce | joiner nonce | id): the joiner holds the token
//   member -> joiner  {"ok":true,"sealed":BASE64}  or  {"ok":false,"code":E_...,"error":TEXT}
//                      sealed with a key derived from the secret and both nonces: only the
//                      holder of the token can open it, and only the issuing member can make it
//
// The secret never crosses the wire; the authkey crosses it only sealed. The member marks the
// token used (durably) before it sends the sealed bundle, so a token works once. Every read is
// bounded in size and time.
import { createServer, createConnection, type Server, type Socket } from "node:net";
import { watch, type FSWatcher } from "node:fs";
import { randomBytes } from "node:crypto";
import type { Logger } from "../common/log";
import { EdgehaError } from "../common/errors";
import { checkConfigText, readConfigText } from "../config";
import { clusterHash } from "../transport";
import { consumeToken, findUsableToken, nextExpirySeconds, readTokens, tokenFile, TOKEN_FILE, type TokenRecord } from "../config";
import { joinProof, openFromMember, proofMatches, sealForJoiner, NONCE_BYTES, type JoinToken } from "../config";

const REQUEST_LINE_BYTES_MAX = 4096;
/** The sealed bundle: a config of at most 1 MiB and a key of at most 4 KiB, in base64, with room to spare. */
const REPLY_LINE_BYTES_MAX = 4 * 1024 * 1024;
const EXCHANGE_TIMEOUT_MS = 10_000;
const CONNECTIONS_MAX = 4;
export const CONNECT_TIMEOUT_MS = 5000;

/** What a member sends a joiner, sealed. */
export interface JoinBundle {
  cluster: string;
  /** The member that answered. */
  member: string;
  /** The node the token was issued for. */
  nodeId: number;
  config: string;
  authkey: string;
}

/** Codes a member may answer with; anything else from the wire is reported as E_JOIN_REFUSED. */
const MEMBER_CODES = new Set(["E_JOIN_TOKEN_UNKNOWN", "E_JOIN_TOKEN_EXPIRED", "E_JOIN_TOKEN_USED", "E_JOIN_TOKEN_WRONG", "E_JOIN_TOKEN_FOREIGN", "E_JOIN_MEMBER_CONFIG", "E_JOIN_BUSY"]);

export interface JoinServerOptions {
  /** The bootstrap file this member runs from: read afresh for every join, sent as it is. */
  configFile: string;
  stateDir: string;
  addresses: readonly string[];
  port: number;
  clusterName: string;
  nodeName: string;
  /** The key the agent runs with: the one a joiner must get. */
  authkey: Buffer;
  logger: Logger;
  nowSeconds?: () => number;
}

/** The member's side: listens while a token is live, serves each join once. */
export class JoinServer {
  private servers: Server[] = [];
  private connections = 0;
  private expiryTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly nowSeconds: () => number;

  constructor(private readonly options: JoinServerOptions) {
    this.nowSeconds = options.nowSeconds ?? (() => Math.floor(Date.now() / 1000));
  }

  private watcher: FSWatcher | undefined;
  /** Refreshes run one after another, so two events never open two listeners. */
  private refreshing: Promise<void> = Promise.resolve();

  get listening(): boolean {
    return this.servers.length > 0;
  }

  /** The port the first listener got (the configured one; tests pass 0 for any free port). */
  get boundPort(): number | undefined {
    const address = this.servers[0]?.address();
    return typeof address === "object" && address !== null ? address.port : undefined;
  }

  /** Listens if a token is live, and follows the token store from now on (inotify: no polling). */
  async start(): Promise<void> {
    try {
      this.watcher = watch(this.options.stateDir, { persistent: false }, (_event, name) => { if (name === TOKEN_FILE) void this.refresh(); });
      this.watcher.on("error", () => {});
    } catch (error) {
      this.options.logger.warn({ error: error instanceof Error ? error.message : String(error) }, "cannot watch the state directory: new join tokens take effect at the next start");
    }
    await this.refresh();
  }

  /** Opens or closes the listener to match the token store (after `cluster token`, a join, an expiry). */
  refresh(): Promise<void> {
    this.refreshing = this.refreshing.then(() => this.refreshNow());
    return this.refreshing;
  }

  private async refreshNow(): Promise<void> {
    if (this.closed) return;
    if (this.expiryTimer !== undefined) clearTimeout(this.expiryTimer);
    this.expiryTimer = undefined;
    let tokens: TokenRecord[];
    try {
      tokens = readTokens(tokenFile(this.options.stateDir));
    } catch (error) {
      this.options.logger.error({ error: error instanceof Error ? error.message : String(error) }, "cannot read the join tokens; joining through this node is off");
      tokens = [];
    }
    const expiry = nextExpirySeconds(tokens, this.nowSeconds());
    if (expiry === undefined) {
      await this.stopListening();
      return;
    }
    if (!this.listening) await this.listen();
    const delayMs = Math.min((expiry - this.nowSeconds()) * 1000 + 500, 2 ** 31 - 1);
    this.expiryTimer = setTimeout(() => void this.refresh(), Math.max(delayMs, 500));
    this.expiryTimer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.watcher?.close();
    if (this.expiryTimer !== undefined) clearTimeout(this.expiryTimer);
    await this.refreshing;
    await this.stopListening();
  }

  private async listen(): Promise<void> {
    for (const address of this.options.addresses) {
      const server = createServer((socket) => this.serve(socket));
      try {
        await new Promise<void>((resolve, reject) => {
          server.once("error", reject);
          server.listen({ host: address, port: this.options.port, exclusive: true }, () => { server.off("error", reject); resolve(); });
        });
        server.on("error", (error) => this.options.logger.warn({ address, error: error.message }, "join listener error"));
        this.servers.push(server);
      } catch (error) {
        this.options.logger.warn({ address, port: this.options.port, error: error instanceof Error ? error.message : String(error) }, "cannot listen for joins on this address");
      }
    }
    if (this.servers.length > 0) this.options.logger.info({ addresses: this.options.addresses, port: this.options.port }, "listening for nodes joining with a token (TCP)");
  }

  private async stopListening(): Promise<void> {
    const servers = this.servers.splice(0);
    if (servers.length === 0) return;
    await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
    this.options.logger.info({}, "no live join token left: stopped listening for joins");
  }

  private serve(socket: Socket): void {
    const source = `${socket.remoteAddress ?? "?"}:${socket.remotePort ?? "?"}`;
    if (this.connections >= CONNECTIONS_MAX) {
      socket.end(`${JSON.stringify({ ok: false, code: "E_JOIN_BUSY", error: "the member is serving other joins; try again in a few seconds" })}\n`);
      return;
    }
    this.connections++;
    socket.setTimeout(EXCHANGE_TIMEOUT_MS, () => socket.destroy());
    socket.on("close", () => { this.connections--; });
    socket.on("error", () => {});
    const memberNonce = randomBytes(NONCE_BYTES);
    socket.write(`${JSON.stringify({ edgeha: "join", v: 1, nonce: memberNonce.toString("hex") })}\n`);
    readLine(socket, REQUEST_LINE_BYTES_MAX).then(
      (line) => {
        const reply = this.answer(line, memberNonce, source);
        socket.end(`${JSON.stringify(reply)}\n`);
        if (reply.ok) void this.refresh();
      },
      () => socket.destroy(),
    );
  }

  private answer(line: string, memberNonce: Buffer, source: string): { ok: true; sealed: string } | { ok: false; code: string; error: string } {
    const refuse = (code: string, error: string) => {
      this.options.logger.warn({ source, code }, `refused a join: ${error}`);
      return { ok: false as const, code, error };
    };
    let request: { token?: unknown; cluster?: unknown; nonce?: unknown; proof?: unknown };
    try {
      request = JSON.parse(line) as typeof request;
    } catch {
      return refuse("E_JOIN_TOKEN_WRONG", "the request is not JSON");
    }
    const hex = (value: unknown, bytes: number) => (typeof value === "string" && value.length === bytes * 2 && /^[0-9a-f]+$/.test(value) ? Buffer.from(value, "hex") : undefined);
    const [id, cluster, joinerNonce, proof] = [hex(request.token, 8), hex(request.cluster, 4), hex(request.nonce, NONCE_BYTES), hex(request.proof, 32)];
    if (!id || !cluster || !joinerNonce || !proof) return refuse("E_JOIN_TOKEN_WRONG", "the request is malformed");
    if (!cluster.equals(clusterHash(this.options.clusterName))) return refuse("E_JOIN_TOKEN_FOREIGN", `the token belongs to another cluster; this member is of cluster '${this.options.clusterName}'`);
    const file = tokenFile(this.options.stateDir);
    const nowSeconds = this.nowSeconds();
    let found;
    try {
      found = findUsableToken(readTokens(file), id.toString("hex"), nowSeconds);
    } catch (error) {
      return refuse("E_JOIN_MEMBER_CONFIG", error instanceof Error ? error.message : String(error));
    }
    if (!found.ok) return refuse(found.code, found.error);
    const secret = Buffer.from(found.record.secret, "hex");
    if (!proofMatches(joinProof(secret, memberNonce, joinerNonce, id), proof)) return refuse("E_JOIN_TOKEN_WRONG", "the joiner could not prove it holds the token (a damaged or forged token)");
    let bundle: JoinBundle;
    try {
      bundle = this.bundle(found.record.nodeId);
    } catch (error) {
      return refuse("E_JOIN_MEMBER_CONFIG", `this member cannot hand out its config: ${error instanceof Error ? error.message : String(error)}`);
    }
    // Used before sent: a token never works twice, even if this process dies right after.
    if (!consumeToken(file, found.record.id, nowSeconds)) return refuse("E_JOIN_TOKEN_USED", "that token was used a moment ago");
    this.options.logger.info({ source, nodeId: found.record.nodeId }, "a node joined with a token: sent it the config and the authkey (sealed)");
    return { ok: true, sealed: sealForJoiner(secret, memberNonce, joinerNonce, Buffer.from(JSON.stringify(bundle))).toString("base64") };
  }

  private bundle(nodeId: number): JoinBundle {
    const text = readConfigText(this.options.configFile);
    const check = checkConfigText(text, this.options.configFile);
    if (!check.config) throw new EdgehaError("E_JOIN_MEMBER_CONFIG", `${this.options.configFile} has errors ('edgeha config check' there)`);
    if (!check.config.nodes.some((node) => node.id === nodeId)) throw new EdgehaError("E_JOIN_MEMBER_CONFIG", `the token is for node id ${nodeId}, which the config no longer lists`);
    return { cluster: check.config.clusterName, member: this.options.nodeName, nodeId, config: text, authkey: this.options.authkey.toString("base64") };
  }
}

/** Reads one line of at most `bytesMax` bytes; rejects on a longer one, on close, or on error. */
function readLine(socket: Socket, bytesMax: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      const newline = chunk.indexOf(0x0a);
      const part = newline === -1 ? chunk : chunk.subarray(0, newline);
      size += part.length;
      if (size > bytesMax) {
        cleanup();
        reject(new Error(`a line longer than ${bytesMax} bytes`));
        return;
      }
      chunks.push(part);
      if (newline !== -1) {
        cleanup();
        // Whatever follows the newline is not ours to read: leave it unconsumed.
        socket.pause();
        resolve(Buffer.concat(chunks).toString("utf8"));
      }
    };
    const onEnd = () => { cleanup(); reject(new Error("the connection closed before a whole line")); };
    const cleanup = () => { socket.off("data", onData); socket.off("end", onEnd); socket.off("error", onEnd); socket.off("close", onEnd); };
    socket.on("data", onData);
    socket.on("end", onEnd);
    socket.on("error", onEnd);
    socket.on("close", onEnd);
    socket.resume();
  });
}

// ---- the joiner's side -------------------------------------------------------

/** Fetches the bundle from the member the token names, trying each of its addresses. */
export async function fetchJoinBundle(token: JoinToken, options: { connectTimeoutMs?: number } = {}): Promise<JoinBundle> {
  const failures: string[] = [];
  for (const address of token.addresses) {
    let socket: Socket;
    try {
      socket = await connect(address, token.port, options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS);
    } catch (error) {
      failures.push(`${address}:${token.port}: ${error instanceof Error ? error.message : String(error)}`);
      continue;
    }
    try {
      return await exchange(socket, token, `${address}:${token.port}`);
    } finally {
      socket.destroy();
    }
  }
  throw new EdgehaError(
    "E_JOIN_UNREACHABLE",
    `cannot reach the member that issued the token (${failures.join("; ")}): is its agent running ('edgeha cluster start' there), and does a firewall let TCP port ${token.port} through?`,
    { addresses: token.addresses, port: token.port },
  );
}

function connect(address: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: address, port });
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`no connection within ${timeoutMs} ms`)); }, timeoutMs);
    socket.once("connect", () => { clearTimeout(timer); resolve(socket); });
    socket.once("error", (error: NodeJS.ErrnoException) => { clearTimeout(timer); reject(new Error(error.code ?? error.message)); });
  });
}

async function exchange(socket: Socket, token: JoinToken, where: string): Promise<JoinBundle> {
  const timer = setTimeout(() => socket.destroy(), EXCHANGE_TIMEOUT_MS);
  try {
    const greeting = parseLine(await readLine(socket, REQUEST_LINE_BYTES_MAX).catch(() => ""), where) as { edgeha?: unknown; nonce?: unknown };
    if (greeting.edgeha !== "join" || typeof greeting.nonce !== "string" || !/^[0-9a-f]{64}$/.test(greeting.nonce)) {
      throw new EdgehaError("E_JOIN_REFUSED", `${where} does not speak edgeha's join protocol (is that port another program's?)`);
    }
    const memberNonce = Buffer.from(greeting.nonce, "hex");
    const joinerNonce = randomBytes(NONCE_BYTES);
    socket.write(`${JSON.stringify({ token: token.id.toString("hex"), cluster: token.clusterHash.toString("hex"), nonce: joinerNonce.toString("hex"), proof: joinProof(token.secret, memberNonce, joinerNonce, token.id).toString("hex") })}\n`);
    const reply = parseLine(await readLine(socket, REPLY_LINE_BYTES_MAX).catch(() => ""), where) as { ok?: unknown; sealed?: unknown; code?: unknown; error?: unknown };
    if (reply.ok !== true) {
      const code = typeof reply.code === "string" && MEMBER_CODES.has(reply.code) ? reply.code : "E_JOIN_REFUSED";
      throw new EdgehaError(code, `the member at ${where} refused the join: ${typeof reply.error === "string" ? reply.error.slice(0, 500) : "no reason given"}`);
    }
    const opened = typeof reply.sealed === "string" ? openFromMember(token.secret, memberNonce, joinerNonce, Buffer.from(reply.sealed, "base64")) : undefined;
    if (opened === undefined) throw new EdgehaError("E_JOIN_REFUSED", `${where} could not prove it issued the token (its answer does not open with it): nothing was written`);
    return readBundle(opened, where);
  } finally {
    clearTimeout(timer);
  }
}

function parseLine(line: string, where: string): Record<string, unknown> {
  try {
    const value = JSON.parse(line) as unknown;
    if (typeof value === "object" && value !== null) return value as Record<string, unknown>;
  } catch {
    // Reported below.
  }
  throw new EdgehaError("E_JOIN_REFUSED", line === "" ? `${where} closed the connection without an answer` : `${where} answered something that is not edgeha's join protocol`);
}

function readBundle(bytes: Buffer, where: string): JoinBundle {
  const bundle = JSON.parse(bytes.toString("utf8")) as Partial<JoinBundle>;
  const fields = [bundle.cluster, bundle.member, bundle.config, bundle.authkey];
  if (!fields.every((field) => typeof field === "string") || !Number.isInteger(bundle.nodeId)) throw new EdgehaError("E_JOIN_REFUSED", `${where} sent an incomplete bundle`);
  return bundle as JoinBundle;
}
