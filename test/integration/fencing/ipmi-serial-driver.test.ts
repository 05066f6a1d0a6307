// edgeha's ipmi-serial driver against the test serial BMC (itself proven against
// ipmitool in ipmi-serial-ipmitool.test.ts), in Terminal Mode and Basic Mode,
// through a socat pseudo-terminal pair: every action, a garbled reply, a silent
// line, and the `edgeha fence-driver ipmi-serial` command with key=value stdin.
import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleArgs, reasonMissing } from "../../support/environment";
import { startPtyPair, startSerialBmc, type PtyPair, type SerialBmc } from "../../support/serial-bmc";
import { captureLines } from "../../support/ipmi/sim";
import { ipmiSerialDriver } from "../../../fence-drivers/ipmi-serial/index";
import { runFenceAgent } from "../../../fence-drivers/common/index";
import { openSerialLine } from "../../../fence-drivers/ipmi-serial/line";

// Skips without socat (package socat), which makes the pseudo-terminal pair.
const missing = reasonMissing("socat");

/** The CLI bundle as a real process; async so the in-process BMC keeps answering. */
function runBundle(args: string[], input: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...bundleArgs, ...args], { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("close", (status) => { clearTimeout(timer); resolve({ status, stdout, stderr }); });
    child.stdin.end(input);
  });
}

