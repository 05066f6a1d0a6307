import { describe, expect, it } from "vitest";
import { SourcePositions, formatProblem, parentPath, sortProblems } from "../../../src/config/problems";

describe("source positions", () => {
  it("locates a path that was not in the file at its nearest ancestor", () => {
    const positions = new SourcePositions();
    positions.set("paths", { line: 8, column: 8 });
    expect(positions.locate("paths.authkey")).toEqual({ line: 8, column: 8 });
  });

  it("locates a path with no ancestor in the file at 1:1", () => {
    expect(new SourcePositions().locate("paths.authkey")).toEqual({ line: 1, column: 1 });
  });

  it("walks up list indexes and keys", () => {
    expect(parentPath("nodes[1].links[0]")).toBe("nodes[1].links");
    expect(parentPath("nodes[1].links")).toBe("nodes[1]");
    expect(parentPath("nodes[1]")).toBe("nodes");
    expect(parentPath("nodes")).toBe("");
  });
});

describe("formatting", () => {
  it("prints an error as FILE:LINE:COLUMN: message", () => {
    expect(formatProblem("a.yaml", { severity: "error", path: "x", message: "bad", line: 3, column: 7 })).toBe("a.yaml:3:7: bad");
  });

  it("marks a warning as such", () => {
    expect(formatProblem("a.yaml", { severity: "warning", path: "x", message: "odd", line: 3, column: 7 })).toBe("a.yaml:3:7: warning: odd");
  });

  it("sorts by line, then column, errors before warnings at the same place", () => {
    const at = (line: number, column: number, severity: "error" | "warning") => ({ severity, path: "", message: "", line, column });
    const sorted = sortProblems([at(4, 1, "error"), at(2, 9, "warning"), at(2, 9, "error"), at(2, 3, "warning")]);
    expect(sorted.map((problem) => `${problem.line}:${problem.column}:${problem.severity}`)).toEqual(["2:3:warning", "2:9:error", "2:9:warning", "4:1:error"]);
  });
});
