// The ipmi-serial driver's options, as fence-agents names them, and its metadata.
import { describe, expect, it } from "vitest";
import { ipmiSerialDriver, parseSerialParams, serialTarget, withScriptPassword } from "../../../../fence-drivers/ipmi-serial/index";
import { findFenceDriver } from "../../../../fence-drivers/index";
import { metadataXml, parseArgvOptions, parseStdinOptions } from "../../../../fence-drivers/common/index";

function failure(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error("expected an error");
}

describe("ipmi-serial options", () => {
  it("defaults to /dev/ttyS0 at 115200 baud in Basic Mode, 3 s per answer and 3 resends", () => {
    expect(serialTarget({})).toEqual({ device: "/dev/ttyS0", baudRate: 115200, mode: "basic", timeoutMs: 3000, retries: 3 });
  });

  it("reads serial_port, serial_params, mode, shell_timeout and retry", () => {
    expect(serialTarget({ serial_port: "/dev/ttyUSB1", serial_params: "19200,8n1", mode: "terminal", shell_timeout: "0.5", retry: "0" }))
      .toEqual({ device: "/dev/ttyUSB1", baudRate: 19200, mode: "terminal", timeoutMs: 500, retries: 0 });
  });

  it("refuses line settings other than 8N1 and unknown baud rates, naming the option", () => {
    expect(parseSerialParams("9600")).toBe(9600);
    expect(failure(() => parseSerialParams("9600,7E1"))).toMatchObject({ code: "E_FENCE_OPTION", message: expect.stringContaining('serial_params="9600,7E1"') });
    expect(failure(() => parseSerialParams("12345"))).toMatchObject({ code: "E_FENCE_OPTION" });
    expect(failure(() => serialTarget({ mode: "direct" }))).toMatchObject({ code: "E_FENCE_OPTION", message: expect.stringContaining('mode="direct"') });
    expect(failure(() => serialTarget({ shell_timeout: "0" }))).toMatchObject({ code: "E_FENCE_OPTION", message: expect.stringContaining("shell_timeout") });
    expect(failure(() => serialTarget({ retry: "-1" }))).toMatchObject({ code: "E_FENCE_OPTION", message: expect.stringContaining("retry") });
  });

  it("a username or password is a Terminal Mode login (SYS PWD), refused in Basic Mode", async () => {
    expect(serialTarget({ mode: "terminal", login: "admin", passwd: "pw-1" }).login).toEqual({ username: "admin", password: "pw-1" });
    expect(serialTarget({ mode: "terminal", password: "pw-2" }).login).toEqual({ username: "", password: "pw-2" });
    expect(serialTarget(await withScriptPassword({ mode: "terminal", password_script: "echo pw-3" })).login).toEqual({ username: "", password: "pw-3" });
    expect(serialTarget({ mode: "terminal" }).login).toBeUndefined();
    expect(failure(() => serialTarget({ mode: "basic", password: "pw" }))).toMatchObject({ code: "E_FENCE_OPTION", message: expect.stringContaining("only supported in mode=terminal") });
    const tooLong = "a-password-longer-than-16";
    const error = failure(() => serialTarget({ mode: "terminal", password: tooLong })) as Error;
    expect(error).toMatchObject({ code: "E_FENCE_OPTION" });
    expect(error.message).not.toContain(tooLong);
    expect(failure(() => serialTarget({ mode: "terminal", password: "has]bracket" }))).toMatchObject({ code: "E_FENCE_OPTION" });
  });

  it("takes the same options on stdin and on the command line", () => {
    const metadata = ipmiSerialDriver.metadata;
    const stdin = parseStdinOptions("action=off\nserial_port=/dev/ttyS1\nmode=terminal\nserial_params=57600\n", metadata);
    const argv = parseArgvOptions(["-o", "off", "-s", "/dev/ttyS1", "--mode", "terminal", "--serial-params", "57600"], metadata);
    expect(stdin).toEqual({ options: { action: "off", serial_port: "/dev/ttyS1", mode: "terminal", serial_params: "57600" }, warnings: [] });
    expect(argv.options).toEqual(stdin.options);
  });

  it("is registered as ipmi-serial and found by its fence-agents name", () => {
    expect(findFenceDriver("ipmi-serial")).toBe(ipmiSerialDriver);
    expect(findFenceDriver("fence_ipmi_serial")).toBe(ipmiSerialDriver);
  });

  it("prints fence-agents metadata naming its parameters and actions", () => {
    const xml = metadataXml(ipmiSerialDriver.metadata);
    expect(xml).toContain('<resource-agent name="fence_ipmi_serial"');
    for (const name of ["serial_port", "serial_params", "mode", "shell_timeout", "retry", "method", "power_timeout"]) expect(xml).toContain(`<parameter name="${name}"`);
    for (const action of ["on", "off", "reboot", "status", "monitor", "metadata", "validate-all"]) expect(xml).toContain(`<action name="${action}" />`);
  });
});
