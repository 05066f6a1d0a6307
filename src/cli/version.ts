// The version is baked in by the bundler (scripts/bundle.mjs); tests read package.json.
import { readFileSync } from "node:fs";
import path from "node:path";

declare const EDGEHA_VERSION: string | undefined;

function readVersion(): string {
  if (typeof EDGEHA_VERSION === "string") return EDGEHA_VERSION;
  try {
    const file = path.resolve(__dirname, "../../package.json");
    return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
  } catch {
    return "0.0.0-dev";
  }
}

export const VERSION = readVersion();
