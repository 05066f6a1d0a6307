// The documentation of the config stays true: every key is in docs/config.md with
// the default and reason of src/config/defaults.ts, and the example file is valid.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import path from "node:path";
import { ALL_KEYS, checkConfigText, configDefaults } from "../../../src/config/index";

const root = path.resolve(__dirname, "../../..");
const documentation = readFileSync(path.join(root, "docs/config.md"), "utf8");
const rows = new Map([...documentation.matchAll(/^\| `([a-z_.[\]]+)` \|(.*)\|$/gm)].map((match) => [match[1]!, match[2]!]));

describe("docs/config.md", () => {
  it("has a row for every key the checker accepts", () => {
    expect(ALL_KEYS.filter((key) => !rows.has(key))).toEqual([]);
  });

  it("documents no key the checker does not accept", () => {
    expect([...rows.keys()].filter((key) => !ALL_KEYS.includes(key))).toEqual([]);
  });

  it("gives every default with the value and reason of the defaults module", () => {
    for (const entry of configDefaults.DEFAULTS) {
      const row = rows.get(entry.key);
      expect(row, entry.key).toBeDefined();
      expect(row, entry.key).toContain(`| ${entry.value} |`);
      expect(row, entry.key).toContain(entry.reason);
    }
  });
});

describe("docs/edgeha.example.yaml", () => {
  it("passes the checker without an error or a warning", () => {
    const file = path.join(root, "docs/edgeha.example.yaml");
    const check = checkConfigText(readFileSync(file, "utf8"), file);
    expect(check.problems).toEqual([]);
    expect(check.config?.nodes).toHaveLength(2);
  });
});
