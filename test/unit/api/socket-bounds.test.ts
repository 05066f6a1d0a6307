// The admin socket bounds what a client sends: line length, connections, requests waiting
// per connection and in all, slow and idle clients, clients that do not read. An offender
// gets one JSON error line with its E_API_* code and is disconnected; well-behaved clients
// keep being answered, and a timer in the same process keeps firing throughout.
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createConnection, type Socket } from "node:net";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import pino from "pino";
import { API_LIMITS, requestApi, startApiServer, type ApiLimits, type ApiServer } from "../../../src/api";

const directory = mkdtempSync(path.join(os.tmpdir(), "edgeha-api-bounds-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
let servers: ApiServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((server) => server.close()));
  servers = [];
});

let counter = 0;
async function serve(handle: (request: Record<string, unknown>) => unknown, limits: Partial<ApiLimits> = {}): Promise<{ socket: string; server: ApiServer }> {
  const socket = path.join(directory, `api-${counter++}.sock`);
  const server = await startApiServer(socket, handle, { limits });
  servers.push(server);
  return { socket, server };
}

interface Outcome { lines: Array<Record<string, unknown>>; closedByServer: boolean }

/** A raw client: writes `send` (a string or a producer), collects answer lines until the server closes or `untilLines` arrive. */
function rawClient(socket: string, send: (connection: Socket) => void, untilLines = Number.POSITIVE_INFINITY): Promise<Outcome> {
  return new Promise((resolve) => {
    const connection = createConnection(socket);
    let text = "";
    let done = false;
    const finish = (closedByServer: boolean) => {
      if (done) return;
      done = true;
      connection.destroy();
      resolve({ lines: text.split("\n").filter((line) => line !== "").map((line) => JSON.parse(line) as Record<string, unknown>), closedByServer });
    };
    // Bounded: a server that never answers or closes ends the wait after 10 s.
    const guard = setTimeout(() => finish(false), 10_000);
    connection.on("close", () => clearTimeout(guard));
    connection.setEncoding("utf8");
    connection.on("data", (chunk: string) => {
      text += chunk;
      if (text.split("\n").length - 1 >= untilLines) finish(false);
    });
    connection.on("end", () => finish(true));
    connection.on("close", () => finish(true));
    connection.on("error", () => {});
    connection.on("connect", () => send(connection));
  });
}

/** Writes `bytes` of 'a' in 64 KiB pieces, honouring back-pressure, then a newline; stops when the server closes. */
function sendHugeLine(bytes: number): (connection: Socket) => void {
  return (connection) => {
    const piece = Buffer.alloc(64 * 1024, 0x61);
    let sent = 0;
    const pump = (): void => {
      while (sent < bytes) {
        if (connection.destroyed || connection.writableEnded) return;
        sent += piece.length;
        if (!connection.write(piece)) {
          connection.once("drain", pump);
          return;
        }
      }
      connection.write("\n");
    };
    pump();
  };
}

