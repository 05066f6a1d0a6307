import { describe, expect, it } from "vitest";
import { spawn, spawnSync } from "node:child_process";
import { createSocket } from "node:dgram";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LivenessNative } from "../../../src/node/native";
import { shareTimeoutsOnAddon, timeLimit, wakeTimer } from "../../../src/node/wake-timer";
import { LocalResources, type ActionRunner } from "../../../src/node/local-resources";
import { emptyCib } from "../../../src/cib";
import { createLogger } from "../../../src/common/log";
import { Writable } from "node:stream";

const quiet = createLogger({ destination: new Writable({ write: (_chunk, _encoding, done) => done() }) });

// The liveness addon built from its source for this machine (what scripts/build does for both
// architectures), so the test needs no build first.
function buildAddon(): LivenessNative | undefined {
  const directory = mkdtempSync(join(tmpdir(), "eh-wake-timer-"));
  try {
    const file = join(directory, "liveness.node");
    const compiled = spawnSync("gcc", ["-shared", "-fPIC", "-O2", "-o", file, join(__dirname, "../../../src/node/native/liveness.c"), "-lpthread"], { encoding: "utf8" });
    if (compiled.status !== 0) return undefined;
    const module = { exports: {} as LivenessNative };
    process.dlopen(module, file);
    return module.exports;
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

const hasGcc = spawnSync("gcc", ["--version"]).status === 0;
const addon = hasGcc ? buildAddon() : undefined;

/**
 * A heartbeat's pattern: a peer (a child process) sends a datagram every 10 ms; each one wakes
 * the loop and pushes the timer to 35 ms from then; after the last one the timer is left to
 * fire. Returns how many times the loop woke beyond those datagrams and that fire (the peer
 * lingers a while after its last datagram, so its exit is not counted).
 */
async function emptyWakeups(make: (onWake: () => void) => ReturnType<typeof wakeTimer>, rounds: number): Promise<{ extra: number; fired: number; received: number }> {
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  const port = socket.address().port;
  let fired = 0;
  let received = 0;
  let before = 0;
  let loops = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => { done = resolve; });
  const timer = make(() => { loops = addon!.loopCount!() - before; fired++; done(); });
  socket.on("message", () => {
    if (received++ === 0) before = addon!.loopCount!();
    timer.arm(35);
  });
  const peer = spawn(process.execPath, ["-e", `const s = require("node:dgram").createSocket("udp4"); let n = 0;
    const t = setInterval(() => { s.send("hb", ${port}, "127.0.0.1"); if (++n === ${rounds}) { clearInterval(t); setTimeout(() => process.exit(0), 1000); } }, 10);`], { stdio: "ignore" });
  await finished;
  timer.close();
  peer.kill();
  socket.close();
  return { extra: loops - received - 1, fired, received };
}

describe("the membership service's wake-up timer (src/node/wake-timer.ts)", () => {
  it.skipIf(addon === undefined)("fires once at the last deadline it was moved to, not at the ones before; disarm and close stop it", async () => { // skipped: no gcc to build the liveness addon
    const order: string[] = [];
    const first = wakeTimer(() => order.push("first"), addon!);
    expect(first.native).toBe(true);
    first.arm(200);
    first.arm(20);
    const second = wakeTimer(() => order.push("second"), addon!);
    second.arm(5);
    second.arm(60);
    const third = wakeTimer(() => order.push("third"), addon!);
    third.arm(10);
    third.disarm();
    const fourth = wakeTimer(() => order.push("fourth"), addon!);
    fourth.arm(10);
    fourth.close();
    fourth.arm(10);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(order).toEqual(["first", "second"]);
    for (const each of [first, second, third]) each.close();
  });

  it.skipIf(addon === undefined)("moved later on every heartbeat, never wakes the event loop at a deadline it left", async () => { // skipped: no gcc to build the liveness addon
    const { extra, fired } = await emptyWakeups((onWake) => wakeTimer(onWake, addon!), 30);
    expect(fired).toBe(1);
    // Node's timers (wakeTimer(onWake, null), what the service used before) wake 7-9 times more
    // here, once per 35 ms of pushing; a spare wake-up or two of the test runner is allowed.
    expect(extra).toBeLessThanOrEqual(2);
  });
});

/**
 * An idle holder's monitors (src/node/local-resources.ts): a peer's heartbeat (a datagram every
 * 10 ms here) wakes the loop and calls wake(), which runs the 50 ms monitors before their own
 * timer (40 ms of slack) fires, so each run moves that timer later. Returns how many times the
 * loop woke beyond the datagrams while about `rounds` of them arrived.
 */
async function monitorWakeups(timer: ((onWake: () => void) => ReturnType<typeof wakeTimer>) | undefined, rounds: number): Promise<{ extra: number; monitors: number; received: number }> {
  let monitors = 0;
  const runner: ActionRunner = async (_primitive, action, intervalMs) => {
    if (action === "monitor" && intervalMs > 0) monitors++;
    return { rc: action === "monitor" && intervalMs === 0 ? 7 : 0, timedOut: false, runTimeMs: 0 };
  };
  const resources = new LocalResources("n1", runner, quiet, () => 1000, timer === undefined ? {} : { timer });
  resources.coalesceMonitors(40);
  const cib = emptyCib();
  cib.version = { adminEpoch: 0, epoch: 2, numUpdates: 0 };
  cib.resources = [{ kind: "primitive", id: "a", class: "ocf", provider: "test", type: "T", extra: {}, instance: [], meta: [], operations: [{ id: "a-m", name: "monitor", interval: "50ms", intervalMs: 50, extra: {}, meta: [], instance: [] }] }];
  resources.configure(cib);
  while (!resources.report().probed) await new Promise((resolve) => setTimeout(resolve, 5));
  await resources.operate("a", "start");
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  const port = socket.address().port;
  let received = 0;
  let before = 0;
  let loops = 0;
  let ranBefore = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => { done = resolve; });
  socket.on("message", () => {
    received++;
    if (received === 1) { before = addon!.loopCount!(); ranBefore = monitors; }
    resources.wake();
    if (received === rounds) { loops = addon!.loopCount!() - before; done(); }
  });
  const peer = spawn(process.execPath, ["-e", `const s = require("node:dgram").createSocket("udp4"); let n = 0;
    const t = setInterval(() => { s.send("hb", ${port}, "127.0.0.1"); if (++n === ${rounds}) { clearInterval(t); setTimeout(() => process.exit(0), 1000); } }, 10);`], { stdio: "ignore" });
  await finished;
  const ran = monitors - ranBefore;
  resources.close();
  peer.kill();
  socket.close();
  return { extra: loops - (received - 1), monitors: ran, received };
}

