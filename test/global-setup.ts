// Builds dist/edgeha.cjs once before any test runs, so tests that start the CLI
// as a real process use the same bundle the executable embeds.
import { execFileSync } from "node:child_process";
import path from "node:path";

export default function setup(): void {
  const root = path.resolve(__dirname, "..");
  execFileSync(process.execPath, [path.join(root, "scripts/bundle.mjs")], { stdio: "inherit" });
}