/** Waits (at most 10 s) until `condition` holds. */
async function waitFor(condition: () => boolean, what: string): Promise<void> {
  for (let waited = 0; !condition(); waited += 5) {
    if (waited > 10_000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Counts the firings of a 1 ms interval timer in this process. */
function ticker(): { readonly ticks: number; stop(): void } {
  let ticks = 0;
  const timer = setInterval(() => { ticks += 1; }, 1);
  return { get ticks() { return ticks; }, stop: () => clearInterval(timer) };
}

describe("admin socket bounds", () => {
  it("a 20 MB line: the offender gets E_API_LINE_TOO_LONG and is disconnected, each byte is scanned once, and the loop keeps turning", async () => {
    const { socket, server } = await serve(() => ({ ok: true }));
    const clock = ticker();
    const offenders = Array.from({ length: 4 }, () => rawClient(socket, sendHugeLine(20 * 1024 * 1024)));
    // Meanwhile, a well-behaved client asks again and again and is answered every time.
    const answers: unknown[] = [];
    for (let round = 0; round < 20; round++) answers.push(await requestApi(socket, { command: "status" }, 10_000));
    const outcomes = await Promise.all(offenders);
    clock.stop();
    for (const outcome of outcomes) {
      expect(outcome.lines).toEqual([{ error: expect.stringContaining(`longer than ${API_LIMITS.lineBytesMax} bytes`), code: "E_API_LINE_TOO_LONG" }]);
      expect(outcome.closedByServer).toBe(true);
    }
    expect(answers).toEqual(Array.from({ length: 20 }, () => ({ ok: true })));
    const statistics = server.statistics();
    // Linear: the line scanner never looks at a byte twice.
    expect(statistics.bytesScanned).toBeLessThanOrEqual(statistics.bytesReceived);
    expect(statistics.rejected.E_API_LINE_TOO_LONG).toBe(4);
    // Nothing stays buffered once the offenders are gone.
    expect(statistics.bufferedBytes).toBe(0);
    // The timer fired while the attack went on (20 round trips of the good client at least).
    expect(clock.ticks).toBeGreaterThan(0);
  });

  it("a line just under the limit is a request; one byte more is refused", async () => {
    const { socket } = await serve((request) => ({ length: String(request.pad).length }), { lineBytesMax: 4096 });
    const request = (padBytes: number) => `${JSON.stringify({ command: "x", pad: "p".repeat(padBytes) })}\n`;
    const overhead = request(0).length - 1;
    const fits = await rawClient(socket, (connection) => connection.write(request(4096 - overhead)), 1);
    expect(fits.lines).toEqual([{ length: 4096 - overhead }]);
    const over = await rawClient(socket, (connection) => connection.write(request(4097 - overhead)));
    expect(over).toEqual({ lines: [expect.objectContaining({ code: "E_API_LINE_TOO_LONG" })], closedByServer: true });
  });

  it("connections beyond the limit get E_API_BUSY and are closed, while the others are served, and the loop keeps turning", async () => {
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => { release = resolve; });
    const { socket, server } = await serve(async (request) => (request.command === "hold" ? (await held, { ok: "held" }) : { ok: true }));
    const clock = ticker();
    const kept = Array.from({ length: API_LIMITS.connectionsMax }, () => rawClient(socket, (connection) => connection.write('{"command":"hold"}\n'), 1));
    await waitFor(() => server.statistics().pending === API_LIMITS.connectionsMax, "every kept connection's request");
    const refused = await Promise.all(Array.from({ length: 200 }, () => rawClient(socket, (connection) => connection.write('{"command":"status"}\n'))));
    for (const outcome of refused) expect(outcome).toEqual({ lines: [expect.objectContaining({ code: "E_API_BUSY" })], closedByServer: true });
    release();
    for (const outcome of await Promise.all(kept)) expect(outcome.lines).toEqual([{ ok: "held" }]);
    clock.stop();
    expect(server.statistics().connectionsRefused).toBe(200);
    expect(clock.ticks).toBeGreaterThan(0);
    // Once the first ones are gone, a new client is served.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await requestApi(socket, { command: "status" })).toEqual({ ok: true });
  });

  it("more requests waiting on one connection than allowed: E_API_BUSY and disconnected", async () => {
    const { socket } = await serve(() => new Promise(() => {}));
    const lines = Array.from({ length: API_LIMITS.pendingPerConnectionMax + 1 }, () => '{"command":"hold"}\n').join("");
    const outcome = await rawClient(socket, (connection) => connection.write(lines));
    expect(outcome).toEqual({ lines: [{ error: expect.stringContaining(`more than ${API_LIMITS.pendingPerConnectionMax} requests`), code: "E_API_BUSY" }], closedByServer: true });
  });

  it("more requests waiting in all than allowed: the next one is answered E_API_BUSY and its connection kept", async () => {
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => { release = resolve; });
    const { socket, server } = await serve(async (request) => (request.command === "hold" ? (await held, { ok: "held" }) : { ok: true }), { pendingTotalMax: 2 });
    const first = rawClient(socket, (connection) => connection.write('{"command":"hold"}\n{"command":"hold"}\n'), 2);
    await waitFor(() => server.statistics().pending === 2, "two held requests");
    const busy = await rawClient(socket, (connection) => connection.write('{"command":"status"}\n'), 1);
    expect(busy).toEqual({ lines: [expect.objectContaining({ code: "E_API_BUSY" })], closedByServer: false });
    release();
    expect((await first).lines).toEqual([{ ok: "held" }, { ok: "held" }]);
  });

  it("a line that trickles in slower than the line deadline: E_API_SLOW and disconnected", async () => {
    const { socket } = await serve(() => ({ ok: true }), { lineMsMax: 100 });
    const outcome = await rawClient(socket, (connection) => {
      connection.write('{"command":');
      const timer = setInterval(() => (connection.destroyed ? clearInterval(timer) : connection.write(" ")), 20);
      connection.on("close", () => clearInterval(timer));
    });
    expect(outcome).toEqual({ lines: [expect.objectContaining({ code: "E_API_SLOW" })], closedByServer: true });
  });

  it("a connection with nothing to do is closed after the idle limit with E_API_IDLE", async () => {
    const { socket } = await serve(() => ({ ok: true }), { idleMsMax: 100 });
    const outcome = await rawClient(socket, (connection) => connection.write('{"command":"status"}\n'));
    expect(outcome).toEqual({ lines: [{ ok: true }, expect.objectContaining({ code: "E_API_IDLE" })], closedByServer: true });
  });

  it("a client that does not read its answers is dropped once they pile up", async () => {
    const { socket, server } = await serve(() => ({ blob: "b".repeat(1024 * 1024) }), { writeBacklogBytesMax: 64 * 1024 });
    const connection = createConnection(socket);
    connection.on("error", () => {});
    // Paused: it asks and never reads (so it never notices the close either; the server's count does).
    connection.on("connect", () => { connection.pause(); connection.write('{"command":"big"}\n'); });
    await waitFor(() => server.statistics().rejected.E_API_BACKLOG === 1, "the backlog rejection");
    await waitFor(() => server.statistics().connectionsOpen === 0, "the connection to close");
    connection.destroy();
  });

  it("a line that is not a JSON object: E_API_REQUEST and disconnected", async () => {
    const { socket } = await serve(() => ({ ok: true }));
    for (const line of ["not json", "[1,2]", "42"]) {
      const outcome = await rawClient(socket, (connection) => connection.write(`${line}\n`));
      expect(outcome).toEqual({ lines: [{ error: expect.stringContaining("request is not a JSON object"), code: "E_API_REQUEST" }], closedByServer: true });
    }
  });

  it("the client refuses an answer longer than its limit with E_API_REPLY_TOO_LARGE", async () => {
    const { socket } = await serve(() => ({ blob: "b".repeat(100_000) }));
    await expect(requestApi(socket, { command: "big" }, 3000, 10_000)).rejects.toMatchObject({ code: "E_API_REPLY_TOO_LARGE" });
  });
});

describe("admin socket group", () => {
  function capture(): { logger: pino.Logger; lines: () => Array<Record<string, unknown>> } {
    const chunks: string[] = [];
    const destination = new Writable({ write(chunk, _encoding, callback) { chunks.push(String(chunk)); callback(); } });
    return { logger: pino({ level: "info" }, destination), lines: () => chunks.join("").split("\n").filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>) };
  }

  it("belongs to the group when it exists (mode 0660), and says so", async () => {
    const groupFile = path.join(directory, "group-present");
    const gid = process.getgid!();
    writeFileSync(groupFile, `root:x:0:\nehadmins:x:${gid}:alice\n`);
    const { logger, lines } = capture();
    const socket = path.join(directory, `group-${counter++}.sock`);
    servers.push(await startApiServer(socket, () => ({}), { logger, group: "ehadmins", groupFile }));
    const stat = statSync(socket);
    expect(stat.mode & 0o777).toBe(0o660);
    expect(stat.gid).toBe(gid);
    expect(lines()).toEqual([expect.objectContaining({ msg: "the admin socket is open to the group ehadmins" })]);
  });

  it("says clearly in the log when the group haclient does not exist", async () => {
    const groupFile = path.join(directory, "group-absent");
    writeFileSync(groupFile, "root:x:0:\n");
    const { logger, lines } = capture();
    const socket = path.join(directory, `group-${counter++}.sock`);
    servers.push(await startApiServer(socket, () => ({}), { logger, groupFile }));
    expect(lines()).toEqual([expect.objectContaining({ level: 40, group: "haclient", msg: expect.stringContaining("the group haclient does not exist: only root may use the admin socket") })]);
  });
});
