import { describe, expect, it } from "vitest";
import { failoverBudget, renderFailoverBudget } from "../../../src/config/index";

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
    expect(renderFailoverBudget(budget, "x")).toMatch(/fence +\? +depends on the fence devices/);
    expect(renderFailoverBudget(budget, "x")).toMatch(/start +\? +depends on the resource agents/);
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
    expect(renderFailoverBudget(failoverBudget(timing, new Set()), "x")).toMatch(/total +880 ms \+ fence \+ start\n$/);
  });
});