describe("the monitors' timer (src/node/local-resources.ts)", () => {
  it.skipIf(addon === undefined)("run by the heartbeats' wake-ups, the monitors never wake the event loop at a deadline their timer left", async () => { // skipped: no gcc to build the liveness addon
    const { extra, monitors } = await monitorWakeups((onWake) => wakeTimer(onWake, addon!), 60);
    // Every monitor ran in a datagram's wake-up (about one in five of them) ...
    expect(monitors).toBeGreaterThanOrEqual(8);
    // ... and the timer each run moved later never fired: Node's timer (wakeTimer(onWake, null),
    // what LocalResources used before) wakes the loop once per run here, at the deadline it left.
    expect(extra).toBeLessThanOrEqual(2);
  });
});

/**
 * A built-in agent's check (agents/haproxy.ts, agents/daemon.ts): each datagram (every 10 ms)
 * starts a 100 ms time limit and cancels the one before, as an answer does a millisecond after
 * the check starts. Returns how many times the loop woke beyond the datagrams.
 */
async function limitWakeups(limit: (delayMs: number, onTimeout: () => void) => () => void, rounds: number): Promise<{ extra: number; timedOut: number }> {
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  const port = socket.address().port;
  let received = 0;
  let before = 0;
  let loops = 0;
  let timedOut = 0;
  let cancel = () => {};
  let done!: () => void;
  const finished = new Promise<void>((resolve) => { done = resolve; });
  socket.on("message", () => {
    received++;
    if (received === 1) before = addon!.loopCount!();
    cancel();
    cancel = received === rounds ? () => {} : limit(100, () => timedOut++);
    if (received === rounds) { loops = addon!.loopCount!() - before; done(); }
  });
  const peer = spawn(process.execPath, ["-e", `const s = require("node:dgram").createSocket("udp4"); let n = 0;
    const t = setInterval(() => { s.send("hb", ${port}, "127.0.0.1"); if (++n === ${rounds}) { clearInterval(t); setTimeout(() => process.exit(0), 1000); } }, 10);`], { stdio: "ignore" });
  await finished;
  peer.kill();
  socket.close();
  return { extra: loops - (received - 1), timedOut };
}

describe("time limits on the shared addon timer (timeLimit, src/node/wake-timer.ts)", () => {
  if (addon !== undefined) shareTimeoutsOnAddon(addon);

  it.skipIf(addon === undefined)("fire in order at their deadlines; a cancelled one never fires, and cancelling the earliest moves the timer to the next", async () => { // skipped: no gcc to build the liveness addon
    const fired: string[] = [];
    const startedMs = performance.now();
    const at: Record<string, number> = {};
    const note = (name: string) => () => { fired.push(name); at[name] = performance.now() - startedMs; };
    timeLimit(60, note("c"));
    const cancelA = timeLimit(10, note("a"));
    timeLimit(30, note("b"));
    timeLimit(30, note("b2"));
    const cancelD = timeLimit(45, note("d"));
    cancelA();
    cancelA();
    cancelD();
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(fired).toEqual(["b", "b2", "c"]);
    expect(at.b).toBeGreaterThanOrEqual(29);
    expect(at.c).toBeGreaterThanOrEqual(59);
    // A limit cancelled after it fired changes nothing.
    const late = timeLimit(1, note("e"));
    await new Promise((resolve) => setTimeout(resolve, 20));
    late();
    expect(fired).toEqual(["b", "b2", "c", "e"]);
  });

  it.skipIf(addon === undefined)("started and cancelled on every heartbeat, never wake the event loop", async () => { // skipped: no gcc to build the liveness addon
    const { extra, timedOut } = await limitWakeups(timeLimit, 100);
    expect(timedOut).toBe(0);
    // Node's timers (setTimeout + clearTimeout, what the built-in agents used before) wake the
    // loop here about once per 100 ms of datagrams, at deadlines already cancelled.
    expect(extra).toBeLessThanOrEqual(2);
  });
});
