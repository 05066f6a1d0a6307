// The rule expression language of `pcs constraint location RSC rule ...` (pcs 0.11), read
// into a tree. Pure: words in, a tree or an E_ADMIN_ARGUMENT error naming the word and its
// position out. rule-build.ts turns the tree into the CIB's Rule.
//
// The grammar, as pcs reads it:
//   expression := term (("and" | "or") term)*      left to right, "and" and "or" bind alike
//   term       := "(" expression ")"
//               | ("defined" | "not_defined") ATTRIBUTE
//               | ATTRIBUTE ("eq"|"ne"|"lt"|"gt"|"lte"|"gte") [TYPE] VALUE
//               | "date" ("gt" | "lt") DATE
//               | "date" "in_range" DATE "to" (DATE | "duration" PART...)
//               | "date-spec" PART...
//   TYPE       := "string" | "integer" | "number" | "version"
//   PART       := NAME=VALUE, NAME one of hours monthdays weekdays yeardays months weeks years weekyears moon
// Parentheses may be written inside a word ("(a", "b)"). A keyword right after a TYPE is a value.
import { parseIsoDate } from "../cib";
import { EdgehaError } from "../common/errors";

export type RuleTree =
  | { kind: "boolean"; operator: "and" | "or"; left: RuleTree; right: RuleTree }
  | { kind: "defined"; operator: "defined" | "not_defined"; attribute: string }
  | { kind: "compare"; operator: string; attribute: string; type?: string; value: string }
  | { kind: "date"; operator: "gt" | "lt"; date: string }
  | { kind: "range"; start: string; end?: string; duration?: Record<string, string> }
  | { kind: "date-spec"; parts: Record<string, string> };

const COMPARISONS = ["eq", "ne", "lt", "gt", "lte", "gte"];
const TYPES = ["string", "integer", "number", "version"];
const BOOLEANS = ["and", "or"];
const KEYWORDS = new Set([...COMPARISONS, "in_range", "to", "defined", "not_defined", ...TYPES, "date-spec", "duration", ...BOOLEANS, "(", ")"]);
const PART_NAMES = ["hours", "monthdays", "weekdays", "yeardays", "months", "weeks", "years", "weekyears", "moon"];
/** Bounds of date-spec fields, as pcs checks them; years has none. */
const PART_LIMITS: Record<string, [number, number]> = {
  hours: [0, 23], monthdays: [0, 31], weekdays: [1, 7], yeardays: [1, 366], months: [1, 12], weeks: [1, 53], weekyears: [1, 53], moon: [0, 7],
};
const TYPE_PATTERNS: Record<string, RegExp> = {
  integer: /^[-+]?\d+$/,
  number: /^[-+]?(\d+|\d*\.\d+|\d+\.\d*)([eE][-+]?\d+)?$/,
  version: /^\d+(\.\d+)*$/,
};

interface Token {
  text: string;
  /** 1-based position of the word it came from in the expression. */
  word: number;
  /** A date-spec or duration keyword carries its NAME=VALUE parts. */
  parts?: string[];
}

/** Splits parentheses out of words and gathers the parts after date-spec and duration. */
function tokenize(words: readonly string[]): Token[] {
  const tokens: Token[] = [];
  words.forEach((word, index) => {
    for (const piece of word.split(/([()])/)) if (piece !== "") tokens.push({ text: piece, word: index + 1 });
  });
  const gathered: Token[] = [];
  for (let at = 0; at < tokens.length; at += 1) {
    const token = tokens[at]!;
    gathered.push(token);
    if (token.text !== "date-spec" && token.text !== "duration") continue;
    token.parts = [];
    while (at + 1 < tokens.length && PART_NAMES.some((name) => tokens[at + 1]!.text === name || tokens[at + 1]!.text.startsWith(`${name}=`))) {
      at += 1;
      token.parts.push(tokens[at]!.text);
    }
  }
  return gathered;
}

class RuleReader {
  private at = 0;

  constructor(private readonly tokens: Token[], private readonly source: string) {}

  fail(reason: string, token?: Token): never {
    const where = token === undefined ? "at the end" : `at word ${token.word} ('${token.text}')`;
    throw new EdgehaError("E_ADMIN_ARGUMENT", `'${this.source}' is not a valid rule expression: ${reason} ${where}`, token === undefined ? {} : { word: token.word, token: token.text });
  }

  private peek(): Token | undefined {
    return this.tokens[this.at];
  }

  private next(what: string): Token {
    const token = this.tokens[this.at];
    if (token === undefined) this.fail(`expected ${what}`);
    this.at += 1;
    return token;
  }

  /** A word that is not a keyword: an attribute name, value or date. */
  private literal(what: string, after: string): Token {
    const token = this.next(`${what} after '${after}'`);
    if (KEYWORDS.has(token.text)) this.fail(`expected ${what} after '${after}', got the keyword '${token.text}'`, token);
    return token;
  }

  read(): RuleTree {
    if (this.tokens.length === 0) throw new EdgehaError("E_ADMIN_ARGUMENT", "no rule expression was given (e.g. '#uname eq node1' or 'pingd gt 0')");
    const tree = this.expression();
    const rest = this.peek();
    if (rest !== undefined) this.fail(rest.text === ")" ? "')' closes no '('" : `unexpected '${rest.text}' (join expressions with 'and' or 'or')`, rest);
    return tree;
  }

