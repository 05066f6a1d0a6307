// Expected failures are EdgehaError with a stable literal code. Every code has a
// one-line remedy in docs/errors.md; test/unit/common/errors-documented.test.ts
// fails when a code used in the source is missing there.
//
// Programmer errors are assertions (see `assert`): they end the process, which in
// a cluster leads to the node being fenced, the safe direction for an HA agent.

export class EdgehaError extends Error {
  readonly code: string;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: string, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = "EdgehaError";
    this.code = code;
    this.details = details;
  }
}

/** A mistake on the command line: printed as one line with a hint, exit status 2. */
export class UsageError extends EdgehaError {
  readonly hint: string | undefined;

  constructor(message: string, hint?: string) {
    super("E_USAGE", message);
    this.name = "UsageError";
    this.hint = hint;
  }
}

export class AssertionFailure extends Error {
  constructor(message: string) {
    super(`assertion failed: ${message}`);
    this.name = "AssertionFailure";
  }
}

/** Checks an invariant of our own code. Stays on in production. */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionFailure(message);
}

/** Exhaustiveness check for discriminated unions in `switch` statements. */
export function unreachable(value: never, what = "value"): never {
  throw new AssertionFailure(`unexpected ${what}: ${JSON.stringify(value)}`);
}

export function isEdgehaError(error: unknown): error is EdgehaError {
  return error instanceof EdgehaError;
}
