// Builds dist/edgeha.cjs once before any test runs, so tests that start the CLI
// as a real process use the same bundle the executable embeds.
import { execFileSync } from "node:child_process";
import path from "node:path";
import { DEFAULT_DIRECTORIES, directorySnapshot } from "./support/process-guard";

export default function setup(): void {
  const root = path.resolve(__dirname, "..");
  execFileSync(process.execPath, [path.join(root, "scripts/bundle.mjs")], { stdio: "inherit" });
  // No test may use this host's default places (test/setup-guard.ts fails a file that creates
  // or changes them). Ones that exist already are not the tests' to delete: say so.
  for (const directory of DEFAULT_DIRECTORIES) {
    if (directorySnapshot(directory) !== null) console.error(`*** ${directory} exists before the tests run (not made by this run; left alone): the guard reports a file that changes it`);
  }
}
