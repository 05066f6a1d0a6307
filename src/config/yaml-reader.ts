// Typed reading of YAML nodes with positions. Each reader reports a problem at the
// node it read (never throws) and returns undefined when the value is unusable, so
// one pass over the file collects every problem instead of stopping at the first.
import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node as YamlNode } from "yaml";
import { didYouMean } from "../common/suggest";
import type { ProblemList, SourcePositions } from "./problems";
import type { Position } from "./types";

/** The boolean words accepted besides YAML's true/false (corosync's files use on/off and yes/no). */
const TRUE_WORDS = new Set(["true", "on", "yes"]);
const FALSE_WORDS = new Set(["false", "off", "no"]);

export class YamlReader {
  constructor(
    private readonly document: Document,
    private readonly lineCounter: LineCounter,
    readonly problems: ProblemList,
    readonly positions: SourcePositions,
  ) {}

  position(node: YamlNode | null | undefined): Position {
    const offset = node?.range?.[0] ?? 0;
    const { line, col } = this.lineCounter.linePos(offset);
    return { line, column: col };
  }

  positionOfOffset(offset: number): Position {
    const { line, col } = this.lineCounter.linePos(offset);
    return { line, column: col };
  }

  /** Follows an alias (*name) to the node it names. */
  resolve(node: unknown): YamlNode | null {
    if (node === null || node === undefined) return null;
    if (isAlias(node)) return (node.resolve(this.document) as YamlNode | undefined) ?? null;
    return node as YamlNode;
  }

  /**
   * Reads a mapping whose keys must be among `keys`; unknown keys are errors with a
   * did-you-mean. An absent or empty section (`quorum:` with nothing below) reads
   * as an empty mapping. Returns undefined when the value is not a mapping.
   */
  mapping(raw: unknown, path: string, keys: readonly string[]): Map<string, YamlNode | null> | undefined {
    const node = this.resolve(raw);
    const entries = new Map<string, YamlNode | null>();
    if (node === null || (isScalar(node) && node.value === null)) return entries;
    if (!isMap(node)) {
      this.problems.error(path, `${label(path)} must be a mapping of keys to values, not ${describe(node)}`, this.position(node));
      return undefined;
    }
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const keyNode = this.resolve(pair.key);
      const key = isScalar(keyNode) ? keyNode.value : undefined;
      if (typeof key !== "string") {
        this.problems.error(path, `keys in ${label(path)} must be names, not ${describe(keyNode)}`, this.position(keyNode));
        continue;
      }
      const childPath = path === "" ? key : `${path}.${key}`;
      if (!keys.includes(key)) {
        const where = path === "" ? "at the top level" : `in ${path}`;
        this.problems.error(childPath, `unknown key '${key}' ${where}${didYouMean(key, keys)}`, this.position(keyNode));
        continue;
      }
      const value = this.resolve(pair.value);
      const hasValue = value !== null && !(isScalar(value) && value.value === null);
      this.positions.set(childPath, this.position(hasValue ? value : keyNode));
      entries.set(key, value);
    }
    return entries;
  }

  /** Reads a list; undefined (with an error) when the value is something else. */
  list(raw: unknown, path: string): YamlNode[] | undefined {
    const node = this.resolve(raw);
    if (!isSeq(node)) {
      this.problems.error(path, `${label(path)} must be a list, not ${describe(node)}`, this.position(node));
      return undefined;
    }
    return node.items.map((item, index) => {
      const resolved = this.resolve(item) ?? (item as YamlNode);
      this.positions.set(`${path}[${index}]`, this.position(resolved));
      return resolved;
    });
  }

  string(raw: unknown, path: string): string | undefined {
    const node = this.resolve(raw);
    if (isScalar(node) && typeof node.value === "string") return node.value;
    this.problems.error(path, `${label(path)} must be text, not ${describe(node)}`, this.position(node));
    return undefined;
  }

  integer(raw: unknown, path: string, minimum: number, maximum: number): number | undefined {
    const node = this.resolve(raw);
    const value = isScalar(node) ? node.value : undefined;
    if (typeof value === "number" && Number.isInteger(value) && value >= minimum && value <= maximum) return value;
    this.problems.error(path, `${label(path)} must be an integer from ${minimum} to ${maximum}, not ${describe(node)}`, this.position(node));
    return undefined;
  }

  boolean(raw: unknown, path: string): boolean | undefined {
    const node = this.resolve(raw);
    const value = isScalar(node) ? node.value : undefined;
    if (typeof value === "boolean") return value;
    if (typeof value === "string") {
      const word = value.toLowerCase();
      if (TRUE_WORDS.has(word)) return true;
      if (FALSE_WORDS.has(word)) return false;
    }
    this.problems.error(path, `${label(path)} must be true or false (on/off and yes/no also work), not ${describe(node)}`, this.position(node));
    return undefined;
  }
}

/** How a path is named in messages. */
export function label(path: string): string {
  return path === "" ? "the file" : path;
}

/** A short description of a YAML value for "must be X, not Y" messages. */
export function describe(node: YamlNode | null | undefined): string {
  if (node === null || node === undefined) return "nothing";
  if (isMap(node)) return "a mapping";
  if (isSeq(node)) return "a list";
  if (isScalar(node)) {
    const value = node.value;
    if (value === null) return "nothing";
    if (typeof value === "string") return `the text '${truncate(value)}'`;
    if (typeof value === "number") return `the number ${value}`;
    if (typeof value === "boolean") return String(value);
    return `'${truncate(String(value))}'`;
  }
  return "an unsupported value";
}

function truncate(text: string): string {
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}
