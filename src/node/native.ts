// Native addons. In the single executable they travel as SEA assets (one per
// architecture) and are written to a private directory that this process owns,
// then loaded with process.dlopen; in development they load from node_modules.
// The directory is never /tmp, which appliances often mount noexec.
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { writeFileDurably } from "../common/durable";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { EdgehaError } from "../common/errors";

interface SeaModule {
  isSea(): boolean;
  getRawAsset(key: string): ArrayBuffer;
}

function seaModule(): SeaModule | undefined {
  try {
    const sea = createRequire(__filename)("node:sea") as SeaModule;
    return sea.isSea() ? sea : undefined;
  } catch {
    return undefined;
  }
}

export function isSingleExecutable(): boolean {
  return seaModule() !== undefined;
}

/** Candidate private directories, most preferred first. */
export function nativeDirectoryCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  const candidates = [];
  if (env.EDGEHA_NATIVE_DIR) candidates.push(env.EDGEHA_NATIVE_DIR);
  candidates.push("/run/edgeha/native");
  if (env.XDG_RUNTIME_DIR) candidates.push(path.join(env.XDG_RUNTIME_DIR, "edgeha", "native"));
  candidates.push(path.join(os.homedir(), ".cache", "edgeha", "native"));
  return candidates;
}

function privateDirectory(): string {
  const problems: string[] = [];
  for (const directory of nativeDirectoryCandidates()) {
    try {
      mkdirSync(directory, { recursive: true, mode: 0o700 });
      const stat = statSync(directory);
      if (typeof process.getuid === "function" && stat.uid !== process.getuid()) {
        problems.push(`${directory}: owned by uid ${stat.uid}`);
        continue;
      }
      chmodSync(directory, 0o700);
      return directory;
    } catch (error) {
      problems.push(`${directory}: ${(error as Error).message}`);
    }
  }
  throw new EdgehaError("E_NATIVE_DIR", `no private directory for native addons (${problems.join("; ")})`);
}

/** Writes the asset once per content hash and loads it. */
function loadAsset(sea: SeaModule, key: string): Record<string, unknown> {
  const bytes = Buffer.from(sea.getRawAsset(key));
  const digest = createHash("sha256").update(bytes).digest("hex").slice(0, 16);
  const file = path.join(privateDirectory(), `${key.replace(/\.node$/, "")}-${digest}.node`);
  if (!existsSync(file) || !readFileSync(file).equals(bytes)) {
    writeFileDurably(file, bytes, { mode: 0o500 });
  }
  const module = { exports: {} as Record<string, unknown> };
  process.dlopen(module, file);
  return module.exports;
}

/**
 * One of edgeha's own addons (src/node/native/NAME.c). In the single executable it is an asset;
 * elsewhere scripts/build and scripts/bundle.mjs leave it in dist/native (the variable
 * `override` of the environment names another file).
 */
function loadOwnAddon(name: string, what: string, override: string | undefined): Record<string, unknown> {
  const key = `${name}-linux-${process.arch}.node`;
  const sea = seaModule();
  try {
    if (sea) return loadAsset(sea, key);
    // The bundle runs from dist/ (its addons in dist/native); the sources from src/node.
    const candidates = [override, path.join(__dirname, "native", key), path.join(__dirname, "..", "..", "dist", "native", key)].filter((file): file is string => file !== undefined);
    const file = candidates.find((candidate) => existsSync(candidate));
    if (file === undefined) throw new Error(`not found (looked in ${candidates.join(", ")}; ./scripts/build makes it)`);
    const module = { exports: {} as Record<string, unknown> };
    process.dlopen(module, file);
    return module.exports;
  } catch (error) {
    if (error instanceof EdgehaError) throw error;
    throw new EdgehaError("E_NATIVE_LOAD", `cannot load the ${what} addon ${key}: ${(error as Error).message}`);
  }
}

/** edgeha's own systemd-notify addon (src/node/native/notify.c): `send(socketPath, message)` returns 0 or an errno. */
export function loadNotifyNative(env: NodeJS.ProcessEnv = process.env): { send(socketPath: string, message: string): number } {
  return loadOwnAddon("notify", "systemd-notify", env.EDGEHA_NOTIFY_ADDON) as unknown as { send(socketPath: string, message: string): number };
}

/** edgeha's liveness addon (src/node/native/liveness.c; see src/node/liveness.ts for what it does). */
export interface LivenessNative {
  start(links: Array<[string, string]>, probeEveryMs: number, silentAfterProbes: number, callback: (link: number, state: string, monotonicMs: number, detail: string) => void): object;
  stop(handle: object): void;
  realtime(priority: number): number;
  lockMemory(): number;
  monotonicMs(): number;
  /** A re-armable timer on the event loop (src/node/wake-timer.ts says why); absent from stand-ins. */
  timer?(callback: () => void): object;
  arm?(handle: object, delayMs: number): void;
  disarm?(handle: object): void;
  close?(handle: object): void;
  /** How many times the event loop has woken (libuv's loop count). */
  loopCount?(): number;
  /** malloc_trim(0): the pages malloc holds free go back to the kernel (1 when some did); absent from stand-ins. */
  trimMemory?(): number;
}

export function loadLivenessNative(env: NodeJS.ProcessEnv = process.env): LivenessNative {
  return loadOwnAddon("liveness", "liveness", env.EDGEHA_LIVENESS_ADDON) as unknown as LivenessNative;
}

/** The raw native part of @serialport/bindings-cpp (open, close, set, get, update, drain, flush, ...). */
export function loadSerialNative(): Record<string, unknown> {
  const key = `serialport-linux-${process.arch}.node`;
  const sea = seaModule();
  if (sea) {
    try {
      return loadAsset(sea, key);
    } catch (error) {
      if (error instanceof EdgehaError) throw error;
      throw new EdgehaError("E_NATIVE_LOAD", `cannot load the serial addon ${key}: ${(error as Error).message}`);
    }
  }
  const require = createRequire(__filename);
  const packageDirectory = path.dirname(require.resolve("@serialport/bindings-cpp/package.json"));
  const nodeGypBuild = require("node-gyp-build") as (directory: string) => Record<string, unknown>;
  return nodeGypBuild(packageDirectory);
}
