// The remedy of each error code, as docs/errors.md gives it. The bundler bakes the table
// in (scripts/bundle.mjs parses docs/errors.md into EDGEHA_REMEDIES); tests and a checkout
// read the file itself. `--json` error output carries the remedy beside code and message.
import { readFileSync } from "node:fs";
import path from "node:path";

declare const EDGEHA_REMEDIES: Record<string, string> | undefined;

/** Each `| \`E_CODE\` | what happened | remedy |` row of docs/errors.md, as code -> remedy. */
export function parseRemedies(markdown: string): Record<string, string> {
  const table: Record<string, string> = {};
  for (const match of markdown.matchAll(/^\|\s*`(E_[A-Z0-9_]+)`\s*\|[^|\n]*\|\s*([^|\n]*\S)\s*\|\s*$/gm)) table[match[1]!] = match[2]!.replace(/`/g, "");
  return table;
}

let cached: Record<string, string> | undefined;

function remedies(): Record<string, string> {
  if (cached) return cached;
  if (typeof EDGEHA_REMEDIES === "object" && EDGEHA_REMEDIES !== null) cached = EDGEHA_REMEDIES;
  else {
    try {
      cached = parseRemedies(readFileSync(path.resolve(__dirname, "../../docs/errors.md"), "utf8"));
    } catch {
      cached = {};
    }
  }
  return cached;
}

/** The documented remedy of a code, or a general one when the code is not known here. */
export function remedyFor(code: string): string {
  return remedies()[code] ?? "See docs/errors.md for this code; run the command with --help.";
}
