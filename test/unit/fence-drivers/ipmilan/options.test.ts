// The ipmilan driver's choices that need no BMC: IPMI 1.5 authentication type, the
// refusal of cipher suite 0 and of bad option values, and the list action.
import { describe, expect, it } from "vitest";
import { chooseAuthType } from "../../../../fence-drivers/ipmilan/lan15";
import { ipmilanDriver } from "../../../../fence-drivers/ipmilan/index";
import { EdgehaError } from "../../../../src/common/errors";

const NONE = 1 << 0, MD2 = 1 << 1, MD5 = 1 << 2, PASSWORD = 1 << 4;
const context = () => ({ signal: AbortSignal.timeout(5000), debug: () => {} });
const base = { ip: "127.0.0.1", ipport: "9", username: "u", password: "p" };

describe("IPMI 1.5 authentication type", () => {
  it("prefers MD5 when the BMC offers it", () => {
    expect(chooseAuthType(NONE | MD2 | MD5 | PASSWORD, undefined)).toBe(2);
  });
  it("falls back to the straight password when MD5 is not offered", () => {
    expect(chooseAuthType(NONE | PASSWORD, undefined)).toBe(4);
  });
  it("never picks none by itself, even when it is all the BMC offers", () => {
    expect(() => chooseAuthType(NONE | MD2, undefined)).toThrow(/auth=none/);
  });
  it("uses none when auth=none asks for it and the BMC offers it", () => {
    expect(chooseAuthType(NONE | MD5, "none")).toBe(0);
  });
  it("names the type asked for when the BMC does not offer it", () => {
    expect(() => chooseAuthType(MD5, "password")).toThrow(/"password".*offers: md5/);
  });
});

describe("ipmilan options", () => {
  it("refuses cipher suite 0 without allow_cipher0, saying why", async () => {
    const error = await ipmilanDriver.run("status", { ...base, cipher: "0" }, context()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EdgehaError);
    expect((error as EdgehaError).message).toMatch(/cipher suite 0 has no authentication.*allow_cipher0=1/);
  });
  it("accepts cipher=0 in validate-all only when allow_cipher0=1", async () => {
    expect((await ipmilanDriver.run("validate-all", { ...base, cipher: "0", allow_cipher0: "1" }, context())).exitCode).toBe(0);
  });
  it("rejects an unknown auth= value, naming it", async () => {
    await expect(ipmilanDriver.run("status", { ...base, lanplus: "0", auth: "md2" }, context())).rejects.toThrow(/auth must be one of none, md5, password \(got "md2"\)/);
  });
  it("rejects an unknown privlvl", async () => {
    await expect(ipmilanDriver.run("status", { ...base, privlvl: "root" }, context())).rejects.toThrow(/privlvl must be one of/);
  });
  it("list contacts no BMC and lists no plug, as fence_ipmilan (a single-port device)", async () => {
    const result = await ipmilanDriver.run("list", { ...base, ipport: "1" }, context());
    expect(result.exitCode).toBe(0);
    expect(result.targets).toEqual([]);
  });
  it("refuses an IPMI 1.5 password longer than 16 bytes", async () => {
    await expect(ipmilanDriver.run("status", { ...base, lanplus: "0", password: "x".repeat(17) }, context())).rejects.toThrow(/at most 16 bytes/);
  });
});
