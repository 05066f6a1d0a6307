// After a Chassis Control off, the IPMI drivers (ipmilan, ipmi-serial) read the chassis status
// until it reads off; a fencing is confirmed at that read. A BMC whose status follows the command
// a little later is read again soon (50 ms, then 100, 200, then every 250 ms), not only after a
// quarter of a second. On a fake clock: the status reads off from 120 ms after the command.
import { afterEach, describe, expect, it, vi } from "vitest";
import { chassisAction, STATUS_POLL_MS } from "../../../fence-drivers/common/ipmi-chassis";

afterEach(() => { vi.useRealTimers(); });

/** A chassis whose status follows a power command `lagMs` later; the times of every status read. */
function laggingChassis(lagMs: number) {
  let power: "on" | "off" = "on";
  let changedAt = 0;
  let wanted: "on" | "off" = "on";
  const reads: number[] = [];
  const request = async (_netFn: number, command: number, data: Buffer) => {
    if (command === 0x02) { wanted = data[0] === 0x01 ? "on" : "off"; changedAt = Date.now(); return Buffer.alloc(0); }
    if (Date.now() - changedAt >= lagMs) power = wanted;
    reads.push(Date.now());
    return Buffer.from([power === "on" ? 1 : 0, 0, 0]);
  };
  return { request, reads };
}

describe("IPMI chassis: status reads after a power change", () => {
  it("reads soon after the command and backs off: the off of a BMC lagging 120 ms is confirmed at 150 ms, not 250", async () => {
    vi.useFakeTimers({ now: 0 });
    const chassis = laggingChassis(120);
    let doneAt: number | undefined;
    const off = chassisAction(chassis.request, "off", {}, new AbortController().signal, "test").then((result) => { doneAt = Date.now(); return result; });
    await vi.advanceTimersByTimeAsync(1000);
    expect((await off).exitCode).toBe(0);
    // The read before the command, the one right after it, then after 50 and 100 ms more.
    expect(chassis.reads).toEqual([0, 0, 50, 150]);
    expect(doneAt).toBe(150);
  });

  it("settles at one read per 250 ms for a slow BMC, within power_timeout", async () => {
    vi.useFakeTimers({ now: 0 });
    const chassis = laggingChassis(1200);
    const off = chassisAction(chassis.request, "off", { power_timeout: "5" }, new AbortController().signal, "test");
    await vi.advanceTimersByTimeAsync(3000);
    expect((await off).exitCode).toBe(0);
    const gaps = chassis.reads.slice(1).map((at, index) => at - chassis.reads[index]!);
    expect(gaps).toEqual([0, ...STATUS_POLL_MS, 250, 250, 250]);
    expect(chassis.reads.at(-1)).toBe(1350);
  });
});
