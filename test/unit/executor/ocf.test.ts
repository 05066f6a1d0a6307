import { describe, expect, it } from "vitest";
import { exitReason, mapOcfExit, ocfEnvironment, OcfExit } from "../../../src/executor";

describe("OCF exit status mapping", () => {
  it("grades 2, 3, 4 and 5 as hard errors (not on this node) and 6 as fatal (nowhere)", () => {
    expect([2, 3, 4, 5].map((code) => mapOcfExit(code, "start").severity)).toEqual(["hard", "hard", "hard", "hard"]);
    expect(mapOcfExit(OcfExit.notConfigured, "start").severity).toBe("fatal");
  });

  it("treats 'not running' as a known state for monitor and stop but a failure for start", () => {
    expect(mapOcfExit(OcfExit.notRunning, "monitor").severity).toBe("ok");
    expect(mapOcfExit(OcfExit.notRunning, "stop").severity).toBe("ok");
    expect(mapOcfExit(OcfExit.notRunning, "start").severity).toBe("soft");
  });

  it("records degraded results as their healthy twins, flagged degraded", () => {
    expect(mapOcfExit(OcfExit.degraded, "monitor")).toMatchObject({ rc: 0, severity: "ok", degraded: true });
    expect(mapOcfExit(OcfExit.degradedPromoted, "monitor")).toMatchObject({ rc: 8, severity: "ok", degraded: true });
  });

  it("records an unknown exit status as a generic error", () => {
    expect(mapOcfExit(42, "start")).toMatchObject({ rc: 1, severity: "soft", name: "unknown exit status 42" });
  });
});

describe("OCF environment", () => {
  const environment = ocfEnvironment(
    { id: "vip", provider: "heartbeat", type: "IPaddr2", params: { ip: "192.0.2.5" }, meta: { "clone-max": "2" } },
    { action: "monitor", timeoutMs: 20_000, intervalMs: 10_000, ocfRoot: "/opt/ocf" },
  );

  it("names the instance, type and provider and the OCF root", () => {
    expect(environment).toMatchObject({ OCF_ROOT: "/opt/ocf", OCF_RESOURCE_INSTANCE: "vip", OCF_RESOURCE_TYPE: "IPaddr2", OCF_RESOURCE_PROVIDER: "heartbeat" });
  });

  it("passes parameters as OCF_RESKEY_* and timeout, interval and meta as OCF_RESKEY_CRM_meta_*", () => {
    expect(environment.OCF_RESKEY_ip).toBe("192.0.2.5");
    expect(environment.OCF_RESKEY_CRM_meta_timeout).toBe("20000");
    expect(environment.OCF_RESKEY_CRM_meta_interval).toBe("10000");
    expect(environment.OCF_RESKEY_CRM_meta_clone_max).toBe("2");
  });

  it("inherits nothing from the executor's own environment but PATH", () => {
    expect(Object.keys(environment).filter((key) => !key.startsWith("OCF_"))).toEqual(["PATH"]);
  });
});

describe("exit reasons", () => {
  it("takes the last ocf-exit-reason line", () => {
    expect(exitReason("noise\nocf-exit-reason:first\nocf-exit-reason: IP address is mandatory\n")).toBe("IP address is mandatory");
    expect(exitReason("nothing here")).toBeUndefined();
  });
});
