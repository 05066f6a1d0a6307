// Compiling scheduler actions into a graph: blocked actions are never steps, fences come
// before every start and promote, a promote follows its start, a demote precedes its stop.
import { describe, expect, it } from "vitest";
import { emptyCib } from "../../../src/cib";
import { compileTransition, readySteps } from "../../../src/controller";

describe("compileTransition", () => {
  it("leaves out blocked actions, orders fence < start < promote and demote < stop", () => {
    const transition = compileTransition(1, [
      { action: "fence", node: "n2", kind: "reboot", reason: "lost" },
      { action: "start", resource: "db:0", node: "n1", reason: "start" },
      { action: "promote", resource: "db:0", node: "n1", reason: "promote" },
      { action: "start", resource: "web", node: "n1", reason: "no quorum", blocked: true },
      { action: "demote", resource: "db:1", node: "n3", reason: "demote" },
      { action: "stop", resource: "db:1", node: "n3", reason: "stop" },
    ], emptyCib(), () => true);
    const describe = (id: number) => { const step = transition.steps[id]!; return `${step.kind} ${step.resource ?? step.node}`; };
    expect(transition.steps.map((step) => `${step.kind} ${step.resource ?? step.node}`)).toEqual(["fence n2", "start db:0", "promote db:0", "demote db:1", "stop db:1"]);
    expect(transition.steps[1]!.after.map(describe)).toEqual(["fence n2"]);
    expect(transition.steps[2]!.after.map(describe).sort()).toEqual(["fence n2", "start db:0"]);
    expect(transition.steps[4]!.after.map(describe)).toEqual(["demote db:1"]);
    expect(readySteps(transition).map((step) => step.kind).sort()).toEqual(["demote", "fence"]);
  });

  it("a recovery on another node (from/to) stops where it failed and starts on the other", () => {
    const transition = compileTransition(2, [{ action: "recover", resource: "web", from: "n1", to: "n2", reason: "failed" }], emptyCib(), () => true);
    expect(transition.steps.map((step) => `${step.kind} ${step.resource} ${step.node}`)).toEqual(["stop web n1", "start web n2"]);
    expect(transition.steps[1]!.after).toEqual([0]);
  });
});
