import { describe, expect, it } from "vitest";
import { failoverBudget, renderFailoverBudget } from "../../../src/config/index";
import { typicalDetectMs } from "../../../src/config/explain";

const timing = { heartbeatMs: 50, tokenMs: 400, consensusMs: 480, joinMs: 30, echoMs: 0 };

describe("failover budget", () => {
  it("detects within token_ms + consensus_ms", () => {
    const budget = failoverBudget(timing, new Set());
    expect(budget.steps.find((step) => step.step === "detect")?.worstCaseMs).toBe(880);
    expect(budget.knownMs).toBe(880);
  });

  it("leaves fence and start open: they depend on the CIB's devices and agents", () => {
    const budget = failoverBudget(timing, new Set());
    const open = budget.steps.filter((step) => step.worstCaseMs === undefined).map((step) => step.step);
    expect(open).toEqual(["fence", "start"]);
    expect(renderFailoverBudget(budget, "x")).toMatch(/fence +\? +\? +open +depends on the fence devices/);
    expect(renderFailoverBudget(budget, "x")).toMatch(/start +\? +\? +open +depends on the resource agents/);
  });

  it("says which values the file set and which are defaults", () => {
    const text = renderFailoverBudget(failoverBudget(timing, new Set(["token_ms"])), "pair.yaml");
    expect(text).toMatch(/token_ms +400 ms +set /);
    expect(text).toMatch(/heartbeat_ms +50 ms +default /);
  });

  it("counts how many heartbeats fit in the token", () => {
    expect(renderFailoverBudget(failoverBudget(timing, new Set()), "x")).toContain("(8 heartbeats;");
  });

  it("ends with the total of what the file decides plus the open steps", () => {
    expect(renderFailoverBudget(failoverBudget(timing, new Set()), "x")).toMatch(/total +typical 375 ms \+ fence \+ start; worst 880 ms \+ fence \+ start\n$/);
  });

  it("takes the typical detection from the token without the echo, from the echo with it", () => {
    expect(typicalDetectMs(timing)).toBe(375);
    expect(typicalDetectMs({ ...timing, echoMs: 20 })).toBe(130);
    expect(typicalDetectMs({ ...timing, echoMs: 50 })).toBe(325);
  });

  it("adds measured fencing and starts into a typical total of the whole failover", () => {
    const budget = failoverBudget({ ...timing, echoMs: 20 }, new Set(), {
      fence: { medianMs: 80, count: 5, source: "h" },
      start: { medianMs: 210, count: 9, chain: ["vip", "haproxy", "memcached"], source: "pe" },
    });
    expect(budget.typicalComplete).toBe(true);
    expect(budget.typicalMs).toBe(130 + 80 + 210);
    const text = renderFailoverBudget(budget, "x");
    expect(text).toMatch(/fence +80 ms +\? +measured +median of the last 5 successful fencing actions/);
    expect(text).toMatch(/start +210 ms +\? +measured +median recorded starts along vip -> haproxy -> memcached/);
    expect(text).toMatch(/total +typical 420 ms; worst 880 ms \+ fence \+ start\n$/);
  });
});
