import { describe, expect, it } from "vitest";
import { chooseNewer, emptyCib, type Cib } from "../../../src/cib";

function cib(adminEpoch: number, epoch: number, numUpdates: number, clusterName = "one"): Cib {
  return { ...emptyCib(), version: { adminEpoch, epoch, numUpdates }, attributes: { "cluster-name": clusterName } };
}

describe("choosing the newer CIB", () => {
  it("keeps the higher version, whichever side it is on", () => {
    const older = cib(0, 4, 9);
    const newer = cib(0, 5, 0);
    expect(chooseNewer(older, newer)).toBe(newer);
    expect(chooseNewer(newer, older)).toBe(newer);
  });

  it("lets admin_epoch outrank any epoch", () => {
    const raised = cib(1, 0, 0);
    expect(chooseNewer(cib(0, 900, 900), raised)).toBe(raised);
  });

  it("picks the same one of two different CIBs with equal versions, in either order", () => {
    const left = cib(0, 7, 1, "left");
    const right = cib(0, 7, 1, "right");
    expect(chooseNewer(left, right)).toBe(chooseNewer(right, left));
  });
});
