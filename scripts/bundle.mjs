#!/usr/bin/env node
// Bundles src/cli/main.ts into one CommonJS file, dist/edgeha.cjs. The single
// executable (scripts/build) embeds this file; tests run it with `node` directly.
import { build } from "esbuild";
import { fileURLToPath } from "node:url";
import path from "node:path";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const version = JSON.parse(await (await import("node:fs/promises")).readFile(path.join(root, "package.json"), "utf8")).version;

await build({
  entryPoints: [path.join(root, "src/cli/main.ts")],
  outfile: path.join(root, "dist/edgeha.cjs"),
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  sourcemap: false,
  legalComments: "none",
  logLevel: "warning",
  define: { EDGEHA_VERSION: JSON.stringify(version) },
  // Native addons are loaded at run time from SEA assets or node_modules, never bundled.
  external: ["@serialport/bindings-cpp"],
});
