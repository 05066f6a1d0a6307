// Seeds 251-500 of the CI's 1,000 (four files, so vitest runs them side by side).
import { describe, it } from "vitest";
import { sweep } from "./sweep";

describe("simulator, seeds 251-500", () => {
  it("keeps every invariant, and converges once the faults heal", () => sweep(251, 500), 600_000);
});
