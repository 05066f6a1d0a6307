// Collecting and printing config problems. Every problem carries the line and
// column of the YAML node it is about, so it prints as FILE:LINE:COLUMN: message.
import type { ConfigProblem, Position, Severity } from "./types";

/** Positions of the values read from the file, keyed by config path ("nodes[1].id"). */
export class SourcePositions {
  private readonly byPath = new Map<string, Position>();

  set(path: string, position: Position): void {
    this.byPath.set(path, position);
  }

  /** True when the file has a value at exactly `path`. */
  has(path: string): boolean {
    return this.byPath.has(path);
  }

  /** The position of `path`, else of its nearest ancestor that was in the file, else 1:1. */
  locate(path: string): Position {
    let current = path;
    for (;;) {
      const found = this.byPath.get(current);
      if (found) return found;
      if (current === "") return { line: 1, column: 1 };
      current = parentPath(current);
    }
  }
}

/** "nodes[1].links[0]" -> "nodes[1].links" -> "nodes[1]" -> "nodes" -> "". */
export function parentPath(path: string): string {
  const match = /^(.*?)(\[\d+\]|\.[^.[\]]+)$/.exec(path);
  return match ? match[1]! : "";
}

export class ProblemList {
  readonly problems: ConfigProblem[] = [];

  constructor(private readonly positions: SourcePositions) {}

  error(path: string, message: string, position?: Position): void {
    this.add("error", path, message, position);
  }

  warning(path: string, message: string, position?: Position): void {
    this.add("warning", path, message, position);
  }

  hasErrors(): boolean {
    return this.problems.some((problem) => problem.severity === "error");
  }

  private add(severity: Severity, path: string, message: string, position?: Position): void {
    const at = position ?? this.positions.locate(path);
    this.problems.push({ severity, path, message, line: at.line, column: at.column });
  }
}

/** In file order, errors before warnings at the same place. */
export function sortProblems(problems: readonly ConfigProblem[]): ConfigProblem[] {
  return [...problems].sort(
    (a, b) => a.line - b.line || a.column - b.column || (a.severity === b.severity ? 0 : a.severity === "error" ? -1 : 1),
  );
}

/** "FILE:LINE:COLUMN: message", with "warning: " before the message of a warning. */
export function formatProblem(fileName: string, problem: ConfigProblem): string {
  const marker = problem.severity === "warning" ? "warning: " : "";
  return `${fileName}:${problem.line}:${problem.column}: ${marker}${problem.message}`;
}

export function countBySeverity(problems: readonly ConfigProblem[]): { errors: number; warnings: number } {
  const errors = problems.filter((problem) => problem.severity === "error").length;
  return { errors, warnings: problems.length - errors };
}
