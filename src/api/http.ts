// The metrics listener (metrics.listen in edgeha.yaml): GET /metrics in the Prometheus text
// format and GET / as a read-only status page. Both are rendered from the agent's own state,
// so they answer while the cluster is degraded (no quorum, no DC). Everything is bounded:
// headers, request time, connections; only GET and HEAD, no request body.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { EdgehaError } from "../common/errors";
import { httpDate } from "../common/log";

export interface HttpHandlers {
  metrics(): string;
  page(): string;
}

export interface MetricsServer {
  readonly address: { host: string; port: number };
  close(): Promise<void>;
}

const CONNECTIONS_MAX = 16;
const HEADER_BYTES_MAX = 8 * 1024;
const REQUEST_TIMEOUT_MS = 5000;
// Every answer closes its connection: a scrape every 15 s gains nothing from keeping it, and
// no idle socket is left to time out (clients never meet a connection closed under them).
const KEEP_ALIVE_MS = 1000;
/** The page may not load anything from elsewhere: no scripts, no images, only its inline style. */
const PAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

function answer(response: ServerResponse, status: number, type: string, body: string, head: boolean, extra: Record<string, string> = {}): void {
  // The Date header from our own formatter: Node's (Date.prototype.toUTCString) would fault
  // ~0.5 MiB of ICU time-zone data into the agent at the first scrape (issue 21).
  response.writeHead(status, { Date: httpDate(Date.now()), "Content-Type": type, "Content-Length": Buffer.byteLength(body), "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", Connection: "close", ...extra });
  response.end(head ? undefined : body);
}

function route(request: IncomingMessage, response: ServerResponse, handlers: HttpHandlers): void {
  const head = request.method === "HEAD";
  if (request.method !== "GET" && !head) return answer(response, 405, "text/plain; charset=utf-8", "only GET and HEAD\n", false, { Allow: "GET, HEAD" });
  const path = (request.url ?? "/").split("?")[0];
  try {
    if (path === "/metrics") return answer(response, 200, "text/plain; version=0.0.4; charset=utf-8", handlers.metrics(), head);
    if (path === "/" || path === "/index.html") return answer(response, 200, "text/html; charset=utf-8", handlers.page(), head, { "Content-Security-Policy": PAGE_POLICY });
    return answer(response, 404, "text/plain; charset=utf-8", "not found: try /metrics or /\n", head);
  } catch (error) {
    return answer(response, 500, "text/plain; charset=utf-8", `cannot render: ${error instanceof Error ? error.message : String(error)}\n`, head);
  }
}

export async function startMetricsServer(listen: { host: string; port: number }, handlers: HttpHandlers): Promise<MetricsServer> {
  const server: Server = createServer({ maxHeaderSize: HEADER_BYTES_MAX, requestTimeout: REQUEST_TIMEOUT_MS, headersTimeout: REQUEST_TIMEOUT_MS, keepAliveTimeout: KEEP_ALIVE_MS }, (request, response) => {
    // A request body is never read: drop whatever a client sends beyond the headers.
    request.resume();
    route(request, response, handlers);
  });
  server.maxConnections = CONNECTIONS_MAX;
  server.maxHeadersCount = 64;
  server.on("clientError", (_error, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => reject(new EdgehaError("E_METRICS_LISTEN", `cannot listen for metrics on ${listen.host}:${listen.port}: ${error.code ?? error.message}`, { listen })));
    server.listen(listen.port, listen.host, () => resolve());
  });
  const bound = server.address();
  const port = typeof bound === "object" && bound !== null ? bound.port : listen.port;
  return {
    address: { host: listen.host, port },
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
