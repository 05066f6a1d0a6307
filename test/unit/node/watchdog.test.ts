// The watchdog driver and feeder against the testbed's stand-in (test/support/watchdog-standin.mjs),
// which speaks the kernel's write protocol on a FIFO and runs a "power-off" command when it
// is not fed in time (here: it writes a file). Never this machine's own watchdog.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { openWatchdog } from "../../../src/node/watchdog-device";
import { WatchdogFeeder } from "../../../src/node/watchdog-feeder";
import { reasonMissing, repositoryRoot } from "../../support/environment";

const missing = reasonMissing("mkfifo");
const quiet = pino({ level: "silent" });
let dir = "";
const standins: ChildProcess[] = [];

beforeAll(() => { dir = mkdtempSync(join(tmpdir(), "eh-watchdog-")); });
afterAll(() => {
  for (const child of standins) child.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

async function standin(name: string, timeoutSeconds: number): Promise<{ fifo: string; poweredOff: () => boolean; events: () => string[] }> {
  const fifo = join(dir, name);
  const marker = join(dir, `${name}.off`);
  standins.push(spawn(process.execPath, [join(repositoryRoot, "test", "support", "watchdog-standin.mjs"), fifo, String(timeoutSeconds), "--", "touch", marker], { stdio: "ignore" }));
  for (let wait = 0; wait < 100 && !existsSync(`${fifo}.timeout`); wait++) await new Promise((resolve) => setTimeout(resolve, 50));
  // Its reader opens the FIFO right after writing the timeout file.
  await new Promise((resolve) => setTimeout(resolve, 200));
  return {
    fifo,
    poweredOff: () => existsSync(marker),
    events: () => (existsSync(`${fifo}.events`) ? readFileSync(`${fifo}.events`, "utf8").trim().split("\n").map((line) => line.split(" ")[1]!) : []),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(missing !== "")(`the watchdog and its testbed stand-in ${missing}`, () => { // skipped: without mkfifo (coreutils)
  it("reads the device's timeout, and a device that is not fed powers the machine off", async () => {
    const bed = await standin("wd-a", 2);
    const watchdog = (await openWatchdog(bed.fifo, undefined));
    expect(watchdog.timeoutMs).toBe(2000);
    watchdog.feed();
    await sleep(800);
    watchdog.feed();
    await sleep(800);
    expect(bed.poweredOff()).toBe(false);
    await sleep(2500);
    expect(bed.poweredOff()).toBe(true);
    expect(bed.events()).toEqual(["armed", "fed", "expired"]);
    watchdog.close(true);
  });

  it("a magic close disarms it; a close without it (a crash) leaves it to power off", async () => {
    const clean = await standin("wd-b", 2);
    const first = (await openWatchdog(clean.fifo, undefined));
    first.feed();
    first.close(true);
    await sleep(3000);
    expect(clean.poweredOff()).toBe(false);
    expect(clean.events()).toEqual(["armed", "fed", "disarmed"]);
    const crash = await standin("wd-c", 2);
    const second = (await openWatchdog(crash.fifo, undefined));
    second.feed();
    second.close(false);
    await sleep(3000);
    expect(crash.poweredOff()).toBe(true);
  });

  it("the feeder feeds while healthy and stops when quorum is lost with resources active", async () => {
    const bed = await standin("wd-d", 2);
    let health = { quorate: true, resourcesActive: true, failedStopPending: false };
    const feeder = new WatchdogFeeder((await openWatchdog(bed.fifo, undefined)), () => health, quiet);
    feeder.start();
    await sleep(3000);
    expect(bed.poweredOff()).toBe(false);
    health = { ...health, quorate: false };
    await sleep(3500);
    expect(feeder.stopped).toBe(true);
    expect(bed.poweredOff()).toBe(true);
    feeder.stop(true);
  });

  it("a missing device, or a stand-in nobody watches, is a clear error", async () => {
    await expect(openWatchdog(join(dir, "nothing"), undefined)).rejects.toThrow(/watchdog device .*nothing does not exist/);
    const fifo = join(dir, "unwatched");
    spawn("mkfifo", [fifo]);
    await sleep(200);
    await expect(openWatchdog(fifo, undefined)).rejects.toThrow(/cannot read the timeout of watchdog/);
  });
});
