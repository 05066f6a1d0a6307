// Scripted scenarios (test/unit/sim/scenarios/*.txt): each is run on a calm simulated cluster
// and what happened, in domain words, must match its golden file (*.golden). After a deliberate
// change of behaviour, read the new output and accept it with:
//   UPDATE_GOLDEN=1 npx vitest run test/unit/sim/scenarios.test.ts
import { readdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runScript } from "../../../src/sim";

const directory = path.join(__dirname, "scenarios");
const update = process.env.UPDATE_GOLDEN === "1";

describe("scripted scenarios", () => {
  for (const file of readdirSync(directory).filter((name) => name.endsWith(".txt")).sort()) {
    it(file.replace(/\.txt$/, "").replaceAll("-", " "), () => {
      const result = runScript(readFileSync(path.join(directory, file), "utf8"));
      const text = `${result.lines.join("\n")}\n`;
      const golden = path.join(directory, file.replace(/\.txt$/, ".golden"));
      if (update || !existsSync(golden)) writeFileSync(golden, text);
      expect(text).toBe(readFileSync(golden, "utf8"));
      expect(result.ok, text).toBe(true);
    });
  }
});
