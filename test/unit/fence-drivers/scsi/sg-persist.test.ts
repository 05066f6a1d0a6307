// The sg_persist device transport: our command blocks become sg_persist options,
// its exit statuses become SCSI statuses, and its text answers become reply bytes.
// The device answers here are written by us in sg_persist's text format.
import { describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import { parseReadKeys, parseReadReservation, reserveInCommand, reserveOutCommand, reserveOutParameters, STATUS_CHECK_CONDITION, STATUS_RESERVATION_CONFLICT } from "../../../../fence-drivers/scsi/protocol";
import { readKeysReply, readReservationReply, replyForExit, sgPersistArguments, SgPersistTransport } from "../../../../fence-drivers/scsi/sg-persist";
import { fenceDevice } from "../../../../fence-drivers/scsi/reservations";

describe("sg_persist transport", () => {
  it("maps PERSISTENT RESERVE OUT command blocks to sg_persist options with both keys and the type", () => {
    const preempt = { cdb: reserveOutCommand("preempt-and-abort", 5), dataOut: reserveOutParameters(0xab0001n, 0xab0002n) };
    expect(sgPersistArguments(preempt, "/dev/sdb")).toEqual(["--no-inquiry", "--out", "--preempt-abort", "--param-rk=ab0001", "--param-sark=ab0002", "--prout-type=5", "/dev/sdb"]);
    const register = { cdb: reserveOutCommand("register-and-ignore", 5), dataOut: reserveOutParameters(0n, 0xab0001n) };
    expect(sgPersistArguments(register, "/dev/sdb")).toEqual(["--no-inquiry", "--out", "--register-ignore", "--param-rk=0", "--param-sark=ab0001", "/dev/sdb"]);
    expect(sgPersistArguments({ cdb: reserveInCommand("read-reservation", 8192), dataInLength: 8192 }, "/dev/sdb")).toEqual(["--no-inquiry", "--in", "--read-reservation", "/dev/sdb"]);
  });
  it("reads keys and reservations from sg_persist's text", () => {
    const keys = parseReadKeys(readKeysReply("  PR generation=0x5, 2 registered reservation keys follow:\n    0xab0001\n    0xab0002\n"));
    expect(keys).toEqual({ generation: 5, keys: [0xab0001n, 0xab0002n], truncated: false });
    expect(parseReadKeys(readKeysReply("  PR generation=0x0, there are NO registered reservation keys\n")).keys).toEqual([]);
    const held = parseReadReservation(readReservationReply("  PR generation=0x5, Reservation follows:\n    Key=0xab0001\n    scope: LU_SCOPE,  type: Write Exclusive, registrants only\n"));
    expect(held).toEqual({ generation: 5, holder: { key: 0xab0001n, type: 5 } });
    expect(parseReadReservation(readReservationReply("  PR generation=0x5, there is NO reservation held\n")).holder).toBeUndefined();
  });
  it("turns exit statuses into SCSI statuses, and a device it cannot open into a clear error", () => {
    expect(replyForExit(24, "/dev/sdb").status).toBe(STATUS_RESERVATION_CONFLICT);
    expect(replyForExit(5, "/dev/sdb")).toMatchObject({ status: STATUS_CHECK_CONDITION });
    expect(() => replyForExit(15, "/dev/sdb")).toThrow(/cannot open \/dev\/sdb/);
    expect(() => replyForExit(52, "/dev/sdb")).toThrow(/cannot open \/dev\/sdb \(errno 2\)/);
    expect(() => new SgPersistTransport("/tmp/disk")).toThrow(/not a device path/);
  });
  it("falls back from PREEMPT AND ABORT to PREEMPT when the device refuses it", async () => {
    const keys = new Set(["ab0001", "ab0002"]);
    const calls: string[] = [];
    const runner = async (_program: string, args: string[]) => {
      const action = args[2]!;
      calls.push(action);
      if (action === "--read-keys") return { exitCode: 0, stdout: `  PR generation=0x1, ${keys.size} registered reservation keys follow:\n${[...keys].map((key) => `    0x${key}\n`).join("")}` };
      if (action === "--read-reservation") return { exitCode: 0, stdout: "  PR generation=0x1, Reservation follows:\n    Key=0xab0001\n    scope: LU_SCOPE,  type: Write Exclusive, registrants only\n" };
      if (action === "--preempt-abort") return { exitCode: 5, stdout: "" };
      if (action === "--preempt") { keys.delete(args[4]!.replace("--param-sark=", "")); return { exitCode: 0, stdout: "" }; }
      return { exitCode: 99, stdout: "" };
    };
    const method = await fenceDevice(new SgPersistTransport("/dev/sdb", runner), 0xab0001n, 0xab0002n, AbortSignal.timeout(1000));
    expect(method).toBe("preempt");
    expect(calls).toEqual(["--read-keys", "--preempt-abort", "--preempt", "--read-keys", "--read-reservation"]);
    expect([...keys]).toEqual(["ab0001"]);
  });
});

describe.skipIf(!existsSync("/usr/bin/sg_persist"))("the installed sg_persist", () => { // skipped: without sg3-utils' sg_persist (the reference decoder)
  // No SCSI disk exists here, so this checks only that the options parse and a
  // missing device is reported as one (no such device is an I/O error, not usage).
  it("accepts our options and reports a missing device as a device error", async () => {
    const transport = new SgPersistTransport("/dev/sdzz");
    await expect(transport.execute({ cdb: reserveInCommand("read-keys", 8192), dataInLength: 8192 }, AbortSignal.timeout(5000))).rejects.toThrow(/cannot open \/dev\/sdzz/);
  });
});
