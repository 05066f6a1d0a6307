#!/usr/bin/env node
// Bundles src/cli/main.ts into one CommonJS file, dist/edgeha.cjs. The single
// executable (scripts/build) embeds this file; tests run it with `node` directly.
import { build } from "esbuild";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { pinoWithoutTransports } from "./esbuild-plugins.mjs";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const version = JSON.parse(await (await import("node:fs/promises")).readFile(path.join(root, "package.json"), "utf8")).version;

// The remedy of every error code (docs/errors.md), for `--json` error output.
const errorsDoc = await (await import("node:fs/promises")).readFile(path.join(root, "docs/errors.md"), "utf8");
const remedies = {};
for (const match of errorsDoc.matchAll(/^\|\s*`(E_[A-Z0-9_]+)`\s*\|[^|\n]*\|\s*([^|\n]*\S)\s*\|\s*$/gm)) remedies[match[1]] = match[2].replace(/`/g, "");

const outfile = path.join(root, "dist/edgeha.cjs");
const result = await build({
  entryPoints: [path.join(root, "src/cli/main.ts")],
  outfile,
  write: false,
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  sourcemap: false,
  legalComments: "none",
  minifyWhitespace: true,
  minifySyntax: true,
  // Short local names: the agent keeps its whole source in memory. keepNames keeps the
  // names of functions and classes (errors, logs and stack traces read them).
  minifyIdentifiers: true,
  keepNames: true,
  logLevel: "warning",
  define: { EDGEHA_VERSION: JSON.stringify(version), EDGEHA_REMEDIES: JSON.stringify(remedies) },
  // Native addons are loaded at run time from SEA assets or node_modules, never bundled.
  external: ["@serialport/bindings-cpp"],
  plugins: [pinoWithoutTransports],
});

// Written whole and renamed into place, so a process started while tests rebuild the
// bundle never loads half a file.
const fs = await import("node:fs/promises");
await fs.mkdir(path.dirname(outfile), { recursive: true });
const temporary = `${outfile}.${process.pid}.tmp`;
await fs.writeFile(temporary, result.outputFiles[0].contents);
await fs.rename(temporary, outfile);

// edgeha's own addons for this machine (systemd notify, liveness), beside the bundle
// (dist/native), so the agent run from the bundle has them. scripts/build makes both
// architectures and fails without a compiler; here a missing gcc only means the bundle runs
// without them (the agent says what it lacks).
for (const name of ["notify", "liveness"]) {
  const source = path.join(root, "src/node/native", `${name}.c`);
  const addon = path.join(root, "dist/native", `${name}-linux-${process.arch}.node`);
  const newer = async (file, than) => (await fs.stat(file).catch(() => undefined))?.mtimeMs > (await fs.stat(than)).mtimeMs;
  if ((process.arch !== "x64" && process.arch !== "arm64") || (await newer(addon, source))) continue;
  const { spawnSync } = await import("node:child_process");
  await fs.mkdir(path.dirname(addon), { recursive: true });
  const compiled = spawnSync("gcc", ["-shared", "-fPIC", "-O2", "-Wall", "-Wextra", "-Werror", "-o", `${addon}.${process.pid}.tmp`, source, "-lpthread"], { encoding: "utf8" });
  if (compiled.status === 0) await fs.rename(`${addon}.${process.pid}.tmp`, addon);
  else console.warn(`bundle: the ${name} addon was not built (${compiled.error?.message ?? compiled.stderr.trim()})`);
}
