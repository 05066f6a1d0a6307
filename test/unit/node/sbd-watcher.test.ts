// The node side of the sbd poison pill (src/node/sbd-watcher.ts) on a file laid out as sbd lays
// out its disk (fence-drivers/sbd/format.ts): the node takes its slot, clears what waits there
// at start (or refuses, start mode clean), answers "test" by clearing it, and self-fences on
// "reset", "off" and "crashdump"; with the watchdog feeder, a reset read from the disk starves
// the testbed's stand-in watchdog, which powers the "machine" off. The real sbd tool writes the
// messages in test/integration/fencing/sbd-disk.test.ts.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { openLocalDevice, SbdDisk } from "../../../fence-drivers/sbd/disk";
import { encodeHeader, type SbdHeader } from "../../../fence-drivers/sbd/format";
import { reactToMailbox, SbdWatcher, type SbdWatchOptions } from "../../../src/node/sbd-watcher";
import { openWatchdog } from "../../../src/node/watchdog-device";
import { WatchdogFeeder } from "../../../src/node/watchdog-feeder";
import { reasonMissing, repositoryRoot } from "../../support/environment";

const quiet = pino({ level: "silent" });
let dir = "";
let images = 0;
const standins: ChildProcess[] = [];
const watchers: SbdWatcher[] = [];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const signal = () => AbortSignal.timeout(5000);

