#!/usr/bin/env node
// The testbed's watchdog: a stand-in for /dev/watchdog that "powers the testbed machine off"
// (runs the power-off command the testbed gives it: every process of the machine's
// namespaces killed, its cable unplugged) when it is not fed in time. Tests never touch this
// machine's own watchdog.
//   watchdog-standin.mjs FIFO TIMEOUT_SECONDS -- POWER-OFF-COMMAND...
// It makes FIFO (a named pipe) and reads it, with the kernel's write protocol: opening and
// writing arms it, every byte feeds it, a "V" as the last byte before the writer closes
// disarms it (magic close), and a writer that closes without "V" (a crash, a kill -9) leaves
// it armed. Its timeout sits in FIFO.timeout (the stand-in's sysfs); every event is a line in
// FIFO.events ("<epoch ms> armed|fed|disarmed|expired"), fed lines at most once a second.
// After it expires it is disarmed again, as a rebooted machine's watchdog is.
import { spawn, spawnSync } from "node:child_process";
import { appendFileSync, createReadStream, existsSync, writeFileSync } from "node:fs";

const [fifo, timeoutText, separator, ...powerOff] = process.argv.slice(2);
const timeoutMs = Number(timeoutText) * 1000;
if (!fifo || !Number.isFinite(timeoutMs) || timeoutMs <= 0 || separator !== "--" || powerOff.length === 0) {
  console.error("usage: watchdog-standin.mjs FIFO TIMEOUT_SECONDS -- POWER-OFF-COMMAND...");
  process.exit(2);
}
if (!existsSync(fifo) && spawnSync("mkfifo", ["-m", "600", fifo]).status !== 0) {
  console.error(`cannot make the FIFO ${fifo}`);
  process.exit(1);
}
writeFileSync(`${fifo}.timeout`, `${timeoutMs / 1000}\n`);
const log = (event) => appendFileSync(`${fifo}.events`, `${Date.now()} ${event}\n`);

let armed = false;
let lastFeedMs = 0;
let lastFedLogMs = 0;
let magic = false;

function listen() {
  const stream = createReadStream(fifo);
  stream.on("data", (chunk) => {
    for (const byte of chunk) {
      if (byte === 0x56) { magic = true; continue; }
      magic = false;
      if (!armed) { armed = true; log("armed"); }
      lastFeedMs = Date.now();
      if (lastFeedMs - lastFedLogMs >= 1000) { lastFedLogMs = lastFeedMs; log("fed"); }
    }
  });
  stream.on("end", () => {
    if (magic && armed) { armed = false; log("disarmed"); }
    magic = false;
    listen();
  });
  stream.on("error", (error) => { console.error(String(error)); process.exit(1); });
}

setInterval(() => {
  if (!armed || Date.now() - lastFeedMs <= timeoutMs) return;
  armed = false;
  log("expired");
  spawn(powerOff[0], powerOff.slice(1), { stdio: "ignore" });
}, 50);
listen();
process.on("SIGTERM", () => process.exit(0));
