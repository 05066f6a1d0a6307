import { describe, expect, it } from "vitest";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

const root = path.resolve(__dirname, "../../..");

function sourceFiles(directory: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(directory)) {
    const full = path.join(directory, entry);
    if (statSync(full).isDirectory()) files.push(...sourceFiles(full));
    else if (full.endsWith(".ts")) files.push(full);
  }
  return files;
}

describe("error codes", () => {
  it("every code used in the source has a remedy in docs/errors.md", () => {
    const documentation = readFileSync(path.join(root, "docs/errors.md"), "utf8");
    const documented = new Set([...documentation.matchAll(/^\|\s*`(E_[A-Z0-9_]+)`\s*\|[^|]+\|\s*\S[^|]*\|/gm)].map((match) => match[1]));
    const used = new Map<string, string>();
    for (const folder of ["src", "agents", "fence-drivers"]) {
      // A folder with no files yet does not exist in a fresh clone.
      if (!existsSync(path.join(root, folder))) continue;
      for (const file of sourceFiles(path.join(root, folder))) {
        for (const match of readFileSync(file, "utf8").matchAll(/["'`](E_[A-Z0-9_]+)["'`]/g)) used.set(match[1]!, path.relative(root, file));
      }
    }
    const missing = [...used].filter(([code]) => !documented.has(code)).map(([code, file]) => `${code} (${file})`);
    expect(missing).toEqual([]);
    expect(used.size).toBeGreaterThan(0);
  });
});