describe.skipIf(missing !== "").each(["terminal", "basic"] as const)(`ipmi-serial driver in %s mode ${missing}`, (mode) => { // skipped: without socat, which makes the pseudo-terminal pair (the reason is in the title).
  let pair: PtyPair;
  let bmc: SerialBmc;
  beforeAll(async () => {
    pair = await startPtyPair();
    bmc = startSerialBmc(pair.bmc, mode, "on");
  });
  afterAll(async () => {
    bmc?.close();
    await pair?.stop();
  });
  const options = (extra: Record<string, string> = {}) => ({ serial_port: pair.client, serial_params: "115200,8N1", mode, shell_timeout: "1", retry: "2", ...extra });
  const run = async (action: string, extra: Record<string, string> = {}) => {
    const captured = captureLines();
    const code = await runFenceAgent(ipmiSerialDriver, options({ action, ...extra }), captured.io);
    return { code, out: captured.out.join("\n"), err: captured.err.join("\n") };
  };

  it("status follows the BMC's power state: 0 for on, 2 for off", async () => {
    bmc.power = "on";
    expect(await run("status")).toMatchObject({ code: 0, out: "Status: ON" });
    bmc.power = "off";
    expect(await run("status")).toMatchObject({ code: 2, out: "Status: OFF" });
    expect((await run("monitor")).code).toBe(0);
  });

  it("off powers the node down and confirms it by reading the state back", async () => {
    bmc.power = "on";
    const before = bmc.requests.length;
    expect(await run("off")).toMatchObject({ code: 0, out: "Success: Powered OFF" });
    expect(bmc.power).toBe("off");
    const sent = bmc.requests.slice(before);
    expect(sent).toContain("00/02 00");
    // The last request is the Get Chassis Status that confirmed the off.
    expect(sent.at(-1)).toBe("00/01");
  });

  it("on powers the node up; reboot is off then on, or one cycle with method=cycle", async () => {
    bmc.power = "off";
    expect(await run("on")).toMatchObject({ code: 0, out: "Success: Powered ON" });
    expect(bmc.power).toBe("on");
    let before = bmc.events.length;
    expect((await run("reboot")).code).toBe(0);
    expect(bmc.events.slice(before)).toEqual(["power off", "power on"]);
    before = bmc.events.length;
    expect((await run("reboot", { method: "cycle" })).code).toBe(0);
    expect(bmc.events.slice(before)).toEqual(["power cycle"]);
    expect(bmc.power).toBe("on");
  });

  it("off is not reported done while the BMC still reads on after power_timeout, exit 1", async () => {
    bmc.power = "on";
    bmc.ignoreControl = true;
    try {
      const before = bmc.requests.length;
      const result = await run("off", { power_timeout: "0.6" });
      expect(result.code).toBe(1);
      expect(result.err).toBe("Failed: power did not become off within power_timeout");
      const sent = bmc.requests.slice(before);
      expect(sent).toContain("00/02 00");
      // Read before the control, then polled more than once after it.
      expect(sent.filter((request) => request === "00/01").length).toBeGreaterThan(2);
    } finally {
      bmc.ignoreControl = false;
    }
  });

  it("a garbled reply is rejected and the request sent again, which then succeeds", async () => {
    bmc.power = "on";
    bmc.corrupt = "once";
    const before = bmc.requests.length;
    const result = await run("status", { verbose: "1" });
    expect(result).toMatchObject({ code: 0, out: "Status: ON" });
    expect(result.err).toMatch(mode === "basic" ? /garbled reply.*checksum mismatch/ : /garbled reply.*not hex byte pairs/);
    expect(bmc.requests.slice(before)).toEqual(["00/01", "00/01"]);
  });

  it("replies garbled on every try end in a framing error, exit 1", async () => {
    bmc.corrupt = "always";
    try {
      const result = await run("status");
      expect(result.code).toBe(1);
      expect(result.err).toMatch(/^Failed: BMC on .* sent garbled replies to Get Chassis Status \(.*3 tries/);
    } finally {
      bmc.corrupt = "none";
    }
  });

  it("a silent line is a timeout error naming the device, exit 1", async () => {
    bmc.silent = true;
    try {
      const before = bmc.requests.length;
      const result = await run("off", { shell_timeout: "0.3", retry: "1" });
      expect(result.code).toBe(1);
      expect(result.err).toContain(`Failed: BMC on ${pair.client} did not answer Get Chassis Status (${mode} mode, 115200 baud, 2 tries of 300 ms)`);
      expect(bmc.requests.slice(before)).toEqual(["00/01", "00/01"]);
      expect(bmc.power).toBe("on");
    } finally {
      bmc.silent = false;
    }
  });

  it("runs as `edgeha fence-driver ipmi-serial` with key=value lines on stdin", async () => {
    bmc.power = "on";
    const stdin = (action: string) => `action=${action}\nserial_port=${pair.client}\nserial_params=115200\nmode=${mode}\nshell_timeout=2\n`;
    const off = await runBundle(["fence-driver", "ipmi-serial"], stdin("off"));
    expect(off).toMatchObject({ status: 0, stdout: "Success: Powered OFF\n" });
    expect(bmc.power).toBe("off");
    expect(await runBundle(["fence-driver", "fence_ipmi_serial"], stdin("status"))).toMatchObject({ status: 2, stdout: "Status: OFF\n" });
    const on = await runBundle(["fence-driver", "ipmi-serial", "-o", "on", "-s", pair.client, "--mode", mode], "");
    expect(on).toMatchObject({ status: 0, stdout: "Success: Powered ON\n" });
    expect(bmc.power).toBe("on");
  });
});

describe.skipIf(missing !== "")(`ipmi-serial driver against a Terminal Mode port that wants a login ${missing}`, () => { // skipped: without socat, which makes the pseudo-terminal pair (the reason is in the title).
  let pair: PtyPair;
  let bmc: SerialBmc;
  const password = `serial-pw-${process.pid % 1000}`;
  beforeAll(async () => {
    pair = await startPtyPair();
    bmc = startSerialBmc(pair.bmc, "terminal", "on");
    bmc.login = { username: "admin", password };
  });
  afterAll(async () => {
    bmc?.close();
    await pair?.stop();
  });
  const run = async (extra: Record<string, string>) => {
    const captured = captureLines();
    const code = await runFenceAgent(ipmiSerialDriver, { serial_port: pair.client, mode: "terminal", shell_timeout: "1", retry: "1", verbose: "1", ...extra }, captured.io);
    return { code, out: captured.out.join("\n"), err: captured.err.join("\n") };
  };

  it("logs in with SYS PWD, powers off, logs out, and never prints the password", async () => {
    bmc.power = "on";
    const before = bmc.requests.length;
    const result = await run({ action: "off", login: "admin", passwd: password });
    expect(result).toMatchObject({ code: 0, out: "Success: Powered OFF" });
    expect(bmc.power).toBe("off");
    const sent = bmc.requests.slice(before);
    expect(sent[0]).toBe("SYS PWD -U admin ******");
    expect(sent.at(-1)).toBe("SYS PWD -X");
    expect(result.out + result.err).not.toContain(password);
  });

  it("a wrong password is an authentication error, exit 1, without the password", async () => {
    const wrong = `wrong-${process.pid % 1000}`;
    const result = await run({ action: "status", login: "admin", passwd: wrong });
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/Failed: BMC on .* refused the terminal-mode login of user "admin" \(ERR\): the password is most likely wrong/);
    expect(result.out + result.err).not.toContain(wrong);
  });

  it("a stale [OK] on the line does not pass for the answer to a wrong password", async () => {
    bmc.staleText = "OK";
    const result = await run({ action: "status", login: "admin", passwd: `wrong-${process.pid % 1000}` });
    expect(bmc.staleText).toBeUndefined();
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/refused the terminal-mode login of user "admin" \(ERR\)/);
  });

  it("without a login the BMC's insufficient-privilege answer is named, exit 1", async () => {
    const result = await run({ action: "status" });
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/completion code 0xd4 \(insufficient privilege/);
  });

  it("works with a BMC that echoes what it receives and sends the [SYS] handshake", async () => {
    bmc.echo = true;
    try {
      bmc.power = "on";
      const result = await run({ action: "off", login: "admin", passwd: password });
      expect(result).toMatchObject({ code: 0, out: "Success: Powered OFF" });
      expect(result.err).toMatch(/ignored text "SYS PWD \.\.\."/);
      expect(result.err).not.toContain(password);
      expect(await run({ action: "status", login: "admin", passwd: password })).toMatchObject({ code: 2, out: "Status: OFF" });
    } finally {
      bmc.echo = false;
    }
  });
});

