// What the daemon agents share: a pid file, "is that process alive", a TCP request in
// process (no fork per monitor), and a stop that asks, waits, then kills.
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { dirname } from "node:path";
import { createConnection, type Socket } from "node:net";
import { spawnProgram, type ProgramReference } from "../src/common/spawn";
import { timeLimit } from "../src/node/wake-timer";

export const STATE_DIR_DEFAULT = "/run/edgeha/agents";

export function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, "utf8").trim());
    return Number.isInteger(pid) && pid > 1 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie is not alive.
  try {
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return true;
  }
}

export function ensureDirectoryOf(file: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o755 });
}

/** Runs a command to its end; output is kept (bounded) for the exit reason. */
export function runToEnd(program: ProgramReference, args: string[], signal: AbortSignal): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawnProgram(program, args, { stdio: ["ignore", "pipe", "pipe"], signal });
    let output = "";
    const take = (chunk: Buffer) => { if (output.length < 8192) output += chunk.toString(); };
    child.stdout!.on("data", take);
    child.stderr!.on("data", take);
    child.on("error", (error) => resolve({ code: 127, output: `${output}${error.message}` }));
    child.on("close", (code) => resolve({ code, output }));
  });
}

/** One request over TCP; resolves with the first line of the answer, or undefined. */
export function tcpRequest(host: string, port: number, request: string, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    let answer = "";
    const done = (value: string | undefined) => { cancel(); socket.destroy(); resolve(value); };
    const cancel = timeLimit(timeoutMs, () => done(undefined));
    socket.setEncoding("utf8");
    socket.on("connect", () => socket.write(request));
    socket.on("data", (chunk: string) => {
      answer += chunk;
      const newline = answer.indexOf("\n");
      if (newline !== -1) done(answer.slice(0, newline).replace(/\r$/, ""));
    });
    socket.on("error", () => done(undefined));
    socket.on("close", () => done(answer || undefined));
  });
}

/**
 * One line-oriented request on a connection kept open between calls (a 1 s monitor then costs a
 * write and a read, not a connect and a close each time). A connection that fails, closes or does
 * not answer in time is dropped, and the request is tried once more on a fresh one, so a daemon
 * that restarted is reached again at once. Only one request is in flight per address; a second
 * one at the same time gets a connection of its own.
 */
/** An open connection: busy while a request waits for its line, which goes to the waiter. */
interface Kept { socket: Socket; busy: boolean; buffer: string; waiter: ((line: string | undefined) => void) | undefined }

export class KeptConnections {
  private readonly open = new Map<string, Kept>();

  async request(host: string, port: number, request: string, timeoutMs: number): Promise<string | undefined> {
    const key = `${host}:${port}`;
    const existing = this.open.get(key);
    if (existing !== undefined && existing.busy) return tcpRequest(host, port, request, timeoutMs);
    if (existing !== undefined) {
      const line = await this.ask(key, existing, request, timeoutMs);
      if (line !== undefined) return line;
    }
    const fresh = await this.connect(key, host, port, timeoutMs);
    return fresh === undefined ? undefined : this.ask(key, fresh, request, timeoutMs);
  }

  /** Closes the connection to an address (after the daemon was stopped). */
  forget(host: string, port: number): void {
    const key = `${host}:${port}`;
    this.open.get(key)?.socket.destroy();
    this.open.delete(key);
  }

  private connect(key: string, host: string, port: number, timeoutMs: number): Promise<Kept | undefined> {
    this.forget(host, port);
    return new Promise((resolve) => {
      const socket = createConnection({ host, port });
      const entry: Kept = { socket, busy: false, buffer: "", waiter: undefined };
      const cancel = timeLimit(timeoutMs, () => { socket.destroy(); resolve(undefined); });
      socket.setEncoding("utf8");
      socket.unref();
      const drop = () => {
        cancel();
        if (this.open.get(key) === entry) this.open.delete(key);
        entry.waiter?.(undefined);
        entry.waiter = undefined;
        resolve(undefined);
      };
      socket.on("error", drop);
      socket.on("close", drop);
      socket.on("data", (chunk: string) => {
        entry.buffer += chunk;
        const newline = entry.buffer.indexOf("\n");
        if (newline === -1 || entry.waiter === undefined) return;
        const line = entry.buffer.slice(0, newline).replace(/\r$/, "");
        entry.buffer = "";
        const waiter = entry.waiter;
        entry.waiter = undefined;
        waiter(line);
      });
      socket.once("connect", () => {
        cancel();
        this.open.set(key, entry);
        resolve(entry);
      });
    });
  }

  private ask(key: string, entry: Kept, request: string, timeoutMs: number): Promise<string | undefined> {
    entry.busy = true;
    entry.buffer = "";
    return new Promise((resolve) => {
      const cancel = timeLimit(timeoutMs, () => { entry.socket.destroy(); finish(undefined); });
      const finish = (line: string | undefined) => {
        cancel();
        entry.busy = false;
        entry.waiter = undefined;
        if (line === undefined && this.open.get(key) === entry) this.open.delete(key);
        resolve(line);
      };
      entry.waiter = finish;
      entry.socket.write(request);
    });
  }
}

/** TERM, wait up to graceMs, then KILL; the pid file goes. */
export async function stopProcess(pidFile: string, graceMs: number, signal: AbortSignal): Promise<void> {
  const pid = readPid(pidFile);
  if (alive(pid)) {
    try { process.kill(pid!, "SIGTERM"); } catch { /* gone */ }
    const deadline = Date.now() + graceMs;
    while (alive(pid) && Date.now() < deadline && !signal.aborted) await new Promise((resolve) => setTimeout(resolve, 50));
    if (alive(pid)) { try { process.kill(pid!, "SIGKILL"); } catch { /* gone */ } }
  }
  rmSync(pidFile, { force: true });
}

export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs: number, signal: AbortSignal): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline || signal.aborted) return false;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
