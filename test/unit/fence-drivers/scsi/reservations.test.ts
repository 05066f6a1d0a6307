// Retry bounds of the reservation logic, with a transport written here that
// answers from a script of replies.
import { describe, expect, it } from "vitest";
import { executeRetrying, UNIT_ATTENTION_RETRIES_MAX, fenceDevice, type ScsiReply, type ScsiTransport } from "../../../../fence-drivers/scsi/reservations";
import { STATUS_CHECK_CONDITION, STATUS_GOOD, reserveInCommand } from "../../../../fence-drivers/scsi/protocol";

function sense(key: number, asc: number, ascq: number): Buffer {
  const bytes = Buffer.alloc(18);
  bytes[0] = 0x70; bytes[2] = key; bytes[7] = 10; bytes[12] = asc; bytes[13] = ascq;
  return bytes;
}

function scripted(replies: ScsiReply[]): ScsiTransport & { calls: number } {
  return {
    name: "scripted", calls: 0,
    async execute() { this.calls++; return replies.shift() ?? { status: STATUS_GOOD, data: Buffer.alloc(0), sense: Buffer.alloc(0) }; },
    async close() {},
  };
}

const unitAttention: ScsiReply = { status: STATUS_CHECK_CONDITION, data: Buffer.alloc(0), sense: sense(0x6, 0x29, 0) };
const command = { cdb: reserveInCommand("read-keys", 64), dataInLength: 64 };

describe("unit attention", () => {
  it("is retried, since the target did not run the command", async () => {
    const transport = scripted([unitAttention, { ...unitAttention, sense: sense(0x6, 0x2a, 0x03) }]);
    const reply = await executeRetrying(transport, command, "read-keys", AbortSignal.timeout(1000));
    expect(reply.status).toBe(STATUS_GOOD);
    expect(transport.calls).toBe(3);
  });
  it("is retried a bounded number of times, then returned as the answer", async () => {
    const transport = scripted(Array.from({ length: 20 }, () => unitAttention));
    const reply = await executeRetrying(transport, command, "read-keys", AbortSignal.timeout(1000));
    expect(reply.status).toBe(STATUS_CHECK_CONDITION);
    expect(transport.calls).toBe(UNIT_ATTENTION_RETRIES_MAX + 1);
  });
});

describe("fencing a key", () => {
  it("refuses to fence this node's own key", async () => {
    await expect(fenceDevice(scripted([]), 0x10n, 0x10n, AbortSignal.timeout(1000))).rejects.toThrow(/own key/);
  });
  it("reports a victim that holds no key as not registered without preempting", async () => {
    const keys = Buffer.from("00000001" + "00000008" + "0000000000000010", "hex");
    const transport = scripted([{ status: STATUS_GOOD, data: keys, sense: Buffer.alloc(0) }]);
    expect(await fenceDevice(transport, 0x10n, 0x20n, AbortSignal.timeout(1000))).toBe("not-registered");
    expect(transport.calls).toBe(1);
  });
  it("names the status and decoded sense when a preempt fails", async () => {
    const keys = Buffer.from("00000001" + "00000010" + "0000000000000010" + "0000000000000020", "hex");
    const failed: ScsiReply = { status: STATUS_CHECK_CONDITION, data: Buffer.alloc(0), sense: sense(0x2, 0x04, 0x00) };
    const transport = scripted([{ status: STATUS_GOOD, data: keys, sense: Buffer.alloc(0) }, failed]);
    await expect(fenceDevice(transport, 0x10n, 0x20n, AbortSignal.timeout(1000))).rejects.toThrow(/preempting key 20 on scripted failed: CHECK CONDITION, NOT READY/);
  });
});