describe.skipIf(missing !== "")(`ipmi-serial driver and a port another process holds ${missing}`, () => { // skipped: without socat, which makes the pseudo-terminal pair (the reason is in the title).
  let pair: PtyPair;
  let bmc: SerialBmc;
  beforeAll(async () => {
    pair = await startPtyPair();
    bmc = startSerialBmc(pair.bmc, "basic", "on");
  });
  afterAll(async () => {
    bmc?.close();
    await pair?.stop();
  });

  it("waits for the lock to be released, then runs", async () => {
    const holder = await openSerialLine(pair.client, 115200, () => {});
    const released = new Promise<void>((resolve) => setTimeout(() => void holder.close().then(resolve), 200));
    const captured = captureLines();
    const code = await runFenceAgent(ipmiSerialDriver, { action: "status", serial_port: pair.client, shell_timeout: "2", retry: "0" }, captured.io);
    await released;
    expect({ code, out: captured.out }).toEqual({ code: 0, out: ["Status: ON"] });
  });

  it("a lock held longer than one request may take is a clear open error, exit 1", async () => {
    const holder = await openSerialLine(pair.client, 115200, () => {});
    try {
      const captured = captureLines();
      expect(await runFenceAgent(ipmiSerialDriver, { action: "status", serial_port: pair.client, shell_timeout: "0.2", retry: "1" }, captured.io)).toBe(1);
      expect(captured.err.join("\n")).toContain(`Failed: cannot open serial device ${pair.client} at 115200 baud: another process holds it (still locked after 400 ms)`);
    } finally {
      await holder.close();
    }
  });
});

describe("ipmi-serial driver without a device", () => {
  it("a missing serial device is a clear open error, exit 1", async () => {
    const captured = captureLines();
    const device = `/tmp/eh${process.pid}-no-such-tty`;
    expect(await runFenceAgent(ipmiSerialDriver, { action: "status", serial_port: device }, captured.io)).toBe(1);
    expect(captured.err.join("\n")).toMatch(new RegExp(`Failed: cannot open serial device ${device} at 115200 baud`));
  });
});
