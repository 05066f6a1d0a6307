// Damaged configs: whatever the text, the checker answers with problems at real
// positions instead of throwing, and yields a config exactly when there is no error.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { checkConfigText } from "../../../src/config/index";
import { PAIR } from "./helpers";

const damage = fc.oneof(
  fc.record({ kind: fc.constant("insert" as const), at: fc.nat(PAIR.length), text: fc.constantFrom(":", "-", "[", "]", "{", "}", " ", "\n", "'", "\"", "*a", "&a ", "x", "0", "!!int ", "\t") }),
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat(PAIR.length), length: fc.integer({ min: 1, max: 12 }) }),
);

function apply(text: string, steps: Array<{ kind: "insert"; at: number; text: string } | { kind: "delete"; at: number; length: number }>): string {
  let result = text;
  for (const step of steps) {
    const at = Math.min(step.at, result.length);
    result = step.kind === "insert" ? result.slice(0, at) + step.text + result.slice(at) : result.slice(0, at) + result.slice(at + step.length);
  }
  return result;
}

describe("the checker on damaged input", () => {
  it("never throws, reports positions inside the text, and yields a config only without errors", () => {
    fc.assert(
      fc.property(fc.array(damage, { minLength: 1, maxLength: 4 }), (steps) => {
        const text = apply(PAIR, steps);
        const lineCount = text.split("\n").length;
        const check = checkConfigText(text, "damaged.yaml");
        for (const problem of check.problems) {
          expect(problem.line).toBeGreaterThanOrEqual(1);
          expect(problem.line).toBeLessThanOrEqual(lineCount);
          expect(problem.column).toBeGreaterThanOrEqual(1);
          expect(problem.message.length).toBeGreaterThan(0);
        }
        const hasError = check.problems.some((problem) => problem.severity === "error");
        expect(check.config === undefined).toBe(hasError);
      }),
      { numRuns: 400, seed: 20261123 },
    );
  });
});

describe("hostile configs", () => {
  it("nesting 50,000 deep is one error at its place, in words (not the parser's stack overflow)", () => {
    const check = checkConfigText(`cluster_name: pair\nnodes: ${"[".repeat(50_000)}`, "deep.yaml");
    expect(check.config).toBeUndefined();
    expect(check.problems[0]).toMatchObject({ severity: "error", line: 2, message: "YAML: nested far deeper than a config ever is; edgeha stops reading here" });
  });

  it("an alias bomb is read as the aliases it holds, never expanded", () => {
    const levels = ["a: &a [x,x,x,x,x,x,x,x,x]", ...["b", "c", "d", "e", "f", "g"].map((name, index) => `${name}: &${name} [${Array.from({ length: 9 }, () => `*${"abcdefg"[index]}`).join(",")}]`)];
    const check = checkConfigText(`cluster_name: pair\n${levels.join("\n")}\n`, "bomb.yaml");
    expect(check.config).toBeUndefined();
    expect(check.problems.map((problem) => problem.message)).toContain("unknown key 'a' at the top level");
  });
});
