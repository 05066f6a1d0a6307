// The differential comparison with crm_simulate asks the generator for histories a controller
// could have recorded (possibleHistories): a difference found on an impossible history says
// nothing about the scheduler. These are the controller's rules for a promotable instance.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { shapes, toXml } from "./generated-cib";

/** Each Stateful resource's history on each node: its operations in call order, with rc and interval. */
function statefulHistories(xml: string): { operation: string; rc: number; interval: number }[][] {
  const blocks = xml.match(/<lrm_resource id="[^"]+" class="ocf" provider="pacemaker" type="Stateful">.*?<\/lrm_resource>/g) ?? [];
  return blocks.map((block) => [...block.matchAll(/operation="(\w+)" call-id="(\d+)" rc-code="(\d+)" op-status="\d+" interval="(\d+)"/g)]
    .map((match) => ({ call: Number(match[2]), operation: match[1]!, rc: Number(match[3]), interval: Number(match[4]) }))
    .sort((left, right) => left.call - right.call));
}

describe("generated clusters with possible histories", () => {
  it("never promote after a failed start, monitor a Promoted instance with its Promoted-role monitor, and demote before stopping", () => {
    let promotedSeen = 0;
    for (const shape of fc.sample(shapes, { seed: 2, numRuns: 300 })) {
      for (const operations of statefulHistories(toXml(shape, { fenceDevice: true, possibleHistories: true }))) {
        const promote = operations.findIndex((entry) => entry.operation === "promote");
        if (promote < 0) continue;
        promotedSeen++;
        expect(operations.slice(0, promote).every((entry) => entry.rc === 0)).toBe(true);
        const after = operations.slice(promote + 1);
        expect(after.filter((entry) => entry.operation === "monitor").every((entry) => entry.interval === 11000)).toBe(true);
        const stop = after.findIndex((entry) => entry.operation === "stop");
        if (stop >= 0) expect(after.slice(0, stop).some((entry) => entry.operation === "demote")).toBe(true);
      }
    }
    // The property is not vacuous: these draws hold Promoted instances.
    expect(promotedSeen).toBeGreaterThan(20);
  });
});
