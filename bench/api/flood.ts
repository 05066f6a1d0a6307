// The admin socket's server in this process, attackers in child processes (so this
// process's event loop does the server's work and nothing else): per attack, the longest
// the event loop was held (perf_hooks' event loop delay, max and p99) and the time until
// every attacker was refused. Usage: bench/api/run.sh
import { fork } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { startApiServer, requestApi } from "../../src/api";

type Attack = { name: string; clients: number; run: "none" | "huge-line" | "connections" | "small-flood" };
const ATTACKS: Attack[] = [
  { name: "no attack (the well-behaved client alone, for comparison)", clients: 0, run: "none" },
  { name: "one 20 MB line", clients: 1, run: "huge-line" },
  { name: "four 20 MB lines at once", clients: 4, run: "huge-line" },
  { name: "500 connections at once, one request each", clients: 500, run: "connections" },
  { name: "100,000 small requests pipelined on one connection", clients: 1, run: "small-flood" },
];

/** One attacking connection; resolves true when the server answered it (an E_API_* refusal or a reply). */
function attackOnce(socket: string, kind: Attack["run"]): Promise<boolean> {
  return new Promise((resolve) => {
    const connection = createConnection(socket);
    let answer = "";
    connection.setEncoding("utf8");
    connection.on("data", (chunk: string) => {
      answer += chunk;
      // A plain client hangs up once answered.
      if (kind === "connections" && answer.includes("\n")) connection.end();
    });
    connection.on("close", () => resolve(/E_API_/.test(answer) || answer.includes('"ok"')));
    connection.on("error", () => {});
    connection.on("connect", () => {
      if (kind === "connections") return void connection.write('{"command":"status"}\n');
      const piece = kind === "huge-line" ? Buffer.alloc(64 * 1024, 0x61) : Buffer.from('{"command":"status"}\n'.repeat(3000));
      const total = kind === "huge-line" ? 20 * 1024 * 1024 : 100_000 * 21;
      let sent = 0;
      const pump = (): void => {
        while (sent < total && !connection.destroyed) {
          sent += piece.length;
          if (!connection.write(piece)) return void connection.once("drain", pump);
        }
      };
      pump();
    });
    // Bounded: at most 30 s per connection (an idle accepted one is closed by the server after 60 s).
    setTimeout(() => connection.destroy(), 30_000).unref();
  });
}

/** The child: `count` attacking connections at once; prints how many the server answered. */
async function attacker(socket: string, kind: Attack["run"], count: number): Promise<void> {
  if (kind === "none") await new Promise((resolve) => setTimeout(resolve, 1000));
  const answered = await Promise.all(Array.from({ length: count }, () => attackOnce(socket, kind)));
  process.send?.(answered.filter(Boolean).length);
}

async function main(): Promise<void> {
  if (process.argv[2] === "attack") return attacker(process.argv[3]!, process.argv[4] as Attack["run"], Number(process.argv[5]));
  const directory = mkdtempSync(join(tmpdir(), "edgeha-bench-api-"));
  const socket = join(directory, "api.sock");
  const server = await startApiServer(socket, () => ({ ok: true }));
  console.log("attack | refused or answered | event loop delay max / p99 | time to the last refusal");
  for (const attack of ATTACKS) {
    const histogram = monitorEventLoopDelay({ resolution: 1 });
    histogram.enable();
    const startedMs = performance.now();
    const child = fork(__filename, ["attack", socket, attack.run, String(attack.clients)], { stdio: ["ignore", "ignore", "ignore", "ipc"] });
    // A well-behaved client keeps asking meanwhile.
    let answered = 0;
    let running = true;
    const asking = (async () => {
      while (running) {
        const reply = (await requestApi(socket, { command: "status" }, 10_000).catch(() => ({}))) as { ok?: boolean };
        if (reply.ok === true) answered++;
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    })();
    const ok = await new Promise<number>((resolve) => { let count = 0; child.on("message", (message) => { count = Number(message); }); child.on("exit", () => resolve(count)); });
    running = false;
    await asking;
    const elapsedMs = performance.now() - startedMs;
    histogram.disable();
    console.log(`${attack.name} | ${ok}/${attack.clients} | ${(histogram.max / 1e6).toFixed(1)} / ${(histogram.percentile(99) / 1e6).toFixed(1)} ms | ${elapsedMs.toFixed(0)} ms (good client answered ${answered} times)`);
  }
  console.log("statistics", JSON.stringify(server.statistics()));
  await server.close();
  rmSync(directory, { recursive: true, force: true });
}

void main();
