// A small Redfish client over HTTPS: JSON requests with basic auth or a session token,
// TLS verified by default (against the system's CAs or a given certificate), every
// request bounded in time and in the size of its answer. Errors are typed: a login the
// BMC refuses is E_FENCE_AUTH, a certificate that does not verify E_FENCE_TLS, a BMC that
// does not answer E_FENCE_TIMEOUT, anything else the BMC says wrong E_FENCE_REDFISH.
import type * as Https from "node:https";
import { EdgehaError } from "../../src/common/errors";

/**
 * node:https, loaded at the first Redfish request: TLS costs the long-running agent ~3 MiB of
 * memory from the moment it is loaded, and most clusters never fence through Redfish.
 */
let httpsModule: typeof Https | undefined;
function https(): typeof Https {
  httpsModule ??= process.getBuiltinModule("node:https") as typeof Https;
  return httpsModule;
}

export interface RedfishConnection {
  host: string;
  port: number;
  user: string;
  password: string;
  /** PEM text of certificates to trust instead of the system's (ssl_ca_file). */
  trustedCertificates?: string;
  /** Skip certificate verification (ssl_insecure=1). */
  insecure: boolean;
  /** Longest wait for one answer. */
  requestTimeoutMs: number;
}

export interface RedfishAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown> | undefined;
}

/** Largest answer read from a BMC; a ComputerSystem is a few kilobytes. */
export const ANSWER_BYTES_MAX = 1 << 20;
const TLS_ERRORS = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_TLS_CERT|HOSTNAME|ALTNAME|DEPTH_ZERO/;

export class RedfishClient {
  private token: string | undefined;
  private sessionUri: string | undefined;

  constructor(private readonly connection: RedfishConnection, private readonly debug: (line: string) => void = () => {}) {}

  get origin(): string {
    const host = this.connection.host.includes(":") ? `[${this.connection.host}]` : this.connection.host;
    return `https://${host}:${this.connection.port}`;
  }

  private authorization(): Record<string, string> {
    if (this.token) return { "X-Auth-Token": this.token };
    return { Authorization: `Basic ${Buffer.from(`${this.connection.user}:${this.connection.password}`).toString("base64")}` };
  }

