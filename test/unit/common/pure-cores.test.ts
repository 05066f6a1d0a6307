// The pure cores (DESIGN.md: "pure cores, I/O at the edges") never read the clock, open
// sockets, spawn processes or touch files: time and randomness are inputs. This reads their
// sources and fails on any import of an I/O module or any call that reads a clock or draws
// randomness, so the simulator keeps running the same code the agent runs.
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.resolve(__dirname, "../../..");
/** Folders (and single files) that must stay pure. */
const PURE = ["src/membership", "src/quorum", "src/controller", "src/scheduler", "src/stack", "src/sim", "src/fencer/planner.ts", "src/executor/resource-rules.ts"];

const IO_MODULES = ["fs", "fs/promises", "net", "dgram", "child_process", "http", "https", "os", "worker_threads", "cluster", "readline", "tty"];
const CLOCK_OR_CHANCE = [/\bDate\.now\s*\(/, /\bnew Date\s*\(\s*\)/, /\bperformance\.now\s*\(/, /\bprocess\.hrtime\b/, /\bMath\.random\s*\(/, /\bsetTimeout\s*\(/, /\bsetInterval\s*\(/, /\bsetImmediate\s*\(/, /\bqueueMicrotask\s*\(/, /\bprocess\.(env|exit|kill)\b/];

/** The problems of one source file: lines that import I/O or read a clock or chance. */
export function impurities(source: string): string[] {
  const problems: string[] = [];
  source.split("\n").forEach((line, index) => {
    const code = line.replace(/\/\/.*$/, "");
    const imported = /\bfrom\s+["']([^"']+)["']|\bimport\s*\(\s*["']([^"']+)["']|\brequire\s*\(\s*["']([^"']+)["']/.exec(code);
    const module = imported?.[1] ?? imported?.[2] ?? imported?.[3];
    if (module !== undefined && IO_MODULES.includes(module.replace(/^node:/, ""))) problems.push(`line ${index + 1}: imports ${module}`);
    for (const pattern of CLOCK_OR_CHANCE) if (pattern.test(code)) problems.push(`line ${index + 1}: ${pattern.source.replace(/\\[bs]\*?|\\/g, "")}`);
  });
  return problems;
}

function sources(entry: string): string[] {
  const full = path.join(root, entry);
  if (statSync(full).isFile()) return [full];
  return readdirSync(full, { recursive: true, encoding: "utf8" }).filter((name) => name.endsWith(".ts")).map((name) => path.join(full, name));
}

describe("pure cores", () => {
  it("import no I/O module and read no clock or randomness", () => {
    const found: string[] = [];
    for (const entry of PURE) for (const file of sources(entry)) for (const problem of impurities(readFileSync(file, "utf8"))) found.push(`${path.relative(root, file)} ${problem}`);
    expect(found).toEqual([]);
  });

  it("the check itself sees an I/O import, a clock read and a random draw", () => {
    const source = ['import { readFileSync } from "node:fs";', "const now = Date.now();", "// Math.random() in a comment is fine", "const chance = Math.random();"].join("\n");
    expect(impurities(source)).toEqual(["line 1: imports node:fs", "line 2: Date.now(", "line 4: Math.random("]);
  });
});
