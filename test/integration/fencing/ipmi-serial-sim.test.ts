// A second, independent check of the requests our ipmi-serial client frames:
// OpenIPMI's ipmi_sim parses serial requests with its own Direct (Basic Mode) and
// TerminalMode codecs and executes them, but never answers (ipmi_sim 2.0.33). So
// its chassis power, read by ipmitool over LAN, shows whether it understood our
// Chassis Control, and the missing answer is a real silent line for the timeout.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reasonMissing } from "../../support/environment";
import { startSerialSim, type SerialSim } from "../../support/serial-bmc-sim";
import { SerialIpmiClient } from "../../../fence-drivers/ipmi-serial/client";
import { encodeBasic, escapeBasic, unescapeBasic } from "../../../fence-drivers/ipmi-serial/framing";
import { openSerialLine } from "../../../fence-drivers/ipmi-serial/line";

// Skips without ipmi_sim (openipmi), ipmitool or socat.
const missing = reasonMissing("ipmi_sim", "ipmitool", "socat");
const lanPort = 32940 + (process.pid % 25) * 2;

function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(() => { throw new Error("expected an error"); }, (error: unknown) => error);
}

describe.skipIf(missing !== "").each([["basic", "Direct"], ["terminal", "TerminalMode"]] as const)(`ipmi_sim's %s-mode parser (codec %s) executes our requests ${missing}`, (mode, codec) => { // skipped: without ipmi_sim (the peer whose parsers run our requests), ipmitool or socat; the reason is in the title.
  let sim: SerialSim;
  beforeAll(async () => { sim = await startSerialSim(codec, lanPort); });
  afterAll(() => sim?.stop());
  const target = () => ({ device: sim.tty, baudRate: 115200, mode, timeoutMs: 300, retries: 0 });

  it("Chassis Control off, then on, as ipmitool confirms over LAN; the missing answer is a timeout", async () => {
    const client = await SerialIpmiClient.open(target(), AbortSignal.timeout(5000));
    try {
      expect(sim.ipmitoolPower()).toBe("on");
      const silent = await failure(client.request(0x00, 0x02, Buffer.from([0x00]), AbortSignal.timeout(5000)));
      expect(silent).toMatchObject({ code: "E_FENCE_SERIAL_TIMEOUT", message: expect.stringContaining("did not answer Chassis Control") });
      expect(sim.ipmitoolPower()).toBe("off");
      await failure(client.request(0x00, 0x02, Buffer.from([0x01]), AbortSignal.timeout(5000)));
      expect(sim.ipmitoolPower()).toBe("on");
      expect(sim.events()).toEqual(["power 0", "power 1"]);
    } finally {
      await client.close();
    }
  });

  // Basic Mode only: Terminal Mode lines carry no checksum of their own that could be made wrong.
  it.runIf(mode === "basic")("a request with a wrong checksum is not executed", async () => {
    const before = sim.events().length;
    const packet = encodeBasic({ netFn: 0x00, lun: 0, seq: 9, cmd: 0x02, data: Buffer.from([0x00]) });
    const inner = unescapeBasic(packet.subarray(1, packet.length - 1));
    if (!inner.ok) throw new Error(inner.reason);
    inner.bytes[inner.bytes.length - 1] = (inner.bytes[inner.bytes.length - 1]! + 1) & 0xff;
    const line = await openSerialLine(sim.tty, 115200, () => {});
    try {
      await line.write(Buffer.concat([Buffer.from([0xa0]), escapeBasic(inner.bytes), Buffer.from([0xa5])]));
      await new Promise((resolve) => setTimeout(resolve, 300));
    } finally {
      await line.close();
    }
    expect(sim.events().slice(before)).toEqual([]);
    expect(sim.ipmitoolPower()).toBe("on");
  });
});
