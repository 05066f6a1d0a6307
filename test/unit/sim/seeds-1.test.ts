// Seeds 1-250 of the CI's 1,000 (four files, so vitest runs them side by side).
import { describe, it } from "vitest";
import { sweep } from "./sweep";

describe("simulator, seeds 1-250", () => {
  it("keeps every invariant, and converges once the faults heal", () => sweep(1, 250), 600_000);
});