  /** One request; resolves with any HTTP status, rejects on transport, TLS or time-out failures. */
  send(method: "GET" | "POST" | "DELETE", path: string, signal: AbortSignal, payload?: unknown, authenticated = true): Promise<RedfishAnswer> {
    const { connection } = this;
    const text = payload === undefined ? undefined : JSON.stringify(payload);
    const headers: Record<string, string> = { Accept: "application/json", "OData-Version": "4.0", ...(authenticated ? this.authorization() : {}) };
    if (text !== undefined) Object.assign(headers, { "Content-Type": "application/json", "Content-Length": String(Buffer.byteLength(text)) });
    this.debug(`${method} ${this.origin}${path}`);
    return new Promise((resolve, reject) => {
      let settled = false;
      const finish = (error: Error | undefined, answer?: RedfishAnswer) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        if (error) reject(error);
        else resolve(answer!);
      };
      const call = https().request({
        host: connection.host, port: connection.port, path, method, headers,
        rejectUnauthorized: !connection.insecure, ...(connection.trustedCertificates ? { ca: connection.trustedCertificates } : {}),
        // Never reuse a pooled connection: each request stands alone, as fence actions are rare.
        agent: false,
      }, (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > ANSWER_BYTES_MAX) { call.destroy(); finish(new EdgehaError("E_FENCE_REDFISH", `${method} ${path}: the BMC's answer is larger than ${ANSWER_BYTES_MAX} bytes`)); return; }
          chunks.push(chunk);
        });
        response.on("end", () => {
          const raw = Buffer.concat(chunks).toString("utf8");
          let body: Record<string, unknown> | undefined;
          if (raw.trim() !== "") {
            try { body = JSON.parse(raw) as Record<string, unknown>; } catch { return finish(new EdgehaError("E_FENCE_REDFISH", `${method} ${path}: the BMC answered HTTP ${response.statusCode} with a body that is not JSON`)); }
          }
          finish(undefined, { status: response.statusCode ?? 0, headers: response.headers, body });
        });
        response.on("error", (error) => finish(error));
      });
      const timer = setTimeout(() => { call.destroy(); finish(new EdgehaError("E_FENCE_TIMEOUT", `the BMC at ${this.origin} did not answer ${method} ${path} within ${connection.requestTimeoutMs} ms`)); }, connection.requestTimeoutMs);
      const onAbort = () => { call.destroy(); finish(new EdgehaError("E_FENCE_TIMEOUT", `${method} ${this.origin}${path}: the fence action's time ran out`)); };
      if (signal.aborted) return onAbort();
      signal.addEventListener("abort", onAbort, { once: true });
      call.on("error", (error: NodeJS.ErrnoException) => finish(this.transportError(error, method, path)));
      call.end(text);
    });
  }

  private transportError(error: NodeJS.ErrnoException, method: string, path: string): EdgehaError {
    const code = error.code ?? "";
    if (TLS_ERRORS.test(code) || /certificate/i.test(error.message)) {
      return new EdgehaError("E_FENCE_TLS", `the certificate of the BMC at ${this.origin} does not verify (${error.message}); trust it with ssl_ca_file=FILE (its PEM certificate or CA), or skip verification with ssl_insecure=1 (anyone on the BMC's network could then pose as it)`);
    }
    return new EdgehaError("E_FENCE_TIMEOUT", `cannot reach the BMC at ${this.origin} (${method} ${path}: ${code || error.message})`);
  }

  /** A request that must succeed (2xx); 401/403 are E_FENCE_AUTH. */
  async call(method: "GET" | "POST" | "DELETE", path: string, signal: AbortSignal, payload?: unknown): Promise<RedfishAnswer> {
    const answer = await this.send(method, path, signal, payload);
    if (answer.status === 401 || answer.status === 403) throw new EdgehaError("E_FENCE_AUTH", `the BMC at ${this.origin} refused user ${this.connection.user} (HTTP ${answer.status} on ${method} ${path}): check username and password`);
    if (answer.status < 200 || answer.status > 299) throw new EdgehaError("E_FENCE_REDFISH", `${method} ${path}: the BMC answered HTTP ${answer.status}${messageOf(answer.body)}`);
    return answer;
  }

  /** Opens a Redfish session (POST to the session collection); later requests carry its token. */
  async login(sessionsPath: string, signal: AbortSignal): Promise<void> {
    const answer = await this.send("POST", sessionsPath, signal, { UserName: this.connection.user, Password: this.connection.password }, false);
    if (answer.status === 401 || answer.status === 403 || answer.status === 400) throw new EdgehaError("E_FENCE_AUTH", `the BMC at ${this.origin} refused a session for user ${this.connection.user} (HTTP ${answer.status}): check username and password`);
    const token = answer.headers["x-auth-token"];
    if (answer.status < 200 || answer.status > 299 || typeof token !== "string") throw new EdgehaError("E_FENCE_REDFISH", `POST ${sessionsPath}: the BMC answered HTTP ${answer.status} without a session token${messageOf(answer.body)}`);
    this.token = token;
    const location = answer.headers.location;
    this.sessionUri = typeof location === "string" ? new URL(location, this.origin).pathname : typeof answer.body?.["@odata.id"] === "string" ? answer.body["@odata.id"] as string : undefined;
  }

  /** Ends the session, if one was opened; failures are only logged (the BMC expires it). */
  async logout(): Promise<void> {
    if (!this.token || !this.sessionUri) return;
    try {
      await this.send("DELETE", this.sessionUri, AbortSignal.timeout(this.connection.requestTimeoutMs));
    } catch (error) {
      this.debug(`ending the session failed: ${(error as Error).message}`);
    }
    this.token = undefined;
  }
}

function messageOf(body: Record<string, unknown> | undefined): string {
  const error = body?.error as { message?: unknown; "@Message.ExtendedInfo"?: Array<{ Message?: unknown }> } | undefined;
  const message = error?.["@Message.ExtendedInfo"]?.[0]?.Message ?? error?.message;
  return typeof message === "string" ? `: ${message.slice(0, 200)}` : "";
}