  private expression(): RuleTree {
    let tree = this.term();
    for (let token = this.peek(); token !== undefined && BOOLEANS.includes(token.text); token = this.peek()) {
      this.at += 1;
      tree = { kind: "boolean", operator: token.text as "and" | "or", left: tree, right: this.term() };
    }
    return tree;
  }

  private term(): RuleTree {
    const token = this.next("an expression");
    if (token.text === "(") {
      const inner = this.expression();
      const close = this.peek();
      if (close?.text !== ")") this.fail(`missing ')' for the '(' at word ${token.word}`, close);
      this.at += 1;
      return inner;
    }
    if (token.text === "defined" || token.text === "not_defined") return { kind: "defined", operator: token.text, attribute: this.literal("an attribute name", token.text).text };
    if (token.text === "date-spec") return { kind: "date-spec", parts: this.parts(token, true) };
    if (KEYWORDS.has(token.text)) this.fail(`unexpected '${token.text}' where an expression should start`, token);
    return this.comparison(token);
  }

  private comparison(attribute: Token): RuleTree {
    const operator = this.peek();
    if (operator === undefined || !(COMPARISONS.includes(operator.text) || operator.text === "in_range")) {
      this.fail(`'${attribute.text}' must be followed by one of ${[...COMPARISONS, "in_range"].join(", ")} (or write defined, not_defined or date-spec)`, operator);
    }
    this.at += 1;
    if (operator.text === "in_range") {
      if (attribute.text !== "date") this.fail(`in_range compares dates only: write 'date in_range START to END', not '${attribute.text} in_range'`, attribute);
      return this.range(operator);
    }
    const typeToken = this.peek();
    const type = typeToken !== undefined && TYPES.includes(typeToken.text) ? typeToken.text : undefined;
    if (type !== undefined) this.at += 1;
    // After a type any word is the value, as pcs reads it (`a eq string and`).
    const value = type === undefined ? this.literal("a value", operator.text) : this.next(`a ${type} value`);
    if (type !== undefined && TYPE_PATTERNS[type] && !TYPE_PATTERNS[type]!.test(value.text)) this.fail(`'${value.text}' is not a valid ${type} value`, value);
    if (attribute.text === "date" && type === undefined && (operator.text === "gt" || operator.text === "lt")) {
      return { kind: "date", operator: operator.text, date: this.date(value) };
    }
    return { kind: "compare", operator: operator.text, attribute: attribute.text, ...(type === undefined ? {} : { type }), value: value.text };
  }

  private range(operator: Token): RuleTree {
    const start = this.date(this.literal("a start date", "in_range"));
    const to = this.next("'to'");
    if (to.text !== "to") this.fail(`expected 'to' after the start date, got '${to.text}'`, to);
    const end = this.next("an end date or 'duration'");
    if (end.text === "duration") return { kind: "range", start, duration: this.parts(end, false) };
    if (KEYWORDS.has(end.text)) this.fail(`expected an end date or 'duration' after 'to', got the keyword '${end.text}'`, end);
    return { kind: "range", start, end: this.date(end) };
  }

  private date(token: Token): string {
    if (parseIsoDate(token.text, { now: 0 }) === undefined) this.fail(`'${token.text}' is not an ISO 8601 date (such as 2025-01-31 or 2025-01-31T08:00:00)`, token);
    return token.text;
  }

  /** The NAME=VALUE parts after date-spec (ranges allowed, checked against their bounds) or duration (whole numbers). */
  private parts(keyword: Token, spec: boolean): Record<string, string> {
    const parts: Record<string, string> = {};
    for (const part of keyword.parts ?? []) {
      const equals = part.indexOf("=");
      if (equals < 0 || equals === part.length - 1) this.fail(`'${part}' in ${keyword.text} needs a value (${part.replace(/=$/, "")}=VALUE)`, keyword);
      const name = part.slice(0, equals);
      const value = part.slice(equals + 1);
      if (!(spec ? validSpecPart(name, value) : /^\d+$/.test(value))) {
        this.fail(`invalid ${name} '${value}' in ${keyword.text} (${spec ? describeSpecPart(name) : "a whole number"})`, keyword);
      }
      parts[name] = value;
    }
    if (Object.keys(parts).length === 0) this.fail(`${keyword.text} needs at least one of ${PART_NAMES.map((name) => `${name}=`).join(", ")}`, this.peek() ?? keyword);
    return parts;
  }
}

function describeSpecPart(name: string): string {
  const limits = PART_LIMITS[name];
  return limits === undefined ? "N or N-M" : `N or N-M, from ${limits[0]} to ${limits[1]}, N below M`;
}

function validSpecPart(name: string, value: string): boolean {
  const match = /^(\d+)(?:-(\d+))?$/.exec(value);
  if (!match) return false;
  const limits = PART_LIMITS[name];
  const inside = (text: string) => limits === undefined || (Number(text) >= limits[0] && Number(text) <= limits[1]);
  if (!inside(match[1]!)) return false;
  return match[2] === undefined || (inside(match[2]) && Number(match[1]) < Number(match[2]));
}

/** The expression words of `constraint location RSC rule [options] EXPRESSION...` as a tree. */
export function parseRuleWords(words: readonly string[]): RuleTree {
  return new RuleReader(tokenize(words), words.join(" ")).read();
}
