// The builtin class in agent names: edgeha's own agents, checked against the ones built in.
import { describe, expect, it } from "vitest";
import { parseAgentName } from "../../../src/admin/operations";

describe("builtin agents in resource create", () => {
  it("accepts builtin:TYPE for a built-in agent and names the near match of a typo", () => {
    expect(parseAgentName("builtin:ipaddr")).toEqual({ class: "builtin", type: "ipaddr" });
    expect(() => parseAgentName("builtin:ipadr")).toThrow(/did you mean 'ipaddr'/);
    expect(() => parseAgentName("builtin:x:ipaddr")).toThrow(/has no provider/);
  });
});
