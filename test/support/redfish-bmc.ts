// A Redfish test BMC of our own: an HTTPS server on 127.0.0.1 with one ComputerSystem
// whose PowerState follows ComputerSystem.Reset (On, ForceOff, GracefulShutdown,
// ForceRestart, GracefulRestart, PowerCycle, Nmi). It serves what the real clients read:
// GET /redfish (versions, redfishtool), the service root with Systems and the session
// collection, the Systems collection, the system; basic auth and sessions (X-Auth-Token,
// POST to create, DELETE to end). A power change takes effect after `powerDelayMs`, so
// clients must poll to confirm it. Every reset is logged in `events` ("<ms> ForceOff").
// `silent` makes it accept connections and never answer. The certificate is self-signed
// for IP 127.0.0.1, made with openssl at start.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface RedfishBmcOptions {
  port: number;
  user?: string;
  password?: string;
  powerDelayMs?: number;
  /** Id of the one system (default "1"); more ids make discovery ambiguous. */
  systems?: string[];
}

const RESET_TYPES = ["On", "ForceOff", "GracefulShutdown", "ForceRestart", "GracefulRestart", "PowerCycle", "Nmi"];
const BODY_MAX = 64 * 1024;

export class RedfishBmc {
  readonly user: string;
  readonly password: string;
  readonly certificateFile: string;
  readonly events: string[] = [];
  /** Every request as "METHOD path" (for checks of what a client asked). */
  readonly requests: string[] = [];
  silent = false;
  /** Answer GracefulShutdown (the OS shutting down) or ignore it, as a hung OS does. */
  gracefulWorks = true;
  private readonly power = new Map<string, "On" | "Off">();
  private readonly sessions = new Map<string, string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly directory: string;
  private server: Server | undefined;
  private nextSession = 1;

  constructor(readonly options: RedfishBmcOptions) {
    this.user = options.user ?? "root";
    this.password = options.password ?? `rf-${randomBytes(6).toString("hex")}`;
    this.directory = mkdtempSync(join(tmpdir(), "eh-redfish-"));
    this.certificateFile = join(this.directory, "bmc.pem");
    for (const id of options.systems ?? ["1"]) this.power.set(id, "On");
  }

  get url(): string {
    return `https://127.0.0.1:${this.options.port}`;
  }

  powerState(system = "1"): "On" | "Off" | undefined {
    return this.power.get(system);
  }

  setPower(state: "On" | "Off", system = "1"): void {
    this.power.set(system, state);
  }

