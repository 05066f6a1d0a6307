// The shared-disk poison pill, on sbd's own layout (issue 17, point 5), against the real sbd
// (Debian package sbd). One 8 MiB file is the shared LUN: sbd reaches it through a loop
// device (sbd needs a block device: it opens with O_DIRECT and asks the sector size); tgtd
// exports the same file over iSCSI and edgeha reads and writes it through its own initiator;
// both see one page cache, so what one writes the other reads. sbd creates the header; then
// `sbd list` shows the slot edgeha allocated, `sbd message NODE test` reaches edgeha, and a
// "reset" edgeha writes shows in `sbd list` with edgeha's node name as its sender; a node that
// watches its slot through the loop device (direct I/O) clears sbd's "test" and, on sbd's
// "reset", stops feeding its watchdog (the testbed's stand-in), which fires within msgwait.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import pino from "pino";
import { hostname } from "node:os";
import path from "node:path";
import { isRoot, reasonMissing, repositoryRoot } from "../../support/environment";
import { SbdWatcher } from "../../../src/node/sbd-watcher";
import { openWatchdog } from "../../../src/node/watchdog-device";
import { WatchdogFeeder } from "../../../src/node/watchdog-feeder";
import { openIscsiDevice, openLocalDevice, SbdDisk, type SectorDevice } from "../../../fence-drivers/sbd/disk";
import { sbdDriver } from "../../../fence-drivers/sbd/index";

const missing = !isRoot() ? "needs root for tgtd and a loop device" : reasonMissing("sbd", "tgtd", "tgtadm", "losetup", "truncate", "dd", "mkfifo");
const port = 33500 + (process.pid % 300);
const controlPort = 23800 + (process.pid % 300);
const targetName = `iqn.2026-12.io.edgeha.test:sbd${process.pid}`;

function run(command: string, args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.stdout.on("data", (chunk: Buffer) => { stdout += chunk.toString("utf8"); });
    child.stderr.on("data", (chunk: Buffer) => { stderr += chunk.toString("utf8"); });
    child.on("close", (status) => { clearTimeout(timer); resolve({ status, stdout, stderr }); });
  });
}

