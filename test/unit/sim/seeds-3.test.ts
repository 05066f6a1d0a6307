// Seeds 501-750 of the CI's 1,000 (four files, so vitest runs them side by side).
import { describe, it } from "vitest";
import { sweep } from "./sweep";

describe("simulator, seeds 501-750", () => {
  it("keeps every invariant, and converges once the faults heal", () => sweep(501, 750), 600_000);
});