  async start(): Promise<void> {
    const key = join(this.directory, "bmc.key");
    const made = spawnSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", "/CN=edgeha-test-bmc", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", this.certificateFile], { encoding: "utf8", timeout: 20_000 });
    if (made.status !== 0) throw new Error(`openssl could not make the BMC certificate: ${made.stderr}`);
    this.server = createServer({ key: readFileSync(key), cert: readFileSync(this.certificateFile) }, (request, response) => this.handle(request, response));
    await new Promise<void>((resolve, reject) => {
      this.server!.once("error", reject);
      this.server!.listen(this.options.port, "127.0.0.1", () => resolve());
    });
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    rmSync(this.directory, { recursive: true, force: true });
  }

  private send(response: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
    const text = body === undefined ? "" : JSON.stringify(body);
    response.writeHead(status, { "Content-Type": "application/json", "OData-Version": "4.0", "Content-Length": String(Buffer.byteLength(text)), ...headers });
    response.end(text);
  }

  private authorized(request: IncomingMessage): boolean {
    const token = request.headers["x-auth-token"];
    if (typeof token === "string" && this.sessions.has(token)) return true;
    const basic = /^Basic (.+)$/i.exec(request.headers.authorization ?? "");
    if (!basic) return false;
    return Buffer.from(basic[1]!, "base64").toString("utf8") === `${this.user}:${this.password}`;
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    if (this.silent) return;
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => { size += chunk.length; if (size <= BODY_MAX) chunks.push(chunk); });
    request.on("end", () => {
      const path = (request.url ?? "/").split("?")[0]!.replace(/\/+$/, "") || "/";
      this.requests.push(`${request.method} ${path}`);
      let body: Record<string, unknown> = {};
      if (chunks.length > 0) {
        try { body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>; } catch { return this.send(response, 400, { error: { message: "body is not JSON" } }); }
      }
      this.route(request, response, path, body);
    });
  }

  private route(request: IncomingMessage, response: ServerResponse, path: string, body: Record<string, unknown>): void {
    const method = request.method ?? "GET";
    if (method === "GET" && path === "/redfish") return this.send(response, 200, { v1: "/redfish/v1/" });
    if (method === "GET" && path === "/redfish/v1") return this.send(response, 200, this.serviceRoot());
    if (method === "POST" && path === "/redfish/v1/SessionService/Sessions") return this.login(response, body);
    if (!this.authorized(request)) return this.send(response, 401, { error: { code: "Base.1.0.NoValidSession", message: "authentication required" } }, { "WWW-Authenticate": 'Basic realm="edgeha-test-bmc"' });
    const session = /^\/redfish\/v1\/SessionService\/Sessions\/(\d+)$/.exec(path);
    if (method === "DELETE" && session) {
      for (const [token, id] of this.sessions) if (id === session[1]) this.sessions.delete(token);
      return this.send(response, 204);
    }
    if (method === "GET" && path === "/redfish/v1/Systems") {
      return this.send(response, 200, { "@odata.id": "/redfish/v1/Systems", "@odata.type": "#ComputerSystemCollection.ComputerSystemCollection", Name: "Computer System Collection", "Members@odata.count": this.power.size, Members: [...this.power.keys()].map((id) => ({ "@odata.id": `/redfish/v1/Systems/${id}` })) });
    }
    const system = /^\/redfish\/v1\/Systems\/([^/]+)$/.exec(path);
    if (method === "GET" && system && this.power.has(system[1]!)) return this.send(response, 200, this.system(system[1]!));
    const reset = /^\/redfish\/v1\/Systems\/([^/]+)\/Actions\/ComputerSystem\.Reset$/.exec(path);
    if (method === "POST" && reset && this.power.has(reset[1]!)) return this.reset(response, reset[1]!, body);
    return this.send(response, method === "GET" ? 404 : 405, { error: { message: `${method} ${path} is not served here` } });
  }

  private serviceRoot(): Record<string, unknown> {
    return {
      "@odata.id": "/redfish/v1", "@odata.type": "#ServiceRoot.v1_5_0.ServiceRoot", Id: "RootService", Name: "edgeha test BMC", RedfishVersion: "1.6.0",
      UUID: "0f1e2d3c-4b5a-6978-0f1e-2d3c4b5a6978", Systems: { "@odata.id": "/redfish/v1/Systems" },
      SessionService: { "@odata.id": "/redfish/v1/SessionService" }, Links: { Sessions: { "@odata.id": "/redfish/v1/SessionService/Sessions" } },
    };
  }

  private system(id: string): Record<string, unknown> {
    return {
      "@odata.id": `/redfish/v1/Systems/${id}`, "@odata.type": "#ComputerSystem.v1_5_0.ComputerSystem", Id: id, Name: `System ${id}`, PowerState: this.power.get(id),
      Actions: { "#ComputerSystem.Reset": { target: `/redfish/v1/Systems/${id}/Actions/ComputerSystem.Reset`, "ResetType@Redfish.AllowableValues": RESET_TYPES } },
    };
  }

  private login(response: ServerResponse, body: Record<string, unknown>): void {
    if (body.UserName !== this.user || body.Password !== this.password) return this.send(response, 401, { error: { code: "Base.1.0.InvalidCredentials", message: "invalid user name or password" } });
    const id = String(this.nextSession++);
    const token = randomBytes(16).toString("hex");
    this.sessions.set(token, id);
    this.send(response, 201, { "@odata.id": `/redfish/v1/SessionService/Sessions/${id}`, Id: id, UserName: this.user }, { "X-Auth-Token": token, Location: `/redfish/v1/SessionService/Sessions/${id}` });
  }

  private later(action: () => void): void {
    const timer = setTimeout(() => { this.timers.delete(timer); action(); }, this.options.powerDelayMs ?? 0);
    this.timers.add(timer);
  }

  private reset(response: ServerResponse, id: string, body: Record<string, unknown>): void {
    const type = body.ResetType;
    if (typeof type !== "string" || !RESET_TYPES.includes(type)) return this.send(response, 400, { error: { code: "Base.1.0.PropertyValueNotInList", message: `ResetType ${String(type)} is not one of ${RESET_TYPES.join(", ")}` } });
    this.events.push(`${Date.now()} ${type}`);
    switch (type) {
      case "On": this.later(() => this.power.set(id, "On")); break;
      case "ForceOff": this.later(() => this.power.set(id, "Off")); break;
      case "GracefulShutdown": if (this.gracefulWorks) this.later(() => this.power.set(id, "Off")); break;
      case "ForceRestart": case "GracefulRestart": case "PowerCycle":
        this.power.set(id, "Off");
        this.later(() => this.power.set(id, "On"));
        break;
      default: break;
    }
    this.send(response, 204);
  }
}
