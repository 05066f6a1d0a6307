// The scsi driver's reservations against a real iSCSI target (tgtd), through our
// own initiator: two nodes, two sessions (two I_T nexuses) to one LUN.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { hasCommand, isRoot, reasonMissing } from "../../support/environment";
import { openIscsiSession, type IscsiSession } from "../../../fence-drivers/scsi/iscsi";
import { fenceDevice, isRegistered, unfenceDevice, executeRetrying } from "../../../fence-drivers/scsi/reservations";
import { scsiDriver, closeScsiSessions } from "../../../fence-drivers/scsi/index";
import { nodeKey, parseKey, STATUS_GOOD, STATUS_RESERVATION_CONFLICT } from "../../../fence-drivers/scsi/protocol";

// tgtd needs root for its control socket under /var/run/tgtd.
const missing = !isRoot() ? "needs root for tgtd" : !hasCommand("tgtd") || !hasCommand("tgtadm") ? reasonMissing("tgtd", "tgtadm") : "";
const port = 33000 + (process.pid % 400);
// tgtd's control "port" only names its unix socket (/var/run/tgtd/socket.N) and must be below 32768.
const controlPort = 23300 + (process.pid % 400);
const targetName = `iqn.2026-11.io.edgeha.test:scsi${process.pid}`;
const chapSecret = "chap-secret-for-test-81";

function write10(): { cdb: Buffer; dataOut: Buffer } {
  const cdb = Buffer.alloc(10);
  cdb[0] = 0x2a;
  cdb.writeUInt32BE(8, 2);
  cdb.writeUInt16BE(1, 7);
  return { cdb, dataOut: Buffer.alloc(512, 0x5a) };
}