beforeAll(() => { dir = mkdtempSync(join(tmpdir(), "eh-sbd-watch-")); });
afterAll(async () => {
  for (const watcher of watchers) await watcher.stop();
  for (const child of standins) child.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

function image(header: Partial<SbdHeader> = {}): string {
  const file = join(dir, `disk${images++}.img`);
  const full: SbdHeader = { version: 2, minorVersion: 1, slots: 255, sectorSize: 512, timeoutWatchdogSeconds: 2, timeoutAllocateSeconds: 2, timeoutLoopSeconds: 1, timeoutMsgwaitSeconds: 4, uuid: "0123abcd-0000-4000-8000-00000000beef", ...header };
  const content = Buffer.alloc(512 * (1 + 2 * 255));
  encodeHeader(full).copy(content, 0);
  writeFileSync(file, content);
  return file;
}

const other = (file: string) => new SbdDisk(openLocalDevice(file));

async function watch(devices: string[], extra: Partial<SbdWatchOptions> = {}): Promise<{ watcher: SbdWatcher; fenced: string[] }> {
  const fenced: string[] = [];
  const watcher = await SbdWatcher.start({ node: "node1", devices, startMode: "always", logger: quiet, selfFence: (why) => fenced.push(why), loopMs: 50, ...extra });
  watchers.push(watcher);
  return { watcher, fenced };
}

async function until(what: string, probe: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe("what a node does with its mailbox (sbd's servant)", () => {
  it("reset, off and crashdump self-fence; test and unknown commands are cleared; exit is noted", () => {
    expect(reactToMailbox({ message: "clear", from: "" }, "D")).toEqual({ kind: "none" });
    for (const message of ["reset", "off", "crashdump"] as const) expect(reactToMailbox({ message, from: "node2" }, "D")).toEqual({ kind: "self-fence", why: `sbd: "${message}" from node2 on D` });
    expect(reactToMailbox({ message: "test", from: "node2" }, "D").kind).toBe("clear");
    expect(reactToMailbox({ message: "unknown", from: "" }, "D").kind).toBe("clear");
    expect(reactToMailbox({ message: "exit", from: "node2" }, "D").kind).toBe("note");
  });
});

describe("a node watching its slot on an sbd disk", () => {
  it("two nodes allocating at the same time on a fresh disk take their own preferred slots, not one slot between them", async () => {
    const file = image();
    const [first, second] = await Promise.all([other(file).allocate("node1", signal(), 0), other(file).allocate("node2", signal(), 1)]);
    expect([first, second]).toEqual([0, 1]);
    expect(await other(file).lookup("node1", signal())).toBe(0);
    expect(await other(file).lookup("node2", signal())).toBe(1);
    // A preferred slot another node holds is not taken: the first free one is.
    expect(await other(file).allocate("node3", signal(), 1)).toBe(2);
  });

  it("takes the first free slot under its name and keeps it across restarts", async () => {
    const file = image();
    await other(file).allocate("node0", signal());
    const { watcher } = await watch([file]);
    expect(await other(file).lookup("node1", signal())).toBe(1);
    expect(watcher.loopMs).toBe(50);
    expect(watcher.msgwaitMs).toBe(4000);
    await watcher.stop();
    await watch([file]);
    expect((await other(file).list(signal())).map((view) => view.name)).toEqual(["node0", "node1"]);
  });

  it("reads a reset written into its slot within a loop or two and self-fences once", async () => {
    const file = image();
    const { watcher, fenced } = await watch([file]);
    await sleep(200);
    expect(fenced).toEqual([]);
    await other(file).message("node1", "reset", "node2", signal());
    await until("the self-fence", () => fenced.length > 0);
    await sleep(200);
    expect(fenced).toEqual([`sbd: "reset" from node2 on ${file}`]);
    expect(watcher.selfFenced).toBe(true);
  });

  it("answers a test message by clearing it, and keeps running", async () => {
    const file = image();
    const { fenced } = await watch([file]);
    await other(file).message("node1", "test", "node2", signal());
    const disk = other(file);
    const slot = (await disk.lookup("node1", signal()))!;
    const deadline = Date.now() + 3000;
    while ((await disk.read(slot, signal())).message !== "clear" && Date.now() < deadline) await sleep(20);
    expect(await disk.read(slot, signal())).toEqual({ message: "clear", from: "" });
    expect(fenced).toEqual([]);
  });

  it("watches every disk: an off on the second of two disks self-fences", async () => {
    const first = image();
    const second = image({ uuid: "0123abcd-0000-4000-8000-00000000cafe" });
    const { fenced } = await watch([first, second]);
    await other(second).message("node1", "off", "node2", signal());
    await until("the self-fence", () => fenced.length > 0);
    expect(fenced[0]).toContain(`"off" from node2 on ${second}`);
  });

  it("a message found at start is cleared (start mode always) or refuses the start (start mode clean)", async () => {
    const file = image();
    const disk = other(file);
    await disk.allocate("node1", signal());
    await disk.message("node1", "reset", "node2", signal());
    await expect(watch([file], { startMode: "clean" })).rejects.toThrow(/"reset" from node2 waits in node1's slot 0 .*sbd_start_mode is clean.*sbd -d .* message node1 clear/);
    expect(await disk.read(0, signal())).toEqual({ message: "reset", from: "node2" });
    const { fenced } = await watch([file]);
    expect(await disk.read(0, signal())).toEqual({ message: "clear", from: "" });
    await sleep(200);
    expect(fenced).toEqual([]);
  });

  it("disks with different timeouts, or without a header, are refused with the reason", async () => {
    await expect(watch([image(), image({ timeoutMsgwaitSeconds: 10 })])).rejects.toThrow(/the sbd disks disagree: timeoutMsgwaitSeconds is 4 on .* but 10 on/);
    const blank = join(dir, "blank.img");
    writeFileSync(blank, Buffer.alloc(512 * 16));
    await expect(watch([blank])).rejects.toThrow(/has no sbd header/);
  });
});

const missing = reasonMissing("mkfifo");

describe.skipIf(missing !== "")(`a poison pill starves the watchdog ${missing}`, () => { // skipped: without mkfifo (coreutils) there is no stand-in watchdog
  it("a reset in the slot stops the feeding for good; the stand-in powers the machine off within its timeout", async () => {
    const fifo = join(dir, "wd");
    const marker = join(dir, "wd.off");
    standins.push(spawn(process.execPath, [join(repositoryRoot, "test", "support", "watchdog-standin.mjs"), fifo, "1", "--", "touch", marker], { stdio: "ignore" }));
    await until("the stand-in", () => existsSync(`${fifo}.timeout`));
    await sleep(200);
    const feeder = new WatchdogFeeder(await openWatchdog(fifo, undefined), () => ({ quorate: true, resourcesActive: true, failedStopPending: false }), quiet);
    feeder.start();
    const file = image();
    await watch([file], { selfFence: (why) => feeder.starve(why) });
    await sleep(1500);
    expect(existsSync(marker)).toBe(false);
    await other(file).message("node1", "reset", "node2", signal());
    await until("the stand-in to power off", () => existsSync(marker), 4000);
    expect(feeder.stopped).toBe(true);
    feeder.stop(true);
  });
});
