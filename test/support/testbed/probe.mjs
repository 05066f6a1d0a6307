// The testbed's client probe, run inside the client namespace:
//   node probe.mjs URL FILE INTERVAL_MS TIMEOUT_MS DURATION_MS
// asks URL every INTERVAL_MS (each request times out after TIMEOUT_MS, a new connection
// each time) and appends {"t": epoch ms of the answer, "body": trimmed body} to FILE for
// every answer. Stops after DURATION_MS or on SIGTERM.
import { request } from "node:http";
import { appendFileSync } from "node:fs";

const [url, file, interval, timeout, duration] = process.argv.slice(2);
const deadline = Date.now() + Number(duration);
let timer;

function ask() {
  if (Date.now() > deadline) process.exit(0);
  const req = request(url, { timeout: Number(timeout), agent: false }, (response) => {
    let body = "";
    response.setEncoding("utf8");
    response.on("data", (chunk) => (body += chunk));
    response.on("end", () => appendFileSync(file, JSON.stringify({ t: Date.now(), body: body.trim() }) + "\n"));
  });
  req.on("timeout", () => req.destroy());
  req.on("error", () => {});
  req.end();
  timer = setTimeout(ask, Number(interval));
}

process.on("SIGTERM", () => { clearTimeout(timer); process.exit(0); });
ask();