describe.skipIf(missing !== "")(`an sbd disk shared by sbd and edgeha ${missing}`, () => { // skipped: without root, sbd, tgtd/tgtadm, losetup, dd or mkfifo
  let directory = "";
  let loop = "";
  let tgtd: ChildProcess | undefined;
  const devices: SectorDevice[] = [];
  const signal = () => AbortSignal.timeout(10_000);
  const adm = (...args: string[]) => spawnSync("tgtadm", ["-C", String(controlPort), "--lld", "iscsi", ...args], { encoding: "utf8", timeout: 10_000 }).status;
  const sbd = (...args: string[]) => run("sbd", ["-d", loop, ...args]);

  beforeAll(async () => {
    directory = mkdtempSync(path.join("/var/tmp", "eh-sbd-"));
    const image = path.join(directory, "lun.img");
    spawnSync("truncate", ["-s", "8M", image]);
    loop = spawnSync("losetup", ["--find", "--show", image], { encoding: "utf8" }).stdout.trim();
    expect(loop).toMatch(/^\/dev\/loop\d+$/);
    tgtd = spawn("tgtd", ["-f", "-C", String(controlPort), "--iscsi", `portal=127.0.0.1:${port}`], { stdio: "ignore" });
    for (let attempt = 0; attempt < 50 && adm("--op", "show", "--mode", "target") !== 0; attempt++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(adm("--op", "new", "--mode", "target", "--tid", "1", "-T", targetName)).toBe(0);
    expect(adm("--op", "new", "--mode", "logicalunit", "--tid", "1", "--lun", "1", "-b", image)).toBe(0);
    expect(adm("--op", "bind", "--mode", "target", "--tid", "1", "-I", "ALL")).toBe(0);
    // watchdog 2 s, msgwait 4 s: sbd's own create.
    const created = await sbd("-1", "2", "-4", "4", "create");
    expect(created.status, created.stderr).toBe(0);
  }, 60_000);

  afterAll(async () => {
    for (const device of devices) await device.close();
    tgtd?.kill("SIGKILL");
    if (loop) spawnSync("losetup", ["-d", loop]);
    rmSync(directory, { recursive: true, force: true });
  });

  const iscsi = async () => {
    const device = await openIscsiDevice(`iscsi://127.0.0.1:${port}/${targetName}/1`, "iqn.2026-12.io.edgeha.test:node1", signal());
    devices.push(device);
    return new SbdDisk(device);
  };

  it("reads the header sbd wrote, through edgeha's iSCSI initiator and through the loop device", async () => {
    const dump = (await sbd("dump")).stdout;
    const uuid = /UUID\s*:\s*(\S+)/.exec(dump)![1];
    for (const disk of [await iscsi(), new SbdDisk(openLocalDevice(loop))]) {
      const header = await disk.header(signal());
      expect(header).toMatchObject({ version: 2, minorVersion: 1, slots: 255, sectorSize: 512, timeoutWatchdogSeconds: 2, timeoutMsgwaitSeconds: 4, uuid });
    }
  });

  it("a slot edgeha allocates shows in `sbd list`; slots sbd allocates show in edgeha's list", async () => {
    const disk = await iscsi();
    expect(await disk.allocate("node1", signal())).toBe(0);
    expect((await sbd("allocate", "node2")).status).toBe(0);
    const listed = (await sbd("list")).stdout.replace(/\n+$/, "").split("\n").map((line) => line.split("\t"));
    expect(listed, JSON.stringify(listed)).toEqual([["0", "node1", "clear", ""], ["1", "node2", "clear", ""]]);
    expect((await disk.list(signal())).map((view) => [view.slot, view.name, view.message])).toEqual([[0, "node1", "clear"], [1, "node2", "clear"]]);
    expect(await disk.allocate("NODE1", signal())).toBe(0);
  });

  it("`sbd message node1 test` reaches edgeha, signed with sbd's host name", async () => {
    const sent = await sbd("message", "node1", "test");
    expect(sent.status, sent.stderr).toBe(0);
    const disk = await iscsi();
    expect(await disk.read(0, signal())).toEqual({ message: "test", from: hostname() });
  }, 30_000);

  it("a reset edgeha writes into node2's mailbox shows in `sbd list` with edgeha's sender", async () => {
    const disk = await iscsi();
    await disk.message("node2", "reset", "node1", signal());
    const listed = (await sbd("list")).stdout.replace(/\n+$/, "").split("\n").map((line) => line.split("\t"));
    expect(listed[1]).toEqual(["1", "node2", "reset", "node1"]);
  });

  it("the sbd fence driver writes off into the target's slot, then waits msgwait (4 s)", async () => {
    const started = Date.now();
    const result = await sbdDriver.run("off", { devices: `iscsi://127.0.0.1:${port}/${targetName}/1`, plug: "node2", local_node: "node1" }, { signal: AbortSignal.timeout(20_000), debug: () => {} });
    expect(result).toMatchObject({ exitCode: 0, state: "off" });
    expect(Date.now() - started).toBeGreaterThanOrEqual(4000);
    const listed = (await sbd("list")).stdout.replace(/\n+$/, "").split("\n").map((line) => line.split("\t"));
    expect(listed[1]).toEqual(["1", "node2", "off", "node1"]);
  }, 30_000);

  it("a node watching its slot through the loop device (direct I/O): sbd's test is cleared, sbd's reset starves its watchdog and the stand-in powers it off", async () => {
    const fifo = path.join(directory, "watchdog");
    const marker = path.join(directory, "powered-off");
    const standin = spawn(process.execPath, [path.join(repositoryRoot, "test", "support", "watchdog-standin.mjs"), fifo, "2", "--", "touch", marker], { stdio: "ignore" });
    try {
      for (let wait = 0; wait < 100 && !existsSync(`${fifo}.timeout`); wait++) await new Promise((resolve) => setTimeout(resolve, 50));
      await new Promise((resolve) => setTimeout(resolve, 200));
      const quiet = pino({ level: "silent" });
      const feeder = new WatchdogFeeder(await openWatchdog(fifo, undefined), () => ({ quorate: true, resourcesActive: true, failedStopPending: false }), quiet);
      feeder.start();
      const fenced: string[] = [];
      // The header's loop timeout (sbd's default, 1 s) paces the reads, as in the agent.
      const watcher = await SbdWatcher.start({ node: "node3", devices: [loop], startMode: "always", logger: quiet, selfFence: (why) => { fenced.push(why); feeder.starve(why); } });
      try {
        const listed = (await sbd("list")).stdout;
        expect(listed).toMatch(/^2\tnode3\tclear\t$/m);
        expect((await sbd("message", "node3", "test")).status).toBe(0);
        const cleared = Date.now() + 5000;
        while (!/^2\tnode3\tclear\t$/m.test((await sbd("list")).stdout) && Date.now() < cleared) await new Promise((resolve) => setTimeout(resolve, 200));
        expect((await sbd("list")).stdout).toMatch(/^2\tnode3\tclear\t$/m);
        expect(fenced).toEqual([]);
        expect(existsSync(marker)).toBe(false);
        const sentAtMs = Date.now();
        const sent = await sbd("message", "node3", "reset");
        expect(sent.status, sent.stderr).toBe(0);
        // msgwait (4 s) after the message the sender takes node3 for fenced: its watchdog fired before.
        const deadline = sentAtMs + 4000;
        while (!existsSync(marker) && Date.now() < deadline + 2000) await new Promise((resolve) => setTimeout(resolve, 50));
        expect(fenced).toEqual([`sbd: "reset" from ${hostname()} on ${loop}`]);
        expect(existsSync(marker)).toBe(true);
        const firedAtMs = Number(readFileSync(`${fifo}.events`, "utf8").trim().split("\n").find((line) => line.endsWith(" expired"))!.split(" ")[0]);
        console.log(`sbd reset to watchdog power-off: ${firedAtMs - sentAtMs} ms (msgwait 4000 ms)`);
        expect(firedAtMs).toBeLessThanOrEqual(deadline);
        feeder.stop(false);
      } finally {
        await watcher.stop();
      }
    } finally {
      standin.kill("SIGKILL");
    }
  }, 30_000);

  it("a node without a slot, or a disk without a header, is a clear error", async () => {
    const disk = await iscsi();
    await expect(disk.message("node9", "off", "node1", signal())).rejects.toThrow(/node9 has no sbd slot/);
    const blank = path.join(directory, "blank.img");
    spawnSync("truncate", ["-s", "1M", blank]);
    await expect(new SbdDisk(openLocalDevice(blank)).header(signal())).rejects.toThrow(/has no sbd header/);
  });
});