describe.skipIf(missing !== "")(`scsi reservations against tgtd ${missing}`, () => { // skipped: without root or tgtd; the title names what is missing
  let directory = "";
  let tgtd: ChildProcess | undefined;
  const sessions: IscsiSession[] = [];
  const signal = () => AbortSignal.timeout(10_000);
  const adm = (...args: string[]) => {
    const result = spawnSync("tgtadm", ["-C", String(controlPort), "--lld", "iscsi", ...args], { encoding: "utf8", timeout: 10_000 });
    return result.status;
  };
  const open = async (node: string) => {
    const session = await openIscsiSession({ host: "127.0.0.1", port, targetName, lun: 1, initiatorName: `iqn.2026-11.io.edgeha.test:${node}` }, signal());
    sessions.push(session);
    return session;
  };
  const writeStatus = async (session: IscsiSession) => (await executeRetrying(session, write10(), "write", signal())).status;

  beforeAll(async () => {
    directory = mkdtempSync(path.join(tmpdir(), "eh-scsi-"));
    spawnSync("truncate", ["-s", "8M", path.join(directory, "lun1.img")]);
    tgtd = spawn("tgtd", ["-f", "-C", String(controlPort), "--iscsi", `portal=127.0.0.1:${port}`], { stdio: "ignore", detached: false });
    for (let attempt = 0; attempt < 50 && adm("--op", "show", "--mode", "target") !== 0; attempt++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(adm("--op", "new", "--mode", "target", "--tid", "1", "-T", targetName)).toBe(0);
    expect(adm("--op", "new", "--mode", "logicalunit", "--tid", "1", "--lun", "1", "-b", path.join(directory, "lun1.img"))).toBe(0);
    expect(adm("--op", "bind", "--mode", "target", "--tid", "1", "-I", "ALL")).toBe(0);
    // A second target that demands CHAP.
    expect(adm("--op", "new", "--mode", "target", "--tid", "2", "-T", `${targetName}-chap`)).toBe(0);
    expect(adm("--op", "new", "--mode", "logicalunit", "--tid", "2", "--lun", "1", "-b", path.join(directory, "lun1.img"))).toBe(0);
    expect(adm("--op", "bind", "--mode", "target", "--tid", "2", "-I", "ALL")).toBe(0);
    expect(adm("--op", "new", "--mode", "account", "--user", "fencer", "--password", chapSecret)).toBe(0);
    expect(adm("--op", "bind", "--mode", "account", "--tid", "2", "--user", "fencer")).toBe(0);
  }, 30_000);

  afterAll(async () => {
    for (const session of sessions) await session.close();
    await closeScsiSessions();
    // tgtd ignores SIGTERM in the foreground.
    tgtd?.kill("SIGKILL");
    rmSync(directory, { recursive: true, force: true });
  });

  it("fencing a node refuses its writes while the survivor writes, and unfencing restores them", async () => {
    const survivor = await open("node1");
    const victim = await open("node2");
    const survivorKey = parseKey(nodeKey("pair", 1));
    const victimKey = parseKey(nodeKey("pair", 2));
    await unfenceDevice(survivor, survivorKey, signal());
    await unfenceDevice(victim, victimKey, signal());
    expect(await isRegistered(victim, victimKey, signal())).toBe(true);
    expect(await writeStatus(victim)).toBe(STATUS_GOOD);

    const method = await fenceDevice(survivor, survivorKey, victimKey, signal());
    expect(method).toBe("preempt");
    expect(await isRegistered(survivor, victimKey, signal())).toBe(false);
    expect(await writeStatus(victim)).toBe(STATUS_RESERVATION_CONFLICT);
    expect(await writeStatus(survivor)).toBe(STATUS_GOOD);

    await unfenceDevice(victim, victimKey, signal());
    expect(await writeStatus(victim)).toBe(STATUS_GOOD);
  }, 30_000);

  it("a node that was never registered cannot write under the reservation", async () => {
    const stranger = await open("node3");
    expect(await writeStatus(stranger)).toBe(STATUS_RESERVATION_CONFLICT);
  }, 30_000);

  it("the driver unfences, fences and reports status through the fence-agents actions", async () => {
    const options = { devices: `iscsi://127.0.0.1:${port}/${targetName}/1`, cluster_name: "pair", node_ids: "alpha:11,beta:12", initiator_prefix: "iqn.2026-11.io.edgeha.driver" };
    const context = { signal: AbortSignal.timeout(10_000), debug: () => {} };
    expect((await scsiDriver.run("on", { ...options, plug: "alpha" }, context)).exitCode).toBe(0);
    expect((await scsiDriver.run("on", { ...options, plug: "beta" }, context)).exitCode).toBe(0);
    expect(await scsiDriver.run("status", { ...options, plug: "beta", local_node: "alpha" }, context)).toMatchObject({ exitCode: 0, state: "on" });
    expect((await scsiDriver.run("off", { ...options, plug: "beta", local_node: "alpha" }, context)).exitCode).toBe(0);
    expect(await scsiDriver.run("status", { ...options, plug: "beta", local_node: "alpha" }, context)).toMatchObject({ exitCode: 2, state: "off" });
    const self = await scsiDriver.run("off", { ...options, plug: "alpha", local_node: "alpha" }, context);
    expect(self).toMatchObject({ exitCode: 1 });
    expect(self.message).toMatch(/own key/);
  }, 30_000);

  it("logs in with CHAP where the target demands it, and a wrong secret or none is refused clearly", async () => {
    const chapTarget = { host: "127.0.0.1", port, targetName: `${targetName}-chap`, lun: 1, initiatorName: "iqn.2026-11.io.edgeha.test:chap" };
    const session = await openIscsiSession({ ...chapTarget, chap: { user: "fencer", secret: chapSecret } }, signal());
    sessions.push(session);
    expect(await isRegistered(session, 0x1234n, signal())).toBe(false);
    await expect(openIscsiSession({ ...chapTarget, chap: { user: "fencer", secret: "not-the-secret-0" } }, signal())).rejects.toThrow(/refused: authentication failed/);
    await expect(openIscsiSession(chapTarget, signal())).rejects.toThrow(/demands authentication|refused/);
  }, 30_000);

  it("sends Data-Out when the target asks for it by R2T (ImmediateData=No)", async () => {
    const session = await openIscsiSession({ host: "127.0.0.1", port, targetName, lun: 1, initiatorName: "iqn.2026-11.io.edgeha.test:r2t", immediateData: false }, signal());
    sessions.push(session);
    const key = parseKey(nodeKey("pair", 7));
    await unfenceDevice(session, key, signal());
    expect(await isRegistered(session, key, signal())).toBe(true);
    expect(await writeStatus(session)).toBe(STATUS_GOOD);
  }, 30_000);
});
