// The local admin socket: unix, newline-delimited JSON, one request per line, mode 0660.
import { createServer, createConnection, type Server } from "node:net";
import { chmodSync, rmSync } from "node:fs";
import { EdgehaError } from "../common/errors";

export interface ApiServer { close(): Promise<void> }
// A request line carries at most one whole configuration (cib-replace).
const LINE_BYTES_MAX = 64 * 1024 * 1024;

export async function startApiServer(path: string, handle: (request: Record<string, unknown>) => unknown): Promise<ApiServer> {
  // A handler may answer at once or with a promise (changes wait for every member).
  rmSync(path, { force: true });
  const server: Server = createServer((connection) => {
    let buffered = "";
    connection.setEncoding("utf8");
    connection.on("data", (chunk: string) => {
      buffered += chunk;
      if (buffered.length > LINE_BYTES_MAX) return connection.destroy();
      for (let newline = buffered.indexOf("\n"); newline !== -1; newline = buffered.indexOf("\n")) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        let request: Record<string, unknown>;
        try {
          request = JSON.parse(line) as Record<string, unknown>;
        } catch {
          connection.write(`${JSON.stringify({ error: "request is not a JSON object" })}\n`);
          continue;
        }
        void Promise.resolve()
          .then(() => handle(request))
          .catch((error: unknown) => ({ error: error instanceof Error ? error.message : String(error), code: (error as { code?: string }).code }))
          .then((reply) => { if (!connection.destroyed) connection.write(`${JSON.stringify(reply)}\n`); });
      }
    });
    connection.on("error", () => {});
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(path, () => { server.off("error", reject); resolve(); });
  });
  chmodSync(path, 0o660);
  return { close: () => new Promise<void>((resolve) => server.close(() => { rmSync(path, { force: true }); resolve(); })) };
}

/** One request, one reply line, within timeoutMs. */
export function requestApi(path: string, request: Record<string, unknown>, timeoutMs = 3000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    let buffered = "";
    const timer = setTimeout(() => { socket.destroy(); reject(new EdgehaError("E_AGENT_UNREACHABLE", `no answer from the agent on ${path} within ${timeoutMs} ms`, { path })); }, timeoutMs);
    socket.setEncoding("utf8");
    socket.on("connect", () => socket.write(`${JSON.stringify(request)}\n`));
    socket.on("data", (chunk: string) => {
      buffered += chunk;
      const newline = buffered.indexOf("\n");
      if (newline === -1) return;
      clearTimeout(timer);
      socket.end();
      try { resolve(JSON.parse(buffered.slice(0, newline))); } catch (error) { reject(error); }
    });
    socket.on("error", (error) => { clearTimeout(timer); reject(new EdgehaError("E_AGENT_UNREACHABLE", `cannot reach the agent on ${path}: ${error.message}`, { path })); });
    // The agent went away before it answered (it exited, or was killed): say so now, not at the timeout.
    socket.on("close", () => { clearTimeout(timer); reject(new EdgehaError("E_AGENT_UNREACHABLE", `the agent on ${path} closed the connection without answering (did it exit? see its log)`, { path })); });
  });
}
