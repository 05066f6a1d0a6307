// Native CIB input (JSON, YAML): syntax errors name FILE:LINE:COLUMN; what is too large,
// too deep or expands without bound is E_CIB_TOO_LARGE, never a heap or stack exhaustion.
import { describe, expect, it } from "vitest";
import { parseNativeCib, serializeNativeCib, emptyCib, type Cib } from "../../../src/cib";

function refusal(text: string, file: string): { code: string; message: string } {
  try {
    parseNativeCib(text, file);
  } catch (error) {
    return { code: (error as { code: string }).code, message: (error as Error).message };
  }
  throw new Error("accepted");
}

const primitive = (id: string) => ({ kind: "primitive", id, class: "ocf", provider: "heartbeat", type: "Dummy" });

describe("native CIB input", () => {
  it("a JSON syntax error names the line and column", () => {
    expect(refusal('{\n  "resources": [\n    {"kind": "primitive",}\n  ]\n}\n', "cib.json")).toEqual({ code: "E_CIB_PARSE", message: expect.stringMatching(/^cib\.json:3:\d+: /) });
    expect(refusal('{"resources": [', "cib.json")).toEqual({ code: "E_CIB_PARSE", message: expect.stringMatching(/^cib\.json:1:\d+: /) });
  });

  it("a YAML syntax error names the line and column", () => {
    expect(refusal("resources:\n  - kind: primitive\n   id: x\n", "cib.yaml")).toEqual({ code: "E_CIB_PARSE", message: expect.stringMatching(/^cib\.yaml:3:\d+: /) });
  });

  it("a YAML alias bomb is refused, not expanded", () => {
    const levels = ["a: &a [x,x,x,x,x,x,x,x,x]", ...["b", "c", "d", "e", "f", "g"].map((name, index) => `${name}: &${name} [${Array.from({ length: 9 }, () => `*${"abcdefg"[index]}`).join(",")}]`)];
    expect(refusal(`${levels.join("\n")}\n`, "bomb.yaml")).toEqual({ code: "E_CIB_TOO_LARGE", message: expect.stringContaining("bomb.yaml: Excessive alias count") });
  });

  it("JSON nested 1,000,000 deep is refused before validation (which would overflow the stack)", () => {
    const text = `{"resources": [{"kind": "primitive", "id": "p", "class": "ocf", "type": "Dummy", "extra": {"x": ${"[".repeat(1_000_000)}${"]".repeat(1_000_000)}}}]}`;
    expect(refusal(text, "deep.json")).toEqual({ code: "E_CIB_TOO_LARGE", message: "deep.json: nested deeper than 64 levels; a CIB is never that deep" });
  });

  it("text over 16 MiB is refused before it is parsed", () => {
    expect(refusal(" ".repeat(16 * 1024 * 1024 + 1), "big.json")).toEqual({ code: "E_CIB_TOO_LARGE", message: `big.json has ${16 * 1024 * 1024 + 1} characters; edgeha reads a CIB of at most ${16 * 1024 * 1024}` });
  });

  it("more primitives than edgeha takes, or an id over 256 characters, is refused", () => {
    const many: Cib = { ...emptyCib(), resources: Array.from({ length: 10_001 }, (_, index) => primitive(`r${index}`)) as unknown as Cib["resources"] };
    expect(refusal(serializeNativeCib(many), "many.json")).toEqual({ code: "E_CIB_TOO_LARGE", message: "many.json: 10001 primitives; edgeha takes at most 10000" });
    const long: Cib = { ...emptyCib(), resources: [primitive("x".repeat(257))] as unknown as Cib["resources"] };
    expect(refusal(serializeNativeCib(long), "long.json")).toEqual({ code: "E_CIB_INVALID", message: expect.stringContaining("/resources/0/id: must NOT have more than 256 characters") });
  });
});
