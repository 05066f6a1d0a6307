// The shipped artifacts for the tests that need them: the executables and the Debian packages,
// built with ./scripts/build when missing or older than the sources they come from, so a test
// never checks a stale build (the packages at xz level 0: the tests read their contents).
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { repositoryRoot as checkout } from "./environment";

// Benchmarks bundle this file elsewhere (.cache/): they name the checkout with EDGEHA_ROOT.
const repositoryRoot = process.env.EDGEHA_ROOT ?? checkout;

const version = (JSON.parse(readFileSync(path.join(repositoryRoot, "package.json"), "utf8")) as { version: string }).version;

export function debPath(arch: "amd64" | "arm64"): string {
  return path.join(repositoryRoot, "dist", `edgeha_${version}_${arch}.deb`);
}

function newestMs(...entries: string[]): number {
  let newest = 0;
  for (const entry of entries.map((name) => path.join(repositoryRoot, name))) {
    if (!existsSync(entry)) continue;
    const stat = statSync(entry);
    if (stat.isDirectory()) {
      for (const child of readdirSync(entry)) newest = Math.max(newest, newestMs(path.relative(repositoryRoot, path.join(entry, child))));
    } else newest = Math.max(newest, stat.mtimeMs);
  }
  return newest;
}

function ageMs(file: string): number {
  return existsSync(file) ? statSync(file).mtimeMs : 0;
}

/** Builds what is missing or stale; returns the amd64 and arm64 package paths. */
export function ensurePackages(timeoutMs = 900_000): { amd64: string; arm64: string } {
  const executables = [path.join(repositoryRoot, "dist/edgeha"), path.join(repositoryRoot, "dist/edgeha-arm64")];
  const sources = newestMs("src", "agents", "fence-drivers", "scripts/build", "scripts/bundle.mjs", "scripts/esbuild-plugins.mjs", "package.json");
  const build = (args: string[]) => execFileSync(path.join(repositoryRoot, "scripts/build"), args, { cwd: repositoryRoot, stdio: "pipe", timeout: timeoutMs, env: { ...process.env, EDGEHA_DEB_XZ_LEVEL: "0" } });
  if (executables.some((file) => ageMs(file) < sources)) build(["--no-packages"]);
  const packaging = Math.max(ageMs(executables[0]!), ageMs(executables[1]!), newestMs("scripts/debian", "scripts/package.ts", "scripts/manual.ts", "docs/config.md", "docs/edgeha.example.yaml", "src"));
  if (ageMs(debPath("amd64")) < packaging || ageMs(debPath("arm64")) < packaging) build(["--packages-only"]);
  return { amd64: debPath("amd64"), arm64: debPath("arm64") };
}
